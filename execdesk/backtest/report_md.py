"""The suite's summary as Markdown (for docs and closing notes): per side and pooled, the mean IS of every
strategy and scenario with its interval, fill rate and completion cost, and the paired difference to TWAP
with its verdict after Holm–Bonferroni; then each strategy's figures over all its runs."""

from __future__ import annotations

from typing import Any

from execdesk.backtest.metrics import ALL
from execdesk.backtest.report_cells import (
    CellText,
    block_of,
    block_title,
    blocks,
    cell_text,
    legend,
    like_for_like_note,
    mean_text,
    scenario_label,
    table_scenarios,
    title,
)

PER_STRATEGY = (("fill_rate", "fill rate", 3), ("is_completion_bps", "completion bps", 2),
                ("fees_bps", "fees bps", 2), ("passive_share", "passive share", 3),
                ("arrival_slippage_bps", "arrival slippage bps", 2), ("participation", "participation", 4),
                ("duration_s", "duration s", 0))


def render_markdown(result: dict[str, Any]) -> str:
    suite, summary = result["suite"], result["summary"]
    names = suite["strategies"]
    parts = [title(result) + ". " + legend(result)]
    note = like_for_like_note(result)
    if note:
        parts.append(note)
    for key in blocks(result):
        lines = [f"**{block_title(result, key)}**", "", "| scenario | " + " | ".join(names) + " |",
                 "| --- |" + " ---: |" * len(names)]
        for scenario in table_scenarios(result):
            cells = [_cell(cell_text(result, key, name, scenario)) for name in names]
            label = "**all**" if scenario == ALL else scenario_label(scenario)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        done = ", ".join(f"{n} {block_of(summary[n], key)['completed_runs']}/{block_of(summary[n], key)['runs']}"
                         for n in names)
        lines += ["", f"Runs that completed the order: {done}."]
        parts.append("\n".join(lines))
    parts.append(_per_strategy(result))
    return "\n\n".join(parts) + "\n"


def _cell(c: CellText) -> str:
    text = c.mean + "<br>" + c.extras
    if c.delta:
        text += "<br>" + (f"**{c.delta}**" if c.significant else c.delta)
    return text


def _per_strategy(result: dict[str, Any]) -> str:
    summary = result["summary"]
    head = "| strategy | side | " + " | ".join(label for _, label, _ in PER_STRATEGY) + " |"
    lines = ["Per strategy over all its runs (means ± 95 % t half-width; pooled = each path's sides averaged):",
             "", head, "| --- | --- |" + " ---: |" * len(PER_STRATEGY)]
    for name in result["suite"]["strategies"]:
        for key in blocks(result):
            metrics = block_of(summary[name], key)["metrics"]
            cells = [mean_text(metrics.get(m), digits) for m, _, digits in PER_STRATEGY]
            lines.append(f"| {name} | {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
