"""One parent order run to its end without the web desk (`manage.py execute`), and the JSON export of a
parent order's execution.

The run calls the very services the desk's worker calls (`desk_tick`, `execution_step`, auto-approval
through `proposal_approve`, `child_order_submit` through its Celery task run inline), so a headless run
leaves the same audit trail, the same child orders and the same TCA as one supervised on the desk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError
from django.utils import timezone

from execdesk.desk.access.roles import TRADER, Actor, can_trade, role_of
from execdesk.desk.access.setup_roles import ensure_roles
from execdesk.desk.models import AuditEvent, ChildOrder, Fill, ParentOrder, Proposal
from execdesk.desk.realtime.payloads import dec, progress_payload
from execdesk.desk.selectors.orders import proposal_list_pending
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.execution import desk_tick, execution_step
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_start
from execdesk.desk.services.tca import parent_tca_refresh
from execdesk.domain.end_policy import end_policy_input, unattended_stop_at
from execdesk.domain.states import IllegalTransition, ParentStatus

log = logging.getLogger(__name__)

HEADLESS_USERNAME = "headless"
# An order stops at its end-time policy's end on its own (services/order_end.py); a run still working this long
# after that end is stuck (a halted desk, a venue that never answers) and is cancelled rather than left running
# unattended. A `continue` order is cancelled one horizon past its deadline: nobody watches it to do so.
GRACE_S = 30.0
# HALTED is not terminal (a supervisor may resume it), but a headless run stops there: the kill switch
# means nobody should keep trading it unattended.
STOPPED = frozenset({ParentStatus.COMPLETE, ParentStatus.CANCELLED, ParentStatus.EXPIRED, ParentStatus.HALTED})
COMMAND_ACTOR = Actor(label="system:execute-command", role="system")

ProgressCallback = Callable[[dict[str, Any]], None]
PendingCallback = Callable[[Proposal], None]


@dataclass(frozen=True)
class HeadlessOutcome:
    """How a headless run ended: the parent order's final status and why the run stopped."""

    parent_id: int
    status: str
    reason: str
    wall_s: float
    interrupted: bool = False
    timed_out: bool = False

    @property
    def completed(self) -> bool:
        return self.status == ParentStatus.COMPLETE


def headless_user(*, username: str | None = None):
    """The user a headless run acts as: `username` (who must exist and trade), or the dedicated
    `headless` trader, created with the trader role on first use (audited: it is a new trading login)."""
    users = get_user_model()
    if username:
        user = users.objects.filter(username=username).first()
        if user is None:
            raise InvalidInput(f"user {username!r} does not exist; create it with "
                               f"`manage.py desk_user {username} --role trader`")
    else:
        with desk_atomic():
            user, created = users.objects.get_or_create(username=HEADLESS_USERNAME)
            if created:
                ensure_roles()
                user.set_unusable_password()  # nobody logs in as it; it only signs headless runs
                user.save()
                user.groups.add(Group.objects.get(name=TRADER))
                audit_record(actor=COMMAND_ACTOR, action="user.created", obj=user,
                             payload={"username": user.get_username(), "role": TRADER,
                                      "why": "the default user of `manage.py execute`"})
        username = HEADLESS_USERNAME
    if not can_trade(user):
        raise InvalidInput(f"user {username!r} has the role {role_of(user)}; running an order needs the "
                           "trader or supervisor role")
    return user


@contextmanager
def celery_inline() -> Iterator[None]:
    """Run the desk's Celery tasks in this process for the block: the child orders an approval enqueues
    are submitted by the same task and service as on the desk, with no worker needed."""
    from execdesk.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


def headless_budget_s(parent: ParentOrder, grace_s: float) -> float:
    """How long an unattended run lets the order work before cancelling it, counted from now: the wait for a
    scheduled start, then its end-time policy's end (for continue one horizon past the deadline), plus
    `grace_s`."""
    horizon, interval = float(parent.horizon_seconds), float(parent.interval_seconds)
    begin = parent.started_at or parent.start_at
    wait = max((begin - timezone.now()).total_seconds(), 0.0) if begin is not None else 0.0
    return wait + unattended_stop_at(end_policy_input(parent.end_policy), deadline=horizon, interval_s=interval,
                                     horizon_s=horizon) + grace_s


def parent_order_run_headless(*, parent_id: int, user, on_progress: ProgressCallback | None = None,
                              on_pending: PendingCallback | None = None, tick_s: float | None = None,
                              stop_after_s: float | None = None) -> HeadlessOutcome:
    """Start the parent order (when it is not yet started) and step it every tick until it is COMPLETE,
    EXPIRED, CANCELLED or HALTED. After `stop_after_s` (default: `headless_budget_s`) it is cancelled through
    `parent_order_cancel`, as it is on Ctrl-C (KeyboardInterrupt). `on_progress` gets the desk's progress
    payload each tick; `on_pending` gets each pending proposal once (manual approval)."""
    tick = settings.EXECDESK["TICK_SECONDS"] if tick_s is None else tick_s
    parent = ParentOrder.objects.get(pk=parent_id)
    horizon = parent.horizon_seconds
    budget = headless_budget_s(parent, GRACE_S) if stop_after_s is None else stop_after_s
    began = time.monotonic()
    seen: set[int] = set()

    def outcome(reason: str, **flags: bool) -> HeadlessOutcome:
        status = ParentOrder.objects.values_list("status", flat=True).get(pk=parent_id)
        return HeadlessOutcome(parent_id=parent_id, status=status, reason=reason,
                               wall_s=time.monotonic() - began, **flags)

    with celery_inline():
        # a refused start (four-eyes, a halted desk) leaves nothing working: it propagates, nothing to cancel
        if ParentOrder.objects.filter(pk=parent_id, status=ParentStatus.INITIALIZED).exists():
            parent_order_start(parent_id=parent_id, user=user)
        try:
            while True:
                next_tick = time.monotonic() + tick
                _step(parent_id)
                parent = ParentOrder.objects.get(pk=parent_id)
                if on_progress is not None:
                    on_progress(progress_payload(parent))
                if parent.state in STOPPED:
                    return outcome(f"parent order {parent.status.lower()}")
                if on_pending is not None:
                    for proposal in proposal_list_pending(parent_id=parent_id):
                        if proposal.pk not in seen:
                            seen.add(proposal.pk)
                            on_pending(proposal)
                if time.monotonic() - began >= budget:
                    reason = (f"not complete {budget:.0f} s after it started (horizon {horizon} s, end policy "
                              f"{parent.end_policy}, + grace)")
                    _cancel(parent_id, user, reason)
                    return outcome(reason, timed_out=True)
                time.sleep(max(next_tick - time.monotonic(), 0.0))
        except KeyboardInterrupt:
            reason = "interrupted at the terminal (Ctrl-C)"
            _cancel(parent_id, user, reason)
            return outcome(reason, interrupted=True)
        except Exception as exc:
            # nobody would step an order left working by a crashed run: stop it before reporting the crash
            _cancel(parent_id, user, f"headless run failed: {type(exc).__name__}: {exc}")
            raise


def _step(parent_id: int) -> None:
    try:
        desk_tick()
        execution_step(parent_id=parent_id)
    except OperationalError as exc:  # e.g. SQLite busy while the desk writes too: the next tick retries
        log.warning("headless run of order %s: tick skipped: %s", parent_id, exc)


def _cancel(parent_id: int, user, reason: str) -> None:
    """Cancel through the service (audited, open child orders cancelled); an order that reached a
    terminal state meanwhile is left as it is."""
    try:
        parent_order_cancel(parent_id=parent_id, user=user, reason=reason)
    except IllegalTransition as exc:
        log.info("headless run of order %s: not cancelled: %s", parent_id, exc)


# ---------------------------------------------------------------------------------------------------
# The export: DESIGN.md's `execute --json FILE` shape, quantities and prices as decimal strings.
# ---------------------------------------------------------------------------------------------------

# TCA figures that are quantities or prices (the report computes in floats; the export writes strings)
_TCA_DECIMALS = ("quantity", "filled_qty", "avg_price", "decision_price", "arrival_mid", "final_mid",
                 "market_vwap", "market_volume", "fees_quote")
_DECISIONS = ("proposal.approved", "proposal.rejected", "proposal.overridden", "proposal.expired",
              "proposal.superseded")


def execution_export(parent_id: int) -> dict[str, Any]:
    """Everything a headless run produced for one parent order, read back from the database."""
    parent = ParentOrder.objects.get(pk=parent_id)
    proposals = list(Proposal.objects.filter(parent=parent).select_related("decided_by").order_by("seq"))
    children = list(ChildOrder.objects.filter(parent=parent).select_related("proposal").order_by("created_at", "id"))
    fills = list(Fill.objects.filter(parent=parent).select_related("child").order_by("ts", "id"))
    events = list(AuditEvent.objects.filter(parent_order_id=parent.pk).values_list("action", "object_id",
                                                                                   "actor_label"))
    deciders = {obj: actor for action, obj, actor in events if action in _DECISIONS}
    actions: dict[str, int] = {}
    for action, _, _ in events:
        actions[action] = actions.get(action, 0) + 1
    return {
        "parent": _parent_row(parent),
        "tca": _tca(parent),
        "proposals": [_proposal_row(p, deciders.get(str(p.pk))) for p in proposals],
        "child_orders": [_child_row(c) for c in children],
        "fills": [_fill_row(f) for f in fills],
        "audit": {"events": len(events), "actions": actions},
    }


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def _parent_row(p: ParentOrder) -> dict[str, Any]:
    return {
        "id": p.pk, "symbol": p.symbol, "side": p.side, "quantity": dec(p.quantity),
        "decision_price": dec(p.decision_price), "status": p.status, "strategy": p.strategy,
        "advisor": p.advisor, "venue": p.venue, "approval_mode": p.approval_mode,
        "horizon_seconds": p.horizon_seconds, "interval_seconds": p.interval_seconds, "end_policy": p.end_policy,
        "max_catchup": p.max_catchup, "limit_price": dec(p.limit_price), "start_at": _iso(p.start_at),
        "executed_qty": dec(p.executed_qty), "remaining_qty": dec(p.remaining_qty), "avg_price": dec(p.avg_price), "fees": dec(p.fees),
        "is_bps": None if p.is_bps is None else round(p.is_bps, 4),  # the TCA's, the same as tca.is_bps
        "created_by": p.created_by.get_username(), "notes": p.notes, "created_at": _iso(p.created_at),
        "started_at": _iso(p.started_at), "deadline": _iso(p.deadline), "ended_at": _iso(p.ended_at),
        "strategy_terms": {k: v for k, v in (p.strategy_params or {}).items()
                           if k in _STRATEGY_TERMS.get(p.strategy, ())},
    }


# what the strategy was set to trade with, frozen at start (services/strategy.py strategy_params_for)
_STRATEGY_TERMS = {"is": ("urgency", "risk_aversion", "kappa_t"),
                   "pov": ("pov_rate", "min_participation", "max_participation")}


def _tca(parent: ParentOrder) -> dict[str, Any]:
    """The TCA the desk stored (services/tca.py): for an order that ended, marked when it ended, the figures
    the page and the API show. An order still working is refreshed first, marked at its market now."""
    if not parent.state.is_terminal and parent.started_at is not None:
        with desk_atomic():
            locked = ParentOrder.objects.select_for_update().get(pk=parent.pk)
            parent_tca_refresh(locked)
            parent.tca, parent.is_bps = locked.tca, locked.is_bps
    tca = dict(parent.tca or {})
    tca.pop("final_mark", None)
    for key in _TCA_DECIMALS:
        if isinstance(tca.get(key), float | int):
            tca[key] = dec(Decimal(repr(float(tca[key]))))
    # the database's exact decimals, not the report's floats
    tca.update(quantity=dec(parent.quantity), filled_qty=dec(parent.executed_qty),
               decision_price=dec(parent.decision_price), avg_price=dec(parent.avg_price))
    if parent.advisor == "anthropic":  # latency, tokens, cost, fallbacks, outcomes, value added vs TWAP
        from execdesk.desk.selectors.advisor import advisor_metrics

        metrics = advisor_metrics(parent.pk)
        if tca.get("vs_twap_bps") is not None:
            metrics["value_added_bps"] = -float(tca["vs_twap_bps"])
        tca["advisor"] = metrics
    return tca


def _proposal_row(p: Proposal, decided_by: str | None) -> dict[str, Any]:
    return {
        "id": p.pk, "seq": p.seq, "advisor": p.advisor, "action": p.action, "qty": dec(p.quantity),
        "price": dec(p.limit_price), "order_type": p.order_type, "tif": p.tif,
        "fallback": p.is_fallback, "fallback_reason": p.fallback_reason, "outcome": p.status,
        "decided_by": decided_by, "decision_reason": p.decision_reason,
        "final_qty": dec(p.final_quantity), "final_price": dec(p.final_limit_price),
        "risk_blocked": p.risk_blocked, "confidence": round(p.confidence, 3), "reasoning": p.reasoning,
        "created_at": _iso(p.created_at),
    }


def _child_row(c: ChildOrder) -> dict[str, Any]:
    return {
        "order_link_id": c.order_link_id, "proposal_id": c.proposal_id, "side": c.side,
        "order_type": c.order_type, "tif": c.tif, "qty": dec(c.quantity), "price": dec(c.price),
        "status": c.status, "filled_qty": dec(c.filled_qty), "avg_price": dec(c.avg_price),
        "reject_reason": c.reject_reason, "created_at": _iso(c.created_at),
    }


def _fill_row(f: Fill) -> dict[str, Any]:
    return {
        "exec_id": f.exec_id, "order_link_id": f.child.order_link_id, "qty": dec(f.qty), "price": dec(f.price),
        "fee": dec(f.fee), "fee_currency": f.fee_currency, "liquidity": f.liquidity, "ts": _iso(f.ts),
    }
