"""The append-only, hash-chained, keyed audit trail.

`hash` chains the events: sha256(prev_hash + canonical JSON), which anyone can recompute from an export.
`mac` signs each link: HMAC-SHA256(audit key, hash). The key comes from the environment and is never in
the database, so whoever can write the table can recompute hashes but cannot sign them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditTamperError(RuntimeError):
    """Raised when code tries to change or delete a recorded audit event."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditTamperError("audit events are append-only: update() refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTamperError("audit events are append-only: delete() refused")


class AuditEvent(models.Model):
    ts = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=150)  # username, or "system:<component>"
    role = models.CharField(max_length=16)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    parent_order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    market_ref = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    mac = models.CharField(max_length=64, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return f"#{self.pk} {self.ts:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise AuditTamperError(f"audit event #{self.pk} is append-only: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTamperError(f"audit event #{self.pk} is append-only: delete refused")

    def canonical(self) -> str:
        return event_canonical(self)

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()

    def compute_mac(self, key: bytes | None = None) -> str:
        return audit_mac(self.hash, key)


def event_canonical(event: Any) -> str:
    """The JSON the hash covers (also used by the migration that signed the trail recorded before keys)."""
    body = {
        "ts": event.ts.isoformat(),
        "actor": event.actor_label,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "parent_order_id": event.parent_order_id,
        "payload": event.payload,
        "market_ref": event.market_ref,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def audit_mac(digest: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of an event's chain hash under the desk's audit key (settings.AUDIT_KEY by default)."""
    return hmac.new(settings.AUDIT_KEY if key is None else key, digest.encode(), hashlib.sha256).hexdigest()
