"""One JSON row per run, from the desk's TCA code, and the summary of a suite: per side and pooled over
the sides, every mean with its 95 % interval, every difference to TWAP paired on the market path, and the
Holm–Bonferroni verdict of each difference across all the cells the suite reports.

A *path* is (scenario, seed): every strategy and both sides of a suite meet the same exogenous market on
it. Per side, the paired difference of a cell is over its seeds. Pooled over the sides, each path gives one
value, the mean of its buy and its sell (the sell mirrors the buy on the same path): a bet on the drift
then cancels, the two correlated halves are not counted as independent samples, and n stays the number
of paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from execdesk.backtest.execution import Execution
from execdesk.backtest.llm import llm_summary
from execdesk.backtest.spec import LLM_STRATEGY
from execdesk.backtest.stats import ALPHA, holm, paired_difference, summarise
from execdesk.backtest.tca import tca_of

METRICS = ("is_bps", "is_completion_bps", "arrival_slippage_bps", "vwap_slippage_bps", "participation",
           "fill_rate", "fees_bps", "spread_captured", "passive_share", "markout_1s_bps", "markout_10s_bps",
           "markout_60s_bps", "duration_s")
CELL_METRICS = ("is_bps", "fill_rate", "is_completion_bps", "duration_s")  # shown in every table cell
BASELINE = "twap"
POOLED = "pooled"
ALL = "all"  # the scenario label of a strategy's figures over every scenario
# The calm scenario is a martingale: no timing, schedule shape or drift bet has a positive expected value,
# so the expected difference to TWAP from timing is zero; a difference there is fees, spread capture or impact.
CONTROL_SCENARIO = "calm"

Keyed = dict[tuple[str, str, str, int], dict[str, Any]]  # rows by (strategy, side, scenario, seed)


def row_for(run: Execution) -> dict[str, Any]:
    report = tca_of(run)
    run.tca = report
    tca = report.to_dict()
    spec = run.spec
    row: dict[str, Any] = {"strategy": spec.strategy, "side": spec.order.side.value, "scenario": spec.scenario,
                           "seed": spec.seed}
    row.update({
        "is_bps": tca.get("is_bps"),
        # the completion cost of the unfilled remainder, once the TCA charges one (docs/tca.md)
        "is_completion_bps": tca.get("is_completion_bps"),
        "arrival_slippage_bps": tca.get("arrival_slippage_bps"),
        "vwap_slippage_bps": tca.get("vwap_slippage_bps"),
        "participation": tca.get("participation"),
        "fill_rate": tca.get("fill_rate"),
        "fees_bps": tca.get("fees_bps"),
        "spread_captured": tca.get("spread_captured_bps"),
        "markout_1s_bps": tca.get("markout_1s_bps"),
        "markout_10s_bps": tca.get("markout_10s_bps"),
        "markout_60s_bps": tca.get("markout_60s_bps"),
        "duration_s": tca.get("duration_s"),
        "finished_before_deadline": tca.get("finished_before_deadline"),
        "end_state": run.end_state,  # how the end-time policy ended the order (COMPLETE, EXPIRED, CANCELLED)
        "orders": run.orders,
        "fills": len(run.fills),
        "passive_share": tca.get("passive_share"),
        "completed": tca.get("completed"),
        "blocked": run.blocked,
        "decision_price": round(run.decision_price, 4),
    })
    row.update(run.params)
    if run.llm is not None:
        row["llm"] = run.llm
    return row


def summarise_rows(rows: Sequence[dict[str, Any]], strategies: Sequence[str], scenarios: Sequence[str],
                   sides: Sequence[str] | None = None, *, horizon_s: float | None = None,
                   interval_s: float | None = None) -> dict[str, Any]:
    """Per strategy: its figures pooled over the sides (`metrics`, `vs_twap_bps`, `by_scenario`), the same
    per side (`by_side`), and whether it worked over the suite's horizon (`like_for_like`). Every
    `vs_twap_bps` carries `p_holm` and `significant` (after Holm–Bonferroni at ALPHA across every
    difference in the summary); for "llm", Claude's own figures too."""
    sides = list(sides) if sides else sorted({r["side"] for r in rows})
    by_key: Keyed = {(r["strategy"], r["side"], r["scenario"], r["seed"]): r for r in rows}
    paths = sorted({(r["scenario"], r["seed"]) for r in rows})
    out: dict[str, Any] = {}
    for name in strategies:
        mine = [r for r in rows if r["strategy"] == name]
        by_side = {side: _block(by_key, name, [side], scenarios, paths, strategies) for side in sides}
        # one side: its block is the pooled one (the same dicts, corrected once)
        entry = dict(by_side[sides[0]]) if len(sides) == 1 else _block(by_key, name, sides, scenarios, paths,
                                                                       strategies)
        entry["by_side"] = by_side
        entry["like_for_like"] = _like_for_like(mine, horizon_s, interval_s)
        if name == LLM_STRATEGY:
            entry["llm"] = llm_summary(mine)
        out[name] = entry
    _correct(out)
    return out


def _block(by_key: Keyed, name: str, sides: Sequence[str],
           scenarios: Sequence[str], paths: Sequence[tuple[str, int]], strategies: Sequence[str]) -> dict[str, Any]:
    runs = [by_key[(name, side, *p)] for side in sides for p in paths if (name, side, *p) in by_key]
    entry: dict[str, Any] = {
        "metrics": {m: _mean(by_key, name, sides, paths, m) for m in METRICS},
        # unfinished runs carry the cost of their unfilled part in is_bps; say how many there were
        "runs": len(runs), "completed_runs": sum(1 for r in runs if r.get("completed")),
    }
    if BASELINE in strategies:
        entry["vs_twap_bps"] = _paired(by_key, name, sides, paths)
    entry["by_scenario"] = {}
    for scenario in scenarios:
        these = [p for p in paths if p[0] == scenario]
        cell: dict[str, Any] = {m: _mean(by_key, name, sides, these, m) for m in CELL_METRICS}
        if BASELINE in strategies:
            cell["vs_twap_bps"] = _paired(by_key, name, sides, these)
        entry["by_scenario"][scenario] = cell
    return entry


def _path_values(by_key: Keyed, name: str, sides: Sequence[str],
                 path: tuple[str, int], metric: str) -> float | None:
    """The metric of `name` on one path, averaged over the sides (None when a side is missing or has none)."""
    values: list[float] = []
    for side in sides:
        row = by_key.get((name, side, *path))
        value = None if row is None else row.get(metric)
        if value is None:
            return None
        values.append(value)
    return sum(values) / len(values)


def _mean(by_key: Keyed, name: str, sides: Sequence[str],
          paths: Sequence[tuple[str, int]], metric: str) -> dict[str, Any]:
    return summarise([_path_values(by_key, name, sides, p, metric) for p in paths]).to_dict()


def _paired(by_key: Keyed, name: str, sides: Sequence[str],
            paths: Sequence[tuple[str, int]]) -> dict[str, Any]:
    mine = [_path_values(by_key, name, sides, p, "is_bps") for p in paths]
    base = [_path_values(by_key, BASELINE, sides, p, "is_bps") for p in paths]
    return paired_difference(mine, base).to_dict()


def _like_for_like(rows: Sequence[dict[str, Any]], horizon_s: float | None, interval_s: float | None) -> bool:
    """A strategy works over the suite's horizon when its runs end by the deadline and, for POV, its rate
    was expected to finish at the horizon (within one decision interval or 5 % of the horizon)."""
    if horizon_s is None:
        return True
    tolerance = max(interval_s or 0.0, 0.05 * horizon_s)
    for r in rows:
        if r.get("duration_s") is not None and r["duration_s"] > horizon_s + (interval_s or 0.0) + 1e-6:
            return False
        if "pov_rate" in r:
            expected = r.get("expected_completion_s")
            if expected is None or abs(expected - horizon_s) > tolerance:
                return False
    return True


def _differences(summary: dict[str, Any], *, baseline: bool) -> list[dict[str, Any]]:
    """Every difference to TWAP the summary holds, each once (with one side, the side's block is the pooled
    block itself): per side and pooled, per scenario and over all scenarios; TWAP's own only if asked."""
    out: dict[int, dict[str, Any]] = {}
    for name, entry in summary.items():
        if name == BASELINE and not baseline:
            continue
        for block in (entry, *entry["by_side"].values()):
            for d in (block.get("vs_twap_bps"), *(c.get("vs_twap_bps") for c in block["by_scenario"].values())):
                if d is not None:
                    out.setdefault(id(d), d)
    return list(out.values())


def holm_family(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The Holm–Bonferroni family: every difference to TWAP the summary reports (TWAP's own, zero by
    construction, excluded) that has a p-value."""
    return [d for d in _differences(summary, baseline=False) if d.get("p") is not None]


def _correct(summary: dict[str, Any]) -> None:
    for d in _differences(summary, baseline=True):
        d["p_holm"], d["significant"] = None, False
    family = holm_family(summary)
    for d, p in zip(family, holm([d["p"] for d in family]), strict=True):
        d["p_holm"] = None if p is None else round(p, 6)
        d["significant"] = p is not None and p <= ALPHA
