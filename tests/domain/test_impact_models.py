import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from execdesk.domain.impact import (
    AlmgrenChrissImpact,
    ImpactInputError,
    ImpactModel,
    KyleImpact,
    LLMAdjustedImpact,
    PowerLawImpact,
)
from execdesk.domain.market import Level, MarketSnapshot

MID = 64_000.0
VOLUME_1H = 1_200.0  # BTC per hour: ADV 28,800
VOL_1H = 0.006


def _market(**changes: float) -> MarketSnapshot:
    fields = {
        "mid": MID,
        "best_bid": MID - 0.5,
        "best_ask": MID + 0.5,
        "volume_1h": VOLUME_1H,
        "volume_1m": VOLUME_1H / 60,
        "volatility_1h": VOL_1H,
    }
    fields.update(changes)
    return MarketSnapshot(
        symbol="BTCUSDT",
        ts=0.0,
        bids=(Level(fields["best_bid"], 2.0),),
        asks=(Level(fields["best_ask"], 2.0),),
        **fields,
    )


SIGMA_DAILY = VOL_1H * math.sqrt(24)
ADV = VOLUME_1H * 24


def test_snapshot_figures_become_daily_volatility_and_adv_for_a_24_hour_market():
    est = AlmgrenChrissImpact().estimate(12.0, duration_s=1800, market=_market())
    assert est.sigma_daily == pytest.approx(SIGMA_DAILY)
    assert est.adv == pytest.approx(ADV)
    assert est.size_adv == pytest.approx(12.0 / ADV)
    # 30 minutes of a 1,200-per-hour market is 600: we are 12 of 612
    assert est.trade_rate == pytest.approx(12.0 / 600.0)
    assert est.participation == pytest.approx(12.0 / 612.0)


def test_almgren_chriss_temporary_uses_the_exponent_its_coefficient_was_fitted_with():
    model = AlmgrenChrissImpact(eta=0.5, gamma=0.8)
    est = model.estimate(12.0, duration_s=1800, market=_market())
    assert model.beta == 0.6  # Almgren et al. (2005) fitted eta = 0.142 with 3/5, not 1/2
    assert est.temporary_bps == pytest.approx(0.5 * SIGMA_DAILY * (12.0 / 600.0) ** 0.6 * 1e4)
    assert est.permanent_move_bps == pytest.approx(0.8 * SIGMA_DAILY * 12.0 / ADV * 1e4)
    assert est.permanent_bps == pytest.approx(est.permanent_move_bps / 2)  # the order pays half its own move
    assert est.total_bps == pytest.approx(est.temporary_bps + est.permanent_bps)


def test_almgren_chriss_with_a_square_root_matches_the_seed_formula_for_an_order_spread_over_a_day():
    est = AlmgrenChrissImpact(eta=0.7, gamma=0.0, beta=0.5).estimate(30.0, duration_s=86_400, market=_market())
    assert est.temporary_bps == pytest.approx(0.7 * (30.0 / ADV) ** 0.5 * SIGMA_DAILY * 1e4)


def test_a_faster_order_pays_more_temporary_impact_but_the_same_permanent():
    model = AlmgrenChrissImpact()
    slow = model.estimate(10.0, duration_s=3600, market=_market())
    fast = model.estimate(10.0, duration_s=900, market=_market())
    assert fast.temporary_bps == pytest.approx(4**0.6 * slow.temporary_bps)  # 4x the rate, ^3/5 -> 2.297x
    assert fast.permanent_bps == pytest.approx(slow.permanent_bps)


def test_kyle_moves_the_price_linearly_in_quantity_and_is_all_permanent():
    model = KyleImpact(lambda_bps=50.0)
    one = model.estimate(10.0, duration_s=600, market=_market())
    two = model.estimate(20.0, duration_s=600, market=_market())
    assert one.permanent_move_bps == pytest.approx(50.0 * 10.0 / ADV)
    assert two.permanent_move_bps == pytest.approx(2 * one.permanent_move_bps)
    assert one.temporary_bps == 0.0
    # lambda in price per base unit: the move in price is lambda * q
    assert model.kyle_lambda(_market()) * 10.0 == pytest.approx(one.permanent_move_bps / 1e4 * MID)


def test_kyle_with_linear_temporary_impact_charges_in_proportion_to_the_rate():
    est = KyleImpact(lambda_bps=0.0, eta_bps=30.0).estimate(12.0, duration_s=1800, market=_market())
    assert est.temporary_bps == pytest.approx(30.0 * 12.0 / 600.0)


def test_power_law_depends_on_size_against_adv_not_on_speed():
    model = PowerLawImpact(coefficient=1.0, beta=0.6, permanent_share=0.25)
    est = model.estimate(50.0, duration_s=3600, market=_market())
    cost = SIGMA_DAILY * (50.0 / ADV) ** 0.6 * 1e4
    assert est.total_bps == pytest.approx(cost)
    assert est.permanent_bps == pytest.approx(0.25 * cost)
    assert est.permanent_move_bps == pytest.approx(0.5 * cost)
    assert model.estimate(50.0, duration_s=60, market=_market()).total_bps == pytest.approx(cost)


@pytest.mark.parametrize(
    "model",
    [
        AlmgrenChrissImpact(),
        KyleImpact(lambda_bps=20.0, eta_bps=5.0),
        PowerLawImpact(coefficient=0.8, beta=0.5),
    ],
)
def test_every_model_satisfies_the_protocol_and_costs_more_for_more(model):
    assert isinstance(model, ImpactModel)
    costs = [model.estimate(q, duration_s=1200, market=_market()).total_bps for q in (1.0, 5.0, 25.0)]
    assert costs == sorted(costs) and costs[0] < costs[-1]
    assert model.name in model.estimate(1.0, duration_s=1200, market=_market()).model
    assert model.describe()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: AlmgrenChrissImpact(eta=-0.1), "eta must be finite and >= 0"),
        (lambda: AlmgrenChrissImpact(gamma=math.nan), "gamma must be finite"),
        (lambda: KyleImpact(lambda_bps=-1.0), "lambda_bps"),
        (lambda: PowerLawImpact(coefficient=1.0, beta=0.0), "beta must be finite and > 0 and <= 1"),
        (lambda: PowerLawImpact(coefficient=1.0, beta=1.5), "beta"),
        (lambda: PowerLawImpact(coefficient=1.0, beta=0.5, permanent_share=2.0), "permanent_share"),
    ],
)
def test_invalid_parameters_are_refused_naming_the_field(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "quantity, duration, market, message",
    [
        (0.0, 60.0, _market(), "quantity must be > 0"),
        (-1.0, 60.0, _market(), "quantity must be > 0"),
        (math.nan, 60.0, _market(), "quantity must be > 0"),
        (1.0, 0.0, _market(), "duration_s must be > 0"),
        (1.0, 60.0, _market(volume_1h=0.0), "volume_1h must be > 0"),
        (1.0, 60.0, _market(volatility_1h=math.nan), "volatility_1h"),
        (1.0, 60.0, _market(mid=0.0, best_bid=0.0, best_ask=0.0), "mid must be a positive"),
    ],
)
def test_meaningless_inputs_raise_an_impact_input_error(quantity, duration, market, message):
    with pytest.raises(ImpactInputError, match=message):
        AlmgrenChrissImpact().estimate(quantity, duration_s=duration, market=market)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_the_llm_multiplier_applied_is_always_within_half_and_double(multiplier):
    model = LLMAdjustedImpact(AlmgrenChrissImpact(), multiplier, "reason")
    assert 0.5 <= model.applied_multiplier <= 2.0
    base = AlmgrenChrissImpact().estimate(5.0, duration_s=600, market=_market())
    est = model.estimate(5.0, duration_s=600, market=_market())
    assert est.total_bps == pytest.approx(base.total_bps * model.applied_multiplier)
    assert est.total_bps <= 2.0 * base.total_bps * (1 + 1e-12)


def test_the_llm_adjustment_keeps_the_raw_value_the_clamped_value_and_the_reasoning():
    model = LLMAdjustedImpact(AlmgrenChrissImpact(), 3.5, "thin book before the funding print")
    est = model.estimate(5.0, duration_s=600, market=_market())
    assert est.adjustment is not None
    assert (est.adjustment.raw, est.adjustment.applied, est.adjustment.clamped) == (3.5, 2.0, True)
    assert est.adjustment.reasoning == "thin book before the funding print"
    assert est.to_dict()["adjustment"] == {
        "raw": 3.5,
        "applied": 2.0,
        "clamped": True,
        "reasoning": "thin book before the funding print",
    }
    assert "clamped" in model.describe()
    within = LLMAdjustedImpact(AlmgrenChrissImpact(), 1.4, "earnings call").adjustment
    assert (within.applied, within.clamped) == (1.4, False)


@pytest.mark.parametrize("multiplier", [math.nan, math.inf, -math.inf])
def test_a_non_finite_llm_multiplier_is_refused(multiplier):
    with pytest.raises(ValueError, match="multiplier must be finite"):
        LLMAdjustedImpact(AlmgrenChrissImpact(), multiplier, "")
