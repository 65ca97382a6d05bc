"""Which working parent orders the desk's tick steps: only those whose next step is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q

from execdesk.desk.models import ParentOrder
from execdesk.domain.states import ParentStatus

WORKING = [s.value for s in ParentStatus if s.is_working]


def parent_orders_due(*, now: datetime) -> list[int]:
    """Working orders whose next step is due at `now` (or not yet scheduled), oldest due first."""
    return list(ParentOrder.objects.filter(status__in=WORKING)
                .filter(Q(next_step_at__isnull=True) | Q(next_step_at__lte=now))
                .order_by("next_step_at", "pk").values_list("pk", flat=True))


def parent_orders_due_within(*, now: datetime, seconds: float,
                             requeue_after_s: float = 2.0) -> list[tuple[int, datetime | None]]:
    """Working orders whose next step falls before the next tick, with its time (None: due now) — except those
    whose step task is already queued for that time, until it is `requeue_after_s` overdue (then it was lost)."""
    horizon = now + timedelta(seconds=seconds)
    queued = Q(step_queued_for=F("next_step_at")) & Q(next_step_at__gt=now - timedelta(seconds=requeue_after_s))
    return list(ParentOrder.objects.filter(status__in=WORKING)
                .filter(Q(next_step_at__isnull=True) | Q(next_step_at__lt=horizon))
                .exclude(queued)
                .order_by("next_step_at", "pk").values_list("pk", "next_step_at"))
