"""Our own trades move the replayed market: they walk and deplete the book, and shift later prices."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from execdesk.domain.orders import Side
from execdesk.market.replay import COLUMNS, ReplayMarket, ReplayParams, TradeTape

T0 = 1_767_225_600.0
HEADER = ",".join(COLUMNS)
# Every level holds the tape's median print, 0.2 (the volume shares are negligible); one tick spread.
PARAMS = ReplayParams(
    touch_share=1e-6,
    level_share=1e-6,
    permanent_impact_per_unit=3e-5,
    transient_impact_per_unit=4e-5,
    transient_half_life_s=10.0,
    refill_half_life_s=5.0,
)
ROWS = [
    (1.0, "Sell", "0.200", "65000.00"),
    (2.0, "Buy", "0.200", "65000.10"),
    (20.0, "Sell", "0.200", "65000.00"),
    (40.0, "Sell", "0.200", "65000.00"),
    (1000.0, "Sell", "0.200", "65000.00"),
]
# Buying 0.5 at a mid of 65000.05: a lasting 3e-5 * 0.5 * 65000.05 and a transient 4e-5 * 0.5 * 65000.05.
PERMANENT = 0.97500075
TRANSIENT = 1.300001


def write_tape(path: Path, rows: list[tuple[float, str, str, str]]) -> Path:
    lines = [HEADER] + [
        f"{T0 + t:.4f},BTCUSDT,{side},{size},{price},ZeroPlusTick,id-{i},1.0,{size},1.0"
        for i, (t, side, size, price) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def market(tmp_path: Path) -> ReplayMarket:
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", ROWS)), params=PARAMS)
    market.advance_to(T0 + 10)
    return market


def test_a_market_buy_walks_the_ask_ladder(market: ReplayMarket) -> None:
    assert (market.best_bid, market.best_ask) == (65000.0, 65000.1)

    fills = market.take(Side.BUY, 0.5)

    assert fills == [(65000.1, 0.2), (65000.2, 0.2), (65000.3, 0.1)]
    assert market.depletion(Side.SELL)[:4] == (0.2, 0.2, 0.1, 0.0)
    assert set(market.depletion(Side.BUY)) == {0.0}


def test_a_limit_price_stops_the_walk(market: ReplayMarket) -> None:
    assert market.take(Side.SELL, 1.0, limit_price=65000.1) == []  # the bid is 65000.0
    assert market.take(Side.BUY, 1.0, limit_price=65000.2) == [(65000.1, 0.2), (65000.2, 0.2)]


def test_depleted_levels_refill_with_the_half_life(market: ReplayMarket) -> None:
    market.take(Side.BUY, 0.5)

    market.advance_to(T0 + 15)

    assert market.depletion(Side.SELL)[:3] == (0.1, 0.1, 0.05)


def test_later_prints_carry_the_permanent_and_the_decaying_transient_impact(market: ReplayMarket) -> None:
    market.take(Side.BUY, 0.5)
    assert market.impact_offset == pytest.approx(PERMANENT + TRANSIENT)

    at_20 = market.advance_to(T0 + 20)
    assert market.impact_offset == pytest.approx(PERMANENT + TRANSIENT / 2)
    at_40 = market.advance_to(T0 + 40)
    assert market.impact_offset == pytest.approx(PERMANENT + TRANSIENT / 8)
    at_1000 = market.advance_to(T0 + 1000)
    assert market.impact_offset == pytest.approx(PERMANENT)

    # raw 65000.0 prints, shifted and snapped to the 0.1 tick
    assert [t.price for t in at_20 + at_40 + at_1000] == [65001.6, 65001.1, 65001.0]
    assert market.best_bid == 65001.0  # the touch too: the raw bid moved up by the permanent impact


def test_a_sell_pushes_later_prices_down(market: ReplayMarket) -> None:
    assert market.take(Side.SELL, 0.5) == [(65000.0, 0.2), (64999.9, 0.2), (64999.8, 0.1)]

    later = market.advance_to(T0 + 1000)

    assert market.impact_offset == pytest.approx(-PERMANENT)
    assert later[-1].price == 64999.0


def test_fills_without_impact_deplete_but_do_not_move_prices(market: ReplayMarket) -> None:
    market.take(Side.BUY, 0.3, impact=False)

    assert market.impact_offset == 0.0
    assert market.depletion(Side.SELL)[:2] == (0.2, 0.1)
    assert [t.price for t in market.advance_to(T0 + 40)] == [65000.0, 65000.0]


def test_the_snapshot_shows_our_impact(market: ReplayMarket) -> None:
    market.take(Side.BUY, 0.5)
    market.advance_to(T0 + 1000)
    market.take(Side.BUY, 0.5)  # at the very time of the +1000 print, which stays as printed

    snap = market.snapshot()

    assert snap.extra["impact_offset"] == pytest.approx(market.impact_offset)
    assert snap.last_trades[-1].price == 65001.0  # shifted by the first buy only
    assert snap.mid > 65001.0 + 0.05


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("levels", 0),
        ("touch_share", 0.0),
        ("transient_half_life_s", math.inf),
        ("max_spread_quantile", 0.2),
        ("permanent_impact_per_unit", -1e-5),
        ("min_spread_ticks", 1.5),
    ],
)
def test_bad_params_are_refused_by_name(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"ReplayParams.{field} must be"):
        ReplayParams(**{field: value})  # type: ignore[arg-type]
