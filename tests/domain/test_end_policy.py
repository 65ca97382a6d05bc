"""The end-time policy's rules: when the order stops, and what the strategy's decision becomes near and past
the deadline."""

from __future__ import annotations

import pytest

from execdesk.domain.end_policy import (
    DEFAULT_END_POLICY,
    EndPolicy,
    continue_slice,
    end_policy_input,
    end_shaped,
    unattended_stop_at,
    work_ends_at,
)
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.states import ParentStatus, check_transition
from execdesk.domain.strategies.base import Slice, StepInput
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy

T0, HORIZON, INTERVAL = 1_000_000.0, 600.0, 60.0


def progress(now: float, executed: float = 0.0, quantity: float = 1.2) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=quantity, executed=executed,
                         decision_price=65_000.0, started_at=T0, deadline=T0 + HORIZON, now=now)


def _snapshot(now: float) -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=now, mid=65_000.0, best_bid=64_999.0, best_ask=65_001.0,
                          bids=(Level(64_999.0, 5.0),), asks=(Level(65_001.0, 5.0),), volume_1m=10.0,
                          volume_1h=600.0, volatility_1h=0.005)


def shaped(policy: EndPolicy, now: float, executed: float = 0.0):
    twap = build_strategy("twap", StrategyInputs(horizon_s=HORIZON, interval_s=INTERVAL))
    p = progress(now, executed)
    decision = twap.decide(StepInput(progress=p, market=_snapshot(now), interval_s=INTERVAL))
    return decision, end_shaped(decision, policy=policy, progress=p, interval_s=INTERVAL, strategy=twap)


def test_finish_is_the_default_and_names_are_checked():
    assert DEFAULT_END_POLICY is EndPolicy.FINISH and end_policy_input(None) is EndPolicy.FINISH
    assert end_policy_input(" Expire ") is EndPolicy.EXPIRE
    with pytest.raises(ValueError, match="unknown end policy 'later'; valid: finish, expire, continue"):
        end_policy_input("later")


def test_each_policy_ends_at_its_own_time():
    assert work_ends_at(EndPolicy.EXPIRE, deadline=100.0, interval_s=15.0) == 100.0
    assert work_ends_at(EndPolicy.FINISH, deadline=100.0, interval_s=15.0) == 115.0
    assert work_ends_at(EndPolicy.CONTINUE, deadline=100.0, interval_s=15.0) is None
    assert unattended_stop_at(EndPolicy.CONTINUE, deadline=100.0, interval_s=15.0, horizon_s=80.0) == 180.0


def test_before_the_last_interval_every_policy_leaves_the_strategy_alone():
    for policy in EndPolicy:
        raw, out = shaped(policy, T0 + 120.0)
        assert out == raw


def test_finish_crosses_the_whole_remainder_in_the_last_interval_and_past_the_deadline():
    for now in (T0 + HORIZON - INTERVAL + 1, T0 + HORIZON + 10):
        _, out = shaped(EndPolicy.FINISH, now, executed=0.3)
        assert out.action is Action.AGGRESSIVE and out.quantity == pytest.approx(0.9)
        assert "end policy finish" in out.reason


def test_expire_sends_nothing_past_the_deadline():
    _, out = shaped(EndPolicy.EXPIRE, T0 + HORIZON + 1, executed=0.3)
    assert out.action is Action.WAIT and out.quantity == 0 and "expire" in out.reason


def test_continue_sends_one_last_rate_slice_per_step_past_the_deadline():
    raw, out = shaped(EndPolicy.CONTINUE, T0 + HORIZON + 300, executed=0.3)
    assert raw.quantity == pytest.approx(0.9)  # TWAP alone would sweep the lot
    assert out.action is Action.AGGRESSIVE and out.quantity == pytest.approx(0.12)
    assert "end policy continue" in out.reason


def test_the_continue_rate_is_never_below_the_average_rate():
    front_loaded = [Slice(0.0, 0.9), Slice(60.0, 0.09), Slice(120.0, 0.01)]
    assert continue_slice(front_loaded, quantity=1.0, horizon_s=180.0, interval_s=60.0) == pytest.approx(1 / 3)
    back_loaded = [Slice(0.0, 0.1), Slice(60.0, 0.2), Slice(120.0, 0.7)]
    assert continue_slice(back_loaded, quantity=1.0, horizon_s=180.0, interval_s=60.0) == pytest.approx(0.7)


def test_expired_is_terminal_and_reached_only_from_working_states():
    assert ParentStatus.EXPIRED.is_terminal
    for state in (ParentStatus.ACTIVE, ParentStatus.EXECUTING, ParentStatus.FILLED, ParentStatus.ADJUSTING):
        assert check_transition(state, ParentStatus.EXPIRED) is ParentStatus.EXPIRED
    for state in (ParentStatus.INITIALIZED, ParentStatus.PAUSED, ParentStatus.HALTED, ParentStatus.COMPLETE):
        with pytest.raises(ValueError):
            check_transition(state, ParentStatus.EXPIRED)
