"""Cross-checking the desk's tables against the audit trail: a fill, child order, proposal or parent order
changed behind the desk's back (the chain is intact, the row is not) shows as a named mismatch.

What the trail recorded, per row (an event's actor is the owner / decider it names):
* fill: `fill.recorded` — exec id, qty, price, fee, fee currency, liquidity, time, its parent order and
  (through the order link id) its child order;
* child order: `child.created` — its parent order and proposal, order link id, venue, symbol, side, order
  type, time in force, quantity, price; `child.repriced` — order link id, price; `child.status_changed` —
  status; filled_qty and avg_price are those of its audited fills;
* proposal: `proposal.created` — its parent order, seq, advisor, action, quantity, order type, limit price,
  time in force, risk_blocked, new rate, status pending; the decision events — status, who decided (the
  event's actor) and the final terms (the proposal's own when approved, the override's when overridden);
  `proposal.override_submitted` — who wrote the override;
* parent order: `parent.created` — owner (the event's actor), symbol, side, quantity, horizon, interval,
  strategy, advisor, venue, approval mode, auto cap, decision price, proposal time to live, no limits
  raised, no four-eyes approval, rate 1; `parent.limits_raised` — the raise; `parent.four_eyes_approved` —
  the approver (its actor) and when; `parent.mode_changed` — approval mode, auto cap; `parent.amended` —
  quantity, horizon; `parent.rate_changed` — rate; `parent.strategy_frozen` — strategy parameters;
  `parent.state_changed` — status; executed_qty, avg_price and fees are those of its audited fills.
Not compared: derived or descriptive columns (notes, reasoning, pre-trade estimate, TCA, is_bps, market
snapshots), the schedule clock (deadline, clock shift) and bookkeeping times (created, decided, sent).
A figure an event did not record yet (events written before it was added) is not compared.
A row with no event at all is a mismatch too (inserted past the desk), and so is an event whose row is gone.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime

from execdesk.desk.audit.redact import redact
from execdesk.desk.models import AuditEvent, ChildOrder, Fill, ParentOrder, Proposal
from execdesk.domain.orders import ChildStatus
from execdesk.domain.proposals import Action
from execdesk.domain.states import ParentStatus

CHUNK_SIZE = 2000
_PROPOSAL_STATUS = {"proposal.approved": "approved", "proposal.rejected": "rejected",
                    "proposal.overridden": "overridden", "proposal.override_approved": "overridden",
                    "proposal.expired": "expired", "proposal.superseded": "superseded"}
_ACTIONS = ("fill.recorded", "child.created", "child.repriced", "child.status_changed", "proposal.created",
            "proposal.override_submitted", "parent.created", "parent.amended", "parent.state_changed",
            "parent.limits_raised", "parent.four_eyes_approved", "parent.mode_changed", "parent.rate_changed",
            "parent.strategy_frozen", *_PROPOSAL_STATUS)
_DECIDED_BY = ("proposal.approved", "proposal.rejected", "proposal.overridden", "proposal.override_approved")
_LABELS = {"fill": "fills", "childorder": "child orders", "proposal": "proposals", "parentorder": "parent orders"}
_AVG_PLACES = Decimal("0.0000000001")  # how the desk rounds an average price (services/child_orders.py)


@dataclass(frozen=True)
class Mismatch:
    table: str  # fill, childorder, proposal, parentorder
    row_id: int
    field: str  # "row" when the row itself is missing from the table or the trail
    recorded: Any  # what the trail says (None: nothing recorded)
    current: Any  # what the table holds now (None: no row)
    event_id: int | None = None  # the event that recorded it

    def describe(self) -> str:
        where = f" (event #{self.event_id})" if self.event_id else ""
        if self.field == "row" and self.current is None:
            return f"{self.table} #{self.row_id}: recorded in the trail{where} but the row is gone"
        if self.field == "row":
            return f"{self.table} #{self.row_id}: in the table but not in the audit trail — inserted past the desk"
        return (f"{self.table} #{self.row_id} {self.field}: recorded {_text(self.recorded)}{where}, "
                f"current {_text(self.current)}")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "recorded": _text(self.recorded), "current": _text(self.current),
                "description": self.describe()}


@dataclass
class CrossCheck:
    checked: dict[str, int] = field(default_factory=dict)  # rows compared per table
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def describe(self) -> str:
        counts = ", ".join(f"{n} {_LABELS.get(table, table)}" for table, n in self.checked.items())
        if self.ok:
            return f"tables match the trail: {counts}"
        return f"{len(self.mismatches)} row(s) differ from the trail ({counts} compared)"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "mismatches": [m.to_dict() for m in self.mismatches]}


@dataclass
class _Recorded:
    """What the trail says about one row: field → (value, event id)."""

    values: dict[str, tuple[Any, int]] = field(default_factory=dict)

    def set(self, name: str, value: Any, event_id: int) -> None:
        self.values[name] = (value, event_id)

    def take(self, p: dict[str, Any], names: tuple[str, ...], eid: int, **renamed: str) -> None:
        """The payload's figures, those it holds only (an event recorded before a figure was added)."""
        for name in names:
            if name in p:
                self.set(renamed.get(name, name), p[name], eid)


def audit_crosscheck(*, progress: Callable[[int], None] | None = None) -> CrossCheck:
    """Compare every fill, child order, proposal and parent order with what the (verified) trail recorded."""
    fills: dict[int, _Recorded] = {}
    children: dict[int, _Recorded] = defaultdict(_Recorded)
    proposals: dict[int, _Recorded] = defaultdict(_Recorded)
    parents: dict[int, _Recorded] = defaultdict(_Recorded)
    links: dict[str, int] = {}  # order link id → child order id
    events = (AuditEvent.objects.filter(action__in=_ACTIONS).order_by("id")
              .values_list("id", "action", "object_id", "parent_order_id", "payload", "actor_id", "actor_label"))
    for n, (eid, action, object_id, parent_id, p, actor_id, label) in enumerate(
            events.iterator(chunk_size=CHUNK_SIZE), 1):
        oid = _int(object_id)
        if oid is None:
            continue
        if action == "fill.recorded":
            rec = fills[oid] = _Recorded()
            for name in ("qty", "price", "fee"):
                rec.set(name, p.get(name), eid)
            rec.take(p, ("exec_id", "fee_currency", "liquidity", "ts"), eid)
            rec.set("parent", parent_id, eid)
            rec.set("link", p.get("order_link_id"), eid)
        elif action.startswith("child."):
            if action == "child.created":
                children[oid].set("parent", parent_id, eid)
            _child_event(children[oid], action, p, eid)
            if p.get("order_link_id") and action in ("child.created", "child.repriced"):
                links[p["order_link_id"]] = oid
        elif action.startswith("proposal."):
            if action == "proposal.created":
                proposals[oid].set("parent", parent_id, eid)
                proposals[oid].set("advisor", label.removeprefix("advisor:"), eid)
            _proposal_event(proposals[oid], action, p, eid)
            if action in _DECIDED_BY:
                proposals[oid].set("decided_by", actor_id, eid)
            elif action == "proposal.override_submitted":
                proposals[oid].set("overridden_by", actor_id, eid)
        else:
            _parent_event(parents[oid], action, p, eid, actor_id)
        if progress is not None and n % CHUNK_SIZE == 0:
            progress(n)
    for fill in fills.values():
        link, eid = fill.values.pop("link")
        fill.set("child", links.get(link), eid)
    _fills_totals(fills, children, key="child", qty="filled_qty")
    _fills_totals(fills, parents, key="parent", qty="executed_qty", fees="fees")
    result = CrossCheck()
    _compare(result, "fill", Fill.objects.all(), fills,
             {"qty": "qty", "price": "price", "fee": "fee", "parent": "parent_id", "child": "child_id",
              **_same_name("exec_id", "fee_currency", "liquidity", "ts")})
    _compare(result, "childorder", ChildOrder.objects.all(), children,
             {"parent": "parent_id", "proposal": "proposal_id",
              **_same_name("order_link_id", "venue", "symbol", "side", "order_type", "tif", "quantity", "price",
                           "status", "filled_qty", "avg_price")})
    _compare(result, "proposal", Proposal.objects.all(), proposals,
             {"parent": "parent_id", "decided_by": "decided_by_id", "overridden_by": "overridden_by_id",
              **_same_name("seq", "advisor", "action", "quantity", "order_type", "limit_price", "tif",
                           "risk_blocked", "new_rate", "status", "final_quantity", "final_order_type",
                           "final_limit_price", "final_tif")})
    _compare(result, "parentorder", ParentOrder.objects.all(), parents,
             {"created_by": "created_by_id", "start_approved_by": "start_approved_by_id",
              **_same_name("symbol", "side", "quantity", "horizon_seconds", "interval_seconds", "strategy",
                           "advisor", "venue", "approval_mode", "auto_cap_notional", "decision_price",
                           "proposal_ttl_seconds", "limits_raised", "start_approved_at", "rate",
                           "strategy_params", "status", "executed_qty", "avg_price", "fees")})
    return result


def _same_name(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _child_event(rec: _Recorded, action: str, p: dict[str, Any], eid: int) -> None:
    if action == "child.created":
        rec.set("quantity", p.get("quantity"), eid)
        rec.set("price", p.get("price"), eid)
        rec.set("status", ChildStatus.NEW.value, eid)
        rec.take(p, ("order_link_id", "proposal", "venue", "symbol", "side", "order_type", "tif"), eid)
    elif action == "child.repriced":
        rec.set("price", p.get("price"), eid)
        rec.take(p, ("order_link_id",), eid)
    elif action == "child.status_changed":
        rec.set("status", p.get("to"), eid)


def _proposal_event(rec: _Recorded, action: str, p: dict[str, Any], eid: int) -> None:
    if action == "proposal.created":
        for name in ("quantity", "limit_price"):
            rec.set(name, p.get(name), eid)
        rec.take(p, ("seq", "action", "order_type", "tif", "risk_blocked", "new_rate"), eid)
        rec.set("status", "pending", eid)
        for name, nothing in (("final_quantity", None), ("final_limit_price", None), ("final_order_type", ""),
                              ("final_tif", ""), ("decided_by", None), ("overridden_by", None)):
            rec.set(name, nothing, eid)
        return
    if action in _PROPOSAL_STATUS:
        rec.set("status", _PROPOSAL_STATUS[action], eid)
    if action == "proposal.approved" and _sends_order(p.get("action")):
        rec.set("final_quantity", p.get("quantity"), eid)
        rec.set("final_limit_price", p.get("limit_price"), eid)
        rec.take(p, ("order_type",), eid, order_type="final_order_type")
        if "tif" in rec.values:  # approved as proposed: its own time in force
            rec.set("final_tif", rec.values["tif"][0], eid)
    elif action in ("proposal.overridden", "proposal.override_submitted", "proposal.override_approved"):
        override = p.get("override") or {}
        rec.set("final_quantity", override.get("quantity"), eid)
        rec.set("final_limit_price", override.get("limit_price"), eid)
        rec.take(override, ("order_type", "tif"), eid, order_type="final_order_type", tif="final_tif")


def _parent_event(rec: _Recorded, action: str, p: dict[str, Any], eid: int, actor_id: int | None) -> None:
    if action == "parent.created":
        rec.set("quantity", p.get("quantity"), eid)
        rec.set("status", ParentStatus.INITIALIZED.value, eid)
        rec.set("created_by", actor_id, eid)
        rec.take(p, ("symbol", "side", "horizon_seconds", "interval_seconds", "strategy", "advisor", "venue",
                     "approval_mode", "auto_cap_notional", "decision_price", "proposal_ttl_seconds"), eid)
        for name, nothing in (("limits_raised", {}), ("start_approved_by", None), ("start_approved_at", None),
                              ("rate", 1.0)):
            rec.set(name, nothing, eid)
    elif action == "parent.limits_raised":
        rec.set("limits_raised", p, eid)
    elif action == "parent.four_eyes_approved":
        rec.set("start_approved_by", actor_id, eid)
        rec.take(p, ("approved_at",), eid, approved_at="start_approved_at")
    elif action == "parent.mode_changed":
        rec.take(p.get("to") or {}, ("approval_mode", "auto_cap_notional"), eid)
    elif action == "parent.amended":
        rec.take(p.get("to") or {}, ("quantity",), eid)
        rec.take(p, ("horizon_seconds",), eid)
    elif action == "parent.rate_changed":
        rec.take(p, ("to",), eid, to="rate")
    elif action == "parent.strategy_frozen":
        rec.take(p, ("params",), eid, params="strategy_params")
    elif action == "parent.state_changed":
        rec.set("status", p.get("to"), eid)


def _fills_totals(fills: dict[int, _Recorded], owners: dict[int, _Recorded], *, key: str, qty: str,
                  fees: str = "") -> None:
    """Each owner's (child's or parent's) filled quantity, average price and fees from its audited fills."""
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    last: dict[int, int] = {}
    for fill in fills.values():
        owner, eid = fill.values[key]
        if owner is None:
            continue
        q, px, fee = (_dec(fill.values[n][0]) or Decimal(0) for n in ("qty", "price", "fee"))
        total = sums[owner]
        total[0] += q
        total[1] += q * px
        total[2] += fee
        last[owner] = max(last.get(owner, 0), eid)
    for owner, rec in owners.items():
        if "quantity" not in rec.values:
            continue  # created before the trail began: nothing to compare
        q, notional, fee = sums.get(owner, (Decimal(0), Decimal(0), Decimal(0)))
        eid = last.get(owner, rec.values["quantity"][1])
        rec.set(qty, q, eid)
        rec.set("avg_price", (notional / q).quantize(_AVG_PLACES) if q else None, eid)
        if fees:
            rec.set(fees, fee, eid)


def _compare(result: CrossCheck, table: str, rows: Any, recorded: dict[int, _Recorded],
             fields: dict[str, str]) -> None:
    columns = ["pk", *fields.values()]
    seen = 0
    for row in rows.order_by("pk").values(*columns).iterator(chunk_size=CHUNK_SIZE):
        seen += 1
        rec = recorded.pop(row["pk"], None)
        if rec is None or not rec.values:
            result.mismatches.append(Mismatch(table, row["pk"], "row", None, "present"))
            continue
        for name, column in fields.items():
            if name not in rec.values:
                continue
            value, eid = rec.values[name]
            if not _same(value, row[column]):
                shown = _dec(value) if isinstance(row[column], Decimal) and _dec(value) is not None else value
                result.mismatches.append(Mismatch(table, row["pk"], name, shown, row[column], eid))
    for row_id, rec in sorted(recorded.items()):
        if rec.values:
            first = min(eid for _, eid in rec.values.values())
            result.mismatches.append(Mismatch(table, row_id, "row", "recorded", None, first))
    result.checked[table] = seen


def _same(recorded: Any, current: Any) -> bool:
    if recorded is None or current is None:
        return recorded is None and current is None
    if isinstance(current, bool) or isinstance(recorded, bool):
        return recorded is current
    if isinstance(current, datetime):  # the payload's JSON keeps milliseconds (DjangoJSONEncoder)
        when = parse_datetime(recorded) if isinstance(recorded, str) else None
        return when is not None and when == current.replace(microsecond=current.microsecond // 1000 * 1000)
    if isinstance(current, dict | list):  # as the payload holds it: JSON, secrets redacted
        return _json(recorded) == _json(redact(current))
    if isinstance(current, Decimal) or isinstance(recorded, int | float | Decimal):
        a, b = _dec(recorded), _dec(current)
        return a is not None and b is not None and a == b
    return str(recorded) == str(current)


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)


def _sends_order(action: Any) -> bool:
    try:
        return Action(action).sends_order
    except ValueError:
        return False


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dict | list):
        return _json(value)
    return value if value is None or isinstance(value, int | str) else str(value)


