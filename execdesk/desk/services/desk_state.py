"""The desk-wide trading state (ACTIVE / REDUCING / HALTED) the risk gate reads, and who may change it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, DecimalField, F, Sum, When
from django.utils import timezone

from execdesk.desk.models import ChildOrder, DeskState, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.push import push_batch, push_desk
from execdesk.desk.roles import Actor, require_supervisor
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, refusals_audited
from execdesk.desk.services.child_orders import child_orders_cancel_open
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import supersede_pending
from execdesk.domain.orders import ChildStatus
from execdesk.domain.risk import TradingState
from execdesk.domain.states import ParentStatus


def desk_state() -> DeskState:
    state = DeskState.objects.filter(pk=DeskState.SINGLETON).first()
    return state if state is not None else DeskState(pk=DeskState.SINGLETON)


def desk_trading_state() -> TradingState:
    return desk_state().state


def desk_state_payload(state: DeskState) -> dict[str, object]:
    return {"trading_state": state.trading_state, "reason": state.reason, "changed_by": state.changed_by,
            "changed_at": state.changed_at.isoformat() if state.changed_at else None}


def net_position(symbol: str) -> float:
    """The desk's signed executed quantity in the symbol over all parent orders (buys positive)."""
    signed = Case(When(side="buy", then=F("executed_qty")), default=-F("executed_qty"),
                  output_field=DecimalField(max_digits=30, decimal_places=12))
    total = ParentOrder.objects.filter(symbol=symbol).aggregate(net=Sum(signed))["net"]
    return float(total or 0)


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
        row.changed_at = timezone.now()
        row.save()
        cancelled = 0
        if target is TradingState.HALTED:
            # PostgreSQL refuses FOR UPDATE with DISTINCT: find the parents first, then lock them in id order.
            working = set(ChildOrder.objects.filter(status__in=_OPEN).values_list("parent_id", flat=True))
            parents = list(ParentOrder.objects.select_for_update().filter(pk__in=working).order_by("pk"))
            # Locked in id order; the live venues' children first, so their cancel tasks (queued at commit,
            # in order) leave before the paper children's pushes.
            for parent in sorted(parents, key=lambda p: p.venue == "paper"):
                cancelled += child_orders_cancel_open(parent, actor=actor, reason="desk halted")
            # Proposals made before the halt would only be refused at approval: withdraw them now.
            for parent in ParentOrder.objects.select_for_update().filter(
                    pk__in=set(Proposal.objects.filter(status=ProposalStatus.PENDING).values_list("parent_id", flat=True))
            ).order_by("pk"):
                supersede_pending(parent, actor, "desk halted")
            # Every open ExecDesk order on Bybit too, orphans included: a sweep after commit, off the locks.
            if ChildOrder.objects.filter(venue="bybit").exists():
                from execdesk.desk.tasks import venue_cancel_all_task

                transaction.on_commit(lambda: venue_cancel_all_task.delay("desk halted"))
        if before == TradingState.HALTED.value and target is not TradingState.HALTED:
            # proposals made (and blocked) during the halt: withdrawn, so fresh ones follow at once
            blocked = set(Proposal.objects.filter(status=ProposalStatus.PENDING, risk_blocked=True)
                          .values_list("parent_id", flat=True))
            for parent in ParentOrder.objects.select_for_update().filter(pk__in=blocked).order_by("pk"):
                supersede_pending(parent, actor, f"desk resumed ({target.value})")
        audit_record(actor=actor, action="desk.trading_state", obj=row, parent_order_id=None,
                     payload={"from": before, "to": target.value, "reason": row.reason,
                              "child_orders_cancelled": cancelled})
        open_orders = list(ParentOrder.objects.exclude(status__in=_TERMINAL).values_list("pk", flat=True))
        push_desk(desk_state_payload(row), order_ids=open_orders)
    return row


_OPEN = [s.value for s in ChildStatus if s.is_open]
_TERMINAL = [s.value for s in ParentStatus if s.is_terminal]
