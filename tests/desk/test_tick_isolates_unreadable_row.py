"""One order whose row the database cannot read never stops the desk tick: its due proposal is still expired
(without reading the order's row), every market still advances, and every other order — an autopilot one
here — still gets its proposals, approvals and child orders. A worker runs each order's step as a task of its
own, so the unreadable order's step fails alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from execdesk.celery import app
from execdesk.desk.models import ChildOrder, Proposal
from execdesk.desk.tasks import desk_tick_task
from tests.desk.conftest import age_proposals

pytestmark = pytest.mark.django_db


def _break(parent_id: int) -> None:
    """SQLite: a figure that does not fit decimal(28, 10) (what a write without validation left behind);
    PostgreSQL refuses that number but stores an 'infinity' timestamp, which psycopg cannot read back."""
    column, value = ("created_at", "'infinity'") if connection.vendor == "postgresql" else (
        "auto_cap_notional", "'999999999999999999999999999999.9999999999'")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE desk_parentorder SET {column} = {value} WHERE id = %s", [parent_id])


@pytest.fixture
def worker():
    """Each task on its own, as a worker runs them: a failed step is that task's failure only."""
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_ticks_keep_running_and_a_healthy_autopilot_order_trades(make_order, proposal_for, worker,
                                                                   django_capture_on_commit_callbacks):
    broken = make_order()
    pending = proposal_for(broken)
    Proposal.objects.filter(pk=pending.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _break(broken.pk)
    healthy = make_order(mode="autopilot")

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            desk_tick_task()  # no exception out of the tick
        age_proposals(healthy, 60)

    assert Proposal.objects.get(pk=pending.pk).status == "expired"
    made = Proposal.objects.filter(parent_id=healthy.pk)
    assert made.filter(status="approved").exists()  # autopilot: approved with no human
    assert ChildOrder.objects.filter(parent_id=healthy.pk, status="filled").exists()
