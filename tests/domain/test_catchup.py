"""Catch-up control: however far behind, a step sends at most K × the scheduled slice (never below the
instrument's minimum order), and its reasoning says how far behind the order is."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.catchup import (
    DEFAULT_MAX_CATCHUP,
    catchup_capped,
    max_catchup_input,
    scheduled_slice,
)
from execdesk.domain.end_policy import EndPolicy
from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.order_terms import order_terms_shaped, smallest_order
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.registry import STRATEGY_NAMES, StrategyInputs, build_strategy

T0, HORIZON, INTERVAL = 1_000_000.0, 600.0, 60.0
INPUTS = StrategyInputs(horizon_s=HORIZON, interval_s=INTERVAL, sigma=0.5, eta=0.05, gamma=0.001)


def _market(now: float, volume_1m: float = 60.0) -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=now, mid=65_001.0, best_bid=65_000.0, best_ask=65_002.0,
                          bids=(Level(65_000.0, 5.0),), asks=(Level(65_002.0, 5.0),), volume_1m=volume_1m,
                          volume_1h=3600.0, volatility_1h=0.005)


def _progress(elapsed: float, executed: float, quantity: float = 1.2) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=quantity, executed=executed,
                         decision_price=65_000.0, started_at=T0, deadline=T0 + HORIZON, now=T0 + elapsed)


def _decide(name: str, progress: OrderProgress, k: float = DEFAULT_MAX_CATCHUP, policy=EndPolicy.EXPIRE):
    strategy = build_strategy(name, INPUTS)
    market = _market(progress.now)
    raw = strategy.decide(StepInput(progress=progress, market=market, interval_s=INTERVAL,
                                    market_volume_since_last=30.0))
    shaped = order_terms_shaped(raw, strategy=strategy, progress=progress, interval_s=INTERVAL, end_policy=policy,
                                max_catchup=k, instrument=BTCUSDT, market=market)
    return strategy, raw, shaped


def test_max_catchup_is_checked_by_name():
    assert max_catchup_input(None) == 2.0 and max_catchup_input("3.5") == 3.5
    for bad in ("0.5", "nan", "x", 101, True):
        with pytest.raises(ValueError, match="max_catchup must be a number from 1 to 100"):
            max_catchup_input(bad)


def test_twap_six_slices_behind_sends_two_and_says_how_far_behind_it_is():
    _, raw, out = _decide("twap", _progress(elapsed=5 * INTERVAL + 1, executed=0.0))
    assert raw.quantity == pytest.approx(0.72)  # the whole backlog: six slices of 0.12
    assert out.quantity == pytest.approx(0.24)
    assert "Behind schedule by 0.72 (6.0 scheduled slices of 0.12, 60.0 % of the order)" in out.reason
    assert "Catch-up capped at 2× the scheduled slice: 0.24 instead of 0.72" in out.reason


def test_an_order_on_schedule_is_left_alone():
    _, raw, out = _decide("twap", _progress(elapsed=5 * INTERVAL + 1, executed=0.6))
    assert out == raw


def test_k_of_one_sends_no_more_than_the_slice_due():
    _, _, out = _decide("twap", _progress(elapsed=5 * INTERVAL + 1, executed=0.0), k=1.0)
    assert out.quantity == pytest.approx(0.12)


def test_the_cap_never_falls_below_the_instruments_minimum_order():
    progress = _progress(elapsed=5 * INTERVAL + 1, executed=0.0, quantity=0.004)  # slices of 0.0004 < 0.001
    strategy, raw, out = _decide("twap", progress)
    assert scheduled_slice(strategy, progress) < float(BTCUSDT.min_qty)
    assert out.quantity == pytest.approx(max(float(BTCUSDT.min_qty), smallest_order(BTCUSDT, _market(0), Side.BUY)))


def test_pov_follows_the_volume_not_a_schedule():
    strategy = build_strategy("pov", INPUTS)
    progress = _progress(elapsed=5 * INTERVAL + 1, executed=0.0)
    raw = strategy.decide(StepInput(progress=progress, market=_market(progress.now), interval_s=INTERVAL,
                                    market_volume_since_last=30.0))
    assert catchup_capped(raw, strategy=strategy, progress=progress, max_catchup=1.0) == raw


def test_finish_lifts_the_cap_in_the_last_interval_for_the_risk_gate_to_cap():
    _, _, out = _decide("twap", _progress(elapsed=HORIZON - 10, executed=0.0), policy=EndPolicy.FINISH)
    assert out.quantity == pytest.approx(1.2)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from([n for n in STRATEGY_NAMES if n != "pov"]),
       elapsed=st.floats(min_value=0.0, max_value=HORIZON - INTERVAL - 1e-3),
       done=st.floats(min_value=0.0, max_value=1.0), k=st.floats(min_value=1.0, max_value=10.0))
def test_no_step_ever_sends_more_than_its_cap_before_the_deadline(name, elapsed, done, k):
    progress = _progress(elapsed=elapsed, executed=round(1.2 * done, 3))
    strategy, _, out = _decide(name, progress, k=k)
    cap = max(k * scheduled_slice(strategy, progress), smallest_order(BTCUSDT, _market(0), Side.BUY))
    assert out.quantity <= cap * (1 + 1e-9)
