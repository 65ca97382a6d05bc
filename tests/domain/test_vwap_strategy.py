import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.twap import TWAPConfig, twap_plan, twap_slice, twap_target
from execdesk.domain.strategies.vwap import (
    DAY,
    HOUR,
    VolumeCurve,
    VWAPConfig,
    vwap_plan,
    vwap_slice,
    vwap_target,
)

MIDNIGHT = 1_767_225_600.0  # 2026-01-01T00:00:00Z

# A hand-made profile in 256ths of a day, so every integral below is exact in binary floating point:
# a quiet 10:00, a busy 11:00, an afternoon peak, a quiet 23:00 before a busy midnight.
HAND_MADE = [8] * 24
HAND_MADE[0], HAND_MADE[10], HAND_MADE[11], HAND_MADE[23] = 16, 2, 32, 4
HAND_MADE[14] = HAND_MADE[15] = HAND_MADE[16] = 22
assert sum(HAND_MADE) == 256


def _curve() -> VolumeCurve:
    return VolumeCurve(tuple(float(w) for w in HAND_MADE))


def _at(hour: float, day: int = 0) -> float:
    return MIDNIGHT + day * DAY + hour * HOUR


def _progress(executed: float, now: float, started_at: float = MIDNIGHT, horizon: float = 600.0,
              qty: float = 1.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=started_at, deadline=started_at + horizon, now=now)


# --- the volume curve -------------------------------------------------------------------------------------


def test_curve_is_normalised_to_sum_one():
    curve = VolumeCurve(tuple(float(2 * w) for w in HAND_MADE))
    assert curve == _curve()
    assert math.fsum(curve.weights) == 1.0
    assert curve.weights[11] == 32 / 256


def test_flat_curve_weighs_every_hour_alike():
    assert VolumeCurve.flat().weights == (1 / 24,) * 24


def test_curve_from_hourly_volumes_averages_each_hour_of_day():
    # two days of Bybit-style 1-h klines (ts = the hour's start, in seconds); 14:00 is busy on day 1 only
    samples = [(_at(h, day), 100.0) for day in range(2) for h in range(24)]
    samples[14] = (_at(14), 500.0)
    curve = VolumeCurve.from_hourly_volumes(samples)
    # hour 14 averages (500 + 100) / 2 = 300 against 100 for the 23 other hours
    assert curve.weights[14] == pytest.approx(300 / (23 * 100 + 300))
    assert curve.weights[3] == pytest.approx(100 / (23 * 100 + 300))


def test_curve_files_samples_by_utc_hour_of_their_timestamp():
    # per-minute samples anywhere inside an hour count for that hour; a longer history of one hour
    # (three samples against one) does not make that hour heavier
    samples = [(_at(5) + 60 * m, 2.0) for m in range(3)] + [(_at(6, day=3) + 3599.0, 2.0)]
    samples += [(_at(h), 2.0) for h in range(24) if h not in (5, 6)]
    assert VolumeCurve.from_hourly_volumes(samples) == VolumeCurve.flat()


def test_hours_without_samples_get_the_average_of_the_hours_with_data():
    # only hours 0 and 1 observed (10 and 30): the 22 others are assumed ordinary hours of 20
    curve = VolumeCurve.from_hourly_volumes([(_at(0), 10.0), (_at(1), 30.0)])
    total = 10 + 30 + 22 * 20
    assert curve.weights[0] == pytest.approx(10 / total)
    assert curve.weights[1] == pytest.approx(30 / total)
    assert set(round(w, 12) for w in curve.weights[2:]) == {round(20 / total, 12)}


def test_an_hour_observed_with_zero_volume_keeps_a_zero_weight():
    # ... and counts in the average that fills the hours without data (0 and 30: an ordinary hour is 15)
    curve = VolumeCurve.from_hourly_volumes([(_at(0), 0.0), (_at(1), 30.0)])
    assert curve.weights[0] == 0.0
    assert curve.weights[1] == pytest.approx(2 * curve.weights[2])


@pytest.mark.parametrize(("samples", "message"), [
    ([], "samples must hold at least one (ts, volume) pair, got none"),
    ([(MIDNIGHT, -1.0)], "sample volume must be non-negative and finite, got -1.0"),
    ([(MIDNIGHT, math.nan)], "sample volume must be non-negative and finite, got nan"),
    ([(MIDNIGHT, math.inf)], "sample volume must be non-negative and finite, got inf"),
    ([(math.nan, 1.0)], "sample ts must be finite, got nan"),
    ([(MIDNIGHT, 0.0), (MIDNIGHT + HOUR, 0.0)], "samples must show some volume, got 2 samples all of volume 0"),
])
def test_curve_from_bad_history_is_refused_with_the_value(samples, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        VolumeCurve.from_hourly_volumes(samples)


@pytest.mark.parametrize(("weights", "message"), [
    ((1.0,) * 23, "weights must hold 24 hourly values, got 23"),
    ((1.0,) * 23 + (-0.5,), "weights[23] must be non-negative and finite, got -0.5"),
    ((math.nan,) + (1.0,) * 23, "weights[0] must be non-negative and finite, got nan"),
    ((0.0,) * 24, "weights must not all be zero, got sum 0.0"),
])
def test_bad_curve_is_refused_with_the_value(weights, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        VolumeCurve(weights)


# --- exact integration ------------------------------------------------------------------------------------


def test_integration_across_an_hour_boundary_is_exact():
    # 10:30 → 11:15: half of the quiet hour (2/256) plus a quarter of the busy one (32/256)
    assert _curve().weight_between(_at(10.5), _at(11.25)) == (0.5 * 2 + 0.25 * 32) / 256


def test_integration_wraps_at_midnight_exactly():
    # 23:30 → 00:30 next day: half of 23:00 (4/256) plus half of 00:00 (16/256)
    assert _curve().weight_between(_at(23.5), _at(0.5, day=1)) == (0.5 * 4 + 0.5 * 16) / 256


def test_integration_over_more_than_a_day_counts_whole_days_as_one():
    # 22:00 → 02:00 two days later: one whole day plus 22:00, 23:00, 00:00 and 01:00
    assert _curve().weight_between(_at(22), _at(2, day=2)) == 1 + (8 + 4 + 16 + 8) / 256
    assert _curve().weight_between(_at(7.25), _at(7.25, day=3)) == 3.0


def test_integration_is_zero_over_an_empty_or_reversed_span():
    assert _curve().weight_between(_at(3), _at(3)) == 0.0
    assert _curve().weight_between(_at(4), _at(3)) == 0.0


def test_target_follows_the_curve_across_midnight():
    # 2 h from 23:00: 4/256 of the day's volume before midnight, 16/256 after
    cfg = VWAPConfig(horizon_seconds=2 * HOUR, interval_seconds=15 * 60, curve=_curve())
    start = _at(23)
    assert vwap_target(1.0, cfg, start, _at(23.5)) == pytest.approx(2 / 20)
    assert vwap_target(1.0, cfg, start, _at(0, day=1)) == pytest.approx(4 / 20)
    assert vwap_target(1.0, cfg, start, _at(0.25, day=1)) == pytest.approx(8 / 20)


def test_target_is_zero_until_the_start_and_the_total_from_the_deadline():
    cfg = VWAPConfig(horizon_seconds=HOUR, interval_seconds=60, curve=_curve())
    start = _at(14.5)
    assert vwap_target(3.0, cfg, start, start - 1) == 0.0
    assert vwap_target(3.0, cfg, start, start) == 0.0
    assert vwap_target(3.0, cfg, start, start + HOUR) == 3.0
    assert vwap_target(3.0, cfg, start, start + 10 * HOUR) == 3.0


def test_a_horizon_the_curve_gives_no_volume_runs_linearly():
    weights = (0.0,) * 3 + (1.0,) * 21
    cfg = VWAPConfig(horizon_seconds=HOUR, interval_seconds=60, curve=VolumeCurve(weights))
    assert vwap_target(1.0, cfg, _at(1), _at(1.25)) == pytest.approx(0.25)


# --- the plan ---------------------------------------------------------------------------------------------


def test_plan_puts_more_in_the_busy_hour():
    # 10:30 → 11:30, 15-min slices: two slices of the quiet 10:00 hour, two of the busy 11:00 hour
    cfg = VWAPConfig(horizon_seconds=HOUR, interval_seconds=15 * 60, curve=_curve())
    plan = vwap_plan(1.0, cfg, _at(10.5))
    assert [s.offset_seconds for s in plan] == [0, 900, 1800, 2700]
    assert [s.quantity for s in plan] == pytest.approx([1 / 34, 1 / 34, 16 / 34, 16 / 34])
    assert sum(s.quantity for s in plan) == 1.0


def test_flat_curve_plan_is_the_twap_plan():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat())
    plan = vwap_plan(1.0, cfg, _at(13.9))  # across an hour boundary, which a flat curve does not notice
    twap = twap_plan(1.0, TWAPConfig(horizon_seconds=600, interval_seconds=60))
    assert [s.offset_seconds for s in plan] == [s.offset_seconds for s in twap]
    assert [s.quantity for s in plan] == pytest.approx([s.quantity for s in twap])


def test_flat_curve_target_is_twaps_linear_target():
    # TWAP's step target counts interval k's slice from the start of interval k (it is sent then);
    # the continuous VWAP target reaches the same quantity at the end of interval k.
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat())
    twap_cfg = TWAPConfig(horizon_seconds=600, interval_seconds=60)
    start = _at(23.95)  # across midnight
    for k in range(10):
        assert vwap_target(1.0, cfg, start, start + (k + 1) * 60) == pytest.approx(twap_target(1.0, twap_cfg, k * 60))
        assert vwap_target(1.0, cfg, start, start + k * 60 + 30) == pytest.approx((k + 0.5) / 10)


def test_uneven_horizon_gives_the_short_last_interval_its_share_of_volume():
    cfg = VWAPConfig(horizon_seconds=250, interval_seconds=60, curve=VolumeCurve.flat())
    plan = vwap_plan(1.0, cfg, MIDNIGHT)
    assert len(plan) == 5
    assert [s.quantity for s in plan] == pytest.approx([0.24, 0.24, 0.24, 0.24, 0.04])


# --- the slice --------------------------------------------------------------------------------------------


def test_slice_on_schedule_is_the_current_intervals_plan_slice():
    cfg = VWAPConfig(horizon_seconds=HOUR, interval_seconds=15 * 60, curve=_curve())
    start = _at(10.5)
    assert vwap_slice(_progress(0.0, start, start, HOUR), cfg) == pytest.approx(1 / 34)
    assert vwap_slice(_progress(2 / 34, start + 1800, start, HOUR), cfg) == pytest.approx(16 / 34)
    # polled again within the interval once the slice is done: nothing more
    assert vwap_slice(_progress(18 / 34, start + 1900, start, HOUR), cfg) == 0.0


def test_slice_recovers_the_whole_backlog_by_default():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat())
    # at 125 s slices 0, 1 (the backlog) and 2 (the current one) are due
    assert vwap_slice(_progress(0.0, MIDNIGHT + 125), cfg) == pytest.approx(0.3)


def test_slice_recovers_a_fraction_of_the_backlog_with_catch_up():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat(), catch_up=0.5)
    # the current slice (0.1) plus half of the 0.2 backlog
    assert vwap_slice(_progress(0.0, MIDNIGHT + 125), cfg) == pytest.approx(0.2)
    # on schedule catch_up changes nothing
    assert vwap_slice(_progress(0.2, MIDNIGHT + 125), cfg) == pytest.approx(0.1)


def test_slice_tops_up_a_partly_done_interval_within_the_tolerance():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat(), max_ahead_fraction=0.05)
    # 2 s into interval 3 the curve is at 0.3033; 0.33 done is 0.027 ahead: top the slice up to 0.4
    assert vwap_slice(_progress(0.33, MIDNIGHT + 182), cfg) == pytest.approx(0.07)


def test_slice_waits_when_ahead_of_the_curve_beyond_the_tolerance():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat(), max_ahead_fraction=0.05)
    # 0.37 done, the curve is at 0.3033: 0.067 ahead, although interval 3's plan would allow 0.03 more
    assert vwap_slice(_progress(0.37, MIDNIGHT + 182), cfg) == 0.0
    # the market's volume catches up (curve 0.33 at 198 s): the top-up goes
    assert vwap_slice(_progress(0.37, MIDNIGHT + 198), cfg) == pytest.approx(0.03)


def test_slice_never_exceeds_the_remaining_quantity_and_finishes_at_the_deadline():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=_curve(), catch_up=3.0)
    assert vwap_slice(_progress(0.95, MIDNIGHT + 590), cfg) == pytest.approx(0.05)
    assert vwap_slice(_progress(0.0, MIDNIGHT + 300), cfg) <= 1.0
    assert vwap_slice(_progress(0.2, MIDNIGHT + 600), cfg) == pytest.approx(0.8)
    assert vwap_slice(_progress(0.2, MIDNIGHT + 700), cfg) == pytest.approx(0.8)
    assert vwap_slice(_progress(1.0, MIDNIGHT + 700), cfg) == 0.0


def test_slice_is_zero_before_the_start():
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=_curve())
    assert vwap_slice(_progress(0.0, MIDNIGHT - 5), cfg) == 0.0


# --- bad inputs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"horizon_seconds": 0}, "horizon_seconds must be positive and finite, got 0"),
    ({"horizon_seconds": math.inf}, "horizon_seconds must be positive and finite, got inf"),
    ({"interval_seconds": -60}, "interval_seconds must be positive and finite, got -60"),
    ({"interval_seconds": math.nan}, "interval_seconds must be positive and finite, got nan"),
    ({"curve": (1.0,) * 24}, "curve must be a VolumeCurve, got (1.0"),
    ({"catch_up": 0.0}, "catch_up must be positive and finite, got 0.0"),
    ({"max_ahead_fraction": -0.1}, "max_ahead_fraction must be within [0, 1], got -0.1"),
    ({"max_ahead_fraction": 1.5}, "max_ahead_fraction must be within [0, 1], got 1.5"),
])
def test_bad_config_is_refused_naming_the_parameter_and_value(changes, message):
    kwargs = {"horizon_seconds": 600, "interval_seconds": 60, "curve": VolumeCurve.flat(), **changes}
    with pytest.raises(ValueError, match=re.escape(message)):
        VWAPConfig(**kwargs)


@pytest.mark.parametrize(("args", "message"), [
    ((-1.0, MIDNIGHT, MIDNIGHT), "total_quantity must be non-negative and finite, got -1.0"),
    ((1.0, math.nan, MIDNIGHT), "started_at must be finite, got nan"),
    ((1.0, MIDNIGHT, math.inf), "now must be finite, got inf"),
])
def test_bad_target_inputs_are_refused_naming_the_parameter_and_value(args, message):
    cfg = VWAPConfig(horizon_seconds=600, interval_seconds=60, curve=VolumeCurve.flat())
    total, started_at, now = args
    with pytest.raises(ValueError, match=re.escape(message)):
        vwap_target(total, cfg, started_at, now)


# --- properties -------------------------------------------------------------------------------------------

weights = st.lists(st.one_of(st.just(0.0), st.floats(0.0, 1000.0)), min_size=24, max_size=24)
curves = weights.filter(lambda w: math.fsum(w) > 0).map(lambda w: VolumeCurve(tuple(w)))
starts = st.floats(1.6e9, 1.9e9)
totals = st.floats(0.0, 1e4)


@st.composite
def configs(draw: st.DrawFn) -> VWAPConfig:
    horizon = draw(st.floats(1.0, 3 * DAY))
    interval = draw(st.floats(horizon / 300, horizon * 1.5))
    return VWAPConfig(horizon_seconds=horizon, interval_seconds=interval, curve=draw(curves),
                      catch_up=draw(st.floats(0.1, 3.0)), max_ahead_fraction=draw(st.floats(0.0, 1.0)))


@settings(max_examples=300)
@given(total=totals, cfg=configs(), start=starts)
def test_every_plan_sums_to_the_total(total, cfg, start):
    plan = vwap_plan(total, cfg, start)
    assert len(plan) == cfg.n_slices
    assert [s.offset_seconds for s in plan] == [i * cfg.interval_seconds for i in range(cfg.n_slices)]
    assert all(s.quantity >= 0 for s in plan)
    assert sum(s.quantity for s in plan) == total


@settings(max_examples=300)
@given(total=totals, cfg=configs(), start=starts,
       fractions=st.lists(st.floats(-0.2, 1.2), min_size=2, max_size=40))
def test_target_is_monotone_in_time_and_reaches_the_total_at_the_deadline(total, cfg, start, fractions):
    times = sorted(start + f * cfg.horizon_seconds for f in fractions)
    targets = [vwap_target(total, cfg, start, t) for t in times]
    assert all(a <= b for a, b in zip(targets, targets[1:], strict=False))
    assert all(0.0 <= t <= total for t in targets)
    assert vwap_target(total, cfg, start, start) == 0.0
    assert vwap_target(total, cfg, start, start + cfg.horizon_seconds) == total


@settings(max_examples=300)
@given(total=totals, cfg=configs(), start=starts, hours=st.integers(0, 72))
def test_target_is_monotone_to_the_last_bit_at_hour_and_day_boundaries(total, cfg, start, hours):
    # the integration changes hour, or counts one more whole day, exactly at these instants
    for edge in (math.ceil(start / HOUR) * HOUR + hours * HOUR, start + (hours % 3 + 1) * DAY):
        before, after = math.nextafter(edge, -math.inf), math.nextafter(edge, math.inf)
        a, b, c = (vwap_target(total, cfg, start, t) for t in (before, edge, after))
        assert a <= b <= c


@settings(max_examples=300)
@given(cfg=configs(), start=starts, total=st.floats(1e-6, 1e4), executed_fraction=st.floats(0.0, 1.0),
       elapsed_fraction=st.floats(-0.1, 1.2))
def test_a_slice_never_exceeds_the_remaining_quantity(cfg, start, total, executed_fraction, elapsed_fraction):
    progress = _progress(total * executed_fraction, start + elapsed_fraction * cfg.horizon_seconds, start,
                         cfg.horizon_seconds, total)
    q = vwap_slice(progress, cfg)
    assert 0.0 <= q <= progress.remaining
    if progress.time_left <= 0:
        assert q == progress.remaining


@settings(max_examples=300)
@given(start=starts, n=st.integers(1, 50), interval=st.floats(1.0, 3600.0), total=st.floats(1e-3, 1e3),
       executed_fraction=st.floats(0.0, 1.0), elapsed_fraction=st.floats(-0.1, 1.2))
def test_flat_curve_slices_like_twap(start, n, interval, total, executed_fraction, elapsed_fraction):
    horizon = n * interval
    cfg = VWAPConfig(horizon_seconds=horizon, interval_seconds=interval, curve=VolumeCurve.flat(),
                     max_ahead_fraction=1.0)
    progress = _progress(total * executed_fraction, start + elapsed_fraction * horizon, start, horizon, total)
    expected = twap_slice(progress, TWAPConfig(horizon_seconds=horizon, interval_seconds=interval))
    assert vwap_slice(progress, cfg) == pytest.approx(expected, rel=1e-9, abs=1e-9 * total)
