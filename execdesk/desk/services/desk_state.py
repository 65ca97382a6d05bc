"""The desk-wide trading state (ACTIVE / REDUCING / HALTED) the risk gate reads, and who may change it."""

from __future__ import annotations

import logging

from django.utils import timezone

from execdesk.desk.access.roles import Actor, require_supervisor
from execdesk.desk.dispatch import dispatch_venue_cancel_all
from execdesk.desk.models import ChildOrder, DeskState, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.realtime.push import push_batch, push_desk, push_order
from execdesk.desk.services.atomic import desk_atomic, desk_savepoint
from execdesk.desk.services.audit import audit_record, refusals_audited
from execdesk.desk.services.child_orders import child_orders_cancel_open
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.market import market_load
from execdesk.desk.services.proposal_withdraw import supersede_pending
from execdesk.desk.services.schedule_clock import clocks_run_all, clocks_stop_all
from execdesk.desk.services.trading_gate import (  # noqa: F401  (their old home)
    desk_state,
    desk_state_row,
    desk_trading_state,
    net_position,
)
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.orders import ChildStatus
from execdesk.domain.risk import TradingState

log = logging.getLogger(__name__)


def desk_state_payload(state: DeskState) -> dict[str, object]:
    return {"trading_state": state.trading_state, "reason": state.reason, "changed_by": state.changed_by,
            "changed_at": state.changed_at.isoformat() if state.changed_at else None}


@refusals_audited("desk.trading_state_refused", object_type="deskstate")
def desk_trading_state_set(*, user, state: str, reason: str) -> DeskState:
    """Supervisor only, reason required. HALTED also cancels every open child order on the venue."""
    with push_batch():  # a halt pushes for every order it touches: one hop for all of them
        return _trading_state_set(user=user, state=state, reason=reason)


def _trading_state_set(*, user, state: str, reason: str) -> DeskState:
    require_supervisor(user, "changing the desk's trading state")
    try:
        target = TradingState(state)
    except ValueError:
        valid = ", ".join(s.value for s in TradingState)
        raise InvalidInput(f"unknown trading state {state!r}; valid: {valid}") from None
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to change the desk's trading state")
    actor = Actor.of(user)
    with desk_atomic():
        row = DeskState.objects.select_for_update().filter(pk=DeskState.SINGLETON).first() or DeskState()
        before = row.trading_state
        row.trading_state, row.reason, row.changed_by = target.value, reason[:2000], actor.label
        row.changed_at = now = timezone.now()
        row.save()  # first: whatever happens to one order below, the desk's state is what the supervisor set
        # registered first, so it is the first thing sent when the change commits: every page's banner
        markets = list(ParentOrder.objects.values_list("symbol", "venue").distinct().order_by())
        push_desk(desk_state_payload(row), markets=markets)
        cancelled, failed = 0, list[dict[str, object]]()
        if target is TradingState.HALTED:
            # the paper markets before the orders (the lock order, services/atomic.py): cancels need them
            for symbol in sorted({s for s, v in markets if gateway_for(v).fills_on_advance}):
                market_load(symbol)
            clocks_stop_all(now)  # no schedule backlog accrues while halted
            cancelled, failed = _halt_orders(actor)
            # Every open ExecDesk order on Bybit too, orphans included: a sweep after commit, off the locks.
            if ChildOrder.objects.filter(venue="bybit").exists():
                dispatch_venue_cancel_all(reason="desk halted")
        if before == TradingState.HALTED.value and target is not TradingState.HALTED:
            clocks_run_all(now)  # schedules continue from where they stopped
            # proposals still pending and blocked (made before the halt): withdrawn, so fresh ones follow at once
            blocked = set(Proposal.objects.filter(status=ProposalStatus.PENDING, risk_blocked=True)
                          .values_list("parent_id", flat=True))
            for pk in sorted(blocked):
                failed += _settle_one(pk, actor, stop=False, reason=f"desk resumed ({target.value})")[1]
        audit_record(actor=actor, action="desk.trading_state", obj=row, parent_order_id=None,
                     payload={"from": before, "to": target.value, "reason": row.reason,
                              "child_orders_cancelled": cancelled, "orders_failed": failed})
    return row


def _halt_orders(actor: Actor) -> tuple[int, list[dict[str, object]]]:
    """Cancel every open child order and withdraw every pending proposal, one parent order at a time.
    Returns the child orders cancelled and the orders that could not be settled (audited, logged)."""
    working = set(ChildOrder.objects.filter(status__in=_OPEN).values_list("parent_id", flat=True))
    pending = set(Proposal.objects.filter(status=ProposalStatus.PENDING).values_list("parent_id", flat=True))
    venues = dict(ParentOrder.objects.filter(pk__in=working | pending).values_list("pk", "venue"))
    # The live venues' children first, so their cancel tasks (queued at commit, in order) leave before the
    # paper children's pushes; then in id order.
    cancelled, failed = 0, list[dict[str, object]]()
    for pk in sorted(venues, key=lambda pk: (gateway_for(venues[pk]).fills_on_advance, pk)):
        done, broken = _settle_one(pk, actor, stop=True, reason="desk halted")
        cancelled, failed = cancelled + done, failed + broken
    return cancelled, failed


def _settle_one(pk: int, actor: Actor, *, stop: bool, reason: str) -> tuple[int, list[dict[str, object]]]:
    """One order's part of a desk state change, in a savepoint of its own: an order whose rows cannot be
    read (a number the driver cannot convert) or whose cancel fails is rolled back alone, reported and
    audited, and the change goes on for every other order. Its pending proposals are still withdrawn."""
    try:
        with desk_savepoint():
            parent = ParentOrder.objects.select_for_update().get(pk=pk)
            done = child_orders_cancel_open(parent, actor=actor, reason=reason) if stop else 0
            supersede_pending(parent, actor, reason)
            return done, []
    except Exception as exc:  # whatever broke this order must not stop the halt of the others
        log.exception("desk %s: order %s could not be settled", reason, pk)
        error = f"{type(exc).__name__}: {exc}"[:500]
        withdrawn = _withdraw_pending(pk, actor, reason)
        audit_record(actor=actor, action="desk.order_settle_failed", object_type="parentorder", object_id=str(pk),
                     parent_order_id=pk, payload={"reason": reason, "error": error,
                                                  "proposals_withdrawn": withdrawn})
        push_order(pk, "error", {"error": f"{reason}: this order could not be settled ({error}); its open child "
                                          "orders may still be working — check them at the venue"})
        return 0, [{"order_id": pk, "error": error}]


def _withdraw_pending(pk: int, actor: Actor, reason: str) -> list[int]:
    """The pending proposals of an order that could not be settled, withdrawn one by one (each its own
    savepoint, the parent row never read)."""
    withdrawn = []
    for proposal_id in Proposal.objects.filter(parent_id=pk, status=ProposalStatus.PENDING).values_list("pk", flat=True):
        try:
            with desk_savepoint():
                if Proposal.objects.filter(pk=proposal_id, status=ProposalStatus.PENDING).update(
                        status=ProposalStatus.SUPERSEDED, decided_at=timezone.now(), decision_reason=reason) != 1:
                    continue
                audit_record(actor=actor, action="proposal.superseded", object_type="proposal",
                             object_id=str(proposal_id), parent_order_id=pk, payload={"reason": reason})
                withdrawn.append(proposal_id)
            push_order(pk, "proposal", proposal_payload(Proposal.objects.get(pk=proposal_id)))
        except Exception:
            log.exception("desk %s: proposal %s of order %s could not be withdrawn", reason, proposal_id, pk)
    return withdrawn


_OPEN = [s.value for s in ChildStatus if s.is_open]
