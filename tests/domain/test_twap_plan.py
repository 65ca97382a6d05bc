import pytest

from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.twap import TWAPConfig, twap_plan, twap_slice, twap_target


def _progress(executed: float, now: float, qty: float = 1.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=1000.0, deadline=1600.0, now=now)


def test_plan_has_even_slices_that_sum_to_the_total():
    plan = twap_plan(1.0, TWAPConfig(horizon_seconds=600, interval_seconds=60))
    assert len(plan) == 10
    assert [s.offset_seconds for s in plan] == [i * 60 for i in range(10)]
    assert sum(s.quantity for s in plan) == pytest.approx(1.0, abs=1e-12)
    assert {round(s.quantity, 12) for s in plan} == {0.1}


def test_uneven_horizon_gets_a_final_partial_interval_slice():
    plan = twap_plan(0.7, TWAPConfig(horizon_seconds=250, interval_seconds=60))
    assert len(plan) == 5
    assert sum(s.quantity for s in plan) == pytest.approx(0.7)


def test_target_counts_slices_due_so_far():
    cfg = TWAPConfig(horizon_seconds=600, interval_seconds=60)
    assert twap_target(1.0, cfg, -1) == 0.0
    assert twap_target(1.0, cfg, 0) == pytest.approx(0.1)
    assert twap_target(1.0, cfg, 125) == pytest.approx(0.3)
    assert twap_target(1.0, cfg, 10_000) == pytest.approx(1.0)


def test_slice_catches_up_when_behind_and_is_zero_when_ahead():
    cfg = TWAPConfig(horizon_seconds=600, interval_seconds=60)
    assert twap_slice(_progress(0.0, 1125.0), cfg) == pytest.approx(0.3)
    assert twap_slice(_progress(0.5, 1125.0), cfg) == 0.0


def test_slice_never_exceeds_the_remaining_quantity_and_finishes_at_the_deadline():
    cfg = TWAPConfig(horizon_seconds=600, interval_seconds=60)
    assert twap_slice(_progress(0.95, 1590.0), cfg) == pytest.approx(0.05)
    assert twap_slice(_progress(0.2, 1700.0), cfg) == pytest.approx(0.8)


def test_bad_config_is_refused_with_the_value():
    with pytest.raises(ValueError, match="interval must be positive, got 0"):
        TWAPConfig(horizon_seconds=600, interval_seconds=0)
