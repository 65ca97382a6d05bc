"""docs/tca.md's worked examples of the one implementation shortfall, its decomposition and the per-fill
evidence (spread at the fill, markouts, the market's VWAP and TWAP), for a buy and a sell that both fill
partly (1.5 of 2 BTC) — every figure computed by hand in the comments."""

import pytest

from execdesk.domain.impact import KyleImpact
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.tca import (
    CompletionCost,
    ExecutionRecord,
    TCAFill,
    TCAInputError,
    completion_cost,
    tca_report,
)

N = 2 * 60_000.0  # the paper portfolio: X × P_d
COMPLETION = CompletionCost(half_spread_bps=0.5, fee_bps=5.5, impact_bps=4.0)  # 10 bps per unfilled unit


def _buy(**changes) -> ExecutionRecord:
    fields = dict(
        side="buy", quantity=2.0, decision_price=60_000.0, arrival_mid=60_010.0, started_at=0.0, deadline=600.0,
        final_mid=60_150.0, ended_at=600.0, completion=COMPLETION,
        market_trades=(Trade(60.0, 60_020.0, 3.0, "buy"), Trade(400.0, 60_060.0, 4.5, "sell"),
                       Trade(700.0, 61_000.0, 50.0, "buy")),  # the last print is after the window
        fills=(
            TCAFill(1.0, 60_030.0, ts=120.0, fee=33.0165, liquidity="taker", mid=60_025.0,
                    mid_1s=60_030.0, mid_10s=60_040.0, mid_60s=60_060.0),
            TCAFill(0.5, 60_040.0, ts=300.0, fee=6.004, liquidity="maker", mid=60_045.0,
                    mid_1s=60_035.0, mid_10s=60_030.0, mid_60s=60_020.0),
        ),
    )
    fields.update(changes)
    return ExecutionRecord(**fields)


def _sell(**changes) -> ExecutionRecord:
    fields = dict(
        side="sell", arrival_mid=59_990.0, final_mid=59_850.0,
        market_trades=(Trade(60.0, 59_980.0, 3.0, "sell"), Trade(400.0, 59_940.0, 4.5, "buy")),
        fills=(
            TCAFill(1.0, 59_970.0, ts=120.0, fee=32.9835, liquidity="taker", mid=59_975.0,
                    mid_1s=59_970.0, mid_10s=59_960.0, mid_60s=59_940.0),
            TCAFill(0.5, 59_960.0, ts=300.0, fee=5.996, liquidity="maker", mid=59_955.0,
                    mid_1s=59_965.0, mid_10s=59_970.0, mid_60s=59_980.0),
        ),
    )
    fields.update(changes)
    return _buy(**fields)


def test_buy_shortfall_decomposes_into_delay_timing_execution_fees_opportunity_and_completion():
    r = tca_report(_buy())
    assert r.is_delay_bps == pytest.approx(1.5 * 10 / N * 1e4)  # 1.25: the mid moved 10 before we started
    assert r.is_timing_bps == pytest.approx((1.0 * 15 + 0.5 * 35) / N * 1e4)  # 2.7083: arrival → mid at fill
    assert r.is_execution_bps == pytest.approx((1.0 * 5 - 0.5 * 5) / N * 1e4)  # 0.2083: paid 5 over, 5 under
    assert r.is_fees_bps == pytest.approx(39.0205 / N * 1e4)  # 3.2517
    assert r.is_opportunity_bps == pytest.approx(0.5 * 150 / N * 1e4)  # 6.25
    assert r.completion_cost_bps == pytest.approx(10.0)
    assert r.is_completion_bps == pytest.approx(0.5 * 60_150 * 10e-4 / N * 1e4)  # 2.5063
    assert r.is_bps == pytest.approx((15 + 32.5 + 2.5 + 39.0205 + 75 + 30.075) / N * 1e4)  # 16.1746
    assert r.is_bps == pytest.approx(16.1746, abs=1e-4)
    parts = (r.is_delay_bps, r.is_timing_bps, r.is_execution_bps, r.is_fees_bps, r.is_opportunity_bps,
             r.is_completion_bps)
    assert sum(parts) == pytest.approx(r.is_bps)
    assert r.fill_rate == pytest.approx(0.75)


def test_sell_shortfall_mirrors_the_buy():
    r = tca_report(_sell())
    assert r.is_delay_bps == pytest.approx(1.5 * 10 / N * 1e4)  # sold after the mid fell 10
    assert r.is_timing_bps == pytest.approx((1.0 * 15 + 0.5 * 35) / N * 1e4)  # mid fell on to the fills
    assert r.is_execution_bps == pytest.approx((1.0 * 5 - 0.5 * 5) / N * 1e4)  # 5 under the mid, 5 over
    assert r.is_fees_bps == pytest.approx(38.9795 / N * 1e4)
    assert r.is_opportunity_bps == pytest.approx(0.5 * 150 / N * 1e4)
    assert r.is_completion_bps == pytest.approx(0.5 * 59_850 * 10e-4 / N * 1e4)  # 2.4938
    assert r.is_bps == pytest.approx((15 + 32.5 + 2.5 + 38.9795 + 75 + 29.925) / N * 1e4)  # 16.1587
    assert r.is_bps == pytest.approx(16.1587, abs=1e-4)


def test_a_complete_order_pays_no_completion_and_no_completion_is_charged_without_one():
    full = _buy(quantity=1.5)
    assert tca_report(full).is_completion_bps == 0.0 and tca_report(full).is_opportunity_bps == 0.0
    r = tca_report(_buy(completion=None))
    assert r.is_completion_bps == 0.0 and r.completion_cost_bps is None
    assert r.is_bps == pytest.approx((15 + 32.5 + 2.5 + 39.0205 + 75) / N * 1e4)


def test_not_finishing_is_not_rewarded_the_remainder_costs_its_completion():
    # nothing filled, the mid never moved: the whole order still costs what finishing it would
    r = tca_report(_buy(fills=(), arrival_mid=60_000.0, final_mid=60_000.0))
    assert r.is_bps == pytest.approx(10.0)  # 2 × 60,000 × 10 bps / 120,000


def test_spread_captured_is_measured_against_the_mid_at_the_fill():
    buy, sell = tca_report(_buy()), tca_report(_sell())
    assert buy.spread_captured_bps == pytest.approx((60_045 - 60_040) / 60_045 * 1e4)  # 0.8327 below the mid
    assert sell.spread_captured_bps == pytest.approx((59_960 - 59_955) / 59_955 * 1e4)  # 0.8340 above it


def test_markouts_are_positive_when_the_market_moves_against_the_fill():
    r = tca_report(_buy())
    # per fill s (p - m_h) / m_h, weighted by quantity (1.0 and 0.5)
    assert r.markout_1s_bps == pytest.approx((1.0 * 0 / 60_030 + 0.5 * 5 / 60_035) / 1.5 * 1e4)  # 0.2776
    assert r.markout_10s_bps == pytest.approx((1.0 * -10 / 60_040 + 0.5 * 10 / 60_030) / 1.5 * 1e4)  # -0.5551
    assert r.markout_60s_bps == pytest.approx((1.0 * -30 / 60_060 + 0.5 * 20 / 60_020) / 1.5 * 1e4)  # -2.2193
    s = tca_report(_sell())
    assert s.markout_1s_bps == pytest.approx((1.0 * 0 / 59_970 + 0.5 * 5 / 59_965) / 1.5 * 1e4)
    assert s.markout_10s_bps == pytest.approx((1.0 * -10 / 59_960 + 0.5 * 10 / 59_970) / 1.5 * 1e4)
    assert s.markout_60s_bps == pytest.approx((1.0 * -30 / 59_940 + 0.5 * 20 / 59_980) / 1.5 * 1e4)


def test_markouts_skip_fills_whose_later_mid_is_not_known_yet():
    fills = (TCAFill(1.0, 60_030.0, ts=120.0, mid_1s=60_020.0), TCAFill(0.5, 60_040.0, ts=300.0))
    r = tca_report(_buy(fills=fills))
    assert r.markout_1s_bps == pytest.approx(10 / 60_020 * 1e4)
    assert r.markout_10s_bps is None and r.markout_60s_bps is None


def test_a_fill_without_its_mid_counts_its_whole_move_from_arrival_as_execution():
    fills = (TCAFill(1.0, 60_030.0, ts=120.0),)
    r = tca_report(_buy(fills=fills))
    assert r.is_timing_bps == 0.0
    assert r.is_execution_bps == pytest.approx(20 / N * 1e4)
    assert r.spread_captured_bps is None


def test_market_vwap_and_interval_twap_come_from_the_prints_in_the_window():
    buy = tca_report(_buy())
    assert buy.market_vwap == pytest.approx((3 * 60_020 + 4.5 * 60_060) / 7.5)  # 60,044
    # 60,020 holds from 60 s to 400 s, 60,060 from 400 s to the end at 600 s
    twap = (60_020 * 340 + 60_060 * 200) / 540  # 60,034.81
    assert buy.market_twap == pytest.approx(twap)
    assert buy.twap_slippage_bps == pytest.approx((90_050 / 1.5 - twap) / twap * 1e4)  # -0.2468
    sell = tca_report(_sell())
    twap = (59_980 * 340 + 59_940 * 200) / 540
    assert sell.market_twap == pytest.approx(twap)
    assert sell.twap_slippage_bps == pytest.approx(-(89_950 / 1.5 - twap) / twap * 1e4)


def test_completion_cost_is_half_the_spread_plus_the_taker_fee_plus_the_models_impact():
    market = MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=60_150.0, best_bid=60_147.0, best_ask=60_153.0,
                            bids=(), asks=(), volume_1h=1_200.0, volatility_1h=0.006)
    model = KyleImpact(lambda_bps=11_520.0, eta_bps=20.0)
    c = completion_cost(0.5, market=market, model=model, fee_bps=5.5, duration_s=30.0)
    assert c.half_spread_bps == pytest.approx(6 / 60_150 * 1e4 / 2)  # 0.4988
    # temporary 20 × 0.5 / (1,200 × 30 / 3,600) = 1.0; lasting move 11,520 × 0.5 / 28,800 = 0.2, half paid
    assert c.impact_bps == pytest.approx(1.0 + 0.1)
    assert c.total_bps == pytest.approx(0.4988 + 5.5 + 1.1, abs=1e-4)
    assert c.model == "kyle"
    quiet = MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=60_150.0, best_bid=60_147.0, best_ask=60_153.0,
                           bids=(), asks=(), volume_1h=0.0)
    c = completion_cost(0.5, market=quiet, model=model, fee_bps=5.5, duration_s=30.0)
    assert c.impact_bps == 0.0 and "impact not estimated" in c.note


def test_bad_completion_and_markout_inputs_are_refused_by_name():
    with pytest.raises(TCAInputError, match="completion.impact_bps"):
        _buy(completion=CompletionCost(0.5, 5.5, float("nan")))
    with pytest.raises(TCAInputError, match=r"fills\[0\].mid_10s"):
        _buy(fills=(TCAFill(1.0, 60_030.0, ts=120.0, mid_10s=-1.0),))
