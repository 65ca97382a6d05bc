"""Reads for the audit review: which orders to look at, and one order's story told from its audit events.

The audit events are the backbone of a timeline (they are what the hash chain vouches for); the rows they
name — proposals, Claude's questions, child orders, fills — are joined in for the detail the events only
summarise. Rows of the order whose creation no event records are listed too: written without being audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from execdesk.desk.audit.describe import TimelineEntry, TimelineRows, describe, market_figures
from execdesk.desk.audit.verify import BrokenEvent, EventsVerdict, audit_verify_events
from execdesk.desk.models import AuditEvent, ParentOrder, Proposal
from execdesk.desk.services.errors import InvalidInput

OUTCOMES = ("approved", "rejected", "overridden", "expired", "fallback")
# outcome -> the proposal field and value that mean it
_OUTCOME_FIELD = {
    "approved": ("status", "approved"),
    "rejected": ("status", "rejected"),
    "overridden": ("status", "overridden"),
    "expired": ("status", "expired"),
    "fallback": ("is_fallback", True),
}


@dataclass(frozen=True)
class ReviewFilters:
    trader: str = ""  # the username that created the order
    advisor: str = ""
    outcome: str = ""  # one of OUTCOMES: orders with at least one proposal of that outcome
    since: datetime | None = None  # orders created at or after
    until: datetime | None = None  # orders created before


def review_orders(filters: ReviewFilters) -> QuerySet[ParentOrder]:
    """Parent orders matching the filters, newest first, with proposal counts per outcome
    (`n_proposals`, `n_approved`, `n_rejected`, `n_overridden`, `n_expired`, `n_fallback`) and `n_events`."""
    if filters.outcome and filters.outcome not in OUTCOMES:
        raise InvalidInput(f"unknown outcome {filters.outcome!r}; choose one of {', '.join(OUTCOMES)}")
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidInput("the 'from' date must be before the 'to' date")
    qs = ParentOrder.objects.select_related("created_by")
    if filters.trader:
        qs = qs.filter(created_by__username=filters.trader)
    if filters.advisor:
        qs = qs.filter(advisor=filters.advisor)
    if filters.outcome:
        # Exists, not a join: a join here would also narrow the per-outcome counts below to this outcome
        name, value = _OUTCOME_FIELD[filters.outcome]
        qs = qs.filter(Exists(Proposal.objects.filter(**{name: value}, parent=OuterRef("pk"))))
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    counts = {f"n_{outcome}": Count("proposals", filter=Q(**{f"proposals__{name}": value}))
              for outcome, (name, value) in _OUTCOME_FIELD.items()}
    events = (AuditEvent.objects.filter(parent_order_id=OuterRef("pk")).order_by().values("parent_order_id")
              .annotate(n=Count("id")).values("n")[:1])
    return qs.annotate(n_proposals=Count("proposals"), **counts,
                       n_events=Subquery(events, output_field=IntegerField())).order_by("-created_at", "-id")


TIMELINE_PAGE = 500  # events per page: a long order's story is read a page at a time
# Re-hashing runs at ~7,000 events/s: beyond this many events an order's page checks only its own page's
# events and points to `manage.py verify_audit` for the rest, so the page still opens in seconds.
FULL_CHECK_LIMIT = 20_000
_CREATED = {"proposal.created": "proposal", "child.created": "childorder", "fill.recorded": "fill"}


@dataclass
class Timeline:
    parent: ParentOrder
    entries: list[TimelineEntry]  # this page's
    chain: EventsVerdict  # over all the order's events, or this page's when chain_scope is "page"
    unaudited: list[str]  # rows of the order whose creation no audit event records
    total: int = 0  # the order's events
    chain_scope: str = "order"  # "order": every event of the order was checked; "page": this page's only
    page: int = 1
    pages: int = 1
    broken_pages: list[tuple[BrokenEvent, int]] = field(default_factory=list)  # the first broken events, by page


def order_timeline(parent: ParentOrder, *, page: int = 1, per_page: int = TIMELINE_PAGE) -> Timeline:
    """The order's audit events in chain order, a page at a time, each told in words with its figures, the
    rows it names and the market at that moment; the chain's verdict covers all the order's events."""
    events_qs = AuditEvent.objects.filter(parent_order_id=parent.pk).order_by("id")
    total = events_qs.count()
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    events = list(events_qs[(page - 1) * per_page:page * per_page])
    scope = "order" if total <= FULL_CHECK_LIMIT else "page"
    chain = audit_verify_events(events_qs if scope == "order" else events_qs.filter(id__in=[e.pk for e in events]))
    broken = {b.id: b for b in chain.broken}
    rows = _rows_for(parent, events)
    last_market = _market_before(events_qs, events[0]) if events and page > 1 else None
    entries = []
    for event in events:
        entry = describe(event, rows)
        entry.broken = broken.get(event.pk)
        own = event.market_ref or _proposal_market(event, rows)
        if own:
            entry.market, entry.market_from = market_figures(own), "at this event"
            last_market = (own, _last_recorded(event))
        elif last_market is not None:
            entry.market, entry.market_from = market_figures(last_market[0]), last_market[1]
        entries.append(entry)
    broken_pages = [(b, events_qs.filter(id__lt=b.id).count() // per_page + 1) for b in chain.broken[:50]]
    return Timeline(parent=parent, entries=entries, chain=chain, unaudited=_unaudited(parent, events_qs),
                    total=total, chain_scope=scope, page=page, pages=pages, broken_pages=broken_pages)


def _rows_for(parent: ParentOrder, events: list[AuditEvent]) -> TimelineRows:
    """The rows this page's events name, and the quantity filled before the page."""
    named: dict[str, set[str]] = {}
    for e in events:
        named.setdefault(e.object_type, set()).add(e.object_id)
    proposals = {str(p.pk): p for p in parent.proposals.filter(pk__in=_ints(named.get("proposal")))
                 .select_related("decided_by", "overridden_by")}
    seqs = [p.seq for p in proposals.values()]
    queries = parent.advisor_queries.filter(Q(pk__in=_ints(named.get("advisorquery"))) |
                                            Q(proposal_id__in=_ints(proposals)) | Q(kind="decision", seq__in=seqs))
    executed = Decimal("0")
    if events:
        for qty in (AuditEvent.objects.filter(parent_order_id=parent.pk, action="fill.recorded", id__lt=events[0].pk)
                    .values_list("payload__qty", flat=True)):
            executed += Decimal(str(qty or 0))
    return TimelineRows(
        parent=parent, proposals=proposals,
        children={str(c.pk): c for c in parent.child_orders.filter(pk__in=_ints(named.get("childorder")))},
        fills={str(f.pk): f for f in parent.fills.filter(pk__in=_ints(named.get("fill")))},
        queries={str(q.pk): q for q in queries}, executed=executed,
    )


def _ints(ids: Iterable[str] | None) -> list[int]:
    return [int(i) for i in ids or () if str(i).isdigit()]


def _market_before(events_qs: QuerySet[AuditEvent], first: AuditEvent) -> tuple[dict[str, Any], str] | None:
    event = events_qs.filter(id__lt=first.pk).exclude(market_ref={}).order_by("-id").first()
    return (event.market_ref, _last_recorded(event)) if event else None


def _last_recorded(event: AuditEvent) -> str:
    return f"as last recorded, at event #{event.pk} ({event.ts:%H:%M:%S} UTC)"


def _proposal_market(event: AuditEvent, rows: TimelineRows) -> dict[str, Any]:
    if event.object_type == "proposal" and event.action == "proposal.created":
        proposal = rows.proposals.get(event.object_id)
        return proposal.market if proposal else {}
    return {}


def _unaudited(parent: ParentOrder, events_qs: QuerySet[AuditEvent]) -> list[str]:
    """The order's rows whose creation no audit event records."""
    created = set(events_qs.filter(action__in=list(_CREATED)).values_list("object_type", "object_id"))
    missing = [f"proposal #{seq} (id {pk})" for pk, seq in parent.proposals.values_list("pk", "seq")
               if ("proposal", str(pk)) not in created]
    missing += [f"child order {link}" for pk, link in parent.child_orders.values_list("pk", "order_link_id")
                if ("childorder", str(pk)) not in created]
    missing += [f"fill {exec_id}" for pk, exec_id in parent.fills.values_list("pk", "exec_id")
                if ("fill", str(pk)) not in created]
    return missing


def outcome_counts(parent: ParentOrder) -> dict[str, int]:
    return {outcome: parent.proposals.filter(**{name: value}).count()
            for outcome, (name, value) in _OUTCOME_FIELD.items()}
