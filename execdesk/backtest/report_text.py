"""The suite's summary on the console (rich tables): one per side, then pooled; scenarios down, strategies
across, each cell the mean IS, fill rate and completion cost, and the difference to TWAP with its verdict."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from execdesk.backtest.metrics import ALL
from execdesk.backtest.report_cells import (
    block_title,
    blocks,
    cell_of,
    extras_text,
    mean_text,
    scenario_label,
    short_verdict,
    shows_difference,
)
from execdesk.backtest.stats import ALPHA


def console_tables(data: dict[str, Any]) -> list[Table]:
    return [_table(data, key) for key in blocks(data)]


def _table(data: dict[str, Any], key: str) -> Table:
    suite, summary = data["suite"], data["summary"]
    family = data.get("statistics", {}).get("family", 0)
    table = Table(title=f"{block_title(data, key)}\nMean IS (bps, positive = cost) ± 95 % CI; Δ vs TWAP [95 % CI, "
                        f"paired]; sig. = significant after Holm–Bonferroni (α = {ALPHA:g}, {family} tests)")
    table.add_column("scenario")
    for name in suite["strategies"]:
        table.add_column(name, justify="right")
    for scenario in [*suite["scenarios"], ALL]:
        cells = []
        for name in suite["strategies"]:
            figures, diff = cell_of(summary[name], key, scenario)
            text = f"{mean_text(figures['is_bps'])}\n{extras_text(figures)}"
            if diff is not None and shows_difference(diff, name):
                text += (f"\nΔ {diff['mean']:+.2f} {short_verdict(diff)}\n"
                         f"[{diff['ci95_low']:+.1f}, {diff['ci95_high']:+.1f}]")
            cells.append(text)
        table.add_row(scenario_label(scenario), *cells, end_section=scenario == suite["scenarios"][-1])
    return table
