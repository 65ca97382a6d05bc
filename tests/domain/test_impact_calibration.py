"""The real-time calibrator: markouts of our fills, an intercept and White's robust errors."""

import math
import random

import numpy as np
import pytest

from execdesk.domain.impact import SquareRootImpact
from execdesk.domain.impact_calibration import (
    CalibrationInputError,
    ImpactCalibrator,
    ImpactObservation,
    robust_least_squares,
)

MID = 64_000.0


def test_robust_least_squares_by_hand():
    # y = 0.9 + 1.4 x: x = 0, 1, 2, 3, y = 1, 2, 4, 5 (x mean 1.5, Sxx 5, Sxy 7); residuals .1 -.3 .3 -.1
    x = np.column_stack((np.ones(4), [0.0, 1.0, 2.0, 3.0]))
    fit = robust_least_squares(x, np.array([1.0, 2.0, 4.0, 5.0]))
    assert fit.coefficients == pytest.approx((0.9, 1.4))
    # HC1 slope: n/(n-k) sum (x - x_mean)^2 e^2 / Sxx^2 = 2 x (4 x 0.0225) / 25 = 0.0072
    # intercept: 2 x sum a_i^2 e_i^2, a_i = 1/4 - 1.5 (x_i - 1.5) / 5 = .7 .4 .1 -.2: 2 x 0.0206 = 0.0412
    assert fit.stderr == pytest.approx((math.sqrt(0.0412), math.sqrt(0.0072)))
    assert fit.r_squared == pytest.approx(1 - 0.2 / 10.0)  # SSE 0.2, SST 10


def test_robust_least_squares_refuses_what_it_cannot_identify():
    with pytest.raises(ValueError, match="more observations"):
        robust_least_squares(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="collinear"):
        robust_least_squares(np.column_stack((np.ones(5), np.ones(5))), np.arange(5.0))


def _observation(rng: random.Random, y: float, gamma: float, intercept: float = 0.0,
                 noise_per_sqrt_s: float = 0.0, half_life_s: float = 600.0) -> ImpactObservation:
    """A child whose markout follows the square-root transient model with the given coefficients, with
    noise growing with the markout (heteroskedastic, as the market's volatility over it)."""
    side = rng.choice(["buy", "sell"])
    sign = 1 if side == "buy" else -1
    qty, adv, vol = rng.uniform(0.05, 20.0), rng.uniform(300.0, 3_000.0), rng.uniform(0.003, 0.02)
    markout = rng.choice([10.0, 30.0, 60.0])
    before = rng.uniform(-5.0, 5.0)
    base = ImpactObservation(side=side, quantity=qty, price=MID, mid_before=MID, mid_after=MID, markout_s=markout,
                             volatility_1h=vol, adv=adv, impact_before=before)
    x_y, x_gamma = base.regressors(half_life_s)
    move = intercept + y * x_y + gamma * x_gamma + rng.gauss(0.0, noise_per_sqrt_s * math.sqrt(markout))
    return ImpactObservation(side=side, quantity=qty, price=MID * (1 + sign * 0.3e-4), mid_before=MID,
                             mid_after=MID * (1 + sign * move / 1e4), markout_s=markout, volatility_1h=vol,
                             adv=adv, impact_before=before)


def test_the_regressors_by_hand():
    # a 4-BTC buy after E = 1 (BTC, ours), markout one half-life later: E_after = (1 + 4) / 2 = 2.5
    obs = ImpactObservation(side="buy", quantity=4.0, price=MID, mid_before=MID, mid_after=MID * 1.001,
                            markout_s=600.0, volatility_1h=0.01, adv=10_000.0, impact_before=1.0)
    x_y, x_gamma = obs.regressors(600.0)
    sigma_bps = 0.01 * math.sqrt(24) * 1e4
    assert x_y == pytest.approx(sigma_bps * (math.sqrt(2.5 / 10_000) - math.sqrt(1 / 10_000)))
    assert x_gamma == pytest.approx(sigma_bps * 4.0 / 10_000)
    assert obs.markout_bps == pytest.approx(10.0)
    # a sell mirrors it: the same regressors and markout with the signs of a sell
    sell = ImpactObservation(side="sell", quantity=4.0, price=MID, mid_before=MID, mid_after=MID * 0.999,
                             markout_s=600.0, volatility_1h=0.01, adv=10_000.0, impact_before=-1.0)
    assert sell.regressors(600.0) == pytest.approx((x_y, x_gamma))
    assert sell.markout_bps == pytest.approx(10.0)


def test_it_recovers_known_coefficients_from_noisy_heteroskedastic_markouts():
    rng = random.Random(7)
    calibrator = ImpactCalibrator(window=1000)
    for _ in range(1000):
        calibrator.observe(_observation(rng, y=0.8, gamma=3.0, intercept=0.4, noise_per_sqrt_s=1.0))
    fit = calibrator.fit()
    assert fit.source == "fitted"
    assert fit.y_stderr is not None and fit.gamma_stderr is not None and fit.intercept_stderr is not None
    assert abs(fit.y - 0.8) < 3 * fit.y_stderr and fit.y_stderr < 0.05
    assert abs(fit.gamma - 3.0) < 3 * fit.gamma_stderr
    assert fit.intercept_bps is not None and abs(fit.intercept_bps - 0.4) < 3 * fit.intercept_stderr
    assert calibrator.model() == SquareRootImpact(y=fit.y, half_life_s=600.0, gamma=fit.gamma)


def test_the_robust_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time():
    rng = random.Random(21)
    covered = 0
    for _ in range(100):
        calibrator = ImpactCalibrator(window=300)
        for _ in range(300):
            calibrator.observe(_observation(rng, y=1.0, gamma=2.0, noise_per_sqrt_s=1.5))
        fit = calibrator.fit()
        assert fit.y_stderr is not None
        covered += abs(fit.y - 1.0) < 1.96 * fit.y_stderr
    assert 88 <= covered <= 100


def test_without_noise_the_fit_is_exact_and_predictions_match_the_markouts():
    rng = random.Random(1)
    calibrator = ImpactCalibrator(window=200, min_observations=10)
    for _ in range(50):
        calibrator.observe(_observation(rng, y=1.2, gamma=4.0))
    fit = calibrator.fit()
    assert (fit.y, fit.gamma) == pytest.approx((1.2, 4.0), rel=1e-6)
    assert fit.intercept_bps == pytest.approx(0.0, abs=1e-6)
    report = calibrator.predicted_vs_realised()
    assert report.n == 50 and report.source == "fitted"
    assert report.ratio == pytest.approx(1.0, rel=1e-6)
    assert report.r_squared == pytest.approx(1.0, abs=1e-9)


def test_it_forgets_observations_that_leave_the_window():
    rng = random.Random(3)
    calibrator = ImpactCalibrator(window=100, min_observations=20)
    for _ in range(60):
        calibrator.observe(_observation(rng, y=3.0, gamma=9.0))
    for _ in range(100):  # the regime changes: the old fills must no longer count
        calibrator.observe(_observation(rng, y=0.5, gamma=1.0))
    assert len(calibrator) == 100
    assert (calibrator.fit().y, calibrator.fit().gamma) == pytest.approx((0.5, 1.0), rel=1e-6)


def test_with_too_few_observations_the_prior_serves_and_says_so():
    prior = SquareRootImpact(y=0.6, gamma=0.5)
    calibrator = ImpactCalibrator(window=1000, prior=prior, min_observations=30)
    assert calibrator.predicted_vs_realised().n == 0
    assert calibrator.predicted_vs_realised().mean_predicted_bps is None
    rng = random.Random(5)
    for _ in range(29):
        calibrator.observe(_observation(rng, y=2.4, gamma=0.5))
    fit = calibrator.fit()
    assert (fit.source, fit.y, fit.gamma) == ("prior", 0.6, 0.5)
    assert "29 of the 30 observations" in fit.note
    assert calibrator.model() == prior
    # the prior is still compared with the markouts: they were about four times larger
    report = calibrator.predicted_vs_realised()
    assert report.source == "prior" and report.ratio is not None and report.ratio > 2
    calibrator.observe(_observation(rng, y=2.4, gamma=0.5))
    assert calibrator.fit().source == "fitted"


def test_a_non_positive_y_keeps_the_prior_and_a_negative_gamma_is_floored():
    rng = random.Random(9)
    calibrator = ImpactCalibrator(window=100, min_observations=10)
    for _ in range(40):  # the price went our way after our fills
        calibrator.observe(_observation(rng, y=-0.3, gamma=-5.0))
    fit = calibrator.fit()
    assert fit.y == SquareRootImpact().y
    assert fit.gamma == 0.0
    assert fit.source == "partly fitted"
    assert "prior kept" in fit.note and "floored at 0" in fit.note


def test_an_isolated_child_decays_its_own_volume_over_the_markout():
    obs = ImpactObservation(side="buy", quantity=2.0, price=MID + 1.0, mid_before=MID, mid_after=MID + 6.4,
                            markout_s=30.0, volatility_1h=0.01, adv=24_000.0, spread_bps=0.2)
    given = ImpactObservation(side="buy", quantity=2.0, price=MID + 1.0, mid_before=MID, mid_after=MID + 6.4,
                              markout_s=30.0, volatility_1h=0.01, adv=24_000.0, spread_bps=0.2,
                              impact_after=2.0 * 0.5 ** (30 / 600))
    assert obs.regressors(600.0) == given.regressors(600.0)
    assert obs.markout_bps == pytest.approx(1.0)
    assert obs.realised_cost_bps == pytest.approx(1.0 / MID * 1e4 - 0.1)  # the fill: the visible book only


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"quantity": 0.0}, "quantity must be > 0"),
        ({"price": math.nan}, "price must be > 0"),
        ({"adv": 0.0}, "adv must be > 0"),
        ({"volatility_1h": -0.1}, "volatility_1h must be >= 0"),
        ({"markout_s": -1.0}, "markout_s must be >= 0"),
        ({"impact_before": math.inf}, "impact_before must be a finite number"),
        ({"side": "both"}, "side must be 'buy' or 'sell'"),
    ],
)
def test_unusable_observations_raise_a_calibration_input_error(changes, message):
    fields = {"side": "buy", "quantity": 1.0, "price": MID, "mid_before": MID, "mid_after": MID,
              "volatility_1h": 0.01, "adv": 20_000.0, "markout_s": 30.0}
    fields.update(changes)
    with pytest.raises(CalibrationInputError, match=message):
        ImpactObservation(**fields)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": 0}, "window must be an integer >= 1"),
        ({"window": 10, "min_observations": 11}, "must not exceed window"),
        ({"min_observations": 2}, "min_observations must be an integer >= 4"),
    ],
)
def test_calibrator_settings_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImpactCalibrator(**kwargs)
