"""The pre-trade estimate starts from the crypto prior and says where its coefficients come from."""

import pytest

from execdesk.domain.impact import SquareRootImpact
from execdesk.domain.impact_calibration import ImpactCalibrator
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.pretrade import pretrade_estimate

MID = 64_000.0


def _bybit_like(spread: float = 0.1) -> MarketSnapshot:
    """BTCUSDT as Bybit shows it on an ordinary day: a 0.1 spread (0.016 bps), 0.5 % an hour, 3,000 BTC/h."""
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=MID, best_bid=MID - spread / 2, best_ask=MID + spread / 2,
                          bids=(Level(MID - spread / 2, 5.0),), asks=(Level(MID + spread / 2, 5.0),),
                          volume_1h=3000.0, volume_1m=50.0, volatility_1h=0.005)


def test_without_a_model_the_estimate_uses_the_crypto_prior_and_reports_it() -> None:
    est = pretrade_estimate(side="buy", quantity=0.5, horizon_s=600.0, market=_bybit_like(), interval_s=15.0)
    assert est.model == "square_root"
    assert "sqrt(E/ADV)" in est.model_description
    assert est.to_dict()["calibration"] == {"source": "prior", "model": "square_root", "y": 1.0, "gamma": 1.3,
                                            "half_life_s": 600.0}


def test_32k_usd_of_btc_costs_a_fraction_of_a_bps_of_impact_not_ten() -> None:
    # the equity prior gave 10-11 bps here. By hand: kappa = 0.5 % x sqrt(24) / sqrt(72,000) = 0.9129 bps;
    # U = 600 / 865.62 = 0.6931, W = sqrt(0.5) = 0.7071, f = 1 + 2 (ln 1.7071 - 0.7071) / 0.6931 = 0.5029;
    # temporary = 0.9129 x sqrt(0.5 x 865.62 / 600) x 0.5029 = 0.390 bps
    est = pretrade_estimate(side="buy", quantity=0.5, horizon_s=600.0, market=_bybit_like(), interval_s=15.0)
    assert est.notional == pytest.approx(32_000.0)
    assert est.temporary_bps == pytest.approx(0.390, abs=1e-3)
    assert est.permanent_bps < 0.002
    assert est.expected_cost_bps == pytest.approx(est.half_spread_bps + est.temporary_bps + est.permanent_bps)


def test_a_slice_at_a_002_bps_spread_is_not_charged_bps_of_impact() -> None:
    # one 15-s slice of 0.05 BTC: the equity prior said +4.6-6.3 bps; fast, the square-root law is about
    # 2/3 kappa sqrt(0.05) = 2/3 x 0.9129 x 0.2236 = 0.136 bps
    slice_impact = SquareRootImpact().estimate(0.05, duration_s=15.0, market=_bybit_like(spread=0.128))
    assert _bybit_like(spread=0.128).spread_bps == pytest.approx(0.02)
    assert slice_impact.total_bps == pytest.approx(0.136, abs=1e-3)


def test_the_calibration_in_use_is_reported_with_the_estimate() -> None:
    fit = ImpactCalibrator(window=100, min_observations=10).fit()
    est = pretrade_estimate(side="sell", quantity=2.0, horizon_s=1800.0, market=_bybit_like(), interval_s=30.0,
                            model=fit.model, calibration=fit.to_dict())
    data = est.to_dict()
    assert data["calibration"]["source"] == "prior" and data["calibration"]["n"] == 0
    assert "0 of the 10 observations" in data["calibration"]["note"]
