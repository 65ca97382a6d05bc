"""The words and figures every backtest report prints (Markdown, HTML, the console): one place, so the
three say the same thing about the same cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from execdesk.backtest.metrics import ALL, BASELINE, CONTROL_SCENARIO, POOLED
from execdesk.backtest.stats import ALPHA

SIGNIFICANT = f"significant after Holm–Bonferroni (α = {ALPHA:g})"
NOT_SIGNIFICANT = f"not significant after Holm–Bonferroni (α = {ALPHA:g})"
CONTROL_NOTE = ("calm is the control: a martingale, where no timing or drift bet has any expected value, so the "
                "expected difference to TWAP from timing is zero; a significant Δ there is fees, spread capture "
                "or impact")


def blocks(result: dict[str, Any]) -> list[str]:
    """The tables of a report: one per side, then the pooled one when the suite ran both sides."""
    sides = result["suite"].get("sides") or ["buy"]
    return [*sides, POOLED] if len(sides) > 1 else list(sides)


def block_of(entry: dict[str, Any], key: str) -> dict[str, Any]:
    return entry if key == POOLED or key not in entry.get("by_side", {}) else entry["by_side"][key]


def block_title(result: dict[str, Any], key: str) -> str:
    order = result["suite"]["order"]
    what = f"{order['quantity']:g} {order['symbol']} over {order['horizon_s']:.0f} s"
    if key == POOLED:
        return (f"Pooled: buy and sell of {what}, each path's buy and sell averaged (a drift bet cancels; n = "
                "paths)")
    return f"{key.capitalize()} {what}"


def cell_of(entry: dict[str, Any], key: str, scenario: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A strategy's figures in one table cell ({metric: summary}) and its difference to TWAP."""
    block = block_of(entry, key)
    if scenario == ALL:
        return block["metrics"], block.get("vs_twap_bps")
    cell = block["by_scenario"][scenario]
    return cell, cell.get("vs_twap_bps")


@dataclass(frozen=True)
class CellText:
    """One table cell's words: the mean IS with its interval, fill rate and completion cost, and the
    difference to TWAP with its verdict ("" when it is not shown)."""

    mean: str
    extras: str
    delta: str
    significant: bool
    verdict: str


def table_scenarios(result: dict[str, Any]) -> list[str]:
    """The rows of a summary table: every scenario, then all of them."""
    return [*result["suite"]["scenarios"], ALL]


def cell_text(result: dict[str, Any], key: str, name: str, scenario: str) -> CellText:
    figures, diff = cell_of(result["summary"][name], key, scenario)
    shown = diff is not None and shows_difference(diff, name)
    return CellText(mean=mean_text(figures["is_bps"]), extras=extras_text(figures),
                    delta=f"{diff_text(diff)} {short_verdict(diff)}" if diff is not None and shown else "",
                    significant=bool(shown and diff is not None and diff["significant"]),
                    verdict=verdict(diff) if diff is not None and shown else "")


def scenario_label(scenario: str) -> str:
    return f"{scenario} (martingale control: Δ from timing expected 0)" if scenario == CONTROL_SCENARIO else scenario


def mean_text(s: dict[str, Any] | None, digits: int = 2) -> str:
    """The mean and the half-width of its 95 % t interval: `12.34 ± 0.56`."""
    if not s or s.get("mean") is None:
        return "–"
    if s.get("ci95_high") is None:
        return f"{s['mean']:.{digits}f}"
    return f"{s['mean']:.{digits}f} ± {s['ci95_high'] - s['mean']:.{digits}f}"


def extras_text(figures: dict[str, Any]) -> str:
    """Fill rate and completion cost: what the IS of an unfinished run is made of."""
    return f"fill {mean_text(figures.get('fill_rate'), 3)} · compl. {mean_text(figures.get('is_completion_bps'))}"


def shows_difference(d: dict[str, Any] | None, name: str) -> bool:
    """TWAP's own difference (zero) and one without an interval (fewer than two paths) are not shown."""
    return d is not None and name != BASELINE and d["mean"] is not None and d["ci95_low"] is not None


def diff_text(d: dict[str, Any]) -> str:
    return f"Δ {d['mean']:+.2f} [{d['ci95_low']:+.2f}, {d['ci95_high']:+.2f}]"


def short_verdict(d: dict[str, Any]) -> str:
    return "sig." if d.get("significant") else "n.s."


def verdict(d: dict[str, Any]) -> str:
    p = d.get("p_holm")
    tail = "" if p is None else f" (Holm p = {p:.3g})"
    return (SIGNIFICANT if d.get("significant") else NOT_SIGNIFICANT) + tail


def legend(result: dict[str, Any]) -> str:
    stats = result.get("statistics", {})
    family = stats.get("family", 0)
    text = ("Cells: mean IS in bps (positive = cost) ± the half-width of its 95 % Student-t interval; fill rate and "
            "the completion cost of the unfilled part (bps of the order, included in the IS: docs/tca.md); then Δ, the mean IS "
            "difference to TWAP on the same market paths with its 95 % paired t interval, and the verdict: "
            f"**sig.** = {SIGNIFICANT} across all {family} differences the report shows (every strategy × scenario "
            f"× side, pooled and over all scenarios included), n.s. = {NOT_SIGNIFICANT}. An interval that "
            "excludes 0 can still be n.s.: with this many cells some intervals exclude 0 by chance.")
    if stats.get("control"):
        text += " " + CONTROL_NOTE[0].upper() + CONTROL_NOTE[1:] + "."
    return text


def title(result: dict[str, Any]) -> str:
    suite = result["suite"]
    order = suite["order"]
    sides = " and ".join(suite.get("sides") or ["buy"])
    return (f"{sides} {order['quantity']:g} {order['symbol']} over {order['horizon_s']:.0f} s, a decision every "
            f"{order['interval_s']:.0f} s; {len(suite['strategies'])} strategies × {len(suite['scenarios'])} "
            f"scenarios × {suite['seeds']} seeds")


def like_for_like_note(result: dict[str, Any]) -> str:
    """Which strategies did not work over the suite's horizon, and how POV's rate was set."""
    summary, order = result["summary"], result["suite"]["order"]
    rows = [r for r in result["rows"] if "pov_rate" in r]
    notes = []
    if rows:
        rates = [r["pov_rate"] for r in rows]
        how = (f"fixed at {order['pov_rate'] * 100:g} %" if order.get("pov_rate") is not None else
               "set per run to q / (q + V), V the volume expected over the horizon from the market's own "
               "history, so that POV is expected to finish at the horizon")
        notes.append(f"POV's rate ({min(rates) * 100:.2f}–{max(rates) * 100:.2f} %) was {how}; what it left at "
                     "the deadline is in its fill rate and completion cost.")
    off = [n for n, e in summary.items() if not e.get("like_for_like", True)]
    if off:
        notes.append(f"Not like for like: {', '.join(off)} (expected to finish away from the horizon or ran past "
                     "it): its Δ compares a different horizon.")
    return " ".join(notes)
