"""Calibration of the pre-trade estimate: predicted against realised cost over the standard suite.

For every (scenario, seed) of the suite the pre-trade estimate is made from the market's snapshot at the
order's start, as the desk makes it at creation (the crypto prior, the taker fee, POV over its expected
completion time); every strategy then runs the order through the backtest and its implementation
shortfall (fees included) is the realised cost. Printed per strategy and scenario: mean predicted and
realised cost, their difference, and the share of runs whose realised cost fell inside the estimate's
95 % band (target: 90-98 %); the band is the desk's, timing risk with the crypto jump prior, the
volatility's estimation error (execdesk.domain.pretrade_band) and the scenario's scheduled events (its
calendar: news_jump's release, funding_event's funding time; times and typical sizes, not directions).

The realised IS carries the market's own move over the hour (tens of bps), which hides the cost model in
noise. So each run is also priced against an untouched twin of its market (same scenario and seed, none
of our trades): ``cost vs twin`` = fills against the twin's mid at the same second, plus fees, in bps of
the paper notional -- spread, impact and fees without the market's move, what ``expected_cost_bps``
predicts.

    .venv/bin/python bench/pretrade_calibration.py                 # the standard suite, 20 seeds
    .venv/bin/python bench/pretrade_calibration.py --seeds 5 --workers 1
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from execdesk.backtest.markets import build_market, pov_plan  # noqa: E402
from execdesk.backtest.metrics import row_for  # noqa: E402
from execdesk.backtest.spec import OrderSpec, RunSpec  # noqa: E402
from execdesk.backtest.suite import run_spec  # noqa: E402
from execdesk.domain.impact import SquareRootImpact  # noqa: E402
from execdesk.domain.pretrade import PreTradeEstimate, pretrade_estimate  # noqa: E402
from execdesk.domain.pretrade_band import CRYPTO_JUMPS, VOLATILITY_DOF  # noqa: E402
from execdesk.domain.strategies.registry import STRATEGY_NAMES  # noqa: E402
from execdesk.market.regimes import SCENARIOS, scenario_named  # noqa: E402
from execdesk.venues.paper import PaperFees  # noqa: E402

TAKER_FEE_BPS = float(PaperFees().taker) * 1e4


def estimate_for(strategy: str, scenario: str, seed: int, order: OrderSpec) -> PreTradeEstimate:
    """The desk's estimate at creation (execdesk.desk.services.strategy.pretrade_for, without the database),
    over the time the run's strategy is expected to take: POV over its expected completion at the rate the
    suite gives it (the rate expected to finish at the horizon, like for like), not the desk's fixed 5 %."""
    spec = RunSpec(strategy=strategy, scenario=scenario, seed=seed, order=order)
    market, _ = build_market(spec)
    snapshot = market.snapshot()
    horizon = order.horizon_s
    if strategy == "pov":
        completion = pov_plan(spec, market)["expected_completion_s"]
        if completion is not None:
            horizon = max(order.interval_s, min(horizon, completion))
    # the scenario's calendar, as the desk's would be: the times and typical sizes, not the directions
    events = scenario_named(scenario).scheduled_events(order.start_ts)
    return pretrade_estimate(side=order.side, quantity=order.quantity, horizon_s=horizon, market=snapshot,
                             interval_s=order.interval_s, model=SquareRootImpact(), fee_bps=TAKER_FEE_BPS,
                             events=events, start_ts=order.start_ts)


def cost_vs_twin_bps(spec: RunSpec, fills: list[tuple[float, float, float, float]], decision_price: float) -> float:
    """Fills ``(ts, qty, price, fee)`` against an untouched twin market's mid at the same second, plus fees."""
    twin, _ = build_market(spec)
    sign, paid = spec.order.side.sign, 0.0
    for ts, qty, price, fee in sorted(fills):
        twin.advance_to(ts)
        paid += sign * (price - twin.mid) * qty + fee
    return paid / (spec.order.quantity * decision_price) * 1e4


def run_pair(order: OrderSpec, scenario: str, seed: int) -> list[dict[str, Any]]:
    rows = []
    for strategy in STRATEGY_NAMES:
        spec = RunSpec(strategy=strategy, scenario=scenario, seed=seed, order=order)
        est = estimate_for(strategy, scenario, seed, order)
        run = run_spec(spec)
        row = row_for(run)
        fills = [(f.ts, f.qty, f.price, f.fee) for f in run.fills]
        rows.append({"strategy": strategy, "scenario": scenario, "seed": seed, "is_bps": row["is_bps"],
                     "fill_rate": row["fill_rate"], "predicted": est.expected_cost_bps, "low": est.low_bps,
                     "high": est.high_bps, "vs_twin": cost_vs_twin_bps(spec, fills, run.decision_price)})
    return rows


def calibration(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, float]]:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["is_bps"] is None:
            continue
        for key in ((row["strategy"], row["scenario"]), (row["strategy"], "all"), ("all", row["scenario"]),
                    ("all", "all")):
            cells[key].append(row)
    out = {}
    for key, values in cells.items():
        n = len(values)
        out[key] = {"n": n, "predicted": statistics.mean(r["predicted"] for r in values),
                    "realised": statistics.mean(r["is_bps"] for r in values),
                    "vs_twin": statistics.mean(r["vs_twin"] for r in values),
                    "coverage": sum(r["low"] <= r["is_bps"] <= r["high"] for r in values) / n}
        for name, field in (("diff", "is_bps"), ("twin_diff", "vs_twin")):
            diffs = [r[field] - r["predicted"] for r in values]
            out[key][name] = statistics.mean(diffs)
            out[key][name + "_ci"] = 1.96 * statistics.stdev(diffs) / math.sqrt(n) if n > 1 else math.nan
    return out


def coverage_interval(rows: list[dict[str, Any]], resamples: int = 2000, seed: int = 15) -> tuple[float, float]:
    """95 % interval of the band's coverage, resampling whole market paths (scenario, seed): the strategies
    of one path share its moves, so a path, not a run, is the independent unit."""
    paths: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for row in rows:
        if row["is_bps"] is not None:
            paths[(row["scenario"], row["seed"])].append(row["low"] <= row["is_bps"] <= row["high"])
    groups = list(paths.values())
    rng = random.Random(seed)
    shares = []
    for _ in range(resamples):
        drawn = [rng.choice(groups) for _ in groups]
        shares.append(sum(sum(g) for g in drawn) / sum(len(g) for g in drawn))
    shares.sort()
    return shares[int(0.025 * resamples)], shares[int(0.975 * resamples) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    order = OrderSpec()
    pairs = [(scenario, seed) for scenario in SCENARIOS for seed in range(1, args.seeds + 1)]
    with ProcessPoolExecutor(max_workers=args.workers or os.cpu_count() or 1) as pool:
        rows = [r for pair in pool.map(run_pair, [order] * len(pairs), *zip(*pairs, strict=True)) for r in pair]
    cells = calibration(rows)
    print(f"pre-trade calibration: {order.side.value} {order.quantity:g} {order.symbol} over {order.horizon_s:.0f} s "
          f"in {order.interval_s:.0f} s steps, {len(STRATEGY_NAMES)} strategies x {len(SCENARIOS)} scenarios x "
          f"{args.seeds} seeds; model: {SquareRootImpact().describe()}; taker fee {TAKER_FEE_BPS:g} bps; band: "
          f"timing risk, volatility_dof {VOLATILITY_DOF}, jumps {CRYPTO_JUMPS.intensity_per_day:.3f} a day of "
          f"{CRYPTO_JUMPS.size_rms:.1%} RMS, scheduled events from each scenario's calendar")
    print("| strategy | scenario | n | predicted bps | realised IS bps | IS − predicted [95 % CI] | IS in 95 % band "
          "| cost vs twin bps | vs twin − predicted [95 % CI] |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for strategy in [*STRATEGY_NAMES, "all"]:
        for scenario in [*SCENARIOS, "all"]:
            c = cells.get((strategy, scenario))
            if c is None:
                continue
            print(f"| {strategy} | {scenario} | {c['n']:.0f} | {c['predicted']:.2f} | {c['realised']:.2f} | "
                  f"{c['diff']:+.2f} ± {c['diff_ci']:.2f} | {c['coverage']:.0%} | {c['vs_twin']:.2f} | "
                  f"{c['twin_diff']:+.2f} ± {c['twin_diff_ci']:.2f} |")
    low, high = coverage_interval(rows)
    print(f"\nBand coverage over all runs: {cells[('all', 'all')]['coverage']:.1%}, 95 % interval {low:.1%} … "
          f"{high:.1%} (the {len({(r['scenario'], r['seed']) for r in rows})} market paths resampled)")
    for scenario in SCENARIOS:
        low, high = coverage_interval([r for r in rows if r["scenario"] == scenario])
        print(f"* {scenario}: {cells[('all', scenario)]['coverage']:.0%} [{low:.0%}, {high:.0%}]")


if __name__ == "__main__":
    main()
