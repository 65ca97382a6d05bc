"""Desk roles are Django groups; the checks live here so pages, API, consumers and services agree."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

TRADER = "trader"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ROLES = (TRADER, SUPERVISOR, AUDITOR)
TRADING_ROLES = frozenset({TRADER, SUPERVISOR})


def role_of(user) -> str:
    if user is None or not user.is_authenticated:
        return "anonymous"
    if user.is_superuser:
        return SUPERVISOR
    names = {g.name for g in user.groups.all()}
    for role in (SUPERVISOR, TRADER, AUDITOR):
        if role in names:
            return role
    return "none"


def can_trade(user) -> bool:
    return role_of(user) in TRADING_ROLES


def can_view(user) -> bool:
    return role_of(user) in ROLES


def require_trader(user, what: str) -> None:
    if not can_trade(user):
        raise PermissionDenied(f"{what} needs the trader or supervisor role (you are {role_of(user)})")


def require_supervisor(user, what: str) -> None:
    if role_of(user) != SUPERVISOR:
        raise PermissionDenied(f"{what} needs the supervisor role (you are {role_of(user)})")


@dataclass(frozen=True)
class Actor:
    """Who did it: a person with a role, or a component of the desk."""

    label: str
    role: str
    user: object | None = None

    @classmethod
    def of(cls, user) -> Actor:
        return cls(label=user.get_username(), role=role_of(user), user=user)


SYSTEM = Actor(label="system:worker", role="system")
