"""When a parent order's next step is due (ParentOrder.next_step_at, read by the desk's tick)."""

from __future__ import annotations

from datetime import datetime

from execdesk.desk.models import ParentOrder


def parent_step_at(parent_id: int, at: datetime | None) -> None:
    """The order's next step is due at `at` (None: at the next tick)."""
    ParentOrder.objects.filter(pk=parent_id).update(next_step_at=at)


def parent_step_soon(parent_id: int) -> None:
    """Something may have made the order due sooner (a proposal decided, withdrawn or expired, an
    amendment): the next tick looks at it."""
    ParentOrder.objects.filter(pk=parent_id, next_step_at__isnull=False).update(next_step_at=None)
