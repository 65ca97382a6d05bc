"""The calendar of scheduled market events, as the pre-trade estimate reads it."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from execdesk.desk.models import ScheduledEvent
from execdesk.domain.scheduled_events import ScheduledEvent as DomainEvent


def scheduled_events_from(symbol: str, now: datetime) -> list[DomainEvent]:
    """The events still to come for ``symbol`` (or for every symbol), and the recurring ones, oldest first;
    the estimate keeps the times inside its order's window."""
    rows = ScheduledEvent.objects.filter(Q(at__gte=now) | Q(repeat_every_hours__isnull=False)).order_by("at", "name")
    events = [row.to_domain() for row in rows]
    return [e for e in events if e.applies_to(symbol)]
