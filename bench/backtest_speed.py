"""Speed of the backtest: simulated steps per second, and the wall time of the standard suite
(5 strategies × both sides × all scenarios × 20 seeds, the standard one-hour order).

    .venv/bin/python bench/backtest_speed.py            # the standard suite on all cores
    .venv/bin/python bench/backtest_speed.py --seeds 5 --workers 1 --side buy
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from execdesk.backtest.spec import OrderSpec, parse_sides  # noqa: E402
from execdesk.backtest.suite import SuiteSpec, run_suite  # noqa: E402
from execdesk.domain.strategies.registry import STRATEGY_NAMES  # noqa: E402
from execdesk.market.regimes import SCENARIOS  # noqa: E402
from execdesk.market.sim import SIM_PRESETS, SimMarket  # noqa: E402


def market_steps_per_second(seconds: int = 20_000, step: int = 15) -> float:
    price, params = SIM_PRESETS["BTCUSDT"]
    market = SimMarket.create("BTCUSDT", seed=1, start_ts=OrderSpec().start_ts, start_price=price, params=params)
    started = time.perf_counter()
    t = market.ts
    for _ in range(seconds // step):
        t += step
        market.advance_to(t)
        market.snapshot()
    return seconds / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--side", default="both", choices=["buy", "sell", "both"],
                        help="both, as the standard suite (twice the runs of one side)")
    args = parser.parse_args()
    console = Console()
    rate = market_steps_per_second()
    console.print(f"simulator alone: {rate:,.0f} simulated seconds per second "
                  f"(advance 15 s + one snapshot per decision)")
    suite = SuiteSpec(strategies=STRATEGY_NAMES, scenarios=tuple(SCENARIOS), seeds=args.seeds,
                      sides=parse_sides(args.side))
    workers = args.workers or os.cpu_count() or 1
    with Progress(TextColumn("[bold]standard suite"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("runs", total=suite.runs)
        started = time.perf_counter()
        result = run_suite(suite, workers=workers, progress=lambda n: progress.advance(task, n))
        wall = time.perf_counter() - started
    decisions = suite.runs * suite.order.horizon_s / suite.order.interval_s
    console.print(f"standard suite: {suite.runs} runs ({len(STRATEGY_NAMES)} strategies × {len(suite.sides)} "
                  f"side(s) × {len(SCENARIOS)} scenarios × {args.seeds} seeds) on {workers} worker(s): "
                  f"wall {wall:.1f} s, {wall / suite.runs * 1000:.1f} ms per run")
    console.print(f"  {result.simulated_s:,.0f} simulated seconds of execution: "
                  f"{result.simulated_s / wall:,.0f} simulated seconds per wall second, "
                  f"~{decisions / wall:,.0f} decisions per second (strategy → draft → risk gate → paper venue)")


if __name__ == "__main__":
    main()
