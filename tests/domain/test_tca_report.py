"""The worked examples of docs/tca.md, and how the report behaves at its edges."""

import json
import math

import pytest

from execdesk.domain.market import Trade
from execdesk.domain.tca import (
    ExecutionRecord,
    FillPoint,
    TCAFill,
    TCAInputError,
    fill_slippage_bps,
    market_twap_counterfactual_bps,
    tca_report,
)

PRINTS = (
    Trade(60.0, 60_020.0, 3.0, "buy"),
    Trade(400.0, 60_060.0, 4.5, "sell"),
    Trade(700.0, 61_000.0, 50.0, "buy"),
)  # the last one is after the window


def _buy(**changes) -> ExecutionRecord:
    fields = dict(
        side="buy",
        quantity=2.0,
        decision_price=60_000.0,
        arrival_mid=60_010.0,
        started_at=0.0,
        deadline=600.0,
        final_mid=60_150.0,
        ended_at=600.0,
        market_trades=PRINTS,
        fills=(
            TCAFill(1.0, 60_030.0, ts=120.0, fee=33.0165, liquidity="taker"),
            TCAFill(0.5, 60_040.0, ts=300.0, fee=6.004, liquidity="maker", mid=60_045.0),
        ),
    )
    fields.update(changes)
    return ExecutionRecord(**fields)


def test_buy_example_of_the_docs():
    r = tca_report(_buy())
    # paper notional 120,000: delay 1.5 x 10, timing 0.5 x 35 (the taker fill has no mid: its 20 from arrival
    # is execution), execution 20 - 0.5 x 5, fees 39.0205, opportunity 0.5 x 150, no completion cost given
    assert r.is_delay_bps == pytest.approx(15 / 120_000 * 1e4)
    assert r.is_timing_bps == pytest.approx(17.5 / 120_000 * 1e4)
    assert r.is_execution_bps == pytest.approx(17.5 / 120_000 * 1e4)
    assert r.is_fees_bps == pytest.approx(39.0205 / 120_000 * 1e4)
    assert r.is_opportunity_bps == pytest.approx(75 / 120_000 * 1e4)
    assert r.is_bps == pytest.approx(r.is_delay_bps + r.is_timing_bps + r.is_execution_bps + r.is_fees_bps
                                     + r.is_opportunity_bps + r.is_completion_bps)
    assert r.is_completion_bps == 0.0
    assert r.is_bps == pytest.approx(13.6684, abs=1e-4)
    assert r.avg_price == pytest.approx(60_033.3333, abs=1e-4)
    assert r.decision_slippage_bps == pytest.approx((60_033.3333 - 60_000) / 60_000 * 1e4, abs=1e-4)
    assert r.arrival_slippage_bps == pytest.approx((60_033.3333 - 60_010) / 60_010 * 1e4, abs=1e-4)
    assert r.market_vwap == pytest.approx(60_044.0)
    assert r.vwap_slippage_bps == pytest.approx((60_033.3333 - 60_044) / 60_044 * 1e4, abs=1e-4)
    assert r.vwap_slippage_bps < 0  # bought below the market's VWAP: a saving
    assert r.participation == pytest.approx(1.5 / 9.0)
    assert r.fill_rate == pytest.approx(0.75)
    assert r.passive_share == pytest.approx(1 / 3)
    assert r.spread_captured_bps == pytest.approx(5 / 60_045 * 1e4)
    assert r.fees_bps == pytest.approx(39.0205 / 90_050 * 1e4)
    assert r.taker_fees_bps == pytest.approx(5.5)
    assert r.maker_fees_bps == pytest.approx(2.0)
    assert (r.duration_s, r.completed, r.finished_before_deadline, r.deadline_margin_s) == (
        600.0,
        False,
        False,
        0.0,
    )


def test_sell_example_of_the_docs_mirrors_the_buy():
    sell = _buy(
        side="sell",
        arrival_mid=59_990.0,
        final_mid=59_850.0,
        market_trades=(Trade(60.0, 59_980.0, 3.0, "sell"), Trade(400.0, 59_940.0, 4.5, "buy")),
        fills=(
            TCAFill(1.0, 59_970.0, ts=120.0, fee=33.0165, liquidity="taker"),
            TCAFill(0.5, 59_960.0, ts=300.0, fee=6.004, liquidity="maker", mid=59_955.0),
        ),
    )
    r, b = tca_report(sell), tca_report(_buy())
    assert r.is_bps == pytest.approx(b.is_bps)
    assert r.is_execution_bps > 0 and r.is_opportunity_bps > 0  # sold below the decision, price fell after
    assert r.spread_captured_bps == pytest.approx(5 / 59_955 * 1e4)  # sold above the mid
    assert r.vwap_slippage_bps < 0  # sold above the market's VWAP


def test_the_execution_only_figure_is_the_desks_live_shortfall():
    record = _buy()
    live = fill_slippage_bps(
        "buy", 60_000.0, [FillPoint(f.qty, f.price, f.fee) for f in record.fills]
    )
    assert tca_report(record).decision_slippage_bps == pytest.approx(live)


def test_without_fills_the_shortfall_is_all_opportunity_and_fill_figures_are_none():
    r = tca_report(_buy(fills=()))
    assert r.is_bps == pytest.approx(2 * 150 / 120_000 * 1e4)
    assert r.is_execution_bps == 0.0 and r.is_fees_bps == 0.0
    for name in (
        "avg_price",
        "arrival_slippage_bps",
        "vwap_slippage_bps",
        "decision_slippage_bps",
        "fees_bps",
        "spread_captured_bps",
        "passive_share",
        "maker_fees_bps",
        "taker_fees_bps",
    ):
        assert getattr(r, name) is None, name
    assert r.participation == 0.0 and r.fill_rate == 0.0
    data = r.to_dict()
    assert all(v is None or not isinstance(v, float) or math.isfinite(v) for v in data.values())


def test_unknown_market_prints_leave_vwap_and_participation_undefined_unless_given():
    r = tca_report(_buy(market_trades=None))
    assert r.market_vwap is None and r.vwap_slippage_bps is None and r.participation is None
    given = tca_report(_buy(market_trades=None, market_vwap=60_044.0, market_volume=7.5))
    assert given.vwap_slippage_bps == pytest.approx(tca_report(_buy()).vwap_slippage_bps)
    assert given.participation == pytest.approx(1.5 / 9.0)
    silent = tca_report(_buy(market_trades=()))
    assert silent.market_vwap is None and silent.participation == 1.0  # the market printed nothing but us


def test_completion_versus_deadline():
    done = (TCAFill(1.0, 60_000.0, ts=100.0), TCAFill(1.0, 60_000.0, ts=450.0))
    early = tca_report(_buy(fills=done, ended_at=None))
    assert (early.completed, early.finished_before_deadline) == (True, True)
    assert early.duration_s == 450.0 and early.deadline_margin_s == 150.0
    late = tca_report(_buy(fills=done[:1] + (TCAFill(1.0, 60_000.0, ts=660.0),), ended_at=None))
    assert (late.completed, late.finished_before_deadline, late.deadline_margin_s) == (True, False, -60.0)


def test_vs_twap_is_our_shortfall_minus_the_counterfactuals():
    r = tca_report(_buy(), twap_is_bps=20.0, twap_method="TWAP on the same simulated path")
    assert r.vs_twap_bps == pytest.approx(r.is_bps - 20.0)
    assert r.twap_method == "TWAP on the same simulated path"
    assert tca_report(_buy()).vs_twap_bps is None


def test_market_twap_counterfactual_is_the_mid_twaps_slippage_plus_crossing_costs():
    mids = [60_000.0, 60_030.0, 60_060.0, 60_090.0]  # TWAP of the mids: 60,045
    assert market_twap_counterfactual_bps("buy", 60_000.0, mids) == pytest.approx(7.5)
    assert market_twap_counterfactual_bps("sell", 60_000.0, mids) == pytest.approx(-7.5)
    assert market_twap_counterfactual_bps(
        "buy", 60_000.0, mids, half_spread_bps=0.1, fees_bps=5.5
    ) == pytest.approx(13.1)
    with pytest.raises(TCAInputError, match="mids is empty"):
        market_twap_counterfactual_bps("buy", 60_000.0, [])
    with pytest.raises(TCAInputError, match=r"mids\[1\] must be > 0"):
        market_twap_counterfactual_bps("buy", 60_000.0, [1.0, math.nan])


def test_to_dict_rounds_and_is_json():
    data = json.loads(json.dumps(tca_report(_buy(), twap_is_bps=20.0).to_dict()))
    assert data["is_bps"] == 13.6684
    assert data["participation"] == round(1.5 / 9.0, 8)
    assert data["side"] == "buy" and data["completed"] is False
    for key in (
        "is_bps",
        "arrival_slippage_bps",
        "vwap_slippage_bps",
        "participation",
        "fill_rate",
        "fees_bps",
        "spread_captured_bps",
        "duration_s",
        "finished_before_deadline",
        "vs_twap_bps",
    ):
        assert key in data


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"quantity": 0.0}, "quantity must be > 0"),
        ({"decision_price": math.nan}, "decision_price must be > 0"),
        ({"final_mid": -1.0}, "final_mid must be > 0"),
        ({"side": "short"}, "side must be 'buy' or 'sell'"),
        ({"deadline": -1.0}, "deadline -1.0 is before started_at"),
        ({"ended_at": -5.0}, "ended_at -5.0 is before started_at"),
        ({"fills": (TCAFill(3.0, 60_000.0, ts=1.0),)}, "more than the order's quantity"),
        ({"fills": (TCAFill(1.0, 0.0, ts=1.0),)}, r"fills\[0\].price must be > 0"),
        ({"fills": (TCAFill(1.0, 60_000.0, ts=1.0, fee=math.inf),)}, r"fills\[0\].fee must be finite"),
        (
            {"fills": (TCAFill(1.0, 60_000.0, ts=1.0, liquidity="Maker"),)},
            "liquidity must be 'maker' or 'taker'",
        ),
        ({"market_trades": (Trade(1.0, 60_000.0, -2.0, "buy"),)}, r"market_trades\[0\].qty must be >= 0"),
    ],
)
def test_records_that_cannot_be_analysed_raise_a_tca_input_error(changes, message):
    with pytest.raises(TCAInputError, match=message):
        _buy(**changes)


def test_a_non_finite_counterfactual_is_refused():
    with pytest.raises(TCAInputError, match="twap_is_bps must be finite"):
        tca_report(_buy(), twap_is_bps=math.nan)
