"""Create a desk user or change their role (distributed mode has no demo logins)."""

from __future__ import annotations

import getpass
import re
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from execdesk.desk.access.roles import ROLES
from execdesk.desk.access.setup_roles import ensure_roles

# a plain identifier: it appears in the audit trail, in 403 details and on every page
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


class Command(BaseCommand):
    help = "Create a user with a desk role (trader, supervisor, auditor), or change an existing user's role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    def handle(self, *args, username: str, role: str, password_stdin: bool, **options) -> None:
        if not USERNAME.fullmatch(username):
            raise CommandError(f"username {username!r} is not a plain identifier: a letter, then up to 39 letters, "
                               "digits, '_', '.' or '-'")
        ensure_roles()
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        created = user is None
        if user is None:
            user = users(username=username)
        if created or password_stdin:
            password = self._password(username, from_stdin=password_stdin)
            try:  # before anything is written: a refused password creates nothing
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("password refused: " + " ".join(exc.messages)) from None
            user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(f"{'created' if created else 'updated'} {username} with role {role}")

    @staticmethod
    def _password(username: str, *, from_stdin: bool) -> str:
        """The new password: one line of stdin with --password-stdin, else a prompt on the terminal."""
        if not from_stdin and not sys.stdin.isatty():
            raise CommandError("no terminal to ask for the password: pipe it in on one line with --password-stdin")
        try:
            return input() if from_stdin else getpass.getpass(f"password for {username}: ")
        except EOFError:
            raise CommandError("no password given: stdin ended before a line was read") from None
