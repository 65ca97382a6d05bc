"""The only place a parent order changes state."""

from __future__ import annotations

from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.models import ParentOrder
from execdesk.desk.realtime.payloads import progress_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.audit import audit_record, audit_record_now
from execdesk.desk.services.schedule_clock import clock_on_transition
from execdesk.desk.services.tca import parent_tca_refresh
from execdesk.desk.services.trading_gate import trading_gate_new_order
from execdesk.domain.states import IllegalTransition, ParentStatus, check_transition


def parent_transition(parent: ParentOrder, target: ParentStatus, *, actor: Actor, reason: str) -> None:
    """Move a locked parent order to `target`, audited; IllegalTransition propagates to the caller."""
    current = parent.state
    if current == target:
        return
    check_transition(current, target)
    if current == ParentStatus.INITIALIZED and target == ParentStatus.ACTIVE:  # under the desk lock: exact
        trading_gate_new_order(what=f"starting order {parent.pk}", parent_id=parent.pk)
    parent.status = target
    parent.next_step_at = None  # whatever the state now allows is looked at on the next tick
    if target.is_terminal:
        parent.ended_at = timezone.now()
    clock = clock_on_transition(parent, current, target, timezone.now())
    parent.save(update_fields=["status", "ended_at", "next_step_at", *clock])
    if target.is_terminal and parent.started_at is not None:  # the final mark of the remainder: the IS is fixed
        parent_tca_refresh(parent, final=True)
    audit_record(actor=actor, action="parent.state_changed", obj=parent, parent_order_id=parent.pk,
                 payload={"from": current, "to": target, "reason": reason})
    push_order(parent.pk, "status", progress_payload(parent))


def audit_refused_transition(parent_id: int, exc: IllegalTransition, *, actor: Actor, requested: str) -> None:
    """The refused request's transaction rolled back; the refusal is recorded on its own."""
    audit_record_now(actor=actor, action="parent.transition_refused", object_type="parentorder",
                     object_id=str(parent_id), parent_order_id=parent_id,
                     payload={"from": exc.current, "to": exc.target, "requested": requested, "error": str(exc)})
