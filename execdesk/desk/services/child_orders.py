"""Child orders at the venue: submission, venue reports, fills, and the parent's progress."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from execdesk.desk.access.roles import SYSTEM, Actor
from execdesk.desk.models import ChildOrder, Fill, ParentOrder
from execdesk.desk.realtime.payloads import child_payload, fill_payload, progress_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.market import market_load
from execdesk.desk.services.tca import parent_tca_refresh
from execdesk.desk.services.transitions import parent_transition
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import ChildStatus, OrderReport, OrderRequest, OrderType, Side, TimeInForce
from execdesk.domain.states import ParentStatus
from execdesk.engine.pacing import outlived

VENUE_ACTOR = Actor(label="system:paper-venue", role="system")


def child_order_submit(*, child_id: int, now: float | None = None) -> ChildOrder | None:
    """Send a NEW child order to its venue once, if before its send-by time; a second call finds it sent (or
    expired) and does nothing."""
    venue = ChildOrder.objects.filter(pk=child_id).values_list("venue", flat=True).first()
    if venue is None:
        return None
    return gateway_for(venue).submit(child_id=child_id, now=now or time.time())


def child_send_expired(child: ChildOrder) -> bool:
    """With the child row locked and the child NEW: past its send-by time it is never sent — it ends CANCELLED
    (audited `child.expired`, pushed) and its quantity returns to the schedule, re-planned at the next step.
    Every venue's submit calls this under the row lock, at the moment of sending."""
    if child.send_by is None or timezone.now() <= child.send_by:
        return False
    late = (timezone.now() - child.send_by).total_seconds()
    reason = f"not sent by its send-by time {child.send_by:%H:%M:%S.%f} UTC ({late:.1f} s late); never sent"
    child.status = ChildStatus.CANCELLED
    child.reject_reason = reason
    child.save(update_fields=["status", "reject_reason", "updated_at"])
    audit_record(actor=SYSTEM, action="child.expired", obj=child, parent_order_id=child.parent_id,
                 payload={"order_link_id": child.order_link_id, "from": ChildStatus.NEW, "to": child.status,
                          "send_by": child.send_by, "reason": reason})
    push_order(child.parent_id, "child", child_payload(child))
    _parent_settle(child, had_new_fills=False)
    return True


def child_order_request(child: ChildOrder) -> OrderRequest:
    return OrderRequest(order_link_id=child.order_link_id, symbol=child.symbol, side=Side(child.side),
                        order_type=OrderType(child.order_type), qty=child.quantity, price=child.price,
                        tif=TimeInForce(child.tif))


def market_apply_reports(reports: list[OrderReport], *, mid: float | None = None) -> None:
    """Apply a market advance's reports; `mid` is the market's mid before the advance, the fills' mid."""
    for report in reports:
        parent_id = (ChildOrder.objects.filter(order_link_id=report.order_link_id)
                     .values_list("parent_id", flat=True).first())
        if parent_id is None:
            continue
        # the parent before the child: the lock order every service follows (services/atomic.py)
        ParentOrder.objects.select_for_update().filter(pk=parent_id).values_list("pk").first()
        child = ChildOrder.objects.select_for_update().filter(order_link_id=report.order_link_id).first()
        if child is not None:
            child_order_apply_report(child, report, mid=mid)


def child_order_apply_report(child: ChildOrder, report: OrderReport, *, mid: float | None = None) -> None:
    """Record what the venue says about a child order: new fills once (by exec_id), status, progress. Each new
    fill keeps the market's mid at the fill (TCA): `mid` when the caller saw it just before the fill, else the
    mid when the child was sent for a taker fill (it filled on arrival), else unknown."""
    new_fills = []
    for f in report.fills:
        if Fill.objects.filter(exec_id=f.exec_id).exists():
            continue
        fill = Fill.objects.create(child=child, parent_id=child.parent_id, exec_id=f.exec_id, qty=f.qty,
                                   price=f.price, fee=f.fee, fee_currency=f.fee_currency, liquidity=f.liquidity,
                                   ts=datetime.fromtimestamp(f.ts, tz=UTC), mid=_fill_mid(child, f.liquidity, mid))
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


def _fill_mid(child: ChildOrder, liquidity: str, mid: float | None) -> Decimal | None:
    if mid is not None and mid > 0:
        return Decimal(repr(float(mid)))
    return child.mid_at_send if liquidity == "taker" else None


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
        parent.save(update_fields=["executed_qty", "avg_price", "fees"])
        parent_tca_refresh(parent, _settle_snapshot(parent))  # the one IS (docs/tca.md), with the report
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
    """The market for the TCA refresh, without a network call inside the transaction."""
    return gateway_for(parent.venue).snapshot_cached(parent)


def child_orders_cancel_open(parent: ParentOrder, *, actor: Actor, reason: str) -> int:
    """Cancel every open child order of the parent at its venue. Call inside desk_atomic()."""
    open_children = list(ChildOrder.objects.select_for_update().filter(
        parent=parent, status__in=[s.value for s in ChildStatus if s.is_open]))
    if open_children:
        gateway_for(parent.venue).cancel_children(open_children, actor=actor, reason=reason)
    return len(open_children)


def stale_market_lock(parent_id: int) -> bool:
    """Whether the order has a resting slice older than its interval; if so, and its venue answers in-process
    (the paper venue, whose market row its cancels need), that market is locked — before the parent's lock, as
    the lock order wants."""
    row = ParentOrder.objects.filter(pk=parent_id).values_list("venue", "symbol", "interval_seconds").first()
    if row is None:
        return False
    cutoff = timezone.now() - timedelta(seconds=row[2])
    if not ChildOrder.objects.filter(parent_id=parent_id, created_at__lte=cutoff,
                                     status__in=[ChildStatus.SUBMITTED, ChildStatus.PARTIALLY_FILLED]).exists():
        return False
    if gateway_for(row[0]).fills_on_advance:
        market_load(row[1])
    return True


def open_market_lock(parent_id: int) -> None:
    """Before the parent's lock, for a service that cancels every open slice of an order on an in-process venue:
    its market."""
    row = ParentOrder.objects.filter(pk=parent_id).values_list("venue", "symbol").first()
    if row is not None and gateway_for(row[0]).fills_on_advance and ChildOrder.objects.filter(
            parent_id=parent_id, status__in=[ChildStatus.SUBMITTED, ChildStatus.PARTIALLY_FILLED]).exists():
        market_load(row[1])


def child_order_cancel_stale(*, parent: ParentOrder, older_than_s: float, now: float | None = None) -> None:
    """A resting slice that outlived its decision interval is cancelled (the engine's rule); its remainder
    returns to the schedule."""
    now = timezone.now().timestamp() if now is None else now
    resting = list(parent.child_orders.filter(status__in=[ChildStatus.SUBMITTED, ChildStatus.PARTIALLY_FILLED]))
    due = set(outlived([(c.pk, c.created_at.timestamp()) for c in resting], now=now, interval_s=older_than_s))
    stale = [c for c in resting if c.pk in due]
    if stale:
        gateway_for(parent.venue).cancel_children(
            stale, actor=SYSTEM, reason=f"unfilled after {older_than_s:.0f} s decision interval")


def child_finish_unsent(child: ChildOrder, reason: str) -> None:
    """A NEW child order that was never sent ends CANCELLED with the reason (call with the row locked); its
    quantity returns to the parent's schedule."""
    child_unsent_close(child, reason)
    _parent_settle(child, had_new_fills=False)


def child_unsent_close(child: ChildOrder, reason: str) -> None:
    """A NEW child order that was never sent ends CANCELLED with the reason; the caller settles the parent."""
    old = child.status
    child.status = ChildStatus.CANCELLED
    child.reject_reason = reason
    child.save(update_fields=["status", "reject_reason", "updated_at"])
    audit_record(actor=SYSTEM, action="child.status_changed", obj=child, parent_order_id=child.parent_id,
                 payload={"order_link_id": child.order_link_id, "from": old, "to": child.status, "reason": reason})
    push_order(child.parent_id, "child", child_payload(child))
