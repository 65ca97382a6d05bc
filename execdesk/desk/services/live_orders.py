"""Child orders on a live venue (Bybit): sending, cancelling, and recording what the exchange reports.

The paper venue answers inside the desk's transaction; Bybit is a network away, so every call to it runs
*outside* a transaction and its answer is applied in a short transaction of its own. Exactly-once sending
rests on two things: the child row is claimed (`send_started_at`) under its lock before the call, so one
worker sends it; and the orderLinkId never changes, so even a resend after a crash is refused by Bybit as
a duplicate instead of becoming a second order. A child still NEW with `send_started_at` set may or may
not exist on Bybit (the worker died waiting for the answer): reconciliation looks it up by orderLinkId.

Reports arrive three ways and each is safe to apply any number of times (fills are unique by execId):
the private `execution`/`order` streams, REST polling of open orders (the fallback when the stream is
down or missed a message), and reconciliation.
"""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.dispatch import dispatch_child_cancel
from execdesk.desk.models import ChildOrder, ParentOrder, Proposal
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, market_ref
from execdesk.desk.services.child_orders import (
    child_finish_unsent,
    child_order_apply_report,
    child_send_expired,
)
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import (
    ChildStatus,
    FillReport,
    OrderReport,
    OrderRequest,
    OrderType,
    Side,
    TimeInForce,
)

log = logging.getLogger(__name__)

BYBIT_ACTOR = Actor(label="system:bybit-venue", role="system")
OPEN = [s.value for s in ChildStatus if s.is_open]
_poll_lock = threading.Lock()
_last_poll = 0.0


def _link():
    from execdesk.desk.bybit import link as bybit_link

    return bybit_link


def live_child_submit(*, child_id: int) -> ChildOrder | None:
    """Send a NEW Bybit child order once and record Bybit's answer."""
    with desk_atomic():
        parent_id = ChildOrder.objects.filter(pk=child_id).values_list("parent_id", flat=True).get()
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)  # parent, then child: the lock order
        child = ChildOrder.objects.select_for_update().get(pk=child_id)
        if child.status != ChildStatus.NEW or child.send_started_at is not None:
            return child  # sent already (or being sent by another worker)
        if not parent.state.is_working:
            child_finish_unsent(child, f"parent order is {parent.status}; not sent")
            return child
        if child_send_expired(child):  # past its send-by time: never sent
            return child
        mid = _mid_for(child)
        child.send_started_at = timezone.now()
        child.mid_at_send = mid
        child.save(update_fields=["send_started_at", "mid_at_send", "updated_at"])
        audit_record(actor=BYBIT_ACTOR, action="child.sent", obj=child, parent_order_id=parent.pk,
                     payload={"order_link_id": child.order_link_id, "venue": child.venue, "side": child.side,
                              "order_type": child.order_type, "tif": child.tif, "quantity": child.quantity,
                              "price": child.price, "environment": _environment()},
                     market_ref=market_ref(_proposal_market(child)))
    request = OrderRequest(order_link_id=child.order_link_id, symbol=child.symbol, side=Side(child.side),
                           order_type=OrderType(child.order_type), qty=child.quantity, price=child.price,
                           tif=TimeInForce(child.tif))
    try:
        report = _link().bybit_venue(child.symbol).place(request)
    except Exception as exc:  # noqa: BLE001 - the venue could not even be set up: nothing was sent
        log.exception("Bybit venue unavailable for %s", child.order_link_id)
        report = OrderReport(child.order_link_id, "", ChildStatus.REJECTED, Decimal(0), None, (),
                             f"Bybit is unavailable, the order was not sent: {exc}")
    return live_report_apply(report, child_id=child_id)


def live_report_apply(report: OrderReport, *, child_id: int | None = None, actor: Actor = BYBIT_ACTOR,
                      action: str = "") -> ChildOrder | None:
    """Record a Bybit report (from the answer, the streams, polling or reconciliation) on its child order."""
    with desk_atomic():
        query = ChildOrder.objects.select_for_update()
        child = (query.filter(pk=child_id) if child_id is not None
                 else query.filter(order_link_id=report.order_link_id)).first()
        if child is None:
            return None
        repriced_from = getattr(report, "repriced_from", None)
        if repriced_from and child.order_link_id != report.order_link_id:
            _record_reprice(child, report)
        if getattr(report, "unresolved", False):
            audit_record(actor=actor, action="child.unresolved", obj=child, parent_order_id=child.parent_id,
                         payload={"order_link_id": child.order_link_id, "reason": report.reject_reason})
        if action:
            audit_record(actor=actor, action=action, obj=child, parent_order_id=child.parent_id,
                         payload={"order_link_id": child.order_link_id, "from": child.status,
                                  "to": report.status, "filled_qty_recorded": child.filled_qty,
                                  "filled_qty_on_venue": report.filled_qty,
                                  "fills_on_venue": len(report.fills)})
        child_order_apply_report(child, report)
        child.refresh_from_db()
        return child


def _record_reprice(child: ChildOrder, report: OrderReport) -> None:
    """Bybit cancelled our PostOnly for crossing and the venue re-placed it at the touch under a new
    orderLinkId: the child follows the new order."""
    old_link, old_price = child.order_link_id, child.price
    child.order_link_id = report.order_link_id
    child.price = getattr(report, "price", None) or child.price
    child.save(update_fields=["order_link_id", "price", "updated_at"])
    audit_record(actor=BYBIT_ACTOR, action="child.repriced", obj=child, parent_order_id=child.parent_id,
                 payload={"from_order_link_id": old_link, "order_link_id": child.order_link_id,
                          "from_price": old_price, "price": child.price,
                          "reason": "Bybit refused the PostOnly order because it would take liquidity; "
                                    "re-placed at our touch"})


def live_fill_arrived(fill: FillReport) -> ChildOrder | None:
    """A fill from the private `execution` stream; recorded once even if polling brings it too."""
    if not fill.fee_currency:
        fill = _with_fee_currency(fill)
    with desk_atomic():
        child = ChildOrder.objects.select_for_update().filter(order_link_id=fill.order_link_id).first()
        if child is None:
            return None  # not ours (or an orphan): reconciliation deals with it
        if child.fills.filter(exec_id=fill.exec_id).exists():
            return child
        filled = child.filled_qty + fill.qty
        status = ChildStatus(child.status)
        if status.is_open:
            status = ChildStatus.FILLED if filled >= child.quantity else ChildStatus.PARTIALLY_FILLED
        child_order_apply_report(child, OrderReport(child.order_link_id, child.venue_order_id, status, filled,
                                                    None, (fill,), ""))
        return child


def _with_fee_currency(fill: FillReport) -> FillReport:
    """Bybit's execution stream leaves out the fee currency; the REST execution list has it. Without an
    answer from REST, a linear contract's fee is in its settle coin (the quote asset)."""
    from dataclasses import replace

    symbol = ChildOrder.objects.filter(order_link_id=fill.order_link_id).values_list("symbol", flat=True).first()
    if symbol is None:
        return fill
    try:
        for rest in _link().bybit_venue(symbol).executions(fill.order_link_id):
            if rest.exec_id == fill.exec_id and rest.fee_currency:
                return replace(fill, fee_currency=rest.fee_currency)
    except Exception:  # noqa: BLE001 - the fill must still be recorded
        log.warning("fee currency of %s not readable over REST", fill.exec_id, exc_info=True)
    if _link().bybit_category() == "linear":
        return replace(fill, fee_currency=_link().bybit_instrument(symbol).quote_asset)
    return fill


def live_order_update(report: OrderReport) -> ChildOrder | None:
    """An order update from the private `order` stream. When Bybit has filled more than we have recorded
    (the execution message is late or lost), the fills are read over REST before the status is applied,
    so a child never shows FILLED without its fills."""
    child = ChildOrder.objects.filter(order_link_id=report.order_link_id).only("filled_qty", "symbol").first()
    if child is None:
        return None
    if report.filled_qty > child.filled_qty:
        try:
            full = _link().bybit_venue(child.symbol).get(report.order_link_id)
        except Exception:  # noqa: BLE001 - polling and reconciliation will catch up
            log.exception("reading %s's fills after an order update failed", report.order_link_id)
            return None
        if full is not None:
            report = full
        else:
            return None
    return live_report_apply(report)


def live_poll_due(*, now: float | None = None, force: bool = False) -> int:
    """REST polling of open Bybit child orders, at most every BYBIT_POLL_SECONDS per process: the fallback
    when the private stream is down or dropped a message. Returns how many orders were read."""
    global _last_poll
    now = now or time.time()
    with _poll_lock:
        # a last poll "in the future" (a tick given a later clock) does not hold polling back
        if not force and 0 <= now - _last_poll < settings.EXECDESK["BYBIT_POLL_SECONDS"]:
            return 0
        _last_poll = now
    rows = list(ChildOrder.objects.filter(venue="bybit", status__in=OPEN, send_started_at__isnull=False)
                .values_list("pk", "order_link_id", "symbol"))
    for pk, link, symbol in rows:
        try:
            report = _link().bybit_venue(symbol).get(link)
        except Exception:  # noqa: BLE001 - one order's failure must not stop the others; next poll retries
            log.exception("polling %s on Bybit failed", link)
            continue
        if report is None:
            continue
        try:  # one order's report that cannot be applied is logged and skipped, never the others
            live_report_apply(report, child_id=pk)
        except Exception:  # noqa: BLE001 - rolled back to its own savepoint; the next poll retries
            log.exception("applying the Bybit report of %s failed", link)
    return len(rows)


def live_children_cancel(children: list[ChildOrder], *, actor: Actor, reason: str) -> None:
    """Inside the caller's transaction: unsent children end at once; sent ones get a cancel request that a
    task sends to Bybit after commit (never a network call under the row locks)."""
    for child in children:
        if child.status == ChildStatus.NEW and child.send_started_at is None:
            child_finish_unsent(child, reason)
            continue
        audit_record(actor=actor, action="child.cancel_requested", obj=child, parent_order_id=child.parent_id,
                     payload={"order_link_id": child.order_link_id, "reason": reason})
        dispatch_child_cancel(child.pk, reason=reason)


def live_child_cancel(*, child_id: int, reason: str) -> ChildOrder | None:
    """Send the cancel to Bybit and record the answer; an order Bybit does not know is left to
    reconciliation (it may still be on its way)."""
    child = ChildOrder.objects.filter(pk=child_id).first()
    if child is None or not child.is_open:
        return child
    report = _link().bybit_venue(child.symbol).cancel(child.order_link_id)
    if report is None:
        log.info("cancel of %s: Bybit has no such order (yet); reconciliation settles it", child.order_link_id)
        return child
    return live_report_apply(report, child_id=child_id)


def live_snapshot_cached(parent: ParentOrder) -> MarketSnapshot:
    """The live market without a network call: the feed's latest snapshot, else what the order's latest
    proposal saw."""
    try:
        snapshot = _link().link().store.get(parent.symbol)
    except Exception:  # noqa: BLE001 - Bybit unconfigured now: fall back to the recorded market
        snapshot = None
    if snapshot is not None:
        return snapshot
    market = parent.proposals.order_by("-seq").values_list("market", flat=True).first()
    if market:
        return MarketSnapshot.from_dict(market)
    mid = float(parent.decision_price)
    return MarketSnapshot(symbol=parent.symbol, ts=time.time(), mid=mid, best_bid=mid, best_ask=mid, bids=(),
                          asks=(), stale=True, source="bybit")


def _mid_for(child: ChildOrder) -> Decimal | None:
    market = _proposal_market(child)
    mid = market.get("mid") if market else None
    return Decimal(str(mid)).quantize(Decimal("0.00000001")) if mid else None


def _proposal_market(child: ChildOrder) -> dict:
    return Proposal.objects.filter(pk=child.proposal_id).values_list("market", flat=True).first() or {}


def _environment() -> str:
    ok, banner = _link().bybit_status()
    return banner if ok else "unconfigured"
