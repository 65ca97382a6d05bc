"""Appending to the audit trail. Secrets are redacted before anything is hashed or stored.

Each event is chained (sha256 over the previous hash and its content) and signed (HMAC with the audit key
from the environment); after the transaction commits, its head is noted in the anchor file."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.audit.anchor import anchor_note
from execdesk.desk.audit.redact import redact
from execdesk.desk.models import AuditEvent, Proposal
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.errors import DeskError, InvalidInput

GENESIS = "0" * 64
log = logging.getLogger(__name__)


def audit_record(*, actor: Actor, action: str, obj: Any = None, object_type: str = "", object_id: str = "",
                 parent_order_id: int | None = None, payload: dict[str, Any] | None = None,
                 market_ref: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the chain; must run inside the caller's desk transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside desk_atomic()")
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
    # The head is read inside the writer's transaction, which today holds the desk lock (services/atomic.py):
    # appends are serial, so the chain follows commit order. Without that lock two writers would read the same
    # head and fork the chain: appends must then take a lock of their own (a one-row chain head locked FOR
    # UPDATE, held from the first append to commit — or events buffered and appended just before commit).
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
    event.mac = event.compute_mac()
    event.save()
    pk, digest, ts = event.pk, event.hash, event.ts
    transaction.on_commit(lambda: anchor_note(pk, digest, ts), robust=True)
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


# ───────── refusals ─────────

P = ParamSpec("P")
R = TypeVar("R")

# What the desk refuses (403 / 409: a role, a state, a limit, a second pair of eyes). Bad input (400) is
# not a refusal; an illegal state transition is already recorded as `parent.transition_refused`.
_TARGETS = (("proposal_id", "proposal"), ("parent_id", "parentorder"), ("child_id", "childorder"),
            ("token_id", "apitoken"))
_NOT_REQUEST = frozenset({"user", "actor", "reason"})


def refusals_audited(action: str, *, object_type: str = "", recorded_by_service: tuple[type[Exception], ...] = ()
                     ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a write service: when it refuses (PermissionDenied, or a DeskError other than bad input),
    record `action` (e.g. "proposal.approve_refused") in a transaction of its own — the service's rolled
    back — with the actor, the refusal, the target and what was asked; then re-raise. Refusals the service
    records itself, with more detail, are named in `recorded_by_service`."""
    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return service(*args, **kwargs)
            except (PermissionDenied, DeskError) as exc:
                if not isinstance(exc, (InvalidInput, *recorded_by_service)):
                    _record_refusal(action, object_type, exc, kwargs)
                raise
        return wrapper
    return decorate


def _record_refusal(action: str, object_type: str, exc: Exception, kwargs: dict[str, Any]) -> None:
    try:
        actor = kwargs.get("actor") or _actor_of(kwargs.get("user"))
        target_type, target_id = object_type, ""
        for key, kind in _TARGETS:
            if kwargs.get(key) is not None:
                target_type, target_id = target_type or kind, str(kwargs[key])
                break
        payload: dict[str, Any] = {
            "error": str(exc), "refusal": type(exc).__name__,
            "reason": str(kwargs.get("reason") or ""),
            "requested": {k: _plain(v) for k, v in kwargs.items() if k not in _NOT_REQUEST and not k.endswith("_id")},
        }
        if getattr(exc, "checks", None):
            payload["checks"] = exc.checks  # type: ignore[attr-defined]
        audit_record_now(actor=actor, action=action, object_type=target_type, object_id=target_id,
                         parent_order_id=_parent_of(kwargs), payload=payload)
    except Exception:  # noqa: BLE001 - the refusal itself must reach the caller whatever happens here
        log.exception("could not record the refusal %s", action)


def audit_access_refused(*, user: Any, method: str, path: str, needed: str) -> None:
    """A write refused before any service ran (the API's role check): recorded as `access.refused`."""
    try:
        audit_record_now(actor=_actor_of(user), action="access.refused", object_type="endpoint",
                         object_id=f"{method} {path}"[:64],
                         payload={"method": method, "path": path[:500], "needed": needed})
    except Exception:  # noqa: BLE001 - the 403 must reach the caller whatever happens here
        log.exception("could not record the refused %s %s", method, path)


def _actor_of(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(label="anonymous", role="anonymous")
    return Actor.of(user)


def _parent_of(kwargs: dict[str, Any]) -> int | None:
    if kwargs.get("parent_id") is not None:
        return int(kwargs["parent_id"])
    if kwargs.get("proposal_id") is not None:
        return Proposal.objects.filter(pk=kwargs["proposal_id"]).values_list("parent_id", flat=True).first()
    return None


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float) else str(value)[:200]
