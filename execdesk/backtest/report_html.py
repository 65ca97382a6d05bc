"""A self-contained HTML report (plotly.js inlined: it opens offline): cost distributions per strategy and
scenario, the paired difference to TWAP with its 95 % interval, and one execution in detail."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from execdesk.backtest.execution import Execution

_COLOURS = {"twap": "#6c757d", "vwap": "#1f77b4", "is": "#9467bd", "pov": "#ff7f0e", "adaptive": "#2ca02c",
            "llm": "#d62728"}


def render_report(result: dict[str, Any], example: Execution | None) -> str:
    suite, rows, summary = result["suite"], result["rows"], result["summary"]
    figures = [_distribution(rows, suite), _vs_twap(summary, suite)]
    if example is not None:
        figures += [_execution_price(example), _execution_schedule(example)]
    parts = []
    for i, fig in enumerate(figures):
        parts.append(pio.to_html(fig, include_plotlyjs=(i == 0), full_html=False, config={"displaylogo": False}))
    order = suite["order"]
    title = (f"ExecDesk backtest: {order['side']} {order['quantity']:g} {order['symbol']} over "
             f"{order['horizon_s']:.0f} s, {len(suite['strategies'])} strategies × {len(suite['scenarios'])} "
             f"scenarios × {suite['seeds']} seeds")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}"
        "table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
        "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        ".sig{font-weight:bold}.note{color:#555;max-width:60rem}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        "<p class='note'>Implementation shortfall (IS) in basis points versus the decision price: positive is a "
        "cost, for buys and sells alike. Differences to TWAP are paired by (scenario, seed): both strategies met "
        "the same market path. Intervals are 95 % Student-t intervals of the mean paired difference; bold ones "
        "exclude zero; ± is the standard deviation over seeds. Definitions: docs/tca.md.</p>"
        f"{_summary_table(summary, suite)}"
        + "".join(f"<div>{p}</div>" for p in parts)
        + "</body></html>"
    )


def _summary_table(summary: dict[str, Any], suite: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(s)}</th>" for s in suite["scenarios"])
    body = []
    for name in suite["strategies"]:
        cells = []
        for scenario in suite["scenarios"]:
            cell = summary[name]["by_scenario"][scenario]
            cells.append(f"<td>{_mean_cell(cell['is_bps'])}{_diff_cell(cell.get('vs_twap_bps'), name)}</td>")
        overall = summary[name]
        cells.append(f"<td>{_mean_cell(overall['metrics']['is_bps'])}"
                     f"{_diff_cell(overall.get('vs_twap_bps'), name)}</td>")
        body.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    return (f"<h2>Mean IS (bps) per strategy and scenario; Δ vs TWAP [95 % CI]</h2><table><tr><th>strategy</th>"
            f"{head}<th>all</th></tr>{''.join(body)}</table>")


def _mean_cell(s: dict[str, Any]) -> str:
    if s["mean"] is None:
        return "–"
    std = "" if s["std"] is None else f" ± {s['std']:.2f}"
    return f"{s['mean']:.2f}{std}"


def _diff_cell(d: dict[str, Any] | None, name: str) -> str:
    if d is None or name == "twap" or d["mean"] is None or d["ci95_low"] is None:
        return ""
    cls = " class='sig'" if d["significant"] else ""
    return f"<br><span{cls}>Δ {d['mean']:+.2f} [{d['ci95_low']:+.2f}, {d['ci95_high']:+.2f}]</span>"


def _distribution(rows: list[dict[str, Any]], suite: dict[str, Any]) -> go.Figure:
    fig = go.Figure()
    for name in suite["strategies"]:
        mine = [r for r in rows if r["strategy"] == name and r["is_bps"] is not None]
        fig.add_trace(go.Box(x=[r["scenario"] for r in mine], y=[r["is_bps"] for r in mine], name=name,
                             marker_color=_COLOURS.get(name), boxmean=True))
    fig.update_layout(title="Cost distribution: IS (bps) per strategy and scenario", boxmode="group",
                      yaxis_title="IS (bps, positive = cost)", height=480)
    return fig


def _vs_twap(summary: dict[str, Any], suite: dict[str, Any]) -> go.Figure:
    fig = go.Figure()
    for name in suite["strategies"]:
        if name == "twap" or "vs_twap_bps" not in summary[name]:
            continue
        xs, ys, lo, hi = [], [], [], []
        for scenario in suite["scenarios"]:
            d = summary[name]["by_scenario"][scenario].get("vs_twap_bps")
            if d and d["mean"] is not None and d["ci95_low"] is not None:
                xs.append(scenario)
                ys.append(d["mean"])
                lo.append(d["mean"] - d["ci95_low"])
                hi.append(d["ci95_high"] - d["mean"])
        fig.add_trace(go.Bar(x=xs, y=ys, name=name, marker_color=_COLOURS.get(name),
                             error_y={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo}))
    fig.update_layout(title="Mean IS difference to TWAP on the same paths (bps, negative = cheaper), 95 % CI",
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
