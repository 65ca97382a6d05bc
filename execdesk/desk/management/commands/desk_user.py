"""Create a desk user or change their role (distributed mode has no demo logins)."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.roles import ROLES
from execdesk.desk.setup_roles import ensure_roles


class Command(BaseCommand):
    help = "Create a user with a desk role (trader, supervisor, auditor), or change an existing user's role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    def handle(self, *args, username: str, role: str, password_stdin: bool, **options) -> None:
        ensure_roles()
        users = get_user_model()
        user, created = users.objects.get_or_create(username=username)
        if created or password_stdin:
            password = input() if password_stdin else getpass.getpass(f"password for {username}: ")
            if len(password) < 8:
                raise CommandError("the password must have at least 8 characters")
            user.set_password(password)
        user.is_staff = True
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        self.stdout.write(f"{'created' if created else 'updated'} {username} with role {role}")
