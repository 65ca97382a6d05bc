"""Reads for pages, pushes and the API."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import DataError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.desk.models import ParentOrder, Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import child_payload, fill_payload, progress_payload, proposal_payload
from execdesk.desk.selectors.advisor import advisor_metrics
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.market import VenueUnavailable, market_snapshot
from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.domain.states import ParentStatus
from execdesk.domain.tca import slippage_bps

log = logging.getLogger(__name__)

# The overview's status groups besides the single statuses: "working" is the domain's (the execution loop
# runs), "open" is everything not finished, "done" is finished.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "working": tuple(s.value for s in ParentStatus if s.is_working),
    "open": tuple(s.value for s in ParentStatus if not s.is_terminal),
    "done": tuple(s.value for s in ParentStatus if s.is_terminal),
}
SIDES = ("buy", "sell")


def parent_order_list(*, limit: int = 100, statuses: tuple[str, ...] | None = None, symbol: str = "",
                      side: str = "", created_by: str = "", text: str = "") -> list[ParentOrder]:
    """The newest parent orders, filtered; each carries `pending_proposals` (an annotation) and
    `time_left_s` (None once it ended), as the overview shows them."""
    qs = ParentOrder.objects.select_related("created_by").annotate(
        pending_proposals=Count("proposals", filter=Q(proposals__status=ProposalStatus.PENDING)))
    if statuses:
        qs = qs.filter(status__in=statuses)
    if symbol:
        qs = qs.filter(symbol=symbol)
    if side:
        qs = qs.filter(side=side)
    if created_by:
        qs = qs.filter(created_by__username=created_by)
    if text:
        match = Q(symbol__icontains=text) | Q(notes__icontains=text) | Q(created_by__username__icontains=text)
        if text.lstrip("#").isdigit():
            match |= Q(pk=int(text.lstrip("#")))
        qs = qs.filter(match)
    orders = readable_rows(qs.order_by("-created_at"), limit=limit)
    now = timezone.now()
    for o in orders:
        if getattr(o, "unreadable", False):
            continue
        o.time_left_s = _time_left(o, now)
        o.time_left_label = "ended" if o.time_left_s is None else duration_label(o.time_left_s)
    return orders


@dataclass(frozen=True)
class UnreadableOrder:
    """A row the database holds but cannot convert (a value written around the services, such as a decimal
    SQLite cannot read back): listed and marked, so one bad row never hides the others."""

    pk: int
    symbol: str
    side: str
    status: str
    created_at: Any
    created_by: Any
    unreadable: bool = True


def readable_rows(qs, *, limit: int, offset: int = 0) -> list:
    """The parent orders of `qs[offset:offset + limit]`, an UnreadableOrder in place of any row that cannot be
    converted (one query when all can, as always). Each read runs in a savepoint: on PostgreSQL a conversion
    error aborts the transaction it happens in, and the page's other reads must still run."""
    try:
        with transaction.atomic():
            return list(qs[offset:offset + limit])
    except _UNREADABLE:
        pass
    rows = []
    for pk in qs.values_list("pk", flat=True)[offset:offset + limit]:
        try:
            with transaction.atomic():
                rows.append(qs.get(pk=pk))
        except _UNREADABLE:
            log.error("parent order %s cannot be read from the database; listed as unreadable", pk)
            safe = ParentOrder.objects.select_related("created_by").only(
                "pk", "symbol", "side", "status", "created_at", "created_by__username").get(pk=pk)
            rows.append(UnreadableOrder(pk=pk, symbol=safe.symbol, side=safe.side, status=safe.status,
                                        created_at=safe.created_at, created_by=safe.created_by))
    return rows


# decimal.InvalidOperation is an ArithmeticError (SQLite); DataError is the driver refusing a value (PostgreSQL)
_UNREADABLE = (ArithmeticError, TypeError, ValueError, DataError)
# what a read of such a row raises, to tell it from any other failure of a page or an endpoint
UNREADABLE_ROW = (ArithmeticError, DataError)


def unreadable_fields(order_id: int) -> list[str]:
    """The columns of parent order `order_id` the database cannot convert, each read on its own in a savepoint
    ([] when the whole row reads, or there is no such order)."""
    bad = []
    for field in ParentOrder._meta.concrete_fields:
        try:
            with transaction.atomic():
                list(ParentOrder.objects.filter(pk=order_id).values_list(field.attname, flat=True))
        except _UNREADABLE:
            bad.append(field.name)
    return bad


def unreadable_order_detail(order_id: int | None) -> str:
    """What a page or an endpoint answers when a stored figure of an order cannot be read."""
    fields = unreadable_fields(order_id) if order_id is not None else []
    if not fields:
        return ("a stored figure cannot be read from the database (a row written around the desk); the desk's "
                "log names it; a supervisor can HALT the desk and an admin must repair the row")
    return (f"order {order_id} cannot be read from the database: {', '.join(fields)} holds a value the database "
            "cannot convert; a supervisor can HALT the desk, and an admin must repair the row")


def duration_label(seconds: float) -> str:
    """4000 -> '1:06:40', 75 -> '1:15': as the page's script counts it down (core.js fmtDuration)."""
    s = max(0, round(seconds))
    h, m, r = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{r:02d}" if h else f"{m}:{r:02d}"


def _time_left(parent: ParentOrder, now) -> float | None:
    if ParentStatus(parent.status).is_terminal:
        return None
    if parent.deadline is None:
        return float(parent.horizon_seconds)
    return max((parent.deadline - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class OverviewFilters:
    """The overview's filters as the GET parameters spell them (`status`, `symbol`, `side`, `trader`, `q`)."""

    status: str = ""
    symbol: str = ""
    side: str = ""
    trader: str = ""  # "", "mine", or a username
    q: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.symbol, self.side, self.trader, self.q))

    def list_kwargs(self, user) -> dict[str, Any]:
        statuses = STATUS_GROUPS.get(self.status) or ((self.status,) if self.status else None)
        trader = user.get_username() if self.trader == "mine" else self.trader
        return {"statuses": statuses, "symbol": self.symbol, "side": self.side, "created_by": trader,
                "text": self.q}


def overview_filters(params: Mapping[str, str]) -> OverviewFilters:
    """Parse the overview's GET parameters; a value the desk does not know is refused, naming it."""
    status = (params.get("status") or "").strip()
    statuses = set(STATUS_GROUPS) | {s.value for s in ParentStatus}
    if status and status not in statuses:
        valid = ", ".join([*STATUS_GROUPS, *(s.value for s in ParentStatus)])
        raise InvalidInput(f"unknown status filter {status!r}; valid: {valid}")
    side = (params.get("side") or "").strip().lower()
    if side and side not in SIDES:
        raise InvalidInput(f"side filter must be buy or sell, got {side!r}")
    symbol = (params.get("symbol") or "").strip().upper()
    if symbol and not (symbol.isalnum() and len(symbol) <= 32):
        raise InvalidInput(f"symbol filter must be letters and digits (at most 32), got {symbol!r}")
    trader = (params.get("trader") or "").strip()
    if len(trader) > 150:
        raise InvalidInput("trader filter is longer than a username can be (150 characters)")
    q = (params.get("q") or "").strip()
    if len(q) > 100:
        raise InvalidInput("search text is limited to 100 characters")
    return OverviewFilters(status=status, symbol=symbol, side=side, trader=trader, q=q)


def desk_overview(params: Mapping[str, str], *, user) -> dict[str, Any]:
    """The overview page's context: the filtered orders, the filters, and what each filter offers."""
    filters = overview_filters(params)
    symbols = set(SIM_INSTRUMENTS) | set(ParentOrder.objects.values_list("symbol", flat=True).distinct())
    traders = ParentOrder.objects.values_list("created_by__username", flat=True).distinct()
    return {
        "orders": parent_order_list(**filters.list_kwargs(user)),
        "filters": filters,
        "filter_choices": {
            "groups": [("open", "open (not finished)"), ("working", "working (executing)"), ("done", "done")],
            "statuses": [s.value for s in ParentStatus],
            "symbols": sorted(symbols),
            "traders": sorted(t for t in set(traders) if t and t != user.get_username()),
        },
    }


def proposal_list_pending(*, parent_id: int | None = None) -> list[Proposal]:
    qs = Proposal.objects.filter(status=ProposalStatus.PENDING).select_related("parent")
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    return list(qs.order_by("expires_at"))


def order_state(parent: ParentOrder) -> dict[str, Any]:
    """Everything the order page draws, in the same shapes the live pushes use."""
    proposals = list(parent.proposals.select_related("decided_by").order_by("-seq")[:50])
    children = list(parent.child_orders.select_related("proposal").order_by("-created_at")[:100])
    fills = list(parent.fills.select_related("child").order_by("ts", "id"))
    return {
        "progress": progress_payload(parent),
        "proposals": [proposal_payload(p) for p in proposals],
        "children": [child_payload(c) for c in children],
        "fills": [fill_payload(f) for f in fills],
        "is_series": is_series(parent, fills),
        "market": _market(parent),
        "schedule": schedule_points(parent),
        "strategy_label": parent.get_strategy_display(),
        # Claude's record on this order (the same dict the "advisor" push carries); None for the others
        "advisor": advisor_metrics(parent.pk) if parent.advisor == CLAUDE else None,
    }


def is_series(parent: ParentOrder, fills: list | None = None) -> list[list[float]]:
    """The fills' slippage against the decision price after each fill, [[epoch seconds, bps], ...]: the TCA's
    `decision_slippage_bps` of the fills so far (before fees, the unfilled part left out; not the order's
    implementation shortfall `is_bps`; domain.tca, docs/tca.md)."""
    if fills is None:
        fills = list(parent.fills.order_by("ts", "id"))
    decision = float(parent.decision_price)
    if decision <= 0:
        return []
    points, qty, notional = [], 0.0, 0.0
    for f in fills:
        # the running VWAP summed in fill order, as domain.tca.vwap sums it
        qty += float(f.qty)
        notional += float(f.qty) * float(f.price)
        if qty > 0:
            points.append([f.ts.timestamp(), round(slippage_bps(parent.side, notional / qty, decision), 4)])
    return points


def _market(parent: ParentOrder) -> dict:
    """The order's market now; when the venue cannot be read, the last snapshot the order's proposal saw,
    marked stale with the reason, so the page still opens."""
    try:
        return market_snapshot(parent.symbol, parent.venue).to_dict()
    except VenueUnavailable as exc:
        last = parent.proposals.order_by("-seq").values_list("market", flat=True).first() or {}
        return {**last, "stale": True, "extra": {**last.get("extra", {}), "stale_reason": str(exc)}} if last else {
            "symbol": parent.symbol, "stale": True, "extra": {"stale_reason": str(exc)}}


def schedule_points(parent: ParentOrder) -> list[list[float]]:
    """The strategy's planned schedule as [seconds from start, cumulative quantity] steps (empty before the
    order starts). POV has no time schedule of its own: its reference is the volume curve's."""
    if parent.started_at is None or not parent.strategy_params:
        return []
    from execdesk.desk.services.strategy import strategy_of

    try:
        plan = strategy_of(parent).schedule(float(parent.quantity), parent.started_at.timestamp())
    except ValueError:
        return []
    points, done = [], 0.0
    for s in plan:
        done += s.quantity
        points.append([round(s.offset_seconds, 3), round(done, 10)])
    return points


def impact_report(symbol: str) -> dict[str, Any]:
    """The real-time impact calibration of the symbol: the fit in use and predicted versus realised impact
    over the last 1,000 aggressive child executions."""
    from execdesk.desk.services.strategy import impact_calibration

    calibrator = impact_calibration(symbol)
    return {"fit": calibrator.fit().to_dict(), "vs": calibrator.predicted_vs_realised().to_dict()}
