"""A working parent order reaches its end by its end-time policy (execdesk.domain.end_policy), on time.

The tick ends every order whose end has come (`parent_orders_end_due`), so an order whose steps lag (a
worker busy elsewhere, a step task lost) still stops at its end; the step ends it too when it gets there
first. Ending is `parent_order_end`: what rests is cancelled, the pending proposal withdrawn, the order moves
to EXPIRED and the remainder is recorded with what completing it would cost (the final TCA's completion
cost, docs/tca.md). A `continue` order has no end: it works until done or cancelled.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.utils import timezone

from execdesk.desk.access.roles import Actor
from execdesk.desk.models import ParentOrder
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.child_orders import child_orders_cancel_open, open_market_lock
from execdesk.desk.services.proposal_withdraw import supersede_pending
from execdesk.desk.services.schedule_clock import order_schedule_times
from execdesk.desk.services.transitions import parent_transition
from execdesk.domain.end_policy import EndPolicy, end_policy_input, work_ends_at
from execdesk.domain.states import ParentStatus

log = logging.getLogger(__name__)
END_ACTOR = Actor(label="system:end-policy", role="system")
WORKING = [s.value for s in ParentStatus if s.is_working]


def order_ends_at(parent: ParentOrder, now: datetime) -> datetime | None:
    """When the working order stops by its policy (None: continue, or not started). A clock standing still
    (desk halted, order paused) moves its deadline, and with it the end."""
    if parent.started_at is None:
        return None
    _, deadline = order_schedule_times(parent, now)
    end = work_ends_at(end_policy_input(parent.end_policy), deadline=deadline.timestamp(),
                       interval_s=float(parent.interval_seconds))
    return None if end is None else datetime.fromtimestamp(end, tz=UTC)


def parent_orders_end_due(*, now: datetime | None = None) -> list[int]:
    """End every working order whose end has come; returns their ids. One order at a time: one that cannot
    be ended is logged and left for the next tick, never the others."""
    now = now or timezone.now()
    due = (ParentOrder.objects.filter(status__in=WORKING, clock_stopped_at__isnull=True, deadline__lte=now)
           .exclude(end_policy=EndPolicy.CONTINUE.value).values_list("pk", flat=True))
    ended = []
    for pk in list(due):
        try:
            if parent_order_end(parent_id=pk):
                ended.append(pk)
        except Exception:  # noqa: BLE001 - rolled back to its own transaction; the next tick tries again
            log.exception("desk tick: order %s not ended this tick", pk)
    return ended


def parent_order_end(*, parent_id: int) -> bool:
    """End the order if its policy's end has come: EXPIRED with its remainder (an order done earlier is
    already COMPLETE). Returns whether it ended now."""
    with desk_atomic():
        open_market_lock(parent_id)  # the market before the order: the lock order (services/atomic.py)
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        now = timezone.now()
        if not parent.state.is_working or parent.clock_stopped_at is not None:
            return False
        end = order_ends_at(parent, now)
        if end is None or now < end:
            return False
        policy = end_policy_input(parent.end_policy)
        remaining = parent.remaining_qty
        reason = (f"end policy {policy.value}: the order's end ({end:%H:%M:%S} UTC) came with "
                  f"{remaining.normalize():f} of {parent.quantity.normalize():f} unfilled")
        supersede_pending(parent, END_ACTOR, f"the order ended ({reason})")
        child_orders_cancel_open(parent, actor=END_ACTOR, reason=reason)
        parent_transition(parent, ParentStatus.EXPIRED, actor=END_ACTOR, reason=reason)
        tca = parent.tca or {}
        audit_record(actor=END_ACTOR, action="parent.expired", obj=parent, parent_order_id=parent.pk,
                     payload={"end_policy": policy.value, "deadline": parent.deadline, "ended_at": end,
                              "remaining": remaining, "executed": parent.executed_qty,
                              "completion_cost_bps": tca.get("completion_cost_bps"),
                              "is_completion_bps": tca.get("is_completion_bps"),
                              "is_opportunity_bps": tca.get("is_opportunity_bps")})
        return True
