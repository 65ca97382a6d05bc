"""The approximated book and snapshot on a tape small enough to work out by hand."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest

from execdesk.domain.market import Level, Trade
from execdesk.market.replay import COLUMNS, ReplayMarket, ReplayParams, TradeTape

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC, an hour boundary
HEADER = ",".join(COLUMNS)

# Bid/ask bounces (opposite aggressors at most 1 s apart): 65000.1 - 65000.0 and 65000.3 - 65000.0, so
# the typical (median) spread is 2 ticks and the maximum (95th percentile, 0.29) 3 ticks.
ROWS = [
    (1.0, "Sell", "0.100", "65000.00"),
    (2.0, "Buy", "0.200", "65000.10"),
    (2.5, "Buy", "0.050", "65000.30"),
    (3.0, "Sell", "0.300", "65000.00"),
    (70.0, "Sell", "0.400", "64999.50"),
    (80.0, "Buy", "0.100", "64999.70"),
    (130.0, "Sell", "0.200", "64999.00"),
    (185.0, "Buy", "0.100", "64999.90"),
    (190.0, "Sell", "0.300", "64999.40"),
]
PARAMS = ReplayParams(touch_share=1.0, level_share=0.25)


def write_tape(path: Path, rows: list[tuple[float, str, str, str]]) -> Path:
    lines = [HEADER] + [
        f"{T0 + t:.4f},BTCUSDT,{side},{size},{price},ZeroPlusTick,id-{i},1.0,{size},1.0"
        for i, (t, side, size, price) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def market(tmp_path: Path) -> ReplayMarket:
    return ReplayMarket(TradeTape.load(write_tape(tmp_path / "tiny.csv", ROWS)), params=PARAMS)


def test_spread_bounds_come_from_the_bid_ask_bounce(market: ReplayMarket) -> None:
    assert market.spread_bounds_ticks == (2, 3)


def test_touch_is_the_last_sell_print_and_the_last_buy_print(market: ReplayMarket) -> None:
    market.advance_to(T0 + 90)  # last sell 64999.5 at +70, last buy 64999.7 at +80: 2 ticks, in bounds

    assert (market.best_bid, market.best_ask) == (64999.5, 64999.7)


def test_a_side_silent_for_too_long_sits_at_the_typical_spread(market: ReplayMarket) -> None:
    market.advance_to(T0 + 140)  # the last buy (+80) is more than 30 s older than the last sell (+130)

    assert (market.best_bid, market.best_ask) == (64999.0, 64999.2)


def test_prints_wider_than_the_maximum_spread_keep_the_newer_one(market: ReplayMarket) -> None:
    market.advance_to(T0 + 200)  # buy 64999.9 at +185, sell 64999.4 at +190: 5 ticks > 3, the sell stands

    assert (market.best_bid, market.best_ask) == (64999.4, 64999.7)


def test_snapshot_fields_match_the_tape(market: ReplayMarket) -> None:
    market.advance_to(T0 + 200)

    snap = market.snapshot()

    assert (snap.symbol, snap.ts, snap.source) == ("BTCUSDT", T0 + 200, "replay")
    assert (snap.best_bid, snap.best_ask, snap.mid) == (64999.4, 64999.7, 64999.55)
    # 1.75 traded in the 199 s since the first print: 0.5276 a minute; the touch holds all of it (lots of
    # 0.001, rounded down), deeper levels a quarter (0.1319) but never less than the median print, 0.2
    assert snap.bids == (
        Level(64999.4, 0.527),
        Level(64999.3, 0.2),
        Level(64999.2, 0.2),
        Level(64999.1, 0.2),
        Level(64999.0, 0.2),
    )
    assert snap.asks == (
        Level(64999.7, 0.527),
        Level(64999.8, 0.2),
        Level(64999.9, 0.2),
        Level(65000.0, 0.2),
        Level(65000.1, 0.2),
    )
    assert snap.last_trades == tuple(
        Trade(T0 + t, float(price), float(size), side.lower()) for t, side, size, price in ROWS
    )
    assert snap.volume_1m == 0.4  # the prints at +185 and +190
    # less than an hour of tape: the 1.75 of the 199 s since the first print, scaled to an hour
    assert snap.volume_1h == round(1.75 * 3600 / 199, 3) == 31.658
    assert snap.extra["history_s"] == 199.0
    # model mids a minute apart: +20 (65000.0/65000.3), +80 (64999.5/64999.7), +140 (64999.0, typical
    # spread), +200 (64999.4/64999.7)
    mids = [65000.15, 64999.6, 64999.1, 64999.55]
    returns = [math.log(b / a) for a, b in zip(mids, mids[1:], strict=False)]
    assert snap.volatility_1h == pytest.approx(statistics.stdev(returns) * math.sqrt(60), rel=1e-6)
    assert (snap.funding_rate, snap.oi_change_1h) == (0.0, 0.0)
    assert set(snap.extra["unavailable"]) == {"funding_rate", "oi_change_1h"}
    assert snap.stale  # the clock is past the tape's last print


def test_snapshot_keeps_the_last_ten_prints(tmp_path: Path) -> None:
    rows = [
        (float(k), "Buy" if k % 2 else "Sell", "0.010", f"{65000 + k % 2 / 10:.2f}") for k in range(1, 31)
    ]
    market = ReplayMarket(TradeTape.load(write_tape(tmp_path / "t.csv", rows)))
    market.advance_to(T0 + 25.5)

    last = market.snapshot().last_trades

    assert [t.ts for t in last] == [T0 + k for k in range(16, 26)]
    assert not market.snapshot().stale


def test_the_snapshot_survives_a_round_trip_through_a_dict(market: ReplayMarket) -> None:
    market.advance_to(T0 + 100)
    snap = market.snapshot()

    assert type(snap).from_dict(snap.to_dict()) == snap
