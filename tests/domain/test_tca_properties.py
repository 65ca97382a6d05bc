"""Properties of the TCA report that must hold for every execution, buys and sells alike."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.tca import ExecutionRecord, TCAFill, tca_report

DECISION = st.floats(min_value=0.01, max_value=1e6)
OFFSET = st.floats(min_value=-0.2, max_value=0.2)  # relative distance of a price from the decision price
FILLS = st.lists(
    st.tuples(
        st.floats(min_value=0.01, max_value=1.0), OFFSET, st.floats(min_value=0.0, max_value=1e-3)
    ),  # (share of the order, offset, fee rate)
    min_size=0,
    max_size=8,
)


def _record(
    side: str,
    decision: float,
    fills: list[tuple[float, float, float]],
    final_offset: float,
    fill_fraction: float = 1.0,
    fees: bool = True,
) -> ExecutionRecord:
    """An order of 10 units whose fills sit at decision x (1 +/- offset): a buy and a sell with the same
    offsets are mirror images. The fee is charged on the buy's notional for both, so it is identical."""
    sign = 1 if side == "buy" else -1
    total_share = sum(share for share, _, _ in fills) or 1.0
    quantity = 10.0
    out = []
    for i, (share, offset, fee_rate) in enumerate(fills):
        qty = quantity * fill_fraction * share / total_share
        fee = fee_rate * qty * decision * (1 + offset) if fees else 0.0
        out.append(TCAFill(qty, decision * (1 + sign * offset), ts=float(i), fee=fee))
    return ExecutionRecord(
        side=side,
        quantity=quantity,
        decision_price=decision,
        started_at=0.0,
        deadline=10.0,
        final_mid=decision * (1 + sign * final_offset),
        fills=tuple(out),
    )


@settings(max_examples=200, deadline=None)
@given(
    decision=DECISION,
    fills=FILLS,
    final_offset=OFFSET,
    fill_fraction=st.floats(min_value=0.01, max_value=1.0),
)
def test_a_buy_and_its_mirrored_sell_have_the_same_shortfall(decision, fills, final_offset, fill_fraction):
    buy = tca_report(_record("buy", decision, fills, final_offset, fill_fraction))
    sell = tca_report(_record("sell", decision, fills, final_offset, fill_fraction))
    assert sell.is_bps == pytest.approx(buy.is_bps, abs=1e-6)
    assert sell.is_execution_bps == pytest.approx(buy.is_execution_bps, abs=1e-6)
    assert sell.is_opportunity_bps == pytest.approx(buy.is_opportunity_bps, abs=1e-6)
    assert sell.fill_rate == pytest.approx(buy.fill_rate)


@settings(max_examples=100, deadline=None)
@given(
    decision=DECISION,
    shares=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=1, max_size=8),
    side=st.sampled_from(["buy", "sell"]),
)
def test_filling_everything_at_the_decision_price_without_fees_costs_nothing(decision, shares, side):
    fills = [(share, 0.0, 0.0) for share in shares]
    report = tca_report(_record(side, decision, fills, final_offset=0.1, fees=False))
    assert report.completed
    assert report.is_bps == pytest.approx(0.0, abs=1e-9)
    assert report.arrival_slippage_bps == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    decision=DECISION, fills=FILLS.filter(bool), final_offset=OFFSET, side=st.sampled_from(["buy", "sell"])
)
def test_fees_always_add_cost(decision, fills, final_offset, side):
    with_fees = tca_report(_record(side, decision, fills, final_offset))
    without = tca_report(_record(side, decision, fills, final_offset, fees=False))
    assert with_fees.is_bps >= without.is_bps - 1e-9
    assert with_fees.is_bps - without.is_bps == pytest.approx(with_fees.is_fees_bps, abs=1e-9)
    assert with_fees.fees_bps is not None and with_fees.fees_bps >= 0


@settings(max_examples=150, deadline=None)
@given(
    mid=DECISION,
    half_spread=st.floats(min_value=0.0, max_value=0.01),
    where=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.01, max_value=1.0)),
        min_size=1,
        max_size=6,
    ),
    side=st.sampled_from(["buy", "sell"]),
)
def test_passive_fills_inside_the_spread_capture_a_non_negative_saving(mid, half_spread, where, side):
    # a passive buy fills between the bid and the mid, a passive sell between the mid and the ask
    sign = 1 if side == "buy" else -1
    fills = tuple(
        TCAFill(qty, mid * (1 - sign * depth * half_spread), ts=float(i), liquidity="maker", mid=mid)
        for i, (depth, qty) in enumerate(where)
    )
    report = tca_report(
        ExecutionRecord(
            side=side,
            quantity=sum(q for _, q in where) * 2,
            decision_price=mid,
            started_at=0.0,
            deadline=60.0,
            final_mid=mid,
            fills=fills,
        )
    )
    assert report.spread_captured_bps is not None
    assert report.spread_captured_bps >= 0
    assert report.spread_captured_bps <= half_spread * 1e4 * (1 + 1e-9)


@settings(max_examples=150, deadline=None)
@given(
    decision=DECISION,
    fills=FILLS,
    final_offset=OFFSET,
    fill_fraction=st.floats(min_value=0.01, max_value=1.0),
    side=st.sampled_from(["buy", "sell"]),
)
def test_every_figure_is_finite_or_none_and_rates_are_fractions(
    decision, fills, final_offset, fill_fraction, side
):
    report = tca_report(_record(side, decision, fills, final_offset, fill_fraction))
    for key, value in report.to_dict().items():
        assert value is None or not isinstance(value, float) or math.isfinite(value), key
    assert 0.0 <= report.fill_rate <= 1.0 + 1e-9
    assert report.is_bps == pytest.approx(
        report.is_delay_bps + report.is_timing_bps + report.is_execution_bps + report.is_fees_bps
        + report.is_opportunity_bps + report.is_completion_bps
    )
