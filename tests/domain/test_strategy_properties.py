"""Properties every strategy holds, over random orders, markets and model inputs (hypothesis)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.registry import STRATEGY_NAMES, StrategyInputs, build_strategy
from execdesk.domain.strategies.vwap import VolumeCurve

START = 1_767_592_800.0


def _close(value: float):
    return pytest.approx(value, rel=1e-9, abs=1e-12)


@st.composite
def strategy_inputs(draw):
    horizon = draw(st.floats(min_value=10.0, max_value=6 * 3600.0))
    interval = draw(st.floats(min_value=1.0, max_value=horizon))
    if horizon / interval > 400:
        interval = horizon / 400
    eta = draw(st.floats(min_value=1e-4, max_value=10.0))
    tau = horizon / max(1, math.ceil(horizon / interval - 1e-9))
    curve = draw(st.none() | st.lists(st.floats(min_value=0.0, max_value=10.0), min_size=24, max_size=24)
                 .filter(lambda w: sum(w) > 0).map(lambda w: VolumeCurve(tuple(w))))
    return StrategyInputs(
        horizon_s=horizon, interval_s=interval, volume_curve=curve,
        sigma=draw(st.floats(min_value=0.0, max_value=50.0)), eta=eta,
        gamma=draw(st.floats(min_value=0.0, max_value=0.99)) * 2 * eta / tau,
        epsilon=draw(st.floats(min_value=0.0, max_value=10.0)),
        risk_aversion=draw(st.none() | st.floats(min_value=0.0, max_value=1.0)),
        pov_rate=draw(st.floats(min_value=0.001, max_value=1.0)),
        randomise=draw(st.floats(min_value=0.0, max_value=0.5)),
        seed=draw(st.integers(min_value=0, max_value=10_000)),
    )


@st.composite
def markets(draw, now: float):
    mid = draw(st.floats(min_value=1.0, max_value=200_000.0))
    half = mid * draw(st.floats(min_value=0.0, max_value=0.01))
    depth = st.floats(min_value=0.0, max_value=100.0)
    trades = draw(st.lists(st.floats(min_value=0.95, max_value=1.05), max_size=10))
    return MarketSnapshot(
        symbol="BTCUSDT", ts=now, mid=mid, best_bid=mid - half, best_ask=mid + half,
        bids=tuple(Level(mid - half, draw(depth)) for _ in range(5)),
        asks=tuple(Level(mid + half, draw(depth)) for _ in range(5)),
        last_trades=tuple(Trade(now, mid * r, 0.1, "buy") for r in trades),
        volume_1m=draw(st.floats(min_value=0.0, max_value=1_000.0)),
        volatility_1h=draw(st.floats(min_value=0.0, max_value=0.1)),
        funding_rate=draw(st.floats(min_value=-0.002, max_value=0.002)),
        oi_change_1h=draw(st.floats(min_value=-0.1, max_value=0.1)),
    )


@st.composite
def steps(draw, inputs: StrategyInputs):
    quantity = draw(st.floats(min_value=0.0, max_value=1_000.0))
    executed = quantity * draw(st.floats(min_value=0.0, max_value=1.05))
    now = START + inputs.horizon_s * draw(st.floats(min_value=-0.1, max_value=1.3))
    progress = OrderProgress(symbol="BTCUSDT", side=draw(st.sampled_from(Side)), quantity=quantity,
                             executed=executed, decision_price=draw(st.floats(min_value=1.0, max_value=200_000.0)),
                             started_at=START, deadline=START + inputs.horizon_s, now=now)
    return StepInput(progress=progress, market=draw(markets(now)), interval_s=inputs.interval_s,
                     market_volume_since_last=draw(st.floats(min_value=0.0, max_value=1_000.0)),
                     max_participation=draw(st.floats(min_value=0.01, max_value=1.0)))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(STRATEGY_NAMES), inputs=strategy_inputs(),
       total=st.floats(min_value=1e-3, max_value=1e6))
def test_every_schedule_sums_to_the_total_and_is_complete_by_the_deadline(name, inputs, total):
    strategy = build_strategy(name, inputs)
    schedule = strategy.schedule(total, START)
    assert math.fsum(s.quantity for s in schedule) == _close(total)
    assert all(s.quantity >= 0 for s in schedule)
    assert all(0 <= s.offset_seconds < inputs.horizon_s for s in schedule)
    at_deadline = OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=total, executed=0.0, decision_price=1.0,
                                started_at=START, deadline=START + inputs.horizon_s, now=START + inputs.horizon_s)
    assert strategy.target(at_deadline) == _close(total)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), name=st.sampled_from(STRATEGY_NAMES), inputs=strategy_inputs())
def test_decide_never_returns_a_negative_quantity_nor_more_than_remains(data, name, inputs):
    step = data.draw(steps(inputs))
    decision = build_strategy(name, inputs).decide(step)
    assert 0 <= decision.quantity <= step.progress.remaining
    assert (decision.action is Action.WAIT) == (decision.quantity == 0)
    assert decision.action is not Action.CANCEL
    assert decision.reason


@settings(max_examples=300, deadline=None)
@given(data=st.data(), inputs=strategy_inputs())
def test_pov_never_exceeds_the_participation_cap_of_the_volume_since_its_last_order(data, inputs):
    step = data.draw(steps(inputs))
    q = build_strategy("pov", inputs).decide(step).quantity
    volume = step.market_volume_since_last
    assert q == 0 or q / (q + volume) <= step.max_participation


@settings(max_examples=300, deadline=None)
@given(data=st.data(), inputs=strategy_inputs())
def test_adaptive_respects_the_participation_cap_outside_the_final_interval(data, inputs):
    step = data.draw(steps(inputs))
    decision = build_strategy("adaptive", inputs).decide(step)
    expected = step.market.volume_1m / 60.0 * step.interval_s  # the risk gate's forecast of one interval
    if step.progress.time_left > step.interval_s:
        assert decision.quantity == 0 or decision.quantity / (decision.quantity + expected) <= step.max_participation
    elif step.progress.remaining > 0 and step.progress.now >= step.progress.started_at:
        assert (decision.action, decision.quantity) == (Action.AGGRESSIVE, step.progress.remaining)
