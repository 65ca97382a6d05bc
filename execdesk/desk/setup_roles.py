"""The desk's roles as Django groups with their permissions; kept in step after every migrate."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from execdesk.desk.roles import AUDITOR, SUPERVISOR, TRADER

_VIEW_MODELS = ("parentorder", "proposal", "childorder", "fill", "auditevent", "marketstate")


def ensure_roles(**_: object) -> None:
    view = list(Permission.objects.filter(content_type__app_label="desk", codename__in=[f"view_{m}" for m in _VIEW_MODELS]))
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="desk",
                                                               codename__in=["trade", "supervise", "audit"])}
    spec = {
        TRADER: [perms.get("trade")],
        SUPERVISOR: [perms.get("trade"), perms.get("supervise")],
        AUDITOR: [perms.get("audit")],
    }
    for name, extra in spec.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(view + [p for p in extra if p is not None])
