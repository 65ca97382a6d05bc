"""One audit event told in words for the review timeline: what happened, the figures, the reasoning in full,
and the rows it names (proposal, Claude's questions, child order, fill) joined in."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from execdesk.desk.audit.verify import BrokenEvent
from execdesk.desk.models import AdvisorQuery, AuditEvent, ChildOrder, Fill, ParentOrder, Proposal


@dataclass
class TimelineEntry:
    event: AuditEvent
    kind: str  # order, proposal, decision, child, fill, advisor, refusal, other: what the page colours
    title: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    badges: list[tuple[str, str]] = field(default_factory=list)  # (css class, text)
    reasoning: str = ""  # the advisor's reasoning, in full
    reason: str = ""  # why a person (or the desk) did it
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, text): risk note, fallback reason, errors
    checks: list[dict[str, Any]] = field(default_factory=list)
    shown: list[tuple[str, str]] = field(default_factory=list)  # what the advisor was shown
    queries: list[dict[str, Any]] = field(default_factory=list)  # Claude's questions behind a proposal
    market: list[tuple[str, str]] = field(default_factory=list)
    market_from: str = ""
    broken: BrokenEvent | None = None

    @property
    def payload_json(self) -> str:
        return json.dumps(self.event.payload, indent=2, sort_keys=True)


@dataclass
class TimelineRows:
    """The order's rows, loaded once, that the events refer to; and the running figures of the walk."""

    parent: ParentOrder
    proposals: dict[str, Proposal]
    children: dict[str, ChildOrder]
    fills: dict[str, Fill]
    queries: dict[str, AdvisorQuery]
    executed: Decimal = Decimal("0")  # filled so far, as the events tell it

    def queries_for(self, proposal: Proposal) -> list[AdvisorQuery]:
        return sorted((q for q in self.queries.values()
                       if q.proposal_id == proposal.pk or (q.kind == "decision" and q.seq == proposal.seq)),
                      key=lambda q: q.started_at)


# ───────── figures ─────────

def fmt_num(value: Any) -> str:
    """A decimal string or number as written, without trailing zeros; '—' when absent."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def fmt_pct(fraction: Any, digits: int = 2) -> str:
    try:
        return f"{float(fraction) * 100:.{digits}f} %"
    except (TypeError, ValueError):
        return "—"


def market_figures(m: dict[str, Any]) -> list[tuple[str, str]]:
    """The part of a market snapshot an auditor judges a decision by."""
    figures = [("Mid", fmt_num(m.get("mid"))),
               ("Bid / ask", f"{fmt_num(m.get('best_bid'))} / {fmt_num(m.get('best_ask'))}")]
    if m.get("spread_bps") is not None:
        figures.append(("Spread", f"{float(m['spread_bps']):.2f} bps"))
    if m.get("volatility_1h") is not None:
        figures.append(("Vol 1h", fmt_pct(m["volatility_1h"])))
    if m.get("volume_1m") is not None:
        figures.append(("Volume 1m", fmt_num(round(float(m["volume_1m"]), 4))))
    if m.get("ts"):
        try:
            figures.append(("Snapshot", datetime.fromtimestamp(float(m["ts"]), tz=UTC).strftime("%H:%M:%S UTC")))
        except (TypeError, ValueError, OverflowError):
            pass
    if m.get("stale"):
        figures.append(("Stale", "yes"))
    return figures


def _terms(qty: Any, order_type: str, price: Any, tif: str = "") -> str:
    text = f"{fmt_num(qty)} {order_type or ''}".strip()
    if price not in (None, ""):
        text += f" @ {fmt_num(price)}"
    return f"{text} {tif}".strip()


# ───────── one describer per action ─────────

Describer = Callable[[TimelineEntry, dict[str, Any], TimelineRows], None]
_DESCRIBERS: dict[str, Describer] = {}


def _describes(*actions: str) -> Callable[[Describer], Describer]:
    def register(fn: Describer) -> Describer:
        for action in actions:
            _DESCRIBERS[action] = fn
        return fn

    return register


def describe(event: AuditEvent, rows: TimelineRows) -> TimelineEntry:
    kind = {"parent": "order", "proposal": "decision", "child": "child", "fill": "fill", "advisor": "advisor",
            "reconcile": "child", "venue": "child"}.get(event.action.split(".")[0], "other")
    entry = TimelineEntry(event=event, kind=kind, title=event.action)
    payload = event.payload if isinstance(event.payload, dict) else {}
    describer = _DESCRIBERS.get(event.action) or (_advisor if event.action.startswith("advisor.") else _generic)
    describer(entry, payload, rows)
    return entry


def _scalars(values: dict[str, Any], *, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The plain figures of a payload, as written; floats to six significant digits."""
    return [(k, f"{v:.6g}" if isinstance(v, float) else str(v)) for k, v in sorted(values.items())
            if isinstance(v, str | int | float | bool) and k not in skip and v != ""]


def _generic(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = f"{entry.event.action} ({entry.event.object_type} {entry.event.object_id})"
    entry.figures = _scalars(p, skip=("reason",))
    entry.reason = str(p.get("reason") or "")


@_describes("parent.created")
def _parent_created(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = (f"Order created: {str(p.get('side', '')).upper()} {fmt_num(p.get('quantity'))} {p.get('symbol', '')} "
                   f"over {p.get('horizon_seconds')} s")
    entry.figures = [("Strategy", str(p.get("strategy", ""))), ("Approval", str(p.get("approval_mode", ""))),
                     ("Advisor", str(p.get("advisor", ""))), ("Venue", str(p.get("venue", ""))),
                     ("Interval", f"{p.get('interval_seconds')} s"),
                     ("Decision price", fmt_num(p.get("decision_price")))]
    pretrade = p.get("pretrade") or {}
    if "expected_cost_bps" in pretrade:
        entry.figures.append(("Pre-trade cost", f"{float(pretrade['expected_cost_bps']):.2f} bps "
                              f"({pretrade.get('model', 'model')})"))
    if p.get("notes"):
        entry.notes.append(("Notes for the advisor", str(p["notes"])))


@_describes("parent.state_changed")
def _state_changed(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = f"Order state {p.get('from')} → {p.get('to')}"
    entry.reason = str(p.get("reason") or "")


@_describes("parent.transition_refused")
def _transition_refused(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.kind = "refusal"
    entry.title = f"Refused: {p.get('requested')} ({p.get('from')} → {p.get('to')} is not allowed)"
    entry.notes.append(("Error", str(p.get("error", ""))))


@_describes("parent.strategy_frozen")
def _strategy_frozen(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    params = p.get("params") or {}
    entry.title = f"Strategy parameters frozen ({p.get('strategy')})"
    entry.figures = _scalars(params)


@_describes("parent.rate_changed")
def _rate_changed(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = (f"Execution rate {fmt_num(p.get('from'))}× → {fmt_num(p.get('to'))}× schedule "
                   f"(proposal #{p.get('proposal_seq')}, {p.get('action')})")


@_describes("proposal.created")
def _proposal_created(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.kind = "proposal"
    proposal = rows.proposals.get(entry.event.object_id)
    action = (proposal.action if proposal else p.get("action")) or ""
    entry.title = f"Proposal #{p.get('seq')} by {entry.event.actor_label}: {action}"
    if proposal is None:
        entry.reasoning = str(p.get("reasoning", ""))
        entry.notes.append(("Missing", "the proposal row this event names is not in the database"))
        return
    if proposal.action not in ("WAIT", "CANCEL") or proposal.quantity:
        entry.title += f" {_terms(proposal.quantity, proposal.order_type, proposal.limit_price, proposal.tif)}"
    entry.badges.append((f"status-{proposal.status}", proposal.status))
    if proposal.is_fallback:
        entry.badges.append(("badge-fallback", "fallback"))
        entry.notes.append(("Fallback reason", proposal.fallback_reason))
    if proposal.risk_blocked:
        entry.badges.append(("badge-blocked", "blocked by risk gate"))
    entry.figures = [("Confidence", f"{proposal.confidence:.2f}")]
    if proposal.new_rate is not None:
        entry.figures.append(("New rate", f"{proposal.new_rate:.3g}× schedule"))
    if proposal.expected_impact_bps is not None:
        entry.figures.append(("Expected impact", f"{proposal.expected_impact_bps:.2f} bps"))
    entry.reasoning = proposal.reasoning
    if proposal.risk_assessment:
        entry.notes.append(("Risk assessment", proposal.risk_assessment))
    entry.checks = list(proposal.risk_checks or [])
    entry.shown = _shown(proposal, rows, entry.event.ts)
    entry.queries = [_query_summary(q) for q in rows.queries_for(proposal)]


def _shown(proposal: Proposal, rows: TimelineRows, at: datetime) -> list[tuple[str, str]]:
    """What the advisor had in front of it: the market it saw, the strategy's slice and the order's
    progress at that moment (fills recorded before the proposal, time by the proposal's audit event)."""
    parent, m = rows.parent, proposal.market or {}
    shown = [(label, value) for label, value in market_figures(m) if label in ("Mid", "Spread", "Vol 1h", "Volume 1m")]
    shown.append(("Strategy's slice", fmt_num(proposal.baseline_qty)))
    done = rows.executed / parent.quantity * 100 if parent.quantity else Decimal("0")
    shown.append(("Progress", f"{fmt_num(rows.executed)} of {fmt_num(parent.quantity)} ({done:.1f} %)"))
    shown.append(("Remaining", fmt_num(max(parent.quantity - rows.executed, Decimal("0")))))
    if parent.started_at is not None:
        elapsed = (at - parent.started_at).total_seconds()
        shown.append(("Time", f"{elapsed:.0f} s of {parent.horizon_seconds} s"))
    return shown


def _query_summary(q: AdvisorQuery) -> dict[str, Any]:
    return {
        "id": q.pk, "seq": q.seq, "kind": q.kind, "status": q.status, "model": q.model or "—",
        "prompt_hash": q.prompt_hash or "—", "latency": f"{q.latency_ms:.0f} ms" if q.latency_ms is not None else "—",
        "tokens": f"{q.input_tokens} in / {q.output_tokens} out", "attempts": q.attempts, "cached": q.cached,
        "cost": f"{q.cost_usd} USD" if q.cost_usd is not None else "price unknown",
        "use": q.use or "not used", "use_reason": q.use_reason, "fallback_kind": q.fallback_kind,
        "tool_input": json.dumps(q.tool_input, indent=2, sort_keys=True) if q.tool_input is not None else "",
        "text": q.text, "error": f"{q.error_kind}: {q.error}" if q.error else "",
    }


@_describes("proposal.approved")
def _approved(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = f"Proposal #{p.get('seq')} approved: {p.get('action')}"
    if p.get("order_type"):
        entry.title += f" {_terms(p.get('quantity'), p.get('order_type', ''), p.get('limit_price'))}"
    entry.checks = list(p.get("checks_at_approval") or [])


@_describes("proposal.rejected")
def _rejected(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = f"Proposal #{p.get('seq')} rejected: {p.get('action')}"
    entry.reason = str(p.get("reason", ""))


@_describes("proposal.overridden")
def _overridden(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    proposed, override = p.get("proposed") or {}, p.get("override") or {}
    entry.title = f"Proposal #{p.get('seq')} overridden"
    entry.figures = [
        ("Proposed", f"{proposed.get('action', '')} "
                     f"{_terms(proposed.get('quantity'), proposed.get('order_type', ''), proposed.get('limit_price'))}"),
        ("Sent instead", _terms(override.get("quantity"), override.get("order_type", ""), override.get("limit_price"),
                                override.get("tif", ""))),
    ]
    entry.reason = str(p.get("reason", ""))
    entry.checks = list(p.get("checks") or [])


@_describes("proposal.override_refused")
def _override_refused(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.kind = "refusal"
    proposal = rows.proposals.get(entry.event.object_id)
    requested = p.get("requested") or {}
    entry.title = (f"Override of proposal #{proposal.seq if proposal else entry.event.object_id} refused: "
                   f"{_terms(requested.get('quantity'), requested.get('order_type', ''), requested.get('limit_price'))}")
    entry.reason = str(p.get("reason", ""))
    entry.notes.append(("Error", str(p.get("error", ""))))
    entry.checks = list(p.get("checks") or [])


@_describes("proposal.expired", "proposal.superseded")
def _lapsed(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    verb = entry.event.action.split(".")[1]
    entry.title = f"Proposal #{p.get('seq')} {verb}"
    entry.reason = str(p.get("reason") or ("no decision before the proposal's time to live"
                                           if verb == "expired" else ""))


def _child_name(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> str:
    child = rows.children.get(entry.event.object_id) if entry.event.object_type == "childorder" else None
    return str(p.get("order_link_id") or (child.order_link_id if child else entry.event.object_id))


@_describes("child.created", "child.sent")
def _child_placed(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    verb = "created" if entry.event.action == "child.created" else f"sent to the {p.get('venue', 'venue')} venue"
    entry.title = (f"Child order {_child_name(entry, p, rows)} {verb}: {str(p.get('side', '')).upper()} "
                   f"{_terms(p.get('quantity'), p.get('order_type', ''), p.get('price'), p.get('tif', ''))}")
    if p.get("proposal_seq") is not None:
        entry.figures.append(("From proposal", f"#{p['proposal_seq']}"))


@_describes("child.status_changed", "reconcile.adopted", "reconcile.fixed", "child.unresolved")
def _child_status(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    entry.title = f"Child order {_child_name(entry, p, rows)} {p.get('from', '?')} → {p.get('to', '?')}"
    if entry.event.action != "child.status_changed":
        entry.title += f" ({entry.event.action})"
    entry.figures = [("Filled", fmt_num(p.get("filled_qty"))), ("Avg price", fmt_num(p.get("avg_price")))]
    if p.get("reject_reason"):
        entry.notes.append(("Venue says", str(p["reject_reason"])))


@_describes("child.cancel_requested", "child.repriced", "reconcile.never_sent")
def _child_other(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    _generic(entry, p, rows)
    what = entry.event.action.split(".")[1].replace("_", " ")
    entry.title = f"Child order {_child_name(entry, p, rows)}: {what}"


@_describes("fill.recorded")
def _fill(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    try:
        rows.executed += Decimal(str(p.get("qty", "0")))
    except InvalidOperation:
        pass
    entry.title = (f"Fill {fmt_num(p.get('qty'))} @ {fmt_num(p.get('price'))} on {p.get('order_link_id', '')} "
                   f"({p.get('liquidity', '')})")
    parent = rows.parent
    entry.figures = [("Fee", f"{fmt_num(p.get('fee'))} {p.get('fee_currency', '')}"),
                     ("Exec id", str(p.get("exec_id", ""))),
                     ("Executed so far", f"{fmt_num(rows.executed)} of {fmt_num(parent.quantity)}")]


def _advisor(entry: TimelineEntry, p: dict[str, Any], rows: TimelineRows) -> None:
    _, kind, status = (entry.event.action.split(".") + ["", ""])[:3]
    query = rows.queries.get(entry.event.object_id)
    entry.title = f"Claude {kind} question" + (f" for proposal #{p.get('seq')}" if kind == "decision" else "")
    entry.title += f" {status}"
    if query is not None:
        entry.queries = [_query_summary(query)]
    else:
        entry.figures = [("Model", str(p.get("model", ""))), ("Latency", f"{fmt_num(p.get('latency_ms'))} ms")]
        if p.get("error"):
            entry.notes.append(("Error", f"{p.get('error_kind', '')}: {p['error']}"))
