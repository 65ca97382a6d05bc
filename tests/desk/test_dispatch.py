"""Services hand work to the workers through execdesk.desk.dispatch: by task name, after commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from execdesk.celery import app
from execdesk.desk import dispatch
from execdesk.desk.models import Proposal
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start

pytestmark = pytest.mark.django_db


def test_every_name_dispatch_sends_is_a_registered_task():
    names = [dispatch.ORDER_STEP, dispatch.CHILD_SEND, dispatch.CHILD_CANCEL, dispatch.VENUE_CANCEL_ALL,
             dispatch.ADVISOR_QUERY]
    assert [name for name in names if name not in app.tasks] == []


def test_an_order_step_dispatched_runs_once_the_transaction_commits(alice, django_capture_on_commit_callbacks):
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                 interval_seconds=10, approval_mode="manual")
    with django_capture_on_commit_callbacks(execute=False) as sends:
        parent_order_start(parent_id=parent.pk, user=alice)
    assert not Proposal.objects.filter(parent=parent).exists(), "nothing runs before the commit"
    for send in sends:
        send()
    assert Proposal.objects.filter(parent=parent).count() == 1


def test_work_dispatched_in_a_rolled_back_transaction_is_never_sent(alice, django_capture_on_commit_callbacks):
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                 interval_seconds=10, approval_mode="manual")
    with django_capture_on_commit_callbacks(execute=True) as sends:
        with pytest.raises(RuntimeError), transaction.atomic():
            dispatch.dispatch_order_step(parent.pk)
            raise RuntimeError("the decision is rolled back")
    assert sends == []
