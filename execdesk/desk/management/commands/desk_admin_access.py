"""A supervisor grants a trader the admin (read-only, and only what a trader may see), or withdraws it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.services.access import admin_access_set
from execdesk.desk.services.errors import DeskError


class Command(BaseCommand):
    help = "Grant a trader access to the admin (or --withdraw it), as a supervisor, with a reason (audited)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--by", required=True, help="the supervisor granting it")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--withdraw", action="store_true", help="take the access back")

    def handle(self, *args, username: str, by: str, reason: str, withdraw: bool, **options) -> None:
        supervisor = get_user_model().objects.filter(username=by).first()
        if supervisor is None:
            raise CommandError(f"no user named {by!r}")
        try:
            admin_access_set(user=supervisor, username=username, granted=not withdraw, reason=reason)
        except (DeskError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{username}: admin access {'withdrawn' if withdraw else 'granted'} by {by}")
