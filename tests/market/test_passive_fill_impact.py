"""Our passive fills move the market too: informed flow leaves a permanent footprint whichever side of the
spread it trades on. Without this a simulator hands resting orders a free lunch."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.orders import OrderRequest, OrderType, Side, TimeInForce
from execdesk.market.sim import SIM_PRESETS, SimMarket
from execdesk.venues.paper import PaperVenue

START = 1_767_225_600.0
BTC = SIM_PRESETS["BTCUSDT"][1]


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_a_passive_fill_moves_the_fair_price_by_the_permanent_impact_only(side):
    ours, theirs = (SimMarket.create("BTCUSDT", seed=3, start_ts=START) for _ in range(2))
    ours.absorb_passive_fill(side, 2.0)
    assert math.log(ours.fair / theirs.fair) == pytest.approx(side.sign * BTC.permanent_impact_per_unit * 2.0, rel=1e-6)
    ours.advance_to(START + 600)
    theirs.advance_to(START + 600)
    assert math.log(ours.fair / theirs.fair) == pytest.approx(side.sign * BTC.permanent_impact_per_unit * 2.0, rel=1e-6)


def test_the_paper_venue_applies_the_impact_of_resting_fills():
    market = SimMarket.create("BTCUSDT", seed=11, start_ts=START)
    twin = SimMarket.create("BTCUSDT", seed=11, start_ts=START)
    venue = PaperVenue()
    bid = BTCUSDT.price(market.best_bid)
    venue.place(market, OrderRequest(order_link_id="rest-1", symbol="BTCUSDT", side=Side.BUY,
                                     order_type=OrderType.LIMIT, qty=Decimal("0.5"), price=bid,
                                     tif=TimeInForce.GTC), BTCUSDT, market.ts)
    filled = Decimal(0)
    t = START
    while filled == 0 and t < START + 900:
        t += 5
        for report in venue.on_trades(market, market.advance_to(t), BTCUSDT):
            filled += sum((f.qty for f in report.fills), Decimal(0))
        twin.advance_to(t)
    assert filled > 0, "the resting bid never filled in 15 minutes"
    assert math.log(market.fair / twin.fair) == pytest.approx(BTC.permanent_impact_per_unit * float(filled), rel=1e-6)
