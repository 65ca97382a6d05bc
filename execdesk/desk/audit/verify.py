"""Checking the audit trail: is every event still what was recorded, in the order it was recorded, signed with
the desk's audit key, and is the head noted outside the database still there?

Each event's hash covers its content and the previous event's hash, and its mac is HMAC(audit key, hash), so
* a row changed behind the desk's back (raw SQL) no longer matches its own hash — "altered";
* a deleted row leaves the next event pointing at a hash that is no longer its predecessor's — "unlinked";
* a row slipped in out of order points at the wrong predecessor, or claims a time before the events ahead
  of it — "unlinked" / "out of order";
* a trail re-chained after an update or a delete, or a row appended at the end, has hashes anyone can
  recompute but no valid mac: only the key (from the environment, never in the database) makes one — "forged".
What the table alone cannot show is its last rows deleted: what is left still links and is signed. The
anchors (chain heads noted in a file outside the database after each commit, see audit/anchor.py) show it:
an anchored event that is gone, or whose hash differs, is "truncated" / "anchor mismatch". A head noted by
hand works too (`--anchor HASH`): the chain must still contain it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from execdesk.desk.audit.anchor import Anchor
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
FORGED = "forged"
TRUNCATED = "truncated"
ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class BrokenEvent:
    id: int | None
    action: str
    ts: datetime | None
    kind: str  # ALTERED, UNLINKED, OUT_OF_ORDER, FORGED, ANCHOR_MISSING, TRUNCATED, ANCHOR_MISMATCH
    problem: str  # what is wrong, in words

    def describe(self) -> str:
        if self.id is None or not self.action:
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
    anchor: Anchor | None = None  # the latest anchor from the anchor file (highest event id)
    anchors: int = 0  # anchors read from the file

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events, head {self.head}"
        assert self.broken is not None
        return f"audit chain broken at {self.broken.describe()}"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "head": self.head,
                "broken": self.broken.to_dict() if self.broken else None, "anchors": self.anchors,
                "anchor": _anchor_dict(self.anchor)}


def _anchor_dict(anchor: Anchor | None) -> dict[str, Any] | None:
    if anchor is None:
        return None
    return {"event": anchor.event_id, "hash": anchor.hash, "ts": anchor.ts, "noted": anchor.noted, "line": anchor.line}


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
    if not event.mac:
        return _broken(event, FORGED, "it carries no keyed signature (every event since the audit key carries one) "
                                      "— written past the desk")
    if not hmac.compare_digest(event.compute_mac(), event.mac):
        return _broken(event, FORGED, "its keyed signature (HMAC) does not match — rewritten, re-chained or forged "
                                      "by someone without the audit key")
    return None


def _broken(event: AuditEvent, kind: str, problem: str) -> BrokenEvent:
    return BrokenEvent(id=event.pk, action=event.action, ts=event.ts, kind=kind, problem=problem)


def audit_verify(*, progress: Callable[[int], None] | None = None, anchor: str = "",
                 chunk_size: int = CHUNK_SIZE, anchors: Iterable[Anchor] = ()) -> AuditVerdict:
    """Walk the whole trail in id order and return the first broken event, if any.

    `progress(checked)` is called after every chunk; `anchor` is a head hash noted earlier that the
    chain must still contain; `anchors` are the heads from the anchor file: once the chain is intact, each
    named event must still be there with the same hash (checked in batches: the file may be long)."""
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
            latest, count = _latest(anchors)
            return AuditVerdict(ok=False, checked=checked, head=prev_hash, broken=broken, anchor=latest,
                                anchors=count)
        anchor_seen = anchor_seen or event.hash == anchor
        prev_id, prev_hash, prev_ts = event.pk, event.hash, event.ts
        if checked % chunk_size == 0:
            _report(progress, checked)
    _report(progress, checked)
    broken, latest, count = _anchors_problem(anchors, last_id=prev_id, chunk_size=chunk_size)
    if broken is None and not anchor_seen:
        broken = BrokenEvent(id=None, action="", ts=None, kind=ANCHOR_MISSING,
                             problem=f"anchor {anchor} is not in the chain — events up to it were deleted or "
                                     "rewritten")
    return AuditVerdict(ok=broken is None, checked=checked, head=prev_hash, broken=broken, anchor=latest,
                        anchors=count)


def _latest(anchors: Iterable[Anchor]) -> tuple[Anchor | None, int]:
    latest, count = None, 0
    for a in anchors:
        count += 1
        latest = a if latest is None or a.event_id >= latest.event_id else latest
    return latest, count


def _anchors_problem(anchors: Iterable[Anchor], *, last_id: int | None,
                     chunk_size: int) -> tuple[BrokenEvent | None, Anchor | None, int]:
    """(the first anchored event rewritten, else the last one gone; the latest anchor; how many were read)."""
    latest: Anchor | None = None
    rewritten: tuple[AuditEvent, Anchor] | None = None
    gone: Anchor | None = None
    count = 0
    batch: list[Anchor] = []

    def check(batch: list[Anchor]) -> None:
        nonlocal rewritten, gone
        events = AuditEvent.objects.in_bulk([a.event_id for a in batch])
        for a in batch:
            event = events.get(a.event_id)
            if event is None:
                gone = a if gone is None or a.event_id > gone.event_id else gone
            elif event.hash != a.hash and (rewritten is None or event.pk < rewritten[0].pk):
                rewritten = (event, a)

    for a in anchors:
        count += 1
        latest = a if latest is None or a.event_id >= latest.event_id else latest
        batch.append(a)
        if len(batch) >= chunk_size:
            check(batch)
            batch = []
    if batch:
        check(batch)
    if rewritten is not None:
        event, a = rewritten
        return _broken(event, ANCHOR_MISMATCH, f"its hash {event.hash} differs from the one anchored for it "
                                               f"({a.hash}, anchor file line {a.line}) — rewritten after it was "
                                               "anchored"), latest, count
    if gone is not None:
        end = f"the trail ends at event #{last_id}" if last_id is not None else "the trail is empty"
        return BrokenEvent(id=gone.event_id, action="", ts=None, kind=TRUNCATED,
                           problem=f"event #{gone.event_id} (hash {gone.hash}, {gone.ts}) was anchored (anchor file "
                                   f"line {gone.line}) but is gone and {end} — the tail was cut off or events "
                                   "deleted"), latest, count
    return None, latest, count


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
        # pred_* are annotated by with_predecessor(), or set on the events passed in
        problem = event_problem(event, prev_id=event.pred_id,  # type: ignore[attr-defined]
                                prev_hash=event.pred_hash or GENESIS,  # type: ignore[attr-defined]
                                prev_ts=event.pred_ts)  # type: ignore[attr-defined]
        if problem is not None:
            broken.append(problem)
    return EventsVerdict(ok=not broken, checked=checked, broken=tuple(broken))


def with_predecessor(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Annotate each event with the id, hash and time of the row before it in the whole chain."""
    before = AuditEvent.objects.filter(id__lt=OuterRef("id")).order_by("-id")
    return events.annotate(pred_id=Subquery(before.values("id")[:1]), pred_hash=Subquery(before.values("hash")[:1]),
                           pred_ts=Subquery(before.values("ts")[:1])).order_by("id")
