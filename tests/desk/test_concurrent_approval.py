"""Two people press Approve on the same proposal at the same moment: exactly one child order."""

import threading

import pytest
from django.db import connection

from execdesk.desk.models import AuditEvent, ChildOrder
from execdesk.desk.services.errors import ProposalNotPending
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_produce_exactly_one_child_order(alice, bob):
    from execdesk.celery import app

    app.conf.task_always_eager = False  # the submit task is not what this test is about
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                 interval_seconds=10)
    parent_order_start(parent_id=parent.pk, user=alice)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and proposal.action != "WAIT"

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user) -> None:
        try:
            barrier.wait()
            proposal_approve(proposal_id=proposal.pk, user=user)
            outcomes.append("approved")
        except ProposalNotPending as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"], outcomes
    assert ChildOrder.objects.filter(proposal=proposal).count() == 1
    assert AuditEvent.objects.filter(action="proposal.approved", object_id=str(proposal.pk)).count() == 1
