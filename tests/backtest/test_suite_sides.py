"""A suite on both sides: sells mirror buys on the same paths, the pooled difference averages each path's
two sides, every difference is judged after Holm–Bonferroni, and POV works over the same horizon."""

from __future__ import annotations

import math

import pytest

from execdesk.backtest.markets import build_market, expected_volume, pov_plan
from execdesk.backtest.metrics import holm_family
from execdesk.backtest.report_md import render_markdown
from execdesk.backtest.spec import OrderSpec, RunSpec, parse_sides
from execdesk.backtest.stats import holm, paired_difference
from execdesk.backtest.suite import SuiteSpec, run_suite
from execdesk.domain.orders import Side
from execdesk.domain.strategies.pov import pov_expected_completion_s, pov_rate_to_finish

SHORT = OrderSpec(quantity=2.0, horizon_s=600.0, interval_s=15.0)


@pytest.fixture(scope="module")
def both():
    suite = SuiteSpec(strategies=("twap", "is", "pov"), scenarios=("calm", "trend_up"), seeds=3, order=SHORT,
                      sides=(Side.BUY, Side.SELL))
    return run_suite(suite, workers=1)


def test_the_sell_mirrors_the_buy_on_the_same_paths(both):
    assert len(both.rows) == 3 * 2 * 2 * 3
    buys = {(r["strategy"], r["scenario"], r["seed"]): r for r in both.rows if r["side"] == "buy"}
    sells = {(r["strategy"], r["scenario"], r["seed"]): r for r in both.rows if r["side"] == "sell"}
    assert buys.keys() == sells.keys()
    for key, buy in buys.items():
        assert sells[key]["decision_price"] == buy["decision_price"]  # the same market when the order starts
    # differences to TWAP are taken within a side
    twap_sell = {(r["scenario"], r["seed"]): r["is_bps"] for r in both.rows if r["side"] == "sell" and r["strategy"] == "twap"}
    for r in both.rows:
        if r["side"] == "sell":
            assert r["vs_twap_bps"] == pytest.approx(r["is_bps"] - twap_sell[(r["scenario"], r["seed"])], abs=1e-3)


def test_the_pooled_difference_averages_each_paths_buy_and_sell(both):
    rows = {(r["strategy"], r["side"], r["scenario"], r["seed"]): r["is_bps"] for r in both.rows}

    def per_path(strategy):
        return [(rows[(strategy, "buy", "trend_up", s)] + rows[(strategy, "sell", "trend_up", s)]) / 2 for s in (1, 2, 3)]

    expected = paired_difference(per_path("is"), per_path("twap"))
    cell = both.summary["is"]["by_scenario"]["trend_up"]["vs_twap_bps"]
    assert cell["n"] == 3  # paths, not 6 runs: a path's buy and sell are not independent samples
    assert cell["mean"] == pytest.approx(expected.mean, abs=1e-4)
    assert (cell["ci95_low"], cell["ci95_high"]) == (pytest.approx(expected.low, abs=1e-4),
                                                      pytest.approx(expected.high, abs=1e-4))
    buy = both.summary["is"]["by_side"]["buy"]["by_scenario"]["trend_up"]["vs_twap_bps"]
    sell = both.summary["is"]["by_side"]["sell"]["by_scenario"]["trend_up"]["vs_twap_bps"]
    assert cell["mean"] == pytest.approx((buy["mean"] + sell["mean"]) / 2, abs=1e-3)


def test_every_difference_is_judged_after_holm_across_all_cells(both):
    family = holm_family(both.summary)
    # is and pov × (calm, trend_up, all) × (buy, sell, pooled)
    assert len(family) == 2 * 3 * 3 == both.to_dict()["statistics"]["family"]
    adjusted = holm([d["p"] for d in family])
    for d, p in zip(family, adjusted, strict=True):
        assert d["p_holm"] == pytest.approx(p, abs=1e-6)
        assert d["significant"] == (p <= 0.05)
        assert d["p_holm"] >= d["p"]
    twap = both.summary["twap"]["vs_twap_bps"]
    assert twap["significant"] is False and twap["p_holm"] is None  # the baseline is not a test


def test_every_mean_has_its_interval_and_fill_rate_and_completion_are_in_every_cell(both):
    for entry in both.summary.values():
        for block in (entry, *entry["by_side"].values()):
            for cell in block["by_scenario"].values():
                assert {"is_bps", "fill_rate", "is_completion_bps", "duration_s"} <= cell.keys()
                assert cell["is_bps"]["ci95_low"] <= cell["is_bps"]["mean"] <= cell["is_bps"]["ci95_high"]
    text = render_markdown(both.to_dict())
    assert text.count("fill ") >= 3 * 3 * 3  # strategies × (2 scenarios + all) × (buy, sell, pooled)
    assert "calm (martingale control: Δ from timing expected 0)" in text and "not significant after Holm–Bonferroni (α = 0.05)" in text


def test_pov_is_set_to_finish_at_the_horizon_and_says_so(both):
    pov = [r for r in both.rows if r["strategy"] == "pov"]
    assert pov and all(r["expected_completion_s"] == pytest.approx(SHORT.horizon_s) for r in pov)
    # a run ends when its last cancel has reached the venue: the horizon plus one latency at most
    assert all(r["duration_s"] <= SHORT.horizon_s + SHORT.latency_s + 1e-6 for r in pov)
    assert both.summary["pov"]["like_for_like"] is True
    assert "expected to finish at the horizon" in render_markdown(both.to_dict())


def test_a_fixed_pov_rate_that_finishes_early_is_flagged_not_like_for_like():
    order = OrderSpec(quantity=2.0, horizon_s=600.0, interval_s=15.0, pov_rate=0.10)
    result = run_suite(SuiteSpec(strategies=("twap", "pov"), scenarios=("calm",), seeds=2, order=order), workers=1)
    assert result.summary["pov"]["like_for_like"] is False and result.summary["twap"]["like_for_like"] is True
    assert all(r["pov_rate"] == 0.10 and r["expected_completion_s"] < 400 for r in result.rows if r["strategy"] == "pov")
    assert "Not like for like: pov" in render_markdown(result.to_dict())


def test_pov_rate_to_finish_by_hand():
    # 10 BTC while the market prints 540: 10 / (10 + 540) = 1.8182 %, that is 10 / 540 of the market's own volume
    assert pov_rate_to_finish(10.0, 540.0) == pytest.approx(0.0181818, abs=1e-7)
    assert pov_expected_completion_s(10.0, pov_rate_to_finish(10.0, 540.0), 540.0 / 3600) == pytest.approx(3600.0)
    with pytest.raises(ValueError, match="expected_market_volume must be positive"):
        pov_rate_to_finish(10.0, 0.0)


def test_expected_volume_takes_each_hour_of_the_horizon_from_the_day_before():
    # the standard order starts at 13:30 UTC: 90 minutes are half of hour 13 and all of hour 14
    market, _ = build_market(RunSpec(strategy="pov", scenario="seasonality", seed=1, order=OrderSpec()))
    by_hour = {int(ts // 3600) % 24: v for ts, v in market.hourly_volumes(24)}
    assert expected_volume(market, 5400.0) == pytest.approx(0.5 * by_hour[13] + by_hour[14])
    plan = pov_plan(RunSpec(strategy="pov", scenario="seasonality", seed=1, order=OrderSpec()), market)
    assert plan["pov_rate"] == pytest.approx(10.0 / (10.0 + 0.5 * by_hour[13] + 0.5 * by_hour[14]))
    assert math.isclose(plan["expected_completion_s"], 3600.0)


def test_sides_are_parsed_with_a_clear_error():
    assert parse_sides("both") == (Side.BUY, Side.SELL) and parse_sides("Sell") == (Side.SELL,)
    with pytest.raises(ValueError, match="unknown side 'long'; valid: buy, sell, both"):
        parse_sides("long")
    with pytest.raises(ValueError, match="each side once"):
        SuiteSpec(strategies=("twap",), scenarios=("calm",), seeds=1, sides=(Side.BUY, Side.BUY))
