"""Create the demo desk's logins (embedded mode only) and print them."""

from __future__ import annotations

import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from execdesk.desk.access.roles import AUDITOR, SUPERVISOR, TRADER
from execdesk.desk.access.setup_roles import ensure_roles

DEMO_USERS = (("trader", TRADER), ("supervisor", SUPERVISOR), ("auditor", AUDITOR))


class Command(BaseCommand):
    help = "Create the demo logins trader / supervisor / auditor (embedded mode only) and print them."

    def handle(self, *args, **options) -> None:
        if not settings.EMBEDDED:
            raise CommandError("demo accounts exist only in embedded mode; EXECDESK_DATABASE_URL is set")
        ensure_roles()
        passwords = self._passwords()
        users = get_user_model()
        lines = []
        for username, role in DEMO_USERS:
            user, _ = users.objects.get_or_create(username=username)
            # Only touch the hash when it differs: a new hash would log out every open session.
            if not user.check_password(passwords[username]):
                user.set_password(passwords[username])
            # the role alone decides what a login may see (access/roles.py), the admin included
            user.is_staff = False
            user.is_superuser = False
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            lines.append(f"  {username:<11} {passwords[username]:<16} ({role})")
        self.stdout.write("Demo logins (username, password, role):\n" + "\n".join(lines))

    def _passwords(self) -> dict[str, str]:
        """EXECDESK_DEMO_PASSWORD for all three, or random ones made once and kept beside the database."""
        shared = os.environ.get("EXECDESK_DEMO_PASSWORD")
        if shared:
            for username, _ in DEMO_USERS:  # the same validators as every other password of the desk
                try:
                    password_validation.validate_password(shared, get_user_model()(username=username))
                except ValidationError as exc:
                    raise CommandError("EXECDESK_DEMO_PASSWORD refused: " + " ".join(exc.messages)) from None
            return {username: shared for username, _ in DEMO_USERS}
        path = settings.DATA_DIR / "demo_logins.json"
        try:
            kept = json.loads(path.read_text())
        except (OSError, ValueError):
            kept = {}
        passwords = {u: kept.get(u) if isinstance(kept.get(u), str) else secrets.token_urlsafe(9)
                     for u, _ in DEMO_USERS}
        if passwords != kept:
            settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(passwords))
            path.chmod(0o600)
        return passwords
