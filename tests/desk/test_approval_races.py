"""Races on one proposal: twenty approvals at once make one child order; approval against expiry has one outcome."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ChildOrder, Proposal
from execdesk.desk.services.errors import ProposalNotPending
from execdesk.desk.services.execution import execution_step, proposal_expire_due
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_submit():
    from execdesk.celery import app

    app.conf.task_always_eager = False  # the venue submission is not what these tests are about
    yield
    app.conf.task_always_eager = True


def _pending(user) -> Proposal:
    parent = parent_order_create(user=user, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                 interval_seconds=10)
    parent_order_start(parent_id=parent.pk, user=user)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and proposal.action != "WAIT"
    return proposal


def _run_together(*jobs) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job) -> None:
        try:
            barrier.wait()
            outcomes.append(job())
        except ProposalNotPending as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == len(jobs), "a racer hung"
    return outcomes


def test_twenty_concurrent_approvals_make_exactly_one_child_order(alice, bob, no_submit):
    proposal = _pending(alice)
    users = [alice, bob] * 10
    outcomes = _run_together(*[(lambda u=u: proposal_approve(proposal_id=proposal.pk, user=u).status) for u in users])
    assert outcomes.count("approved") == 1, outcomes
    assert sum(o.startswith("refused:") for o in outcomes) == 19, outcomes
    assert ChildOrder.objects.filter(proposal=proposal).count() == 1
    assert AuditEvent.objects.filter(action="proposal.approved", object_id=str(proposal.pk)).count() == 1


@pytest.mark.parametrize("lead_ms", [0, 5, 20])
def test_an_approval_racing_the_expiry_has_exactly_one_outcome(alice, no_submit, lead_ms):
    proposal = _pending(alice)
    deadline = timezone.now() + timedelta(milliseconds=lead_ms)
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=deadline)

    def expire() -> str:
        time.sleep(max((deadline - timezone.now()).total_seconds(), 0))
        return f"expired {proposal_expire_due()}"

    def approve() -> str:
        time.sleep(max((deadline - timezone.now()).total_seconds(), 0))
        return proposal_approve(proposal_id=proposal.pk, user=alice).status

    outcomes = _run_together(expire, approve)
    proposal.refresh_from_db()
    children = ChildOrder.objects.filter(proposal=proposal).count()
    expiries = AuditEvent.objects.filter(action="proposal.expired", object_id=str(proposal.pk)).count()
    approvals = AuditEvent.objects.filter(action="proposal.approved", object_id=str(proposal.pk)).count()
    if proposal.status == "approved":
        assert (children, expiries, approvals) == (1, 0, 1), outcomes
        assert "expired 0" in outcomes
    else:
        assert proposal.status == "expired", outcomes
        assert (children, expiries, approvals) == (0, 1, 0), outcomes
        assert any(o.startswith("refused:") for o in outcomes), outcomes
