"""The suite's summary as a Markdown table (for docs and closing notes): mean IS per strategy and scenario,
and the paired difference to TWAP with its 95 % interval."""

from __future__ import annotations

from typing import Any


def render_markdown(result: dict[str, Any]) -> str:
    suite, summary = result["suite"], result["summary"]
    names = suite["strategies"]
    lines = ["| scenario | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for scenario in [*suite["scenarios"], "all"]:
        cells = []
        for name in names:
            if scenario == "all":
                mean, diff = summary[name]["metrics"]["is_bps"], summary[name].get("vs_twap_bps")
            else:
                cell = summary[name]["by_scenario"][scenario]
                mean, diff = cell["is_bps"], cell.get("vs_twap_bps")
            cells.append(_cell(mean, diff, name))
        label = "**all**" if scenario == "all" else scenario
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    order = suite["order"]
    head = (f"{order['side']} {order['quantity']:g} {order['symbol']} over {order['horizon_s']:.0f} s, a decision "
            f"every {order['interval_s']:.0f} s; {len(names)} strategies × {len(suite['scenarios'])} scenarios × "
            f"{suite['seeds']} seeds. Cells: mean IS in bps (positive = cost); below it Δ vs TWAP with its 95 % "
            "CI from paired seeds, bold when the interval excludes 0.")
    done = ", ".join(f"{n} {summary[n]['completed_runs']}/{summary[n]['runs']}" for n in names)
    foot = (f"\nRuns that completed the order: {done}. An unfinished run's IS includes the opportunity cost of "
            "its unfilled part, marked at the final mid.")
    return head + "\n\n" + "\n".join(lines) + "\n" + foot + "\n"


def _cell(mean: dict[str, Any], diff: dict[str, Any] | None, name: str) -> str:
    text = "–" if mean["mean"] is None else f"{mean['mean']:.2f}"
    if diff and name != "twap" and diff["mean"] is not None and diff["ci95_low"] is not None:
        delta = f"Δ {diff['mean']:+.2f} [{diff['ci95_low']:+.2f}, {diff['ci95_high']:+.2f}]"
        text += "<br>" + (f"**{delta}**" if diff["significant"] else delta)
    return text
