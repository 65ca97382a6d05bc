import math

import pytest

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.pov import POVConfig, pov_slice
from execdesk.domain.strategies.registry import STRATEGY_NAMES, StrategyInputs, build_strategy
from execdesk.domain.strategies.twap import TWAPConfig, twap_plan
from execdesk.domain.strategies.vwap import VolumeCurve, VWAPConfig, vwap_plan, vwap_slice, vwap_target

START = 1_767_592_800.0  # Monday 06:00 UTC
IS_MODEL = dict(sigma=0.5, eta=0.5, gamma=1e-4)


def _progress(executed: float = 0.0, now: float = START + 65, qty: float = 1.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=START, deadline=START + 600, now=now)


def _step(progress: OrderProgress, since_last: float = 0.0, cap: float = 0.10) -> StepInput:
    market = MarketSnapshot(symbol="BTCUSDT", ts=progress.now, mid=65000.05, best_bid=65000.0, best_ask=65000.1,
                            bids=(Level(65000.0, 2.0),), asks=(Level(65000.1, 2.0),), volume_1m=60.0)
    return StepInput(progress=progress, market=market, interval_s=60.0, market_volume_since_last=since_last,
                     max_participation=cap)


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_every_listed_name_builds_a_strategy_of_that_name(name):
    strategy = build_strategy(name, StrategyInputs(horizon_s=600, interval_s=60, **IS_MODEL))
    assert strategy.name == name


def test_an_unknown_name_is_refused_naming_it_and_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown strategy 'twapp'; valid: twap, vwap, is, pov, adaptive"):
        build_strategy("twapp", StrategyInputs(horizon_s=600, interval_s=60))


def test_is_without_its_model_says_what_is_missing():
    with pytest.raises(ValueError, match=r"strategy 'is' needs .*sigma, eta and gamma; missing: sigma, gamma"):
        build_strategy("is", StrategyInputs(horizon_s=600, interval_s=60, eta=0.5))


def test_vwap_wraps_the_vwap_functions_unchanged():
    curve = VolumeCurve(tuple(float(h + 1) for h in range(24)))
    strategy = build_strategy("vwap", StrategyInputs(horizon_s=600, interval_s=60, volume_curve=curve))
    config = VWAPConfig(600, 60, curve)
    progress = _progress(executed=0.05)
    assert strategy.schedule(1.0, START) == vwap_plan(1.0, config, START)
    assert strategy.target(progress) == vwap_target(1.0, config, START, progress.now)
    decision = strategy.decide(_step(progress))
    assert (decision.action, decision.quantity) == (Action.AGGRESSIVE, vwap_slice(progress, config))


def test_pov_trades_its_rate_of_the_volume_since_the_last_order_and_never_above_the_cap():
    strategy = build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60, pov_rate=0.05))
    progress = _progress()
    decision = strategy.decide(_step(progress, since_last=19.0))
    assert decision.quantity == pytest.approx(1.0 * 0.05 / 0.95 * 19.0)
    assert decision.quantity == pov_slice(progress, POVConfig(target_rate=0.05), 19.0)
    assert "5 % of the volume" in decision.reason
    # a tighter cap from the risk gate wins over the configured rate
    capped = strategy.decide(_step(progress, since_last=19.0, cap=0.02))
    assert capped.quantity / (capped.quantity + 19.0) <= 0.02
    silent = strategy.decide(_step(progress, since_last=0.0))
    assert (silent.action, silent.quantity) == (Action.WAIT, 0.0)


def test_pov_reports_the_volume_curve_as_its_reference_schedule():
    strategy = build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60))
    assert strategy.schedule(2.0, START) == vwap_plan(2.0, VWAPConfig(600, 60, VolumeCurve.flat()), START)


def test_twap_and_adaptive_share_the_seeded_randomised_schedule():
    inputs = StrategyInputs(horizon_s=600, interval_s=60, randomise=0.3, seed=42)
    expected = twap_plan(1.0, TWAPConfig(600, 60, randomise_size=0.3, randomise_time=0.3, seed=42))
    assert build_strategy("twap", inputs).schedule(1.0, START) == expected
    assert build_strategy("adaptive", inputs).schedule(1.0, START) == expected


@pytest.mark.parametrize("field, value, message", [
    ("horizon_s", 0.0, "horizon_s must be positive and finite, got 0.0"),
    ("interval_s", math.nan, "interval_s must be positive and finite, got nan"),
    ("randomise", 0.7, r"randomise must be within \[0, 0.5\], got 0.7"),
    ("pov_rate", 0.0, r"pov_rate must be within \(0, 1\], got 0.0"),
    ("sigma", -0.1, "sigma must be non-negative and finite, got -0.1"),
])
def test_bad_inputs_are_refused_naming_the_field_and_value(field, value, message):
    kwargs = {"horizon_s": 600.0, "interval_s": 60.0, field: value}
    with pytest.raises(ValueError, match=message):
        StrategyInputs(**kwargs)
