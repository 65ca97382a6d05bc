"""The market's own history: rolling statistics in the snapshot and the hourly volumes VWAP learns from."""

from __future__ import annotations

import math
import statistics

import pytest

from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.market.sim import SimMarket

START = 1_767_225_600.0  # midnight UTC: the simulated seconds line up with the hours
HOUR = 3600


def make(seed: int = 3, **kwargs: object) -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=seed, start_ts=START, **kwargs)  # type: ignore[arg-type]


def test_rolling_statistics_match_a_brute_force_count_of_the_path() -> None:
    market = make()
    volume_by_second: dict[int, float] = {}
    marks: dict[int, float] = {}
    for second in range(1, 5401):
        volume_by_second[second] = sum(t.qty for t in market.advance_to(START + second))
        if second % 60 == 0:
            marks[second] = market.fair  # nothing of ours traded: the fair price is the market's
    snap = market.snapshot()
    minute_returns = [math.log(marks[m + 60] / marks[m]) for m in range(1800, 5400, 60)]

    assert snap.volume_1m == pytest.approx(sum(volume_by_second[s] for s in range(5341, 5401)), abs=1e-6)
    assert snap.volume_1h == pytest.approx(sum(volume_by_second[s] for s in range(1801, 5401)), abs=1e-6)
    assert snap.volatility_1h == pytest.approx(statistics.stdev(minute_returns) * math.sqrt(60), rel=1e-9)


def test_the_warm_up_bounds_what_the_first_snapshot_remembers() -> None:
    none, short, full = make(warmup_seconds=0), make(warmup_seconds=600), make()

    assert none.snapshot().volume_1h == 0 and none.snapshot().last_trades == ()
    assert none.snapshot().volatility_1h == 0 and none.snapshot().oi_change_1h == 0
    assert 0 < short.snapshot().volume_1h < 0.3 * full.snapshot().volume_1h
    assert short.snapshot().volume_1m == full.snapshot().volume_1m
    assert len(full.snapshot().last_trades) == 10
    for market in (none, short):
        market.advance_to(START + HOUR)
    assert none.snapshot() == short.snapshot()  # an hour later both remember a whole hour


def test_hourly_volumes_are_the_whole_utc_hours_before_now_oldest_first() -> None:
    market = make()
    market.advance_to(START + 2 * HOUR + 1234)

    history = market.hourly_volumes(24)

    assert [ts for ts, _ in history] == [START + (h - 22) * HOUR for h in range(24)]  # the last ends at +2 h
    assert all(volume > 0 for _, volume in history)
    assert sum(VolumeCurve.from_hourly_volumes(history).weights) == pytest.approx(1.0)


def test_an_hourly_volume_is_what_the_market_printed_in_that_hour() -> None:
    market = make()
    created = market.snapshot().volume_1h
    printed = sum(t.qty for s in range(1, HOUR + 1) for t in market.advance_to(START + s))

    (_, warm_up_hour), (_, first_hour) = market.hourly_volumes(2)

    assert warm_up_hour == pytest.approx(created, abs=1e-6)
    assert first_hour == pytest.approx(printed, abs=1e-6)


def test_hours_are_cut_at_utc_boundaries_whatever_the_start() -> None:
    market = SimMarket.create("BTCUSDT", seed=5, start_ts=START + 1234.5)
    printed = [t for s in range(1240, 3 * HOUR + 20, 10) for t in market.advance_to(START + s)]
    assert START + 3 * HOUR < market.ts < START + 3 * HOUR + 10

    history = market.hourly_volumes(2)

    assert [ts for ts, _ in history] == [START + HOUR, START + 2 * HOUR]
    for ts, volume in history:
        inside = sum(t.qty for t in printed if ts < t.ts <= ts + HOUR)
        assert volume == pytest.approx(inside, abs=1.0)  # the second astride the boundary counts once
