"""The outbox sweeper: the database is the truth for work to do.

A NEW child order is work recorded in the transaction that approved it (ChildOrder.send_by). The relay
hands it to a worker when that transaction commits (execdesk.desk.dispatch); this sweeper, run by beat
every EXECDESK_OUTBOX_SWEEP_SECONDS, finds what the relay lost — a broker restarted with the message, an
enqueue that failed, a worker killed holding it — and re-drives it while it may still be sent, or expires
it once its send-by time has passed. Steps need no outbox: every tick steps every working order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from execdesk.desk.dispatch import dispatch_child_send_now
from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.child_orders import child_send_expired
from execdesk.domain.orders import ChildStatus


@dataclass(frozen=True)
class Sweep:
    redriven: int
    expired: int


def outbox_sweep() -> Sweep:
    now = timezone.now()
    unsent = ChildOrder.objects.filter(status=ChildStatus.NEW, send_started_at__isnull=True, send_by__isnull=False)
    expired = 0
    for pk in list(unsent.filter(send_by__lt=now).values_list("pk", flat=True)):
        expired += child_order_expire_overdue(child_id=pk)
    grace = timedelta(seconds=settings.EXECDESK["OUTBOX_REDRIVE_AFTER_SECONDS"])
    due = list(unsent.filter(send_by__gte=now, created_at__lte=now - grace).values_list("pk", "send_by"))
    for pk, send_by in due:
        dispatch_child_send_now(pk, send_by=send_by)  # idempotent: a copy still queued finds it sent
    return Sweep(redriven=len(due), expired=expired)


def child_order_expire_overdue(*, child_id: int) -> int:
    """Expire a NEW child past its send-by time (1), unless it was sent or settled meanwhile (0)."""
    parent_id = ChildOrder.objects.filter(pk=child_id).values_list("parent_id", flat=True).first()
    if parent_id is None:
        return 0
    with desk_atomic():
        ParentOrder.objects.select_for_update().filter(pk=parent_id).values_list("pk").first()
        child = ChildOrder.objects.select_for_update().get(pk=child_id)
        if child.status != ChildStatus.NEW or child.send_started_at is not None:
            return 0
        return int(child_send_expired(child))
