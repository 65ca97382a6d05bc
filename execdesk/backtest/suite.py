"""The backtest grid: strategies × sides × scenarios × seeds, run in worker processes, summarised honestly.

Every strategy of a (scenario, seed) path meets the same market (the simulator is seeded per second; a
replay reads the same tape), and so does each side: a suite with both sides runs the sell as the mirror
of the buy (same quantity, horizon and paths). Strategies are compared on paired samples, per side and
pooled over the sides (execdesk.backtest.metrics). Results do not depend on the number of workers or the
order in which runs finish.

The "llm" strategy (Claude over TWAP's schedule, execdesk.backtest.llm) needs ANTHROPIC_API_KEY, checked
before any run starts; its suites default to `LLM_MAX_WORKERS` processes to respect the API's rate limits.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from execdesk.backtest.execution import Execution, execute
from execdesk.backtest.llm import LLM_MAX_WORKERS, llm_config, run_llm
from execdesk.backtest.markets import build_market, is_plan_params, pov_plan, strategy_for
from execdesk.backtest.metrics import CONTROL_SCENARIO, METRICS, holm_family, row_for, summarise_rows
from execdesk.backtest.spec import LLM_STRATEGY, OrderSpec, RunSpec
from execdesk.backtest.stats import ALPHA
from execdesk.domain.orders import Side
from execdesk.domain.risk import RiskLimits


@dataclass(frozen=True)
class SuiteSpec:
    strategies: tuple[str, ...]
    scenarios: tuple[str, ...]
    seeds: int
    order: OrderSpec = OrderSpec()
    limits: RiskLimits = RiskLimits()
    tape: str | None = None
    first_seed: int = 1
    llm_cache: str | None = None  # the "llm" strategy's response cache directory (else EXECDESK_LLM_CACHE_DIR)
    sides: tuple[Side, ...] = ()  # the sides the order is run on; empty: the order's own side

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {self.seeds}")
        if not self.strategies or not self.scenarios:
            raise ValueError("a suite needs at least one strategy and one scenario")
        sides = tuple(Side(s) for s in self.sides) or (self.order.side,)
        if len(set(sides)) != len(sides):
            raise ValueError(f"each side once, got {', '.join(sides)}")
        object.__setattr__(self, "sides", sides)

    def pairs(self) -> list[tuple[str, int]]:
        """The market paths: (scenario, seed)."""
        return [(scenario, seed) for scenario in self.scenarios
                for seed in range(self.first_seed, self.first_seed + self.seeds)]

    def tasks(self) -> list[tuple[Side, str, int]]:
        """What a worker runs every strategy on: (side, scenario, seed)."""
        return [(side, scenario, seed) for side in self.sides for scenario, seed in self.pairs()]

    @property
    def runs(self) -> int:
        return len(self.strategies) * len(self.sides) * len(self.scenarios) * self.seeds


@dataclass
class SuiteResult:
    spec: SuiteSpec
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    wall_s: float = 0.0
    simulated_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        order = self.spec.order
        return {
            "suite": {"strategies": list(self.spec.strategies), "scenarios": list(self.spec.scenarios),
                      "sides": [s.value for s in self.spec.sides],
                      "seeds": self.spec.seeds, "first_seed": self.spec.first_seed, "tape": self.spec.tape,
                      "order": {"symbol": order.symbol, "quantity": order.quantity,
                                "horizon_s": order.horizon_s, "interval_s": order.interval_s,
                                "start_ts": order.start_ts, "pov_rate": order.pov_rate,
                                "latency_s": order.latency_s, "warmup_s": order.warmup_s,
                                "randomise": order.randomise, "end_policy": order.end_policy.value,
                                "max_catchup": order.max_catchup, "limit_price": order.limit_price,
                                "urgency": order.urgency, "risk_aversion": order.risk_aversion,
                                "min_participation": order.min_participation,
                                "max_participation": order.max_participation},
                      "metrics": list(METRICS), "wall_s": round(self.wall_s, 3),
                      "simulated_s": round(self.simulated_s, 1)},
            "statistics": {
                "intervals": "95 % Student-t intervals of the mean; differences paired by market path",
                "correction": "Holm-Bonferroni", "alpha": ALPHA, "family": len(holm_family(self.summary)),
                "control": CONTROL_SCENARIO if CONTROL_SCENARIO in self.spec.scenarios else None},
            "rows": self.rows,
            "summary": self.summary,
        }


def run_spec(spec: RunSpec, *, trace: bool = False) -> Execution:
    market, instrument = build_market(spec)
    if spec.strategy == LLM_STRATEGY:
        return run_llm(spec, market, instrument, trace=trace)
    params: dict[str, Any] = pov_plan(spec, market) if spec.strategy == "pov" else {}
    strategy = strategy_for(spec, market, instrument)
    if spec.strategy == "is":
        params = is_plan_params(spec, market, strategy)
    run = execute(spec, market, instrument, strategy, trace=trace)
    run.params = params
    return run


def _run_pair(suite: SuiteSpec, side: Side, scenario: str, seed: int) -> list[dict[str, Any]]:
    rows = []
    order = replace(suite.order, side=side)
    for name in suite.strategies:
        spec = RunSpec(strategy=name, scenario=scenario, seed=seed, order=order, limits=suite.limits,
                       tape=suite.tape, tape_offset_s=_tape_offset(suite, seed), llm_cache=suite.llm_cache)
        rows.append(row_for(run_spec(spec)))
    return rows


def _tape_offset(suite: SuiteSpec, seed: int) -> float:
    # On a tape, seeds start the order at successive points of the tape, one horizon apart.
    return 0.0 if suite.tape is None else (seed - suite.first_seed) * suite.order.horizon_s


def run_suite(suite: SuiteSpec, *, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> SuiteResult:
    """Run the grid; `progress(n)` is called with the number of runs just finished."""
    import time

    started = time.perf_counter()
    if LLM_STRATEGY in suite.strategies:
        llm_config(suite.llm_cache)  # no key: fail before any run, not in every worker
    if workers is None:
        workers = min(os.cpu_count() or 1, len(suite.tasks()))
        if LLM_STRATEGY in suite.strategies:
            workers = min(workers, LLM_MAX_WORKERS)
    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for side, scenario, seed in suite.tasks():
            pair_rows = _run_pair(suite, side, scenario, seed)
            rows.extend(pair_rows)
            if progress:
                progress(len(pair_rows))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_pair, suite, *task) for task in suite.tasks()]
            for future in _as_completed(futures):
                pair_rows = future.result()
                rows.extend(pair_rows)
                if progress:
                    progress(len(pair_rows))
    order_index = {(sd.value, sc, se): i for i, (sd, sc, se) in enumerate(suite.tasks())}
    strategy_index = {name: i for i, name in enumerate(suite.strategies)}
    rows.sort(key=lambda r: (order_index[(r["side"], r["scenario"], r["seed"])], strategy_index[r["strategy"]]))
    _add_vs_twap(rows)
    wall = time.perf_counter() - started
    simulated = sum(r["duration_s"] or 0.0 for r in rows)
    summary = summarise_rows(rows, suite.strategies, suite.scenarios, [s.value for s in suite.sides],
                             horizon_s=suite.order.horizon_s, interval_s=suite.order.interval_s)
    return SuiteResult(spec=suite, rows=rows, summary=summary, wall_s=wall, simulated_s=simulated)


def _as_completed(futures: Iterable[Any]) -> Iterable[Any]:
    from concurrent.futures import as_completed

    return as_completed(list(futures))


def _add_vs_twap(rows: list[dict[str, Any]]) -> None:
    """The counterfactual: the same order (same side) executed by TWAP on the same market path."""
    twap = {(r["side"], r["scenario"], r["seed"]): r["is_bps"] for r in rows if r["strategy"] == "twap"}
    for r in rows:
        base = twap.get((r["side"], r["scenario"], r["seed"]))
        r["vs_twap_bps"] = None if base is None or r["is_bps"] is None else round(r["is_bps"] - base, 4)


def with_order(suite: SuiteSpec, **changes: Any) -> SuiteSpec:
    return replace(suite, order=replace(suite.order, **changes))
