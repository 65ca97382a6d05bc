"""The desk's roles as Django groups with their permissions, derived from roles.SEES (the same table the
pages, the API and the admin follow); kept in step after every migrate."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from execdesk.desk.access.roles import ADMIN_ACCESS, AUDITOR, SEES, SUPERVISOR, TRADER

_ACTIONS = {TRADER: ("trade",), SUPERVISOR: ("trade", "supervise", "audit"), AUDITOR: ("audit",)}


def ensure_roles(**_: object) -> None:
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="desk")}
    for name, actions in _ACTIONS.items():
        wanted = [f"view_{model}" for model in sorted(SEES[name])] + list(actions)
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([perms[c] for c in wanted if c in perms])
    # no permission of its own: roles.can_use_admin opens the admin to a trader in it
    Group.objects.get_or_create(name=ADMIN_ACCESS)
