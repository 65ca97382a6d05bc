"""The paper venue on the desk: the simulated market and the paper venue's open orders per symbol
(execdesk.desk.services.market's store), behind the desk's venue gateway. It answers inside the caller's
transaction: a send, a cancel and a fill are recorded in the transaction that made them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, market_ref
from execdesk.desk.services.child_orders import (
    VENUE_ACTOR,
    child_order_apply_report,
    child_order_request,
    child_send_expired,
    child_unsent_close,
    market_apply_reports,
)
from execdesk.desk.services.market import (
    market_advance,
    market_for_take,
    market_load,
    market_read,
    market_snapshot_in_hand,
    paper_snapshot,
    sim_instrument,
)
from execdesk.desk.services.paper_takes import TakeRecorder, takes_record
from execdesk.desk.services.venues import venue_register
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import ChildStatus, OrderType, TimeInForce
from execdesk.engine.pacing import volume_figure
from execdesk.venues.gateway import PaperGateway
from execdesk.venues.paper import PaperVenue

log = logging.getLogger(__name__)


class PaperDeskVenue:
    name = "paper"
    fills_on_advance = True

    def instrument(self, symbol: str) -> Instrument:
        return sim_instrument(symbol)

    def snapshot(self, symbol: str) -> MarketSnapshot:
        return paper_snapshot(symbol)

    def snapshot_cached(self, parent: ParentOrder) -> MarketSnapshot:
        return market_snapshot_in_hand(parent.symbol)

    # Reads take no row lock: a step that holds the market row would queue every send of the symbol behind it.
    def hourly_volumes(self, symbol: str) -> list[tuple[float, float]]:
        return market_read(symbol).hourly_volumes(24)

    def volume_since(self, symbol: str, since: float, now: float) -> float | None:
        return volume_figure(market_read(symbol).volume_between(since, now))

    def step_market(self, symbol: str) -> tuple[MarketSnapshot, Instrument] | None:
        return None  # read inside the step's transaction, under the market row's lock

    def advance(self, symbols: Iterable[str], *, now: float) -> None:
        """Advance every market with work (and the default one); resting orders fill on the way."""
        for symbol in sorted({*symbols, settings.EXECDESK["DEFAULT_SYMBOL"]}):
            try:  # one market at a time: a symbol whose rows cannot be read is logged and skipped, never the others
                with desk_atomic():
                    loaded = market_load(symbol, now=now)
                    mid = loaded.market.mid  # the last mid before the fills this advance brings (TCA)
                    market_apply_reports(market_advance(loaded, now), mid=mid)
            except Exception:  # noqa: BLE001 - rolled back; the next tick tries again
                log.exception("desk tick: market %s not advanced this tick", symbol)

    def submit(self, *, child_id: int, now: float) -> ChildOrder | None:
        """Sent once, and only before the child's send-by time, decided under its row lock. A market or IOC
        order never rests: it takes liquidity without the symbol's market row (services/paper_takes.py).
        An order that may rest locks in the desk's order (services/atomic.py): market, parent, child."""
        symbol, parent_id, order_type, tif = ChildOrder.objects.values_list(
            "symbol", "parent_id", "order_type", "tif").get(pk=child_id)
        if order_type == OrderType.MARKET.value or tif == TimeInForce.IOC.value:
            sent = self._submit_taking(child_id=child_id, parent_id=parent_id, symbol=symbol, now=now)
            if sent is not None:
                return sent
        with desk_atomic():
            loaded = market_load(symbol)
            parent, child, sendable = _lock_sendable(parent_id, child_id)
            if not sendable:
                return child
            # No market advance here: the tick advances every market each second and applies what filled.
            # Advancing here would apply other orders' fills (locking their parents) while this send holds the
            # symbol's market row — the row every send and the tick serialise on — and convoy behind their steps.
            return _send(child, parent, loaded.gateway, loaded.market, loaded.instrument, now)

    def _submit_taking(self, *, child_id: int, parent_id: int, symbol: str, now: float) -> ChildOrder | None:
        """Locks: parent, child — no market row. None: the market has no row to read yet (the locked path
        creates it)."""
        with desk_atomic():
            parent, child, sendable = _lock_sendable(parent_id, child_id)
            if not sendable:
                return child
            found = market_for_take(symbol)
            if found is None:
                return None
            market, fees = found
            recorder, instrument = TakeRecorder(market), sim_instrument(symbol)
            venue = PaperVenue(fees, id_prefix="paper-t", first_seq=child.pk)  # never rests: nothing to keep
            sent = _send(child, parent, PaperGateway(recorder, instrument, venue), market, instrument, now)
            takes_record(symbol, child.order_link_id, recorder)
            return sent

    def cancel_children(self, children: list[ChildOrder], *, actor: Actor, reason: str) -> None:
        for child in children:
            if child.status == ChildStatus.NEW:
                child_unsent_close(child, reason)
                continue
            report = market_load(child.symbol).gateway.cancel(child.order_link_id)
            audit_record(actor=actor, action="child.cancel_requested", obj=child, parent_order_id=child.parent_id,
                         payload={"order_link_id": child.order_link_id, "reason": reason})
            if report is not None:
                child_order_apply_report(child, report)



def _lock_sendable(parent_id: int, child_id: int) -> tuple[ParentOrder, ChildOrder, bool]:
    """Parent and child under their row locks, and whether the child may go now: still NEW, its parent
    working (else it is closed unsent) and before its send-by time (else it has expired)."""
    parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
    child = ChildOrder.objects.select_for_update().get(pk=child_id)
    if child.status != ChildStatus.NEW:
        return parent, child, False
    if not parent.state.is_working:
        child_unsent_close(child, f"parent order is {parent.status}; not sent")
        return parent, child, False
    return parent, child, not child_send_expired(child)  # past its send-by time: never sent


def _send(child: ChildOrder, parent: ParentOrder, gateway: PaperGateway, market: MatchableMarket,
          instrument: Instrument, now: float) -> ChildOrder:
    child.mid_at_send = instrument.price(market.snapshot().mid)
    child.send_started_at = timezone.now()
    child.save(update_fields=["mid_at_send", "send_started_at"])
    report = gateway.place(child_order_request(child), now=now)
    audit_record(actor=VENUE_ACTOR, action="child.sent", obj=child, parent_order_id=parent.pk,
                 payload={"order_link_id": child.order_link_id, "venue": child.venue, "side": child.side,
                          "order_type": child.order_type, "tif": child.tif, "quantity": child.quantity,
                          "price": child.price, "send_by": child.send_by},
                 market_ref=market_ref(market.snapshot().to_dict()))
    child_order_apply_report(child, report)
    child.refresh_from_db()
    return child


venue_register(PaperDeskVenue())
