"""Every scenario shows its signature in the simulated market, measured over several seeds."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from execdesk.domain.market import MarketSnapshot
from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.market.regimes import SESSION_VOLUME
from execdesk.market.sim import SimMarket

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HOUR = 3600


def market(scenario: str, seed: int, start_ts: float = START) -> SimMarket:
    return SimMarket.create("BTCUSDT", seed=seed, start_ts=start_ts, scenario=scenario)


def fair_at(m: SimMarket, second: int) -> float:
    m.advance_to(START + second)
    return m.fair


def log_returns(scenario: str, seeds: range, hours: int) -> list[float]:
    out = []
    for seed in seeds:
        m = market(scenario, seed)
        start = m.fair
        out.append(math.log(fair_at(m, hours * HOUR) / start))
    return out


def mean_and_se(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def sample(scenario: str, seed: int, seconds: range, start_ts: float = START) -> list[MarketSnapshot]:
    m = market(scenario, seed, start_ts)
    snaps = []
    for second in seconds:
        m.advance_to(start_ts + second)
        snaps.append(m.snapshot())
    return snaps


def test_calm_is_a_martingale_with_one_percent_hourly_volatility() -> None:
    returns = log_returns("calm", range(128), 2)
    mean, se = mean_and_se(returns)

    assert abs(mean) < 3.5 * se  # no drift to exploit
    assert statistics.stdev(returns) / math.sqrt(2) == pytest.approx(0.01, rel=0.15)


def test_calm_liquidity_is_steady_through_the_day() -> None:
    volumes = [v for _, v in market("calm", 3).hourly_volumes(24)]

    assert max(volumes) / min(volumes) < 1.15
    assert statistics.fmean(volumes) == pytest.approx(1.5 * 0.1 * HOUR, rel=0.05)  # 1.5 prints/s of 0.1 BTC


@pytest.mark.parametrize(("scenario", "drift"), [("trend_up", 0.003), ("trend_down", -0.003)])
def test_trends_drift_thirty_bps_an_hour_in_their_direction(scenario: str, drift: float) -> None:
    hours = 10
    mean, se = mean_and_se(log_returns(scenario, range(24), hours))

    assert mean * drift > 0 and abs(mean) > 3.5 * se
    assert mean / hours == pytest.approx(drift, abs=4 * se / hours)


def test_high_vol_has_three_and_a_half_times_the_volatility_wider_spreads_and_a_thinner_book() -> None:
    calm = [s for seed in range(8) for s in sample("calm", seed, range(1800, 1801))]
    wild = [s for seed in range(8) for s in sample("high_vol", seed, range(1800, 1801))]

    def mean(snaps: list[MarketSnapshot], field: str) -> float:
        return statistics.fmean(getattr(s, field) for s in snaps)

    assert 3.0 < mean(wild, "volatility_1h") / mean(calm, "volatility_1h") < 4.0
    assert mean(wild, "volatility_1h") < 0.05  # below the risk gate's stop
    assert mean(wild, "spread_bps") > 5 * mean(calm, "spread_bps")
    assert mean(wild, "bid_depth") < 0.75 * mean(calm, "bid_depth")


def test_drought_blows_the_spread_out_and_thins_the_book_and_the_flow_for_its_window() -> None:
    inside, outside = [], []
    for seed in range(8):
        snaps = sample("drought", seed, range(0, 2401, 60))
        for snap in snaps:
            offset = snap.ts - START
            if 420 <= offset <= 1380:
                inside.append(snap)
            elif offset < 300 or offset >= 1560:  # the 1-min volume has left the window too
                outside.append(snap)

    def mean(snaps: list[MarketSnapshot], field: str) -> float:
        return statistics.fmean(getattr(s, field) for s in snaps)

    assert mean(inside, "spread_bps") > 10
    assert mean(outside, "spread_bps") < 0.5
    assert 0.1 < mean(inside, "bid_depth") / mean(outside, "bid_depth") < 0.35
    assert 0.15 < mean(inside, "volume_1m") / mean(outside, "volume_1m") < 0.5


def test_news_jump_moves_the_price_one_to_two_percent_at_its_offset_then_vol_and_volume_burst() -> None:
    jumps, vol_ratios, volume_ratios = [], [], []
    for seed in range(10):
        m = market("news_jump", seed)
        fairs, volume = [m.fair], {}
        for second in range(1, 1201):
            trades = m.advance_to(START + second)
            fairs.append(m.fair)
            volume[second] = sum(t.qty for t in trades)
        steps = np.diff(np.log(fairs))  # steps[s - 1] is the return of second s
        jumps.append(steps[899])
        vol_ratios.append(np.std(steps[900:1200]) / np.std(steps[:600]))
        after, before = sum(volume[s] for s in range(901, 1201)), sum(volume[s] for s in range(301, 601))
        volume_ratios.append(after / before)

    assert all(0.0095 < abs(j) < 0.0205 for j in jumps)
    assert min(jumps) < 0 < max(jumps)  # up or down with equal odds: no direction to bet on
    assert min(vol_ratios) > 2.0
    assert min(volume_ratios) > 2.5


def test_funding_event_reaches_the_extreme_while_open_interest_falls_and_the_price_drifts_down() -> None:
    at_start, at_funding, oi_changes, moves = [], [], [], []
    for seed in range(60):
        m = market("funding_event", seed)
        at_start.append(m.snapshot().funding_rate)
        m.advance_to(START + 900)
        before = m.fair
        m.advance_to(START + 1200)
        at_funding.append(m.snapshot().funding_rate)
        m.advance_to(START + 2700)
        oi_changes.append(m.snapshot().oi_change_1h)
        moves.append(math.log(m.fair / before))
    mean_move, se = mean_and_se(moves)

    assert min(at_start) > 0.0005  # the adaptive policy's "funding high" already at the start
    assert statistics.fmean(at_funding) == pytest.approx(0.0008, abs=0.00005)
    assert statistics.fmean(oi_changes) < -0.015
    assert mean_move < -2.5 * se
    assert mean_move == pytest.approx(-0.0037, abs=3.5 * se)


def test_seasonality_volume_follows_the_sessions_and_vwap_learns_it_from_the_history() -> None:
    by_hour = np.zeros(24)
    for seed in range(3):
        for ts, volume in market("seasonality", seed).hourly_volumes(72):
            by_hour[int(ts // HOUR) % 24] += volume
    curve = VolumeCurve.from_hourly_volumes(market("seasonality", 9).hourly_volumes(48))

    assert np.corrcoef(by_hour, SESSION_VOLUME)[0, 1] > 0.97
    assert by_hour[14] / by_hour[5] > 2.2
    assert int(np.argmax(curve.weights)) in (13, 14, 15, 16)
    assert curve.weights[14] > 2 * curve.weights[5]


def test_seasonality_quotes_wider_and_thinner_in_the_quiet_hours() -> None:
    def session(hour: int) -> list[MarketSnapshot]:
        start = START + hour * HOUR
        return [s for seed in range(4) for s in sample("seasonality", seed, range(0, 1800, 60), start)]

    quiet, busy = session(5), session(14)

    assert statistics.fmean(s.extra["spread_ticks"] for s in quiet) > 1.3 * statistics.fmean(
        s.extra["spread_ticks"] for s in busy)
    assert statistics.fmean(s.bid_depth for s in quiet) < 0.8 * statistics.fmean(s.bid_depth for s in busy)
