"""Which working parent orders the desk's tick steps: only those whose next step is due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from execdesk.desk.models import ParentOrder
from execdesk.domain.states import ParentStatus

WORKING = [s.value for s in ParentStatus if s.is_working]


def parent_orders_due(*, now: datetime) -> list[int]:
    """Working orders whose next step is due at `now` (or not yet scheduled), oldest due first."""
    return list(ParentOrder.objects.filter(status__in=WORKING)
                .filter(Q(next_step_at__isnull=True) | Q(next_step_at__lte=now))
                .order_by("next_step_at", "pk").values_list("pk", flat=True))
