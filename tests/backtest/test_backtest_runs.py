"""A backtest run is the desk's pipeline on a seeded market: deterministic, complete, and within limits."""

from __future__ import annotations

import pytest

from execdesk.backtest.spec import OrderSpec, RunSpec
from execdesk.backtest.suite import SuiteSpec, run_spec, run_suite
from execdesk.domain.risk import RiskLimits

SHORT = OrderSpec(quantity=2.0, horizon_s=600.0, interval_s=10.0)


def test_the_same_seed_gives_the_same_execution():
    a = run_spec(RunSpec(strategy="adaptive", scenario="calm", seed=5, order=SHORT))
    b = run_spec(RunSpec(strategy="adaptive", scenario="calm", seed=5, order=SHORT))
    assert [(f.ts, f.qty, f.price) for f in a.fills] == [(f.ts, f.qty, f.price) for f in b.fills]
    c = run_spec(RunSpec(strategy="adaptive", scenario="calm", seed=6, order=SHORT))
    assert [(f.ts, f.price) for f in a.fills] != [(f.ts, f.price) for f in c.fills]


@pytest.mark.parametrize("strategy", ["twap", "vwap", "is", "adaptive"])
def test_scheduled_strategies_finish_the_order_by_the_deadline(strategy):
    run = run_spec(RunSpec(strategy=strategy, scenario="calm", seed=1, order=SHORT))
    assert run.executed == pytest.approx(SHORT.quantity)
    assert run.end_ts <= run.start_ts + SHORT.horizon_s + 1e-6
    assert run.blocked == 0


def test_every_child_order_respects_the_participation_cap_and_notional_limit():
    limits = RiskLimits()
    run = run_spec(RunSpec(strategy="pov", scenario="drought", seed=2, order=SHORT, limits=limits), trace=True)
    sent = [d for d in run.decisions if d["action"] != "WAIT" and not d["blocked"]]
    assert sent, "POV sent nothing"
    assert all(d["qty"] * run.decision_price <= limits.max_order_notional for d in sent)
    assert run.blocked == 0  # slices are sized to the limits, not proposed over them and blocked


def test_a_suite_pairs_strategies_on_the_same_paths_and_summarises_against_twap():
    suite = SuiteSpec(strategies=("twap", "adaptive"), scenarios=("calm", "trend_up"), seeds=3, order=SHORT)
    result = run_suite(suite, workers=1)
    assert len(result.rows) == 12
    row = result.rows[0]
    for key in ("is_bps", "arrival_slippage_bps", "vwap_slippage_bps", "participation", "fill_rate", "fees_bps",
                "spread_captured", "duration_s", "vs_twap_bps"):
        assert key in row
    twap_rows = [r for r in result.rows if r["strategy"] == "twap"]
    assert all(r["vs_twap_bps"] == 0 for r in twap_rows)
    diff = result.summary["adaptive"]["vs_twap_bps"]
    assert diff["n"] == 6 and diff["ci95_low"] <= diff["mean"] <= diff["ci95_high"]
    assert set(result.summary["adaptive"]["by_scenario"]) == {"calm", "trend_up"}


def test_results_do_not_depend_on_the_number_of_worker_processes():
    suite = SuiteSpec(strategies=("twap", "is"), scenarios=("calm", "news_jump"), seeds=2, order=SHORT)
    one = run_suite(suite, workers=1).rows
    two = run_suite(suite, workers=2).rows
    assert one == two


def test_a_buy_in_an_uptrend_costs_more_than_a_sell():
    buy = run_suite(SuiteSpec(strategies=("twap",), scenarios=("trend_up",), seeds=4,
                              order=OrderSpec(side="buy", quantity=2.0, horizon_s=1800.0)), workers=1)
    sell = run_suite(SuiteSpec(strategies=("twap",), scenarios=("trend_up",), seeds=4,
                               order=OrderSpec(side="sell", quantity=2.0, horizon_s=1800.0)), workers=1)
    assert buy.summary["twap"]["metrics"]["is_bps"]["mean"] > sell.summary["twap"]["metrics"]["is_bps"]["mean"]
