"""One JSON row per run, from the desk's TCA code, and the per-strategy summary of a suite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from execdesk.backtest.execution import Execution
from execdesk.backtest.llm import llm_summary
from execdesk.backtest.spec import LLM_STRATEGY
from execdesk.backtest.stats import paired_difference, summarise
from execdesk.backtest.tca import tca_of

METRICS = ("is_bps", "fill_rate", "is_completion_bps", "arrival_slippage_bps", "vwap_slippage_bps", "participation",
           "fees_bps", "spread_captured", "markout_1s_bps", "markout_10s_bps", "markout_60s_bps", "duration_s")


def row_for(run: Execution) -> dict[str, Any]:
    report = tca_of(run)
    run.tca = report
    tca = report.to_dict()
    spec = run.spec
    row: dict[str, Any] = {"strategy": spec.strategy, "scenario": spec.scenario, "seed": spec.seed}
    row.update({
        "is_bps": tca.get("is_bps"),
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
        "orders": run.orders,
        "fills": len(run.fills),
        "passive_share": tca.get("passive_share"),
        "completed": tca.get("completed"),
        "blocked": run.blocked,
        "decision_price": round(run.decision_price, 4),
    })
    if run.llm is not None:
        row["llm"] = run.llm
    return row


def summarise_rows(rows: Sequence[dict[str, Any]], strategies: Sequence[str],
                   scenarios: Sequence[str]) -> dict[str, Any]:
    """Mean and standard deviation per strategy, overall and per scenario, and the mean IS difference to
    TWAP with its 95 % interval from paired (scenario, seed) samples; for "llm", Claude's own figures too."""
    by_key = {(r["strategy"], r["scenario"], r["seed"]): r for r in rows}
    pairs = sorted({(r["scenario"], r["seed"]) for r in rows})
    out: dict[str, Any] = {}
    for name in strategies:
        mine = [r for r in rows if r["strategy"] == name]
        entry: dict[str, Any] = {"metrics": {m: summarise([r[m] for r in mine if r[m] is not None]).to_dict()
                                             for m in METRICS},
                                 # unfinished runs carry their opportunity cost in is_bps; say how many there were
                                 "runs": len(mine), "completed_runs": sum(1 for r in mine if r.get("completed"))}
        if "twap" in strategies:
            entry["vs_twap_bps"] = _paired(by_key, name, pairs)
        entry["by_scenario"] = {}
        for scenario in scenarios:
            these = [p for p in pairs if p[0] == scenario]
            cell: dict[str, Any] = {m: summarise(
                [by_key[(name, *p)][m] for p in these if (name, *p) in by_key and by_key[(name, *p)][m] is not None]
            ).to_dict() for m in ("is_bps", "fill_rate", "is_completion_bps")}
            if "twap" in strategies:
                cell["vs_twap_bps"] = _paired(by_key, name, these)
            entry["by_scenario"][scenario] = cell
        if name == LLM_STRATEGY:
            entry["llm"] = llm_summary(mine)
        out[name] = entry
    return out


def _paired(by_key: dict[tuple[str, str, int], dict[str, Any]], name: str,
            pairs: Sequence[tuple[str, int]]) -> dict[str, Any]:
    present = [p for p in pairs if (name, *p) in by_key and ("twap", *p) in by_key]
    mine = [by_key[(name, *p)]["is_bps"] for p in present]
    base = [by_key[("twap", *p)]["is_bps"] for p in present]
    return paired_difference(mine, base).to_dict()
