import math
import random

import pytest

from execdesk.domain.impact import AlmgrenChrissImpact
from execdesk.domain.impact_calibration import CalibrationInputError, ImpactCalibrator, ImpactObservation
from execdesk.domain.market import Level, MarketSnapshot

MID = 64_000.0


def _observation(rng: random.Random, eta: float, gamma: float, noise_bps: float = 0.0) -> ImpactObservation:
    """A child execution whose costs follow the Almgren-Chriss model with the given coefficients."""
    side = rng.choice(["buy", "sell"])
    sign = 1 if side == "buy" else -1
    qty, duration = rng.uniform(0.1, 20.0), rng.uniform(10.0, 600.0)
    vol, adv = rng.uniform(0.002, 0.02), rng.uniform(5_000.0, 50_000.0)
    spread_bps = rng.uniform(0.0, 3.0)
    sigma_daily = vol * math.sqrt(24)
    x_t = sigma_daily * math.sqrt(qty / (adv * duration / 86_400)) * 1e4
    x_p = sigma_daily * qty / adv * 1e4
    move = gamma * x_p + rng.gauss(0.0, noise_bps)
    temporary = eta * x_t + rng.gauss(0.0, noise_bps)
    price = MID * (1 + sign * (temporary + move / 2 + spread_bps / 2) / 1e4)
    return ImpactObservation(
        side=side,
        quantity=qty,
        price=price,
        mid_before=MID,
        mid_after=MID * (1 + sign * move / 1e4),
        volatility_1h=vol,
        adv=adv,
        duration_s=duration,
        spread_bps=spread_bps,
    )


def test_it_recovers_known_eta_and_gamma_from_noisy_fills():
    rng = random.Random(7)
    calibrator = ImpactCalibrator(window=1000)
    for _ in range(1000):
        calibrator.observe(_observation(rng, eta=0.35, gamma=0.9, noise_bps=0.5))
    fit = calibrator.fit()
    assert fit.source == "fitted"
    assert fit.eta == pytest.approx(0.35, rel=0.03)
    assert fit.gamma == pytest.approx(0.9, rel=0.1)
    assert fit.eta_stderr is not None and abs(fit.eta - 0.35) < 4 * fit.eta_stderr
    model = calibrator.model()
    assert isinstance(model, AlmgrenChrissImpact)
    assert (model.eta, model.gamma) == (fit.eta, fit.gamma)


def test_without_noise_the_fit_is_exact_and_predictions_match_realised_costs():
    rng = random.Random(1)
    calibrator = ImpactCalibrator(window=200, min_observations=10)
    for _ in range(50):
        calibrator.observe(_observation(rng, eta=0.2, gamma=0.6))
    assert (calibrator.fit().eta, calibrator.fit().gamma) == pytest.approx((0.2, 0.6), rel=1e-9)
    report = calibrator.predicted_vs_realised()
    assert report.n == 50 and report.source == "fitted"
    assert report.ratio == pytest.approx(1.0, rel=1e-9)
    assert report.r_squared == pytest.approx(1.0, abs=1e-9)
    assert report.rmse_bps < 1e-4  # from running moments: rounding leaves ~1e-6 bps, not exactly 0


def test_it_forgets_observations_that_leave_the_window():
    rng = random.Random(3)
    calibrator = ImpactCalibrator(window=100, min_observations=20)
    for _ in range(60):
        calibrator.observe(_observation(rng, eta=1.0, gamma=2.0))
    for _ in range(100):  # the regime changes: the old fills must no longer count
        calibrator.observe(_observation(rng, eta=0.1, gamma=0.3))
    assert len(calibrator) == 100
    assert (calibrator.fit().eta, calibrator.fit().gamma) == pytest.approx((0.1, 0.3), rel=1e-6)


def test_running_sums_stay_equal_to_a_fit_from_scratch_over_many_evictions():
    rng = random.Random(11)
    window = 50
    rolling = ImpactCalibrator(window=window, min_observations=5)
    history = [_observation(rng, eta=0.4, gamma=0.7, noise_bps=2.0) for _ in range(537)]
    for obs in history:
        rolling.observe(obs)
    fresh = ImpactCalibrator(window=window, min_observations=5)
    for obs in history[-window:]:
        fresh.observe(obs)
    assert rolling.fit().eta == pytest.approx(fresh.fit().eta, rel=1e-9)
    assert rolling.fit().gamma == pytest.approx(fresh.fit().gamma, rel=1e-9)
    assert rolling.predicted_vs_realised().rmse_bps == pytest.approx(
        fresh.predicted_vs_realised().rmse_bps, rel=1e-6
    )


def test_with_too_few_observations_the_prior_serves_and_says_so():
    prior = AlmgrenChrissImpact(eta=0.25, gamma=0.5)
    calibrator = ImpactCalibrator(window=1000, prior=prior, min_observations=30)
    assert calibrator.predicted_vs_realised().n == 0
    assert calibrator.predicted_vs_realised().mean_predicted_bps is None
    rng = random.Random(5)
    for _ in range(29):
        calibrator.observe(_observation(rng, eta=1.0, gamma=1.0))
    fit = calibrator.fit()
    assert (fit.source, fit.eta, fit.gamma) == ("prior", 0.25, 0.5)
    assert "29 of the 30 observations" in fit.note
    assert calibrator.model() == prior
    # the prior is still compared with what the fills realised: they cost about four times as much
    report = calibrator.predicted_vs_realised()
    assert report.source == "prior" and report.ratio is not None and report.ratio > 2
    calibrator.observe(_observation(rng, eta=1.0, gamma=1.0))
    assert calibrator.fit().source == "fitted"


def test_a_non_positive_eta_fit_keeps_the_prior_and_a_negative_gamma_is_floored():
    rng = random.Random(9)
    calibrator = ImpactCalibrator(window=100, min_observations=10)
    for _ in range(40):  # passive fills: paid less than the mid, and the price went our way
        calibrator.observe(_observation(rng, eta=-0.3, gamma=-0.5))
    fit = calibrator.fit()
    assert fit.eta == AlmgrenChrissImpact().eta
    assert fit.gamma == 0.0
    assert fit.source == "partly fitted"
    assert "prior kept" in fit.note and "floored at 0" in fit.note


def test_an_observation_can_be_built_from_snapshots_or_participation():
    before = MarketSnapshot(
        symbol="BTCUSDT",
        ts=0.0,
        mid=MID,
        best_bid=MID - 1,
        best_ask=MID + 1,
        bids=(Level(MID - 1, 1.0),),
        asks=(Level(MID + 1, 1.0),),
        volume_1h=1000.0,
        volatility_1h=0.01,
    )
    after = MarketSnapshot(
        symbol="BTCUSDT", ts=60.0, mid=MID + 6.4, best_bid=MID + 5.4, best_ask=MID + 7.4, bids=(), asks=()
    )
    obs = ImpactObservation.from_snapshots(
        side="buy", quantity=2.0, price=MID + 12.8, before=before, after=after, duration_s=36.0
    )
    assert obs.adv == 24_000.0
    assert obs.trade_rate == pytest.approx(2.0 / 10.0)  # 1000 per hour is 10 in 36 s
    assert obs.realised_move_bps == pytest.approx(1.0)
    assert obs.realised_cost_bps == pytest.approx(2.0 - before.spread_bps / 2)
    assert obs.realised_temporary_bps == pytest.approx(obs.realised_cost_bps - 0.5)
    by_share = ImpactObservation(
        side="sell",
        quantity=2.0,
        price=MID,
        mid_before=MID,
        mid_after=MID,
        volatility_1h=0.01,
        adv=24_000.0,
        participation=2.0 / 12.0,
    )
    assert by_share.trade_rate == pytest.approx(obs.trade_rate)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"quantity": 0.0}, "quantity must be > 0"),
        ({"price": math.nan}, "price must be > 0"),
        ({"adv": 0.0}, "adv must be > 0"),
        ({"volatility_1h": -0.1}, "volatility_1h must be >= 0"),
        ({"duration_s": None}, "exactly one of duration_s and participation"),
        ({"participation": 0.1}, "exactly one of duration_s and participation"),
        ({"duration_s": None, "participation": 1.0}, "participation must be within"),
        ({"side": "both"}, "side must be 'buy' or 'sell'"),
    ],
)
def test_unusable_observations_raise_a_calibration_input_error(changes, message):
    fields = {
        "side": "buy",
        "quantity": 1.0,
        "price": MID,
        "mid_before": MID,
        "mid_after": MID,
        "volatility_1h": 0.01,
        "adv": 20_000.0,
        "duration_s": 30.0,
    }
    fields.update(changes)
    with pytest.raises(CalibrationInputError, match=message):
        ImpactObservation(**fields)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"window": 0}, "window must be an integer >= 1"),
        ({"window": 10, "min_observations": 11}, "must not exceed window"),
    ],
)
def test_calibrator_settings_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImpactCalibrator(**kwargs)
