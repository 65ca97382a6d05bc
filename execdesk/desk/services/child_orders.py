"""Child orders at the venue: submission, venue reports, fills, and the parent's progress."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from execdesk.desk.access.roles import SYSTEM, Actor
from execdesk.desk.models import ChildOrder, Fill, ParentOrder
from execdesk.desk.realtime.payloads import child_payload, fill_payload, progress_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, market_ref
from execdesk.desk.services.market import market_advance, market_load
from execdesk.desk.services.tca import parent_tca
from execdesk.desk.services.transitions import parent_transition
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import ChildStatus, OrderReport, OrderRequest, OrderType, Side, TimeInForce
from execdesk.domain.states import ParentStatus
from execdesk.domain.tca import FillPoint, implementation_shortfall_bps

VENUE_ACTOR = Actor(label="system:paper-venue", role="system")


def child_order_submit(*, child_id: int, now: float | None = None) -> ChildOrder | None:
    """Send a NEW child order to the venue once; a second call finds it sent and does nothing."""
    if ChildOrder.objects.filter(pk=child_id, venue="bybit").exists():
        from execdesk.desk.services.live_orders import live_child_submit

        return live_child_submit(child_id=child_id)
    now = now or time.time()
    with desk_atomic():
        loaded = market_load(ChildOrder.objects.only("symbol").get(pk=child_id).symbol)
        child = ChildOrder.objects.select_for_update().select_related("parent").get(pk=child_id)
        if child.status != ChildStatus.NEW:
            return child
        parent = ParentOrder.objects.select_for_update().get(pk=child.parent_id)
        if not parent.state.is_working:
            _finish_unsent(child, f"parent order is {parent.status}; not sent")
            return child
        market_apply_reports(market_advance(loaded, now))
        request = OrderRequest(
            order_link_id=child.order_link_id, symbol=child.symbol, side=Side(child.side),
            order_type=OrderType(child.order_type), qty=child.quantity, price=child.price,
            tif=TimeInForce(child.tif),
        )
        child.mid_at_send = loaded.instrument.price(loaded.market.snapshot().mid)
        child.save(update_fields=["mid_at_send"])
        report = loaded.venue.place(loaded.market, request, loaded.instrument, now)
        audit_record(actor=VENUE_ACTOR, action="child.sent", obj=child, parent_order_id=parent.pk,
                     payload={"order_link_id": child.order_link_id, "venue": child.venue, "side": child.side,
                              "order_type": child.order_type, "tif": child.tif, "quantity": child.quantity,
                              "price": child.price},
                     market_ref=market_ref(loaded.market.snapshot().to_dict()))
        child_order_apply_report(child, report)
        child.refresh_from_db()
        return child


def market_apply_reports(reports: list[OrderReport]) -> None:
    for report in reports:
        child = ChildOrder.objects.select_for_update().filter(order_link_id=report.order_link_id).first()
        if child is not None:
            child_order_apply_report(child, report)


def child_order_apply_report(child: ChildOrder, report: OrderReport) -> None:
    """Record what the venue says about a child order: new fills once (by exec_id), status, progress."""
    new_fills = []
    for f in report.fills:
        if Fill.objects.filter(exec_id=f.exec_id).exists():
            continue
        fill = Fill.objects.create(child=child, parent_id=child.parent_id, exec_id=f.exec_id, qty=f.qty,
                                   price=f.price, fee=f.fee, fee_currency=f.fee_currency, liquidity=f.liquidity,
                                   ts=datetime.fromtimestamp(f.ts, tz=UTC))
        new_fills.append(fill)
        audit_record(actor=VENUE_ACTOR, action="fill.recorded", obj=fill, parent_order_id=child.parent_id,
                     payload={"exec_id": f.exec_id, "order_link_id": child.order_link_id, "qty": f.qty,
                              "price": f.price, "fee": f.fee, "fee_currency": f.fee_currency,
                              "liquidity": f.liquidity, "ts": fill.ts})
    old_status = child.status
    # A live venue's reports can arrive out of order (a REST read made before a stream update is applied
    # after it): a closed order never reopens.
    if child.is_open or not ChildStatus(report.status).is_open:
        child.status = report.status
    child.venue_order_id = report.venue_order_id or child.venue_order_id
    child.reject_reason = report.reject_reason or child.reject_reason
    if new_fills:  # fills are only ever recorded here, so without a new one the totals stand
        agg = child.fills.aggregate(qty=Sum("qty"))
        child.filled_qty = agg["qty"] or Decimal("0")
        child.avg_price = _avg_price(child.fills.all())
    child.save()
    if old_status != child.status:
        audit_record(actor=VENUE_ACTOR, action="child.status_changed", obj=child, parent_order_id=child.parent_id,
                     payload={"order_link_id": child.order_link_id, "from": old_status, "to": child.status,
                              "filled_qty": child.filled_qty, "avg_price": child.avg_price,
                              "reject_reason": child.reject_reason})
    push_order(child.parent_id, "child", child_payload(child))
    for fill in new_fills:
        push_order(child.parent_id, "fill", fill_payload(fill))
    _parent_settle(child, had_new_fills=bool(new_fills))


def _avg_price(fills) -> Decimal | None:
    qty = notional = Decimal("0")
    for f in fills:
        qty += f.qty
        notional += f.qty * f.price
    return (notional / qty).quantize(Decimal("0.0000000001")) if qty else None


def _parent_settle(child: ChildOrder, *, had_new_fills: bool) -> None:
    parent = ParentOrder.objects.select_for_update().get(pk=child.parent_id)
    if had_new_fills:  # a cancel or an acknowledgement changes no figure: skip the re-read (a halt settles many)
        fills = list(parent.fills.all())
        parent.executed_qty = sum((f.qty for f in fills), Decimal("0"))
        parent.avg_price = _avg_price(fills)
        parent.fees = sum((f.fee for f in fills), Decimal("0"))
        parent.is_bps = implementation_shortfall_bps(
            parent.side, float(parent.decision_price), [FillPoint(float(f.qty), float(f.price)) for f in fills])
        report = parent_tca(parent, _settle_snapshot(parent))
        parent.tca = report.to_dict() if report is not None else {}
        parent.save(update_fields=["executed_qty", "avg_price", "fees", "is_bps", "tca"])
    state = parent.state
    if had_new_fills and state == ParentStatus.EXECUTING:
        parent_transition(parent, ParentStatus.FILLED, actor=SYSTEM, reason=f"fill on {child.order_link_id}")
    if parent.executed_qty >= parent.quantity and parent.state in (ParentStatus.FILLED, ParentStatus.ACTIVE):
        if parent.state == ParentStatus.ACTIVE:  # a late resting fill completed the order
            parent_transition(parent, ParentStatus.EXECUTING, actor=SYSTEM, reason="late fill")
            parent_transition(parent, ParentStatus.FILLED, actor=SYSTEM, reason="late fill")
        parent_transition(parent, ParentStatus.COMPLETE, actor=SYSTEM,
                          reason=f"executed {parent.executed_qty.normalize():f} of {parent.quantity.normalize():f}")
        child_orders_cancel_open(parent, actor=SYSTEM, reason="parent order complete")
    elif not child.is_open and parent.state in (ParentStatus.EXECUTING, ParentStatus.FILLED):
        parent_transition(parent, ParentStatus.ACTIVE, actor=SYSTEM,
                          reason=f"child {child.order_link_id} {child.status}; continuing the schedule")
    push_order(parent.pk, "progress", progress_payload(parent))


def _settle_snapshot(parent: ParentOrder) -> MarketSnapshot:
    """The market for the TCA refresh, without a network call inside the transaction: the paper market, or
    the live feed's latest snapshot (else the one the order's latest proposal saw)."""
    if parent.venue == "paper":
        return market_load(parent.symbol).market.snapshot()
    from execdesk.desk.services.live_orders import live_snapshot_cached

    return live_snapshot_cached(parent)


def child_orders_cancel_open(parent: ParentOrder, *, actor: Actor, reason: str) -> int:
    """Cancel every open child order of the parent at the venue. Call inside desk_atomic()."""
    open_children = list(ChildOrder.objects.select_for_update().filter(
        parent=parent, status__in=[s.value for s in ChildStatus if s.is_open]))
    if not open_children:
        return 0
    if parent.venue != "paper":
        from execdesk.desk.services.live_orders import live_children_cancel

        live_children_cancel(open_children, actor=actor, reason=reason)
        return len(open_children)
    loaded = market_load(parent.symbol)
    for child in open_children:
        if child.status == ChildStatus.NEW:
            _finish_unsent(child, reason)
            continue
        report = loaded.venue.cancel(child.order_link_id)
        audit_record(actor=actor, action="child.cancel_requested", obj=child, parent_order_id=parent.pk,
                     payload={"order_link_id": child.order_link_id, "reason": reason})
        if report is not None:
            child_order_apply_report(child, report)
    return len(open_children)


def child_order_cancel_stale(*, parent: ParentOrder, older_than_s: float) -> None:
    """A resting slice that outlived its decision interval is cancelled; its remainder returns to the schedule."""
    cutoff = timezone.now().timestamp() - older_than_s
    stale = [c for c in parent.child_orders.filter(status__in=[ChildStatus.SUBMITTED, ChildStatus.PARTIALLY_FILLED])
             if c.created_at.timestamp() <= cutoff]
    if stale and parent.venue != "paper":
        from execdesk.desk.services.live_orders import live_children_cancel

        live_children_cancel(stale, actor=SYSTEM, reason=f"unfilled after {older_than_s:.0f} s decision interval")
    elif stale:
        loaded = market_load(parent.symbol)
        for child in stale:
            report = loaded.venue.cancel(child.order_link_id)
            audit_record(actor=SYSTEM, action="child.cancel_requested", obj=child, parent_order_id=parent.pk,
                         payload={"order_link_id": child.order_link_id,
                                  "reason": f"unfilled after {older_than_s:.0f} s decision interval"})
            if report is not None:
                child_order_apply_report(child, report)


def child_finish_unsent(child: ChildOrder, reason: str) -> None:
    """A NEW child order that was never sent ends CANCELLED with the reason (call with the row locked); its
    quantity returns to the parent's schedule."""
    _finish_unsent(child, reason)
    _parent_settle(child, had_new_fills=False)


def _finish_unsent(child: ChildOrder, reason: str) -> None:
    old = child.status
    child.status = ChildStatus.CANCELLED
    child.reject_reason = reason
    child.save(update_fields=["status", "reject_reason", "updated_at"])
    audit_record(actor=SYSTEM, action="child.status_changed", obj=child, parent_order_id=child.parent_id,
                 payload={"order_link_id": child.order_link_id, "from": old, "to": child.status, "reason": reason})
    push_order(child.parent_id, "child", child_payload(child))
