"""API tokens: create (the token is returned once and never stored), revoke, and authenticate.

Only `token_digest(token)` (SHA-256) and the token's first characters are kept, so a database dump
cannot be replayed against the API; the audit trail names tokens by their prefix, never the token.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from execdesk.desk.access.roles import SUPERVISOR, Actor, can_view, role_of
from execdesk.desk.models import ApiToken, token_digest
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.errors import DeskError, InvalidInput

TOKEN_PREFIX = "edk_"
PREFIX_CHARS = 12  # "edk_" plus 8 random characters: enough to tell tokens apart, useless to an attacker
NAME_MAX = 80
# last_used_at is a hint for people reviewing their tokens, not an access log: write it at most this often
# so a busy client does not turn every read into a database write.
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(DeskError):
    """The token is unknown, revoked, or its owner may no longer log in."""


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token, which is shown once and never again."""
    if not can_view(user):
        raise PermissionDenied(f"API tokens are for desk users; {user.get_username()} has no desk role")
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("a token needs a name (what or who will use it, e.g. 'risk dashboard')")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"a token name has at most {NAME_MAX} characters, got {len(name)}")
    if "\x00" in name:
        raise InvalidInput("a token name cannot contain NUL characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with desk_atomic():
        row = ApiToken.objects.create(user=user, name=name, prefix=token[:PREFIX_CHARS], digest=token_digest(token))
        audit_record(actor=Actor.of(user), action="api_token.created", obj=row,
                     payload={"name": row.name, "prefix": row.prefix, "owner": user.get_username()})
    return row, token


def api_token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; a supervisor may revoke anyone's. Revoking twice is refused."""
    with desk_atomic():
        row = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
        mine = row is not None and row.user_id == user.pk
        if row is None or not (mine or role_of(user) == SUPERVISOR):
            # the same answer for "not yours" and "does not exist": ids of other people's tokens stay private
            raise InvalidInput(f"API token {token_id} does not exist or is not yours to revoke")
        if row.revoked_at is not None:
            raise InvalidInput(f"API token {token_id} ({row.prefix}…) was already revoked at "
                               f"{row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_record(actor=Actor.of(user), action="api_token.revoked", obj=row,
                     payload={"name": row.name, "prefix": row.prefix, "owner": row.user.get_username()})
    return row


def api_token_authenticate(*, token: str):
    """The active user the token belongs to, or TokenRefused naming why. Marks the token used (at most
    once a minute)."""
    row = ApiToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if row is None:
        raise TokenRefused("API token not recognised: it may be mistyped or deleted; create one at /tokens/")
    if row.revoked_at is not None:
        raise TokenRefused(f"API token {row.prefix}… was revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    if not row.user.is_active:
        raise TokenRefused(f"API token {row.prefix}… belongs to a deactivated account")
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        # a plain conditional UPDATE, no desk lock: concurrent requests may both write, which is harmless
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
