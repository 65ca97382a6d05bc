"""Checking the audit hash chain: is every event still what was recorded, in the order it was recorded?

Each event's hash covers its content and the previous event's hash, so
* a row changed behind the desk's back (raw SQL) no longer matches its own hash — "altered";
* a deleted row leaves the next event pointing at a hash that is no longer its predecessor's — "unlinked";
* a row slipped in out of order points at the wrong predecessor, or claims a time before the events ahead
  of it — "unlinked" / "out of order".
What a chain alone cannot show is a row forged *correctly* at the end, or the last rows deleted: anyone
who can write the table can extend a hash chain. Note the head hash somewhere else (`verify_audit --json`
prints it) and pass it back as an anchor (`--anchor HASH`): the chain must still contain it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from execdesk.desk.models import AuditEvent
from execdesk.desk.services.audit import GENESIS

CHUNK_SIZE = 2000
# Writes are serialised by the desk lock, so timestamps follow the chain, except for clock skew between
# the machines of a distributed desk (web and workers each stamp their own events).
TS_TOLERANCE = timedelta(seconds=5)

ALTERED = "altered"
UNLINKED = "unlinked"
OUT_OF_ORDER = "out_of_order"
ANCHOR_MISSING = "anchor_missing"


@dataclass(frozen=True)
class BrokenEvent:
    id: int | None
    action: str
    ts: datetime | None
    kind: str  # ALTERED, UNLINKED, OUT_OF_ORDER, ANCHOR_MISSING
    problem: str  # what is wrong, in words

    def describe(self) -> str:
        if self.id is None:
            return self.problem
        return f"event #{self.id} ({self.action}, {self.ts.isoformat() if self.ts else '?'}): {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ts": self.ts.isoformat() if self.ts else None, "description": self.describe()}


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int  # events read (up to and including the first broken one)
    head: str  # the hash of the last event read; GENESIS for an empty trail
    broken: BrokenEvent | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events, head {self.head}"
        assert self.broken is not None
        return f"audit chain broken at {self.broken.describe()}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "head": self.head,
                "broken": self.broken.to_dict() if self.broken else None}


def event_problem(event: AuditEvent, *, prev_id: int | None, prev_hash: str,
                  prev_ts: datetime | None) -> BrokenEvent | None:
    """What is wrong with one event given the row before it in the chain (None: the first row)."""
    if event.compute_hash() != event.hash:
        return _broken(event, ALTERED, "stored hash does not match its content — altered")
    if event.prev_hash != prev_hash:
        if prev_id is None:
            text = "the first event does not link to the genesis hash — earlier events were deleted"
        else:
            text = (f"its prev_hash is not the hash of the event before it (#{prev_id}) — an event between "
                    "them was deleted, or this one was inserted out of order")
        return _broken(event, UNLINKED, text)
    if prev_ts is not None and event.ts < prev_ts - TS_TOLERANCE:
        return _broken(event, OUT_OF_ORDER,
                       f"recorded {(prev_ts - event.ts).total_seconds():.3f} s before the event ahead of it "
                       f"(#{prev_id}, {prev_ts.isoformat()}) — inserted out of order or back-dated")
    return None


def _broken(event: AuditEvent, kind: str, problem: str) -> BrokenEvent:
    return BrokenEvent(id=event.pk, action=event.action, ts=event.ts, kind=kind, problem=problem)


def audit_verify(*, progress: Callable[[int], None] | None = None, anchor: str = "",
                 chunk_size: int = CHUNK_SIZE) -> AuditVerdict:
    """Walk the whole trail in id order and return the first broken event, if any.

    `progress(checked)` is called after every chunk; `anchor` is a head hash noted earlier that the
    chain must still contain."""
    prev_id: int | None = None
    prev_hash = GENESIS
    prev_ts: datetime | None = None
    checked = 0
    anchor_seen = not anchor
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        checked += 1
        broken = event_problem(event, prev_id=prev_id, prev_hash=prev_hash, prev_ts=prev_ts)
        if broken is not None:
            _report(progress, checked)
            return AuditVerdict(ok=False, checked=checked, head=prev_hash, broken=broken)
        anchor_seen = anchor_seen or event.hash == anchor
        prev_id, prev_hash, prev_ts = event.pk, event.hash, event.ts
        if checked % chunk_size == 0:
            _report(progress, checked)
    _report(progress, checked)
    if not anchor_seen:
        missing = BrokenEvent(id=None, action="", ts=None, kind=ANCHOR_MISSING,
                              problem=f"anchor {anchor} is not in the chain — events up to it were deleted "
                                      "or rewritten")
        return AuditVerdict(ok=False, checked=checked, head=prev_hash, broken=missing)
    return AuditVerdict(ok=True, checked=checked, head=prev_hash)


def _report(progress: Callable[[int], None] | None, checked: int) -> None:
    if progress is not None:
        progress(checked)


@dataclass(frozen=True)
class EventsVerdict:
    """The check of a subset of the chain (one order's events), each against its predecessor in the
    whole chain."""

    ok: bool
    checked: int
    broken: tuple[BrokenEvent, ...]


def audit_verify_events(events: QuerySet[AuditEvent] | Iterable[AuditEvent]) -> EventsVerdict:
    """Check some events (e.g. `AuditEvent.objects.filter(parent_order_id=...)`), each against the row
    just before it in the chain, fetched in the same query."""
    if isinstance(events, QuerySet):
        events = with_predecessor(events).iterator(chunk_size=CHUNK_SIZE)
    broken = []
    checked = 0
    for event in events:
        checked += 1
        problem = event_problem(event, prev_id=event.pred_id, prev_hash=event.pred_hash or GENESIS,
                                prev_ts=event.pred_ts)
        if problem is not None:
            broken.append(problem)
    return EventsVerdict(ok=not broken, checked=checked, broken=tuple(broken))


def with_predecessor(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Annotate each event with the id, hash and time of the row before it in the whole chain."""
    before = AuditEvent.objects.filter(id__lt=OuterRef("id")).order_by("-id")
    return events.annotate(pred_id=Subquery(before.values("id")[:1]), pred_hash=Subquery(before.values("hash")[:1]),
                           pred_ts=Subquery(before.values("ts")[:1])).order_by("id")
