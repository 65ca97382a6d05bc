import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.pov import POVConfig, pov_expected_completion_s, pov_slice

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def _progress(executed: float, now: float, qty: float = 1.0, horizon: float = 600.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=START, deadline=START + horizon, now=now)


def _share(ours: float, market: float) -> float:
    return ours / (ours + market)  # the risk gate's participation convention


def test_slice_makes_our_share_of_the_volume_the_target_rate():
    # the market printed 9 while we waited: trading 1 makes us 10 % of the 10 traded
    q = pov_slice(_progress(0.0, START + 60, qty=5.0), POVConfig(target_rate=0.10), market_volume_since_last=9.0)
    assert q == pytest.approx(1.0)
    assert _share(q, 9.0) == pytest.approx(0.10)


def test_a_lower_rate_trades_less_than_the_naive_rate_times_volume():
    q = pov_slice(_progress(0.0, START + 60, qty=5.0), POVConfig(target_rate=0.05), market_volume_since_last=19.0)
    assert q == pytest.approx(1.0)  # 5 % of 20, not 5 % of 19


def test_nothing_trades_while_the_market_is_silent():
    assert pov_slice(_progress(0.0, START + 60), POVConfig(target_rate=0.10), market_volume_since_last=0.0) == 0.0


def test_slice_never_exceeds_the_remaining_quantity():
    q = pov_slice(_progress(0.9, START + 60), POVConfig(target_rate=0.10), market_volume_since_last=900.0)
    assert q == pytest.approx(0.1)


def test_dust_below_the_minimum_slice_waits_for_more_volume():
    cfg = POVConfig(target_rate=0.10, min_slice=0.01)
    assert pov_slice(_progress(0.0, START + 5), cfg, market_volume_since_last=0.045) == 0.0
    # the volume measured from our last child order has grown: now the slice is worth sending
    assert pov_slice(_progress(0.0, START + 10), cfg, market_volume_since_last=0.09) == pytest.approx(0.01)


def test_the_last_piece_goes_even_below_the_minimum_slice():
    cfg = POVConfig(target_rate=0.10, min_slice=0.01)
    assert pov_slice(_progress(0.996, START + 60), cfg, market_volume_since_last=9.0) == pytest.approx(0.004)


def test_past_the_deadline_it_speeds_up_to_the_cap_but_never_dumps_the_remainder():
    cfg = POVConfig(target_rate=0.05, max_participation=0.20)
    late = _progress(0.2, START + 601)
    q = pov_slice(late, cfg, market_volume_since_last=2.0)
    assert q == pytest.approx(0.5)  # 20 % of the 2.5 traded, far less than the 0.8 remaining
    assert _share(q, 2.0) <= 0.20
    assert pov_slice(late, cfg, market_volume_since_last=0.0) == 0.0


def test_slice_is_zero_before_the_start_and_once_done():
    cfg = POVConfig(target_rate=0.10)
    assert pov_slice(_progress(0.0, START - 1), cfg, market_volume_since_last=9.0) == 0.0
    assert pov_slice(_progress(1.0, START + 60), cfg, market_volume_since_last=9.0) == 0.0


def test_a_slice_at_the_cap_passes_the_risk_gates_participation_check_to_the_bit():
    # for these volumes the naive q = 0.1 / 0.9 × volume rounds so that q / (q + volume) comes out a
    # hair above 0.1, which the risk gate's strict comparison would refuse
    cfg = POVConfig(target_rate=0.10, max_participation=0.10)
    for volume in (0.07, 0.14, 0.28, 0.35, 0.47):
        naive = 0.1 / 0.9 * volume
        assert _share(naive, volume) > 0.10
        q = pov_slice(_progress(0.0, START + 60, qty=1e6), cfg, market_volume_since_last=volume)
        assert q > 0
        assert _share(q, volume) <= 0.10


def test_full_participation_is_allowed_and_is_bounded_by_what_remains():
    cfg = POVConfig(target_rate=1.0, max_participation=1.0)
    assert pov_slice(_progress(0.25, START + 60), cfg, market_volume_since_last=1.0) == 0.75
    assert pov_slice(_progress(0.25, START + 60), cfg, market_volume_since_last=0.0) == 0.0


def test_expected_completion_at_a_rate():
    # 10 % of the volume while the market prints 0.9 a second: we trade 0.1 a second
    assert pov_expected_completion_s(1.0, 0.10, 0.9) == pytest.approx(10.0)
    assert pov_expected_completion_s(0.0, 0.10, 0.9) == 0.0
    assert pov_expected_completion_s(1.0, 0.10, 0.0) == math.inf
    assert pov_expected_completion_s(1.0, 1.0, 0.9) == 0.0


def test_expected_completion_tells_when_pov_will_miss_the_deadline():
    progress = _progress(0.0, START, qty=10.0, horizon=600.0)
    needed = pov_expected_completion_s(progress.remaining, 0.10, market_volume_per_s=0.009)
    assert needed == pytest.approx(10_000.0)
    assert needed > progress.time_left


# --- bad inputs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"target_rate": 0.0}, "target_rate must be within (0, 1], got 0.0"),
    ({"target_rate": -0.1}, "target_rate must be within (0, 1], got -0.1"),
    ({"target_rate": math.nan}, "target_rate must be within (0, 1], got nan"),
    ({"target_rate": 0.05, "max_participation": 1.5}, "max_participation must be within (0, 1], got 1.5"),
    ({"target_rate": 0.05, "max_participation": 0.0}, "max_participation must be within (0, 1], got 0.0"),
    ({"target_rate": 0.2}, "target_rate must not exceed max_participation, got target_rate=0.2 > max_participation=0.1"),
    ({"target_rate": 0.05, "min_slice": -1.0}, "min_slice must be non-negative and finite, got -1.0"),
])
def test_bad_config_is_refused_naming_the_parameter_and_value(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        POVConfig(**kwargs)


@pytest.mark.parametrize("volume", [-1.0, math.nan, math.inf])
def test_bad_market_volume_is_refused_naming_the_parameter_and_value(volume):
    with pytest.raises(ValueError, match=re.escape(f"market_volume_since_last must be non-negative and finite, got {volume!r}")):
        pov_slice(_progress(0.0, START + 60), POVConfig(target_rate=0.1), market_volume_since_last=volume)


@pytest.mark.parametrize(("args", "message"), [
    ((-1.0, 0.1, 1.0), "remaining must be non-negative and finite, got -1.0"),
    ((1.0, 0.0, 1.0), "rate must be within (0, 1], got 0.0"),
    ((1.0, 1.1, 1.0), "rate must be within (0, 1], got 1.1"),
    ((1.0, 0.1, -2.0), "market_volume_per_s must be non-negative and finite, got -2.0"),
])
def test_bad_completion_inputs_are_refused_naming_the_parameter_and_value(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        pov_expected_completion_s(*args)


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def pov_configs(draw: st.DrawFn) -> POVConfig:
    cap = draw(st.floats(1e-4, 1.0))
    rate = draw(st.floats(1e-4, 1.0).map(lambda f: min(f, cap)))
    return POVConfig(target_rate=rate, max_participation=cap, min_slice=draw(st.floats(0.0, 1.0)))


volumes = st.one_of(st.just(0.0), st.floats(0.0, 1e7))


@settings(max_examples=500)
@given(cfg=pov_configs(), volume=volumes, qty=st.floats(1e-6, 1e6), executed_fraction=st.floats(0.0, 1.0),
       now_offset=st.floats(-60.0, 1200.0))
def test_pov_never_exceeds_the_participation_cap_nor_the_remaining_quantity(cfg, volume, qty, executed_fraction,
                                                                             now_offset):
    progress = _progress(qty * executed_fraction, START + now_offset, qty=qty)
    q = pov_slice(progress, cfg, market_volume_since_last=volume)
    assert 0.0 <= q <= progress.remaining
    if q > 0:
        assert _share(q, volume) <= cfg.max_participation
        if progress.time_left > 0:
            assert _share(q, volume) <= cfg.target_rate


@settings(max_examples=300)
@given(cfg=pov_configs(), qty=st.floats(1e-6, 1e6), v1=volumes, v2=volumes)
def test_more_market_volume_never_means_a_smaller_slice(cfg, qty, v1, v2):
    progress = _progress(0.0, START + 60, qty=qty)
    low, high = sorted((v1, v2))
    assert pov_slice(progress, cfg, low) <= pov_slice(progress, cfg, high)
