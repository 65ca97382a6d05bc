"""Public prints are trades at the book prices they hit: resting orders get no free fills."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Trade
from execdesk.domain.orders import OrderRequest, OrderType, Side, TimeInForce
from execdesk.market.sim import SimMarket
from execdesk.venues.paper import PaperVenue

START = 1_767_225_600.0
TICK = 0.1


def make(seed: int, scenario: str = "calm") -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=seed, start_ts=START, scenario=scenario)


@pytest.mark.parametrize("our_take", [0.0, 2.5])
def test_each_print_takes_the_book_from_the_touch_level_by_level(our_take: float) -> None:
    market = make(2, "news_jump")  # a volume burst: larger and more frequent prints
    walked = 0
    for second in range(850, 1000):
        market.advance_to(START + second - 1)
        if our_take and second % 10 == 0:  # our footprint: depleted levels, a displaced centre
            market.take(Side.BUY if second % 20 else Side.SELL, our_take)
        trades = market.advance_to(START + second)
        bids, asks = market.book()  # other traders' prints leave the book as it was
        level = {"buy": -1, "sell": -1}  # ladder index of the previous piece on each side
        previous: dict[str, Trade] = {}
        for t in trades:
            assert START + second - 1 < t.ts <= START + second
            ladder = asks if t.side == "buy" else bids
            if t.price == ladder[0].price:  # a new print starts at the touch ...
                level[t.side] = 0
            else:  # ... or the previous one goes on to the next level, having emptied the last
                before = previous[t.side]
                assert (before.ts, before.qty) == (t.ts, ladder[level[t.side]].qty)
                level[t.side] += 1
                walked += 1
            assert t.price == ladder[level[t.side]].price
            assert t.qty <= ladder[level[t.side]].qty + 1e-9
            previous[t.side] = t
        assert [t.ts for t in trades] == sorted(t.ts for t in trades)

    assert walked > 0


def test_aggressors_lean_with_the_price_move_of_their_second() -> None:
    market = make(4)
    returns, net_buying = [], []
    for second in range(1, 1801):
        before = market.fair
        trades = market.advance_to(START + second)
        returns.append(market.fair / before - 1)
        net_buying.append(sum(t.qty if t.side == "buy" else -t.qty for t in trades))

    assert np.corrcoef(returns, net_buying)[0, 1] > 0.05


def _resting_buy(venue: PaperVenue, market: SimMarket, price: float) -> None:
    request = OrderRequest(order_link_id="rest", symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT,
                           qty=Decimal("0.5"), price=BTCUSDT.price(price), tif=TimeInForce.GTC)
    assert venue.place(market, request, BTCUSDT, market.ts).status.is_open


def _future(seed: int, seconds: int) -> tuple[list[Trade], float]:
    """What the market will do (a twin with the same seed): its prints and its lowest ask."""
    twin = make(seed)
    prints, lowest_ask = [], twin.best_ask
    for second in range(1, seconds + 1):
        prints += twin.advance_to(START + second)
        lowest_ask = min(lowest_ask, twin.best_ask)
    return prints, lowest_ask


def test_a_resting_buy_below_every_print_is_never_filled_and_leaves_the_market_alone() -> None:
    future, lowest_ask = _future(seed=6, seconds=600)
    lowest_sell = min(t.price for t in future if t.side == "sell")
    market, venue = make(6), PaperVenue()
    _resting_buy(venue, market, min(lowest_sell, lowest_ask) - TICK)

    seen, reports = [], []
    for second in range(1, 601):
        trades = market.advance_to(START + second)
        seen += trades
        reports += venue.on_trades(market, trades, BTCUSDT)

    assert reports == []
    assert seen == future


def test_a_resting_buy_fills_only_from_prints_that_trade_through_it() -> None:
    future, _ = _future(seed=6, seconds=600)
    limit = BTCUSDT.price(min(t.price for t in future if t.side == "sell") + TICK)
    market, venue = make(6), PaperVenue()
    assert float(limit) < market.best_bid  # it rests, below the touch
    _resting_buy(venue, market, float(limit))

    fills = []
    for second in range(1, 601):
        trades = market.advance_to(START + second)
        crossed = BTCUSDT.price(market.best_ask) <= limit  # the asks came down to us: we are hit
        for report in venue.on_trades(market, trades, BTCUSDT):
            for fill in report.fills:
                through = [t for t in trades if t.ts == fill.ts and t.side == "sell" and t.price < limit]
                assert through or (crossed and fill.ts == market.ts), f"a free fill at {fill.ts}"
                if through:
                    assert fill.qty <= BTCUSDT.qty(sum(t.qty for t in through))
                fills.append(fill)

    assert fills and all(f.price == limit and f.liquidity == "maker" for f in fills)
