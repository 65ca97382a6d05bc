"""The calendar of scheduled market events: supervisors keep it (through the admin), every change audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from execdesk.desk.access.roles import Actor, require_supervisor
from execdesk.desk.models import ScheduledEvent
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.errors import InvalidInput


def scheduled_event_save(*, user, event: ScheduledEvent) -> ScheduledEvent:
    """Create or change a calendar entry (a supervisor's), validated and audited with what it now says."""
    require_supervisor(user, "changing the calendar of scheduled events")
    try:
        event.full_clean()
    except ValidationError as exc:
        raise InvalidInput("; ".join(f"{field}: {message}" if field != "__all__" else message
                                     for field, messages in exc.message_dict.items() for message in messages)) from None
    actor = Actor.of(user)
    created = event.pk is None
    with desk_atomic():
        event.updated_by = actor.label
        event.save()
        audit_record(actor=actor, action="calendar.event_created" if created else "calendar.event_changed",
                     obj=event, payload=_payload(event))
    return event


def scheduled_event_delete(*, user, event: ScheduledEvent) -> None:
    require_supervisor(user, "changing the calendar of scheduled events")
    actor = Actor.of(user)
    with desk_atomic():
        payload, pk = _payload(event), event.pk
        event.delete()
        audit_record(actor=actor, action="calendar.event_deleted", object_type="scheduledevent", object_id=str(pk),
                     payload=payload)


def _payload(event: ScheduledEvent) -> dict[str, Any]:
    return event.to_domain().to_dict()
