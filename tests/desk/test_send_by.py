"""A child order carries a send-by time; past it, it is never sent: it expires (audited) and the order
returns to its schedule, so the next step re-plans at the current market."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder
from execdesk.desk.services.child_orders import child_order_submit
from execdesk.desk.services.outbox import outbox_sweep
from execdesk.desk.services.proposals import proposal_approve
from execdesk.domain.orders import ChildStatus
from execdesk.domain.states import ParentStatus


def _approved_unsent(alice, make_order, proposal_for, capture) -> ChildOrder:
    parent = make_order(mode="manual")
    proposal = proposal_for(parent)
    with capture(execute=False):  # the hand-off to the worker is lost (a broker down, a worker killed)
        proposal_approve(proposal_id=proposal.pk, user=alice)
    return ChildOrder.objects.get(proposal=proposal)


def _overdue(child: ChildOrder) -> None:
    ChildOrder.objects.filter(pk=child.pk).update(send_by=timezone.now() - timedelta(seconds=1))


def test_a_child_order_is_approved_with_a_send_by_time_a_few_seconds_ahead(alice, make_order, proposal_for,
                                                                           django_capture_on_commit_callbacks,
                                                                           settings):
    settings.EXECDESK["SEND_BY_SECONDS"] = 4.0
    child = _approved_unsent(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    assert child.status == ChildStatus.NEW
    assert timedelta(seconds=3) < child.send_by - child.created_at <= timedelta(seconds=4)


def test_a_worker_that_gets_the_send_after_its_send_by_time_never_sends_it(alice, make_order, proposal_for,
                                                                           django_capture_on_commit_callbacks):
    child = _approved_unsent(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    _overdue(child)

    child_order_submit(child_id=child.pk)  # e.g. the broker redelivered it after the worker that held it died

    child.refresh_from_db()
    assert child.status == ChildStatus.CANCELLED and child.send_started_at is None
    assert "send-by" in child.reject_reason
    actions = list(AuditEvent.objects.filter(object_type="childorder", object_id=str(child.pk))
                   .values_list("action", flat=True))
    assert "child.expired" in actions and "child.sent" not in actions
    parent = ParentOrder.objects.get(pk=child.parent_id)
    assert parent.state == ParentStatus.ACTIVE  # back on its schedule: the next step re-plans
    child_order_submit(child_id=child.pk)  # a second copy of the message changes nothing
    assert not AuditEvent.objects.filter(action="child.sent", object_id=str(child.pk)).exists()


def test_the_sweeper_expires_a_lost_send_once_its_send_by_time_passed(alice, make_order, proposal_for,
                                                                      django_capture_on_commit_callbacks):
    child = _approved_unsent(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    _overdue(child)

    sweep = outbox_sweep()

    child.refresh_from_db()
    assert (sweep.expired, sweep.redriven) == (1, 0)
    assert child.status == ChildStatus.CANCELLED and child.send_started_at is None
    assert AuditEvent.objects.filter(action="child.expired", object_id=str(child.pk)).count() == 1
