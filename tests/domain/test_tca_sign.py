import pytest

from execdesk.domain.tca import FillPoint, fees_bps, fill_slippage_bps, slippage_bps, vwap


def test_buying_above_the_decision_price_is_a_positive_cost():
    fills = [FillPoint(0.5, 64300.0), FillPoint(0.5, 64324.0)]
    assert vwap(fills) == pytest.approx(64312.0)
    assert fill_slippage_bps("buy", 64250.0, fills) == pytest.approx((64312 - 64250) / 64250 * 1e4)
    assert fill_slippage_bps("buy", 64250.0, fills) > 0


def test_selling_below_the_decision_price_is_a_positive_cost():
    assert fill_slippage_bps("sell", 100.0, [FillPoint(1, 99.0)]) == pytest.approx(100.0)


def test_favourable_executions_are_negative_for_both_sides():
    assert slippage_bps("buy", 99.0, 100.0) == pytest.approx(-100.0)
    assert slippage_bps("sell", 101.0, 100.0) == pytest.approx(-100.0)


def test_no_fills_means_no_shortfall_figure():
    assert fill_slippage_bps("buy", 100.0, []) is None
    assert fees_bps([]) is None


def test_fees_in_bps_of_notional():
    assert fees_bps([FillPoint(2, 100.0, fee=0.11)]) == pytest.approx(5.5)


def test_a_non_positive_benchmark_is_an_error():
    with pytest.raises(ValueError, match="benchmark price must be positive"):
        slippage_bps("buy", 1.0, 0.0)
