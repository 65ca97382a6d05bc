"""A self-contained HTML report (plotly.js inlined: it opens offline): per side and pooled, the mean IS with
its interval, fill rate and completion cost, the paired difference to TWAP with its 95 % interval and its
verdict after Holm–Bonferroni; cost distributions; and one execution in detail."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from execdesk.backtest.execution import Execution
from execdesk.backtest.report_cells import (
    CellText,
    block_title,
    blocks,
    cell_of,
    cell_text,
    legend,
    like_for_like_note,
    scenario_label,
    short_verdict,
    shows_difference,
    table_scenarios,
    title,
)

_COLOURS = {"twap": "#6c757d", "vwap": "#1f77b4", "is": "#9467bd", "pov": "#ff7f0e", "adaptive": "#2ca02c",
            "llm": "#d62728"}


def render_report(result: dict[str, Any], example: Execution | None) -> str:
    figures = [_distribution(result["rows"], result["suite"]), _vs_twap(result)]
    if example is not None:
        figures += [_execution_price(example), _execution_schedule(example)]
    parts = []
    for i, fig in enumerate(figures):
        parts.append(pio.to_html(fig, include_plotlyjs=(i == 0), full_html=False, config={"displaylogo": False}))
    heading = "ExecDesk backtest: " + title(result)
    note = like_for_like_note(result)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(heading)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
        "table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
        "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        ".sig{font-weight:bold}.note{color:#555;max-width:60rem}.x{color:#666;font-size:.8rem}</style></head><body>"
        f"<h1>{html.escape(heading)}</h1>"
        "<p class='note'>Implementation shortfall (IS) in basis points versus the decision price: positive is a "
        "cost, for buys and sells alike. Definitions: docs/tca.md. "
        f"{html.escape(legend(result).replace('**', ''))}</p>"
        + (f"<p class='note'>{html.escape(note)}</p>" if note else "")
        + "".join(_summary_table(result, key) for key in blocks(result))
        + "".join(f"<div>{p}</div>" for p in parts)
        + "</body></html>"
    )


def _summary_table(result: dict[str, Any], key: str) -> str:
    suite = result["suite"]
    head = "".join(f"<th>{html.escape(scenario_label(s))}</th>" for s in suite["scenarios"])
    body = []
    for name in suite["strategies"]:
        cells = []
        for scenario in table_scenarios(result):
            c = cell_text(result, key, name, scenario)
            cells.append(f"<td>{html.escape(c.mean)}<br><span class='x'>{html.escape(c.extras)}</span>"
                         f"{_diff_cell(c)}</td>")
        body.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    return (f"<h2>{html.escape(block_title(result, key))}: mean IS (bps) ± 95 % CI; Δ vs TWAP [95 % CI]</h2>"
            f"<table><tr><th>strategy</th>{head}<th>all</th></tr>{''.join(body)}</table>")


def _diff_cell(c: CellText) -> str:
    if not c.delta:
        return ""
    cls = " class='sig'" if c.significant else ""
    return f"<br><span{cls} title='{html.escape(c.verdict)}'>{html.escape(c.delta)}</span>"


def _distribution(rows: list[dict[str, Any]], suite: dict[str, Any]) -> go.Figure:
    fig = go.Figure()
    both = len(suite.get("sides") or []) > 1
    for name in suite["strategies"]:
        mine = [r for r in rows if r["strategy"] == name and r["is_bps"] is not None]
        fig.add_trace(go.Box(x=[f"{r['scenario']} {r['side']}" if both else r["scenario"] for r in mine],
                             y=[r["is_bps"] for r in mine], name=name, marker_color=_COLOURS.get(name),
                             boxmean=True))
    fig.update_layout(title="Cost distribution: IS (bps) per strategy and scenario", boxmode="group",
                      yaxis_title="IS (bps, positive = cost)", height=480)
    return fig


def _vs_twap(result: dict[str, Any]) -> go.Figure:
    suite, summary = result["suite"], result["summary"]
    key = blocks(result)[-1]  # the pooled block when both sides ran
    fig = go.Figure()
    for name in suite["strategies"]:
        if name == "twap" or "vs_twap_bps" not in summary[name]:
            continue
        xs, ys, lo, hi, marks = [], [], [], [], []
        for scenario in suite["scenarios"]:
            _, d = cell_of(summary[name], key, scenario)
            if d is not None and shows_difference(d, name):
                xs.append(scenario_label(scenario))
                ys.append(d["mean"])
                lo.append(d["mean"] - d["ci95_low"])
                hi.append(d["ci95_high"] - d["mean"])
                marks.append(short_verdict(d))
        fig.add_trace(go.Bar(x=xs, y=ys, name=name, marker_color=_COLOURS.get(name), text=marks,
                             error_y={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo}))
    fig.update_layout(title=f"Mean IS difference to TWAP on the same paths ({block_title(result, key)}; bps, "
                            "negative = cheaper), 95 % CI; sig. = after Holm–Bonferroni",
                      barmode="group", height=420, yaxis_title="Δ IS vs TWAP (bps)")
    return fig


def _execution_price(run: Execution) -> go.Figure:
    spec = run.spec
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[t - run.start_ts for t, _ in run.mids], y=[m for _, m in run.mids],
                             name="mid", line={"color": "#444"}))
    for liquidity, colour in (("maker", "#2ca02c"), ("taker", "#d62728")):
        fills = [f for f in run.fills if f.liquidity == liquidity]
        if not fills:
            continue
        biggest = max(f.qty for f in run.fills)
        fig.add_trace(go.Scatter(x=[f.ts - run.start_ts for f in fills], y=[f.price for f in fills], mode="markers",
                                 name=f"fills ({'passive' if liquidity == 'maker' else 'aggressive'})",
                                 marker={"color": colour, "size": [6 + 14 * f.qty / biggest for f in fills],
                                         "opacity": 0.7}))
    fig.add_hline(y=run.decision_price, line_dash="dash", annotation_text="decision price")
    fig.update_layout(title=f"One execution: {spec.strategy} on {spec.scenario}, seed {spec.seed} — price and fills",
                      xaxis_title="seconds since start", yaxis_title="price (USDT)", height=420)
    return fig


def _execution_schedule(run: Execution) -> go.Figure:
    done, xs, ys = 0.0, [0.0], [0.0]
    for f in sorted(run.fills, key=lambda f: f.ts):
        done += f.qty
        xs.append(f.ts - run.start_ts)
        ys.append(done)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[t - run.start_ts for t, _ in run.schedule], y=[q for _, q in run.schedule],
                             name="schedule", line={"shape": "hv", "dash": "dot"}))
    fig.add_trace(go.Scatter(x=xs, y=ys, name="executed", line={"shape": "hv"}))
    spec = run.spec
    fig.update_layout(title=f"Executed versus the schedule: {spec.strategy} on {spec.scenario}, seed {spec.seed}", xaxis_title="seconds since start",
                      yaxis_title=f"quantity ({run.spec.order.symbol.removesuffix('USDT')})", height=380)
    return fig
