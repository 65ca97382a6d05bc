"""The paper venue matches against a replayed tape as it does against the simulator: no free fills."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import ChildStatus, OrderReport, OrderRequest, OrderType, Side
from execdesk.market.replay import COLUMNS, ReplayMarket, ReplayParams, TradeTape
from execdesk.venues.paper import PaperVenue

T0 = 1_767_225_600.0
HEADER = ",".join(COLUMNS)
# Every level holds the median print, 0.2; bid 65000.0 / ask 65000.1 until the prints move it.
PARAMS = ReplayParams(
    touch_share=1e-6, level_share=1e-6, permanent_impact_per_unit=0.0, transient_impact_per_unit=0.0
)
ROWS = [
    (1.0, "Sell", "0.200", "65000.00"),
    (2.0, "Buy", "0.200", "65000.10"),
    (20.0, "Buy", "0.500", "65000.10"),  # lifts the ask: nothing for a resting buy
    (30.0, "Sell", "0.150", "65000.00"),  # at our price: eats 0.15 of the 0.2 queued ahead of us
    (40.0, "Sell", "0.100", "65000.00"),  # 0.05 more of the queue, then 0.05 to us
    (50.0, "Sell", "0.200", "64999.90"),  # through our price: fills the rest
    (70.0, "Sell", "0.600", "64999.80"),
]


def write_tape(path: Path, rows: list[tuple[float, str, str, str]]) -> Path:
    lines = [HEADER] + [
        f"{T0 + t:.4f},BTCUSDT,{side},{size},{price},ZeroPlusTick,id-{i},1.0,{size},1.0"
        for i, (t, side, size, price) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def request(link: str, side: Side, qty: str, price: str | None = None) -> OrderRequest:
    return OrderRequest(
        order_link_id=link,
        symbol="BTCUSDT",
        side=side,
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        qty=Decimal(qty),
        price=None if price is None else Decimal(price),
    )


def step(market: ReplayMarket, venue: PaperVenue, to: float) -> list[OrderReport]:
    return venue.on_trades(market, market.advance_to(T0 + to), BTCUSDT)


@pytest.fixture
def market(tmp_path: Path) -> ReplayMarket:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", ROWS)), params=PARAMS)
    market.advance_to(T0 + 10)
    return market


def test_replay_market_is_a_matchable_market(market: ReplayMarket) -> None:
    assert isinstance(market, MatchableMarket)


def test_a_resting_buy_at_the_bid_fills_only_from_sell_prints_beyond_the_queue(market: ReplayMarket) -> None:
    venue = PaperVenue()
    assert market.book()[0][0].qty == 0.2  # the queue ahead of us at 65000.0

    placed = venue.place(market, request("rest-1", Side.BUY, "0.08", "65000.0"), BTCUSDT, market.ts)
    assert placed.status is ChildStatus.SUBMITTED and placed.fills == ()

    assert step(market, venue, 20) == []  # a buy print
    assert step(market, venue, 30) == []  # a sell print at our price, smaller than the queue
    partial = step(market, venue, 40)
    assert [(f.qty, f.price, f.liquidity, f.ts) for f in partial[0].fills] == [
        (Decimal("0.050"), Decimal("65000.0"), "maker", T0 + 40)
    ]
    assert partial[0].status is ChildStatus.PARTIALLY_FILLED
    rest = step(market, venue, 50)
    assert [(f.qty, f.price) for f in rest[0].fills] == [(Decimal("0.030"), Decimal("65000.0"))]
    assert rest[0].status is ChildStatus.FILLED


def test_market_and_limit_orders_run_end_to_end(market: ReplayMarket) -> None:
    venue = PaperVenue()

    bought = venue.place(market, request("mkt-1", Side.BUY, "0.3"), BTCUSDT, market.ts)
    assert bought.status is ChildStatus.FILLED
    assert [(f.price, f.qty, f.liquidity) for f in bought.fills] == [
        (Decimal("65000.1"), Decimal("0.200"), "taker"),
        (Decimal("65000.2"), Decimal("0.100"), "taker"),
    ]
    assert bought.avg_price == Decimal("65000.13333333")

    resting = venue.place(market, request("lmt-1", Side.BUY, "0.5", "64999.9"), BTCUSDT, market.ts)
    assert resting.status is ChildStatus.SUBMITTED
    assert step(market, venue, 40) == []  # sells at 65000.0 never reach 64999.9
    assert step(market, venue, 50) == []  # 0.2 at our price: all of it goes to the 0.2 queued ahead
    filled = step(market, venue, 70)  # 0.6 through our price
    assert [(f.qty, f.price, f.liquidity) for f in filled[0].fills] == [
        (Decimal("0.500"), Decimal("64999.9"), "maker")
    ]
    assert filled[0].status is ChildStatus.FILLED
    assert venue.open_orders() == []
