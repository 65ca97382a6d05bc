"""The crypto prior: the square-root law with transient impact (the simulator's own market model)."""

import math

import pytest

from execdesk.domain.impact import SquareRootImpact, almgren_chriss_inputs, transient_factor
from execdesk.domain.market import Level, MarketSnapshot

MID = 65_000.0


def _market(volume_1h: float = 540.0, vol_1h: float = 0.01) -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=MID, best_bid=MID - 0.1, best_ask=MID + 0.1,
                          bids=(Level(MID - 0.1, 2.0),), asks=(Level(MID + 0.1, 2.0),), volume_1h=volume_1h,
                          volume_1m=volume_1h / 60, volatility_1h=vol_1h)


def test_the_transient_factor_by_hand() -> None:
    # tau = 600 / ln 2 = 865.62 s; one hour: U = 4.1589, W = sqrt(1 - e^-U) = 0.99216,
    # f = 1 + 2 (ln 1.99216 - 0.99216) / 4.1589 = 0.85432
    assert transient_factor(3600.0, 600.0) == pytest.approx(0.85432, abs=1e-5)
    # five minutes: U = 0.34657, W = 0.54120, f = 1 + 2 (0.43256 - 0.54120) / 0.34657 = 0.37308
    assert transient_factor(300.0, 600.0) == pytest.approx(0.37308, abs=1e-5)
    # the limits: 2/3 sqrt(U) when fast, 1 when slow
    assert transient_factor(0.6, 600.0) == pytest.approx(2 / 3 * math.sqrt(0.6 * math.log(2) / 600), rel=1e-3)
    assert transient_factor(1e7, 600.0) == pytest.approx(1.0, abs=1e-4)


def test_ten_btc_in_the_simulated_market_by_hand() -> None:
    # sigma_d = 1 % x sqrt(24) = 4.899 %, ADV = 540 x 24 = 12,960: kappa = Y sigma_d / sqrt(ADV) = 4.3033 bps
    model = SquareRootImpact()
    slow = model.estimate(10.0, duration_s=3600.0, market=_market())
    fast = model.estimate(10.0, duration_s=300.0, market=_market())
    kappa = 0.01 * math.sqrt(24) / math.sqrt(12_960) * 1e4
    # slow: kappa sqrt(r tau) f = 4.3033 x sqrt(10 x 865.62 / 3600) x 0.85432 = 5.701 bps
    assert slow.temporary_bps == pytest.approx(kappa * math.sqrt(10 * 865.617 / 3600) * 0.85432, rel=1e-4)
    assert slow.temporary_bps == pytest.approx(5.701, abs=1e-3)
    # fast: 4.3033 x sqrt(10 x 865.62 / 300) x 0.37308 = 8.624 bps, near 2/3 kappa sqrt(10) = 9.072
    assert fast.temporary_bps == pytest.approx(8.624, abs=1e-3)
    # permanent: gamma sigma_d q / ADV = 1.3 x 4.899 % x 10 / 12,960 = 0.491 bps, half of it paid
    assert fast.permanent_move_bps == pytest.approx(1.3 * 0.01 * math.sqrt(24) * 10 / 12_960 * 1e4)
    assert fast.permanent_bps == slow.permanent_bps == pytest.approx(0.2457, abs=1e-4)


def test_the_crypto_prior_on_a_real_btc_market_is_a_fraction_of_a_bps_for_32k_usd() -> None:
    # Bybit BTCUSDT-like: 0.5 % hourly volatility, 3,000 BTC an hour; half a BTC (~32,000 USD) over 10 min
    est = SquareRootImpact().estimate(0.5, duration_s=600.0, market=_market(volume_1h=3000.0, vol_1h=0.005))
    assert 0.0 < est.total_bps < 0.5


def test_almgren_chriss_inputs_reproduce_the_models_cost_at_the_orders_rate() -> None:
    model, market = SquareRootImpact(), _market()
    ac = almgren_chriss_inputs(model, market, interval_s=15.0, quantity=10.0, horizon_s=3600.0)
    est = model.estimate(10.0, duration_s=3600.0, market=market)
    assert ac.sigma == pytest.approx(MID * 0.01 / 60)  # price per sqrt(second)
    assert ac.eta * 10.0**2 / 3600.0 == pytest.approx(est.temporary_bps / 1e4 * MID * 10.0)
    assert 0.5 * ac.gamma * 10.0**2 == pytest.approx(est.permanent_bps / 1e4 * MID * 10.0)


@pytest.mark.parametrize("name", ["y", "half_life_s", "gamma"])
def test_bad_coefficients_are_refused_by_name(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        SquareRootImpact(**{name: -1.0})
