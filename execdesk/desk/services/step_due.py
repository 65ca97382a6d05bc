"""When a parent order's next step is due (ParentOrder.next_step_at, read by the desk's tick)."""

from __future__ import annotations

from datetime import datetime

from execdesk.desk.models import ParentOrder
from execdesk.domain.states import ParentStatus


def parent_step_at(parent_id: int, at: datetime | None) -> None:
    """The order's next step is due at `at` (None: at the next tick)."""
    ParentOrder.objects.filter(pk=parent_id).update(next_step_at=at)


def parent_step_soon(parent_id: int) -> None:
    """Something may have made the order due sooner (a proposal decided, withdrawn or expired, an
    amendment): the next tick looks at it."""
    ParentOrder.objects.filter(pk=parent_id, next_step_at__isnull=False).update(next_step_at=None)


def parent_steps_queued(queued: list[tuple[int, datetime]]) -> None:
    """Step tasks were queued for these (order, next_step_at): the tick leaves them alone while fresh. Marked
    only where next_step_at is still that time (a step that moved it meanwhile is looked at again)."""
    for parent_id, at in queued:
        ParentOrder.objects.filter(pk=parent_id, next_step_at=at).update(step_queued_for=at)


def parent_next_step(parent_id: int) -> datetime | None:
    """When a working order's next step is due (None: not working, or at the next tick)."""
    return (ParentOrder.objects.filter(pk=parent_id, status__in=[s.value for s in ParentStatus if s.is_working])
            .values_list("next_step_at", flat=True).first())
