"""API tokens from the command line: create one (printed once), list them, or revoke one."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.selectors.api import api_token_list
from execdesk.desk.services.api_tokens import api_token_create, api_token_revoke
from execdesk.desk.services.errors import DeskError


class Command(BaseCommand):
    help = ("Create an API token for USERNAME (--name; the token is printed once and never stored), list "
            "USERNAME's tokens (--list), or revoke one as USERNAME (--revoke ID; supervisors may revoke any).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--name", help="what the new token is for, e.g. 'risk dashboard'")
        action.add_argument("--revoke", type=int, metavar="ID", help="revoke the token with this id")
        action.add_argument("--list", action="store_true", dest="list_tokens", help="list the user's tokens (never the tokens)")

    def handle(self, *args, username: str, name: str | None, revoke: int | None, list_tokens: bool,
               **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}; create one with manage.py desk_user")
        try:
            if list_tokens:
                self._list(user)
            elif revoke is not None:
                row = api_token_revoke(user=user, token_id=revoke)
                self.stdout.write(f"revoked token {row.pk} '{row.name}' ({row.prefix}…) of {row.user.get_username()}")
            else:
                row, token = api_token_create(user=user, name=name or "")
                self.stderr.write(f"created token {row.pk} '{row.name}' for {username}; it is shown once, "
                                  "store it now:")
                self.stdout.write(token)
        except (DeskError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None

    def _list(self, user) -> None:
        rows = api_token_list(user=user)
        if not rows:
            self.stdout.write(f"{user.get_username()} has no API tokens")
        for t in rows:
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(f"{t.pk:>5}  {t.prefix}…  {state:<24} created {t.created_at:%Y-%m-%d %H:%M}  "
                              f"last used {used}  {t.name}")
