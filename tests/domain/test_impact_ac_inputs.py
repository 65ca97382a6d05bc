import math

import pytest

from execdesk.domain.impact import (
    AlmgrenChrissImpact,
    ImpactInputError,
    KyleImpact,
    LLMAdjustedImpact,
    PowerLawImpact,
    almgren_chriss_inputs,
)
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.pretrade import pretrade_estimate

MID = 3_400.0
VOLUME_1H = 36_000.0  # ETH per hour: 10 per second


def _market(**changes: float) -> MarketSnapshot:
    fields = {
        "mid": MID,
        "best_bid": MID - 0.05,
        "best_ask": MID + 0.05,
        "volume_1h": VOLUME_1H,
        "volume_1m": VOLUME_1H / 60,
        "volatility_1h": 0.008,
    }
    fields.update(changes)
    return MarketSnapshot(
        symbol="ETHUSDT",
        ts=0.0,
        bids=(Level(fields["best_bid"], 50.0),),
        asks=(Level(fields["best_ask"], 50.0),),
        **fields,
    )


def test_sigma_is_the_price_volatility_per_root_second_and_epsilon_the_half_spread():
    ac = almgren_chriss_inputs(AlmgrenChrissImpact(), _market(), interval_s=30)
    assert ac.sigma == pytest.approx(MID * 0.008 / 60.0)
    assert ac.epsilon == pytest.approx(0.05)
    with_fee = almgren_chriss_inputs(AlmgrenChrissImpact(), _market(), interval_s=30, fee_rate=0.00055)
    assert with_fee.epsilon == pytest.approx(0.05 + 0.00055 * MID)


def test_linear_models_map_exactly_whatever_the_operating_point():
    kyle = KyleImpact(lambda_bps=40.0, eta_bps=12.0)
    a = almgren_chriss_inputs(kyle, _market(), interval_s=30)
    b = almgren_chriss_inputs(kyle, _market(), interval_s=30, quantity=500.0, horizon_s=7200)
    # permanent: 40 bps per ADV of 864,000 ETH; temporary: 12 bps per unit of rate over 10 ETH/s
    assert a.gamma == pytest.approx(40e-4 * MID / (VOLUME_1H * 24))
    assert a.eta == pytest.approx(12e-4 * MID / 10.0)
    assert (b.gamma, b.eta) == pytest.approx((a.gamma, a.eta))


def test_square_root_eta_is_the_secant_at_the_orders_own_rate():
    model = AlmgrenChrissImpact(eta=0.3, gamma=0.5, beta=0.5)
    ac = almgren_chriss_inputs(model, _market(), interval_s=30, quantity=720.0, horizon_s=3600)
    est = model.estimate(720.0, duration_s=3600, market=_market())
    # trading 720 evenly over 3600 s costs eta X^2 / T in the paper's linear model
    assert ac.eta * 720.0**2 / 3600 == pytest.approx(est.temporary_bps / 1e4 * MID * 720.0)
    assert 0.5 * ac.gamma * 720.0**2 == pytest.approx(est.permanent_bps / 1e4 * MID * 720.0)
    # at a quarter of the rate the secant of the square root is twice as steep
    slow = almgren_chriss_inputs(model, _market(), interval_s=30, quantity=720.0, horizon_s=4 * 3600)
    assert slow.eta == pytest.approx(2 * ac.eta)


def test_without_an_order_the_operating_point_is_one_interval_at_the_participation_cap():
    ac = almgren_chriss_inputs(AlmgrenChrissImpact(), _market(), interval_s=30)
    assert ac.reference_duration_s == 30
    assert ac.reference_quantity / (ac.reference_quantity + 10.0 * 30) == pytest.approx(0.10)
    slower = almgren_chriss_inputs(
        AlmgrenChrissImpact(), _market(), interval_s=30, reference_participation=0.02
    )
    assert slower.eta > ac.eta


def test_the_planners_expected_cost_of_an_even_schedule_matches_the_pretrade_estimate():
    model = AlmgrenChrissImpact(eta=0.3, gamma=0.5)
    market = _market()
    quantity, horizon, n = 900.0, 3600.0, 120
    ac = almgren_chriss_inputs(model, market, interval_s=horizon / n, quantity=quantity, horizon_s=horizon)
    plan = ac.plan(quantity, horizon, n, risk_aversion=0.0)
    assert plan.trades == pytest.approx([quantity / n] * n)
    pre = pretrade_estimate(
        side="sell", quantity=quantity, horizon_s=horizon, market=market, model=model, interval_s=horizon / n
    )
    plan_bps = plan.expected_cost / (quantity * MID) * 1e4
    # the discrete plan does not charge a trade its own permanent impact: gamma X^2 / (2N) less
    own_slice_bps = 0.5 * ac.gamma * quantity**2 / n / (quantity * MID) * 1e4
    assert plan_bps == pytest.approx(pre.expected_cost_bps - own_slice_bps, rel=1e-9)
    # the variance of the even schedule is the pre-trade timing risk
    assert math.sqrt(plan.variance) / (quantity * MID) * 1e4 == pytest.approx(pre.timing_risk_bps, rel=1e-9)


def test_the_llm_multiplier_scales_eta_and_gamma():
    base = almgren_chriss_inputs(
        PowerLawImpact(coefficient=1.0, beta=0.5, permanent_share=0.3), _market(), interval_s=30
    )
    adjusted = almgren_chriss_inputs(
        LLMAdjustedImpact(PowerLawImpact(coefficient=1.0, beta=0.5, permanent_share=0.3), 1.5, "thin book"),
        _market(),
        interval_s=30,
    )
    assert (adjusted.eta, adjusted.gamma) == pytest.approx((1.5 * base.eta, 1.5 * base.gamma))


def test_half_an_operating_point_is_refused():
    with pytest.raises(ValueError, match="give both quantity and horizon_s"):
        almgren_chriss_inputs(AlmgrenChrissImpact(), _market(), interval_s=30, quantity=10.0)


def test_a_market_without_volume_cannot_feed_the_planner():
    with pytest.raises(ImpactInputError, match="volume_1h must be > 0"):
        almgren_chriss_inputs(AlmgrenChrissImpact(), _market(volume_1h=0.0), interval_s=30)
