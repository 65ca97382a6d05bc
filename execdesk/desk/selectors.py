"""Reads for pages, pushes and the API."""

from __future__ import annotations

from typing import Any

from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.desk.models import ParentOrder, Proposal, ProposalStatus
from execdesk.desk.payloads import child_payload, fill_payload, progress_payload, proposal_payload
from execdesk.desk.selectors_advisor import advisor_metrics
from execdesk.desk.services.market import VenueUnavailable, market_snapshot


def parent_order_list(*, limit: int = 100) -> list[ParentOrder]:
    return list(ParentOrder.objects.select_related("created_by").order_by("-created_at")[:limit])


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
        "market": _market(parent),
        "schedule": schedule_points(parent),
        "strategy_label": parent.get_strategy_display(),
        # Claude's record on this order (the same dict the "advisor" push carries); None for the others
        "advisor": advisor_metrics(parent.pk) if parent.advisor == CLAUDE else None,
    }


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
