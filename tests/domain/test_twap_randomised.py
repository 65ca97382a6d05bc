import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.twap import TWAPConfig, TWAPStrategy, twap_plan, twap_slice, twap_target

START = 1_767_225_600.0

configs = st.builds(
    TWAPConfig,
    horizon_seconds=st.floats(min_value=1.0, max_value=86_400.0),
    interval_seconds=st.floats(min_value=1.0, max_value=3_600.0),
    randomise_size=st.floats(min_value=0.0, max_value=0.5),
    randomise_time=st.floats(min_value=0.0, max_value=0.5),
    seed=st.integers(min_value=0, max_value=2**32),
).filter(lambda c: c.n_slices <= 500)
totals = st.floats(min_value=0.0, max_value=1e6, allow_subnormal=False)


def _progress(executed: float, now: float, qty: float = 1.0, horizon: float = 600.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=START, deadline=START + horizon, now=now)


@settings(max_examples=300, deadline=None)
@given(config=configs, total=totals)
def test_a_randomised_plan_sums_exactly_to_the_total_with_no_negative_slice(config, total):
    plan = twap_plan(total, config)
    assert len(plan) == config.n_slices
    assert sum(s.quantity for s in plan) == total
    assert all(s.quantity >= 0 for s in plan)


@settings(max_examples=300, deadline=None)
@given(config=configs, total=totals)
def test_every_slice_time_stays_inside_its_interval_and_before_the_deadline(config, total):
    dt = config.interval_seconds
    for i, s in enumerate(twap_plan(total, config)):
        assert i * dt <= s.offset_seconds < min((i + 1) * dt, config.horizon_seconds) + 1e-9 * dt
        assert s.offset_seconds < config.horizon_seconds


@settings(max_examples=100, deadline=None)
@given(config=configs, total=totals)
def test_the_same_seed_gives_the_same_plan(config, total):
    again = TWAPConfig(config.horizon_seconds, config.interval_seconds, config.randomise_size,
                       config.randomise_time, config.seed)
    assert twap_plan(total, config) == twap_plan(total, again)


def test_different_seeds_give_different_plans():
    a = twap_plan(1.0, TWAPConfig(600, 60, randomise_size=0.3, randomise_time=0.3, seed=1))
    b = twap_plan(1.0, TWAPConfig(600, 60, randomise_size=0.3, randomise_time=0.3, seed=2))
    assert [s.quantity for s in a] != [s.quantity for s in b]
    assert [s.offset_seconds for s in a] != [s.offset_seconds for s in b]


def test_size_jitter_moves_slices_away_from_even_within_the_bound():
    plan = twap_plan(1.0, TWAPConfig(600, 60, randomise_size=0.4, seed=7))
    sizes = [s.quantity for s in plan]
    assert max(sizes) - min(sizes) > 0.01  # visibly uneven
    # weights within 1 ± 0.4, normalised: a slice is between 0.6 / 1.4 and 1.4 / 0.6 of the even one
    assert all(0.1 * 0.6 / 1.4 <= q <= 0.1 * 1.4 / 0.6 for q in sizes)
    assert [s.offset_seconds for s in plan] == [i * 60 for i in range(10)]  # timing untouched


def test_time_jitter_delays_slices_by_at_most_the_fraction_of_an_interval():
    plan = twap_plan(1.0, TWAPConfig(600, 60, randomise_time=0.25, seed=3))
    delays = [s.offset_seconds - i * 60 for i, s in enumerate(plan)]
    assert all(0 <= d < 15 for d in delays) and any(d > 0 for d in delays)
    assert {round(s.quantity, 12) for s in plan} == {0.1}  # sizes untouched


def test_a_slice_in_a_short_last_interval_is_delayed_within_that_interval_only():
    config = TWAPConfig(250, 60, randomise_time=0.5, seed=11)
    last = twap_plan(1.0, config)[-1]
    assert 240 <= last.offset_seconds < 240 + 0.5 * 10


def test_target_and_slice_follow_the_randomised_plan_and_never_exceed_what_remains():
    config = TWAPConfig(600, 60, randomise_size=0.5, randomise_time=0.5, seed=5)
    plan = twap_plan(1.0, config)
    third = plan[2]
    assert twap_target(1.0, config, third.offset_seconds) == pytest.approx(sum(s.quantity for s in plan[:3]))
    assert twap_target(1.0, config, third.offset_seconds - 1e-6) == pytest.approx(sum(s.quantity for s in plan[:2]))
    assert twap_slice(_progress(0.97, START + 599), config) == pytest.approx(0.03)
    assert twap_slice(_progress(0.0, START + 600), config) == 1.0


@settings(max_examples=200, deadline=None)
@given(config=configs, total=st.floats(min_value=1e-6, max_value=1e6),
       elapsed=st.floats(min_value=-10.0, max_value=90_000.0))
def test_the_strategy_target_is_the_plan_target_at_any_time(config, total, elapsed):
    strategy = TWAPStrategy(config)
    progress = OrderProgress(symbol="BTCUSDT", side=Side.SELL, quantity=total, executed=0.0, decision_price=1.0,
                             started_at=START, deadline=START + config.horizon_seconds, now=START + elapsed)
    assert strategy.target(progress) == twap_target(total, config, (START + elapsed) - START)


@pytest.mark.parametrize("field, value", [("randomise_size", 0.6), ("randomise_time", -0.1),
                                          ("randomise_size", math.nan)])
def test_jitter_fractions_outside_zero_to_a_half_are_refused_with_the_value(field, value):
    with pytest.raises(ValueError, match=f"{field} must be within \\[0, 0.5\\], got {value!r}"):
        TWAPConfig(600, 60, **{field: value})


def test_a_non_integer_seed_or_an_infinite_horizon_is_refused():
    with pytest.raises(ValueError, match="seed must be an integer, got 1.5"):
        TWAPConfig(600, 60, seed=1.5)
    with pytest.raises(ValueError, match="horizon must be finite, got inf s"):
        TWAPConfig(math.inf, 60)
