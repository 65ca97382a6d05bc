"""The desk's one permission model. Roles are Django groups; every check — pages, the REST API, the admin,
websockets and services — asks this module, so they cannot drift apart.

* trader: creates orders and acts on their own (all of them with the shared book, EXECDESK_SHARED_BOOK);
  sees the desk's orders, proposals, child orders and fills, never the audit trail; no admin unless a
  supervisor grants it (the ADMIN_ACCESS group, through services/access.py).
* supervisor: acts on every order, halts the desk, approves four-eyes; sees everything, admin included.
* auditor: reads everything (the audit trail and the admin too), acts on nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TRADER = "trader"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ROLES = (TRADER, SUPERVISOR, AUDITOR)
TRADING_ROLES = frozenset({TRADER, SUPERVISOR})
OVERSIGHT_ROLES = frozenset({SUPERVISOR, AUDITOR})
# Not a role: a trader in this group may open the admin (and there sees only what their role may see).
ADMIN_ACCESS = "admin-access"

# What each role may read, by desk model: the groups' view permissions (setup_roles.py) and the admin's
# pages follow this table, as the desk's pages and API do (the audit trail only for oversight).
_DESK_RECORDS = frozenset({"parentorder", "proposal", "childorder", "fill", "marketstate", "scheduledevent"})
SEES: dict[str, frozenset[str]] = {
    TRADER: _DESK_RECORDS,
    SUPERVISOR: _DESK_RECORDS | {"auditevent"},
    AUDITOR: _DESK_RECORDS | {"auditevent"},
}


def _group_names(user) -> set[str]:
    return {g.name for g in user.groups.all()}


def role_of(user) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return "anonymous"
    if user.is_superuser:
        return SUPERVISOR
    names = _group_names(user)
    for role in (SUPERVISOR, TRADER, AUDITOR):
        if role in names:
            return role
    return "none"


def can_trade(user) -> bool:
    return role_of(user) in TRADING_ROLES


def can_view(user) -> bool:
    return role_of(user) in ROLES


def can_oversee(user) -> bool:
    """The audit trail and the review pages."""
    return role_of(user) in OVERSIGHT_ROLES


def may_see(user, model_name: str) -> bool:
    return model_name in SEES.get(role_of(user), frozenset())


def can_use_admin(user) -> bool:
    """Supervisors and auditors; a trader only once a supervisor granted it. `is_staff` plays no part."""
    role = role_of(user)
    if role in OVERSIGHT_ROLES:
        return True
    return role == TRADER and ADMIN_ACCESS in _group_names(user)


def require_trader(user, what: str) -> None:
    if not can_trade(user):
        raise PermissionDenied(f"{what} needs the trader or supervisor role (you are {role_of(user)})")


def require_supervisor(user, what: str) -> None:
    if role_of(user) != SUPERVISOR:
        raise PermissionDenied(f"{what} needs the supervisor role (you are {role_of(user)})")


def shared_book() -> bool:
    return bool(settings.EXECDESK.get("SHARED_BOOK", False))


def may_act_on(user, parent) -> bool:
    """Whether `user` may act on `parent` (and its proposals): its owner, any supervisor, or any trader
    when the desk keeps a shared book."""
    role = role_of(user)
    if role == SUPERVISOR:
        return True
    if role != TRADER:
        return False
    return shared_book() or parent.created_by_id == user.pk


def require_owner(actor: Actor | None, parent, what: str) -> None:
    """The one ownership check: every service that acts on an existing order or proposal calls it right
    after loading the row. The desk's own components (auto-approval, the worker) act on every order."""
    if actor is None or actor.user is None:
        return
    user = actor.user
    if may_act_on(user, parent):
        return
    if not can_trade(user):
        raise PermissionDenied(f"acting on order {parent.pk} needs the trader or supervisor role "
                               f"(you are {role_of(user)})")
    owner = parent.created_by.get_username()
    raise PermissionDenied(f"order {parent.pk} belongs to {owner}: a trader acts only on their own orders, so "
                           f"{user.get_username()} ({role_of(user)}) may not {what}; ask {owner} or a supervisor")


@dataclass(frozen=True)
class Actor:
    """Who did it: a person with a role, or a component of the desk."""

    label: str
    role: str
    user: User | None = None

    @classmethod
    def of(cls, user) -> Actor:
        return cls(label=user.get_username(), role=role_of(user), user=user)


def username(user: User | None) -> str:
    """The login name of a user, or "" for none."""
    return user.get_username() if user is not None else ""


SYSTEM = Actor(label="system:worker", role="system")
