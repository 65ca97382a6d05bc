"""Create the demo desk's logins (embedded mode only) and print them."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.roles import AUDITOR, SUPERVISOR, TRADER
from execdesk.desk.setup_roles import ensure_roles

DEMO_USERS = (("trader", TRADER), ("supervisor", SUPERVISOR), ("auditor", AUDITOR))


class Command(BaseCommand):
    help = "Create or refresh the demo logins trader / supervisor / auditor (embedded mode only)."

    def handle(self, *args, **options) -> None:
        if not settings.EMBEDDED:
            raise CommandError("demo accounts exist only in embedded mode; EXECDESK_DATABASE_URL is set")
        ensure_roles()
        shared = os.environ.get("EXECDESK_DEMO_PASSWORD")
        users = get_user_model()
        lines = []
        for username, role in DEMO_USERS:
            password = shared or secrets.token_urlsafe(9)
            user, _ = users.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = True  # the admin is where the audit trail is reviewed (read-only)
            user.is_superuser = False
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            lines.append(f"  {username:<11} {password:<16} ({role})")
        self.stdout.write("Demo logins (username, password, role):\n" + "\n".join(lines))
