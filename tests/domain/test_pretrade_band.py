"""The pre-trade band: timing risk, a Poisson jump prior (Merton) and the volatility's estimation error."""

import math

import numpy as np
import pytest

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.pretrade import pretrade_estimate
from execdesk.domain.pretrade_band import CRYPTO_JUMPS, JumpPrior, pretrade_band, schedule_share

SIGMA_PER_S = 0.01 / 60  # 1 % an hour


def test_the_crypto_prior_is_58_percent_of_days_with_a_jump_and_a_15_percent_size():
    # P(no jump in a day) = 0.42 = exp(-lambda)  ->  lambda = -ln 0.42 = 0.8675 a day
    assert CRYPTO_JUMPS.intensity_per_day == pytest.approx(0.867500568, rel=1e-9)
    assert CRYPTO_JUMPS.size_rms == 0.015


def test_jump_risk_is_the_merton_variance_of_the_share_still_to_trade():
    band = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=120, confidence=0.95,
                         jumps=CRYPTO_JUMPS, volatility_dof=None)
    # m = 0.8675 x 3600 / 86400 = 0.0361459 jumps; share = 119 x 239 / (6 x 120^2) = 0.3291782;
    # jump risk = 150 bps x sqrt(0.0361459 x 0.3291782) = 16.362 bps
    assert band.expected_jumps == pytest.approx(0.0361459, rel=1e-5)
    assert schedule_share(120) == pytest.approx(0.3291782, rel=1e-6)
    assert band.jump_risk_bps == pytest.approx(16.362, rel=1e-4)
    # the diffusion alone: 1.6667 bps/sqrt(s) x sqrt(3600 x 0.3291782) = 57.378 bps
    assert band.timing_risk_bps == pytest.approx(57.378, rel=1e-4)
    assert band.half_width_bps > 1.96 * band.timing_risk_bps


def test_the_volatility_estimated_from_60_minutes_gives_students_t_with_59_degrees_of_freedom():
    band = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=240, confidence=0.95,
                         jumps=None, volatility_dof=59)
    # t(0.975, 59) = 2.000995 (tables); the 32-node quadrature is within 0.1 %
    assert band.half_width_bps / band.timing_risk_bps == pytest.approx(2.000995, rel=1e-3)
    plain = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=240, confidence=0.95,
                          jumps=None, volatility_dof=None)
    assert plain.half_width_bps / plain.timing_risk_bps == pytest.approx(1.959964, rel=1e-7)


def _simulated_costs(*, sigma_per_s, duration_s, n_slices, jumps, runs=400_000, seed=7):
    """The jump-diffusion the band assumes, drawn: a normal diffusion of the timing-risk variance plus a
    Poisson number of normal jumps, each in a slice drawn at random, scaled by the share still to trade."""
    rng = np.random.default_rng(seed)
    share = schedule_share(n_slices)
    cost = rng.normal(0.0, sigma_per_s * 1e4 * math.sqrt(duration_s * share), runs)
    m = jumps.intensity_per_day * duration_s / 86_400
    counts = rng.poisson(m, runs)
    for run in np.nonzero(counts)[0]:
        k = rng.integers(0, n_slices, counts[run])
        cost[run] += float(np.sum(k / n_slices * rng.normal(0.0, jumps.size_rms * 1e4, counts[run])))
    return cost


def test_the_band_covers_95_percent_of_a_simulated_jump_diffusion_where_the_normal_band_does_not():
    jumps = JumpPrior(intensity_per_day=6.0, size_rms=0.02)  # m = 0.25 jumps an hour: jumps matter
    band = pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=12, confidence=0.95,
                         jumps=jumps, volatility_dof=None)
    cost = _simulated_costs(sigma_per_s=SIGMA_PER_S, duration_s=3600.0, n_slices=12, jumps=jumps)
    inside = float(np.mean(np.abs(cost) <= band.half_width_bps))
    assert inside == pytest.approx(0.95, abs=0.002)  # Monte Carlo s.e. 0.0003
    normal = float(np.mean(np.abs(cost) <= 1.959964 * band.timing_risk_bps))
    assert normal < 0.93


def test_without_volatility_the_band_is_a_point_until_a_jump_is_likely():
    none = pretrade_band(sigma_per_s=0.0, duration_s=3600.0, n_slices=120, confidence=0.95, jumps=None,
                         volatility_dof=59)
    assert none.half_width_bps == 0.0
    rare = pretrade_band(sigma_per_s=0.0, duration_s=3600.0, n_slices=120, confidence=0.95,
                         jumps=CRYPTO_JUMPS, volatility_dof=59)
    assert rare.half_width_bps == 0.0  # exp(-0.036) = 96.4 % of orders see no jump
    often = pretrade_band(sigma_per_s=0.0, duration_s=3600.0, n_slices=120, confidence=0.95,
                          jumps=JumpPrior(intensity_per_day=12.0, size_rms=0.015), volatility_dof=59)
    assert often.half_width_bps > 0.0  # exp(-0.5) = 61 %: a jump is likely


def test_the_desk_estimate_uses_the_prior_and_a_longer_order_carries_more_jump_risk():
    market = MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=64_000.0, best_bid=63_999.95, best_ask=64_000.05,
                            bids=(Level(63_999.95, 2.0),), asks=(Level(64_000.05, 2.0),), volume_1h=720.0,
                            volatility_1h=0.01)
    hour = pretrade_estimate(side="sell", quantity=1.0, horizon_s=3600, interval_s=30, market=market)
    plain = pretrade_estimate(side="sell", quantity=1.0, horizon_s=3600, interval_s=30, market=market,
                              jumps=None, volatility_dof=None)
    assert hour.jump_prior is CRYPTO_JUMPS and hour.volatility_dof == 59
    assert hour.high_bps - hour.expected_cost_bps > plain.high_bps - plain.expected_cost_bps
    assert hour.expected_cost_bps == plain.expected_cost_bps  # the band moves, the expectation does not
    four = pretrade_estimate(side="sell", quantity=1.0, horizon_s=4 * 3600, interval_s=120, market=market)
    assert four.expected_jumps == pytest.approx(4 * hour.expected_jumps)
    assert four.jump_risk_bps > hour.jump_risk_bps


@pytest.mark.parametrize("kwargs, message", [
    ({"intensity_per_day": -1.0, "size_rms": 0.01}, "intensity_per_day must be >= 0"),
    ({"intensity_per_day": 1.0, "size_rms": math.nan}, "size_rms must be >= 0 and finite"),
    ({"intensity_per_day": 1.0, "size_rms": 0.7}, "size_rms must be below 0.5"),
])
def test_a_bad_jump_prior_is_refused_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        JumpPrior(**kwargs)


def test_too_few_degrees_of_freedom_are_refused():
    with pytest.raises(ValueError, match="volatility_dof must be a whole number >= 5"):
        pretrade_band(sigma_per_s=SIGMA_PER_S, duration_s=60.0, n_slices=2, confidence=0.95, jumps=None,
                      volatility_dof=2)
