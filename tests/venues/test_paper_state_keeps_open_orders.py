"""The paper venue's stored state holds its open orders only: it does not grow with every order it ever
saw (the desk re-reads and re-writes it on every tick and send)."""

from __future__ import annotations

import json
from decimal import Decimal

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side, TimeInForce
from execdesk.market.sim import SimMarket
from execdesk.venues.paper import PaperVenue

START = 1_767_225_600.0


def _market_buy(link: str) -> OrderRequest:
    return OrderRequest(order_link_id=link, symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.MARKET,
                        qty=Decimal("0.01"), price=None, tif=TimeInForce.IOC)


def test_filled_and_cancelled_orders_leave_the_stored_state() -> None:
    market, venue = SimMarket.create("BTCUSDT", seed=3, start_ts=START), PaperVenue()
    for n in range(300):
        report = venue.place(market, _market_buy(f"m-{n}"), BTCUSDT, market.ts)
        assert report.status is ChildStatus.FILLED
    below = BTCUSDT.price(market.best_bid) - 50 * BTCUSDT.tick_size
    resting = OrderRequest(order_link_id="rest-1", symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT,
                           qty=Decimal("0.01"), price=below, tif=TimeInForce.GTC)
    venue.place(market, resting, BTCUSDT, market.ts)
    cancelled = resting.__class__(**{**resting.__dict__, "order_link_id": "rest-2"})
    venue.place(market, cancelled, BTCUSDT, market.ts)
    venue.cancel("rest-2")

    state = venue.to_state()

    assert [o["link"] for o in state["orders"]] == ["rest-1"]
    assert len(json.dumps(state)) < 2_000


def test_a_restored_venue_keeps_numbering_after_the_pruned_orders() -> None:
    market, venue = SimMarket.create("BTCUSDT", seed=3, start_ts=START), PaperVenue()
    for n in range(5):
        venue.place(market, _market_buy(f"m-{n}"), BTCUSDT, market.ts)

    restored = PaperVenue.from_state(json.loads(json.dumps(venue.to_state())))
    report = restored.place(market, _market_buy("m-next"), BTCUSDT, market.ts)

    assert report.venue_order_id == "paper-6"  # venue order ids never repeat across a save and a load
