import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.impact import (
    AlmgrenChrissImpact,
    ImpactInputError,
    KyleImpact,
    LLMAdjustedImpact,
    PowerLawImpact,
)
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.pretrade import pretrade_estimate
from execdesk.domain.risk import RiskLimits

MID = 64_000.0
VOLUME_1H = 720.0  # 0.2 BTC per second


def _market(**changes: float) -> MarketSnapshot:
    fields = {
        "mid": MID,
        "best_bid": MID - 3.2,
        "best_ask": MID + 3.2,
        "volume_1h": VOLUME_1H,
        "volume_1m": VOLUME_1H / 60,
        "volatility_1h": 0.006,
    }
    fields.update(changes)
    return MarketSnapshot(
        symbol="BTCUSDT",
        ts=0.0,
        bids=(Level(fields["best_bid"], 2.0),),
        asks=(Level(fields["best_ask"], 2.0),),
        **fields,
    )


def _estimate(quantity: float = 3.0, horizon_s: float = 3600.0, interval_s: float = 30.0, **kwargs):
    kwargs.setdefault("market", _market())
    kwargs.setdefault("model", AlmgrenChrissImpact())
    return pretrade_estimate(
        side="buy", quantity=quantity, horizon_s=horizon_s, interval_s=interval_s, **kwargs
    )


def test_expected_cost_is_half_the_spread_plus_temporary_and_permanent_impact():
    est = _estimate()
    impact = AlmgrenChrissImpact().estimate(3.0, duration_s=3600, market=_market())
    assert est.half_spread_bps == pytest.approx(3.2 / MID * 1e4)
    assert est.expected_cost_bps == pytest.approx(
        est.half_spread_bps + impact.temporary_bps + impact.permanent_bps
    )
    assert est.expected_cost_quote == pytest.approx(est.expected_cost_bps / 1e4 * 3.0 * MID)
    with_fee = _estimate(fee_bps=5.5)
    assert with_fee.expected_cost_bps == pytest.approx(est.expected_cost_bps + 5.5)
    assert with_fee.high_bps - with_fee.low_bps == pytest.approx(est.high_bps - est.low_bps)


def test_without_jumps_or_volatility_error_the_band_is_the_normal_95_percent_timing_risk():
    est = _estimate(interval_s=30.0, jumps=None, volatility_dof=None)
    n = 120
    sigma_per_s = 0.006 / 60
    std = sigma_per_s * math.sqrt(3600 * (n - 1) * (2 * n - 1) / (6 * n * n)) * 1e4
    assert est.n_slices == n
    assert est.timing_risk_bps == pytest.approx(std)
    assert est.high_bps - est.expected_cost_bps == pytest.approx(1.959964 * std, rel=1e-6)
    assert est.expected_cost_bps - est.low_bps == pytest.approx(1.959964 * std, rel=1e-6)
    # many slices: the continuous sigma sqrt(T / 3)
    fine = _estimate(interval_s=0.01, jumps=None, volatility_dof=None)
    assert fine.timing_risk_bps == pytest.approx(sigma_per_s * math.sqrt(3600 / 3) * 1e4, rel=1e-4)


def test_a_single_slice_carries_no_timing_risk():
    est = _estimate(horizon_s=30.0, interval_s=60.0, quantity=0.01)
    assert est.n_slices == 1
    assert est.low_bps == est.expected_cost_bps == est.high_bps


def test_an_order_within_the_cap_takes_its_horizon():
    est = _estimate(quantity=3.0)
    assert est.expected_duration_s == 3600.0
    assert not est.extended
    assert est.required_participation == pytest.approx(3.0 / (3.0 + 720.0))
    assert est.participation == est.required_participation
    assert not any("participation cap" in w for w in est.warnings)


def test_an_order_needing_more_than_the_cap_takes_longer_and_says_so():
    # 160 BTC in an hour against 720 printed would be 18 % of the volume
    est = _estimate(quantity=160.0)
    assert est.extended
    assert est.required_participation == pytest.approx(160 / 880)
    assert est.participation == pytest.approx(0.10)
    # at 10 % we trade 1/9 of what the market prints: 160 * 9 / 0.2 s
    assert est.expected_duration_s == pytest.approx(160 * 9 / 0.2)
    assert est.impact.duration_s == pytest.approx(est.expected_duration_s)
    assert any("above the 10% participation cap" in w and "2.0x the horizon" in w for w in est.warnings)


def test_the_cap_comes_from_the_risk_limits():
    est = _estimate(quantity=160.0, limits=RiskLimits(max_participation=0.25))
    assert not est.extended and est.expected_duration_s == 3600.0


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.floats(min_value=1e-4, max_value=5_000.0),
    horizon=st.floats(min_value=10.0, max_value=86_400.0),
    interval=st.floats(min_value=1.0, max_value=600.0),
    vol=st.floats(min_value=0.0, max_value=0.05),
    model=st.sampled_from(
        [
            AlmgrenChrissImpact(),
            KyleImpact(lambda_bps=80.0, eta_bps=3.0),
            PowerLawImpact(coefficient=1.0, beta=0.6, permanent_share=0.3),
            LLMAdjustedImpact(AlmgrenChrissImpact(), 1.7, "news"),
        ]
    ),
)
def test_low_expected_high_are_ordered_and_cost_grows_with_quantity(quantity, horizon, interval, vol, model):
    market = _market(volatility_1h=vol)
    small = _estimate(quantity=quantity, horizon_s=horizon, interval_s=interval, market=market, model=model)
    big = _estimate(
        quantity=quantity * 1.5, horizon_s=horizon, interval_s=interval, market=market, model=model
    )
    for est in (small, big):
        assert est.low_bps <= est.expected_cost_bps <= est.high_bps
        assert all(math.isfinite(v) for v in (est.low_bps, est.expected_cost_bps, est.high_bps))
        assert est.expected_duration_s >= horizon
    assert big.expected_cost_bps >= small.expected_cost_bps
    assert big.high_bps >= small.high_bps
    if not big.extended:  # same duration, same band width
        assert big.low_bps >= small.low_bps


def test_warnings_explain_a_large_order_a_wide_spread_high_volatility_and_a_clamped_multiplier():
    market = _market(best_bid=MID - 80.0, best_ask=MID + 80.0, volatility_1h=0.07, stale=True)
    model = LLMAdjustedImpact(AlmgrenChrissImpact(), 5.0, "liquidity drought")
    est = _estimate(quantity=400.0, horizon_s=86_400.0, market=market, model=model)
    text = " | ".join(est.warnings)
    assert "2.3% of the day's volume" in text
    assert "spread is 25.0 bps" in text
    assert "7.00%" in text and "stops trading" in text
    assert "stale" in text
    assert "multiplier 5 was clamped to 2" in text


def test_slices_above_the_per_order_notional_limit_are_flagged():
    est = _estimate(quantity=60.0, horizon_s=7200.0, interval_s=60.0)  # 120 slices of 32,000 quote
    assert not any("per-order limit" in w for w in est.warnings)
    est = _estimate(quantity=120.0, horizon_s=7200.0, interval_s=600.0)  # 12 slices of 640,000 quote
    assert any("640,000 each" in w for w in est.warnings)


def test_zero_volatility_gives_a_collapsed_band_and_a_warning():
    # the prior expects 0.036 jumps in an hour: 96.4 % of such orders see none, so the 95 % band is a point
    est = _estimate(market=_market(volatility_1h=0.0))
    assert est.low_bps == est.expected_cost_bps == est.high_bps == pytest.approx(est.half_spread_bps)
    assert any("volatility is 0" in w for w in est.warnings)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quantity": 0.0}, "quantity must be > 0"),
        ({"quantity": -2.0}, "quantity must be > 0"),
        ({"quantity": math.nan}, "quantity must be > 0"),
        ({"horizon_s": math.inf}, "horizon_s must be > 0 and finite"),
        ({"interval_s": 0.0}, "interval_s must be > 0"),
        ({"market": _market(volume_1h=0.0)}, "volume_1h must be > 0"),
        ({"market": _market(volume_1h=math.nan)}, "volume_1h must be > 0"),
        ({"confidence": 1.0}, "confidence must be within"),
        ({"fee_bps": -1.0}, "fee_bps must be >= 0"),
    ],
)
def test_bad_inputs_raise_an_impact_input_error(kwargs, message):
    with pytest.raises(ImpactInputError, match=message):
        _estimate(**kwargs)


def test_an_unknown_side_is_refused():
    with pytest.raises(ImpactInputError, match="side must be 'buy' or 'sell'"):
        pretrade_estimate(
            side="hold",
            quantity=1.0,
            horizon_s=60,
            market=_market(),
            model=AlmgrenChrissImpact(),
            interval_s=10,
        )


def test_to_dict_is_plain_json():
    data = json.loads(json.dumps(_estimate(quantity=160.0).to_dict()))
    assert data["side"] == "buy"
    assert data["extended"] is True
    assert data["impact"]["model"] == "almgren_chriss"
    assert data["low_bps"] <= data["expected_cost_bps"] <= data["high_bps"]
    assert isinstance(data["warnings"], list) and data["warnings"]
    assert data["jump_prior"]["intensity_per_day"] == pytest.approx(0.8675, abs=1e-4)
    assert data["jump_prior"]["size_rms"] == 0.015
    assert data["volatility_dof"] == 59
    assert data["jump_risk_bps"] > 0 and data["expected_jumps"] > 0
