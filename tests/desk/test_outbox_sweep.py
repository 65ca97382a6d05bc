"""The database is the truth for work to do: an approved child order whose hand-off to a worker was lost
(broker restarted, enqueue failed, worker killed) is re-driven by the outbox sweeper, and sent once."""

from __future__ import annotations

from execdesk.desk.models import AuditEvent, ChildOrder
from execdesk.desk.services.outbox import outbox_sweep
from execdesk.desk.services.proposals import proposal_approve
from execdesk.domain.orders import ChildStatus


def test_the_sweeper_sends_an_approved_child_order_whose_enqueue_was_lost(alice, make_order, proposal_for, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.EXECDESK["OUTBOX_REDRIVE_AFTER_SECONDS"] = 0.0
    parent = make_order(mode="manual")
    proposal = proposal_for(parent)
    with django_capture_on_commit_callbacks(execute=False):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.status == ChildStatus.NEW

    with django_capture_on_commit_callbacks(execute=True):
        sweep = outbox_sweep()  # tasks run eagerly here: the re-driven send runs in this process

    child.refresh_from_db()
    assert sweep.redriven == 1
    assert child.status != ChildStatus.NEW and child.send_started_at is not None
    assert child.send_started_at <= child.send_by
    assert AuditEvent.objects.filter(action="child.sent", object_id=str(child.pk)).count() == 1
    assert outbox_sweep().redriven == 0  # nothing left to do: a sent child is never re-driven
