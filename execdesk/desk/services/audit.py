"""Appending to the audit trail. Secrets are redacted before anything is hashed or stored."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from execdesk.desk.models import AuditEvent
from execdesk.desk.redact import redact
from execdesk.desk.roles import Actor
from execdesk.desk.services.atomic import desk_atomic

GENESIS = "0" * 64


def audit_record(*, actor: Actor, action: str, obj: Any = None, object_type: str = "", object_id: str = "",
                 parent_order_id: int | None = None, payload: dict[str, Any] | None = None,
                 market_ref: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's desk transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside desk_atomic()")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    last = AuditEvent.objects.order_by("-id").only("hash").first()
    event = AuditEvent(
        ts=timezone.now(),
        actor=actor.user if actor.user is not None else None,
        actor_label=actor.label,
        role=actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        parent_order_id=parent_order_id,
        payload=redact(payload or {}),
        market_ref=market_ref or {},
        prev_hash=last.hash if last else GENESIS,
    )
    # hash what the database will give back: JSON round-trip (Decimal → str, etc.)
    event.payload = _json_roundtrip(event.payload)
    event.market_ref = _json_roundtrip(event.market_ref)
    event.hash = event.compute_hash()
    event.save()
    return event


def audit_record_now(**kwargs: Any) -> AuditEvent:
    """Record in a transaction of its own: for refusals whose own transaction was rolled back."""
    with desk_atomic():
        return audit_record(**kwargs)


def _json_roundtrip(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def market_ref(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The part of a market snapshot an auditor needs to judge a decision."""
    if not snapshot:
        return {}
    keys = ("symbol", "ts", "mid", "best_bid", "best_ask", "spread_bps", "volume_1m", "volatility_1h")
    return {k: snapshot.get(k) for k in keys}
