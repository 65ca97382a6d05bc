"""Who may do what beyond their role: a supervisor grants (or withdraws) a trader's admin access.
Audited; roles.can_use_admin reads the grant."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from execdesk.desk.access.roles import ADMIN_ACCESS, TRADER, Actor, require_supervisor, role_of
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.errors import InvalidInput


def admin_access_set(*, user, username: str, granted: bool, reason: str):
    """Give `username` (a trader) the admin, or take it back. Supervisors and auditors have it by role."""
    require_supervisor(user, "granting admin access")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to grant or withdraw admin access")
    target = get_user_model().objects.filter(username=username).first()
    if target is None:
        raise InvalidInput(f"no user named {username!r}")
    if granted and role_of(target) != TRADER:
        raise InvalidInput(f"{username} is {role_of(target)}: admin access is granted to traders only "
                           "(supervisors and auditors have it by role)")
    group, _ = Group.objects.get_or_create(name=ADMIN_ACCESS)
    with desk_atomic():
        if granted:
            target.groups.add(group)
        else:
            target.groups.remove(group)
        audit_record(actor=Actor.of(user), action="user.admin_access_granted" if granted else
                     "user.admin_access_withdrawn", object_type="user", object_id=username,
                     payload={"username": username, "reason": reason[:2000]})
    return target
