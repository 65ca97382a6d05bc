"""A worker killed between sending a child order to Bybit and recording Bybit's answer.

A real process approves the proposal and runs the submit task, which sends the order through pybit to the
loopback Bybit server; the server accepts the order and holds the answer; the test kills the process
with SIGKILL. What is left is exactly what a crash leaves: the child claimed and NEW in our database, the
order live on Bybit. Reconciliation at the next worker start adopts it, and the redelivered task (Celery
acks late) sends nothing a second time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from execdesk.desk.models import AuditEvent, ChildOrder, Fill, Proposal
from execdesk.desk.services.child_orders import child_order_submit
from execdesk.desk.services.reconcile import venue_reconcile

REPO = Path(__file__).resolve().parents[2]
CREATE = "/v5/order/create"
WORKER = """
import sys, django
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[1]   # the test database
django.setup()
from django.contrib.auth import get_user_model
from execdesk.celery import app
from execdesk.desk.services.proposals import proposal_approve
app.conf.task_always_eager = True   # this process is the worker: the submit task runs here
proposal_approve(proposal_id=int(sys.argv[2]), user=get_user_model().objects.get(username="alice"))
print("the answer came back: the test should have killed this process", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_reconciliation_adopts_an_order_whose_worker_died_before_the_answer(alice, bybit_desk, make_order):
    parent = make_order(venue="bybit", quantity="0.5")  # the start's first step runs at commit
    proposal = Proposal.objects.get(parent=parent, status="pending")
    bybit_desk.inject("slow", CREATE, seconds=60)  # accepted at once, answered a minute later

    env = {**os.environ, "EXECDESK_BYBIT_API_KEY": bybit_desk.api_key,
           "EXECDESK_BYBIT_API_SECRET": bybit_desk.api_secret, "EXECDESK_BYBIT_REST_URL": bybit_desk.url,
           "EXECDESK_BYBIT_FEED_IN_PROCESS": "0", "EXECDESK_BYBIT_TIMEOUT": "120",
           "EXECDESK_AUDIT_KEY": settings.AUDIT_KEY.decode()}
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(connection.settings_dict["NAME"]),
                               str(proposal.pk)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not bybit_desk.venue.orders:
            assert worker.poll() is None, f"the worker ended early: {worker.communicate()}"
            assert time.monotonic() < deadline, "the worker never sent the order"
            time.sleep(0.05)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)

    child = ChildOrder.objects.get(parent=parent)
    assert child.status == "new" and child.send_started_at is not None, "claimed and sent, answer never recorded"
    [on_bybit] = bybit_desk.venue.orders
    assert on_bybit.order_link_id == child.order_link_id

    summary = venue_reconcile(trigger="worker start")

    child.refresh_from_db()
    assert summary["adopted"] == [child.order_link_id]
    assert child.status != "new" and child.venue_order_id == on_bybit.order_id
    assert child.filled_qty == sum((f.qty for f in Fill.objects.filter(child=child)), Decimal(0))
    assert AuditEvent.objects.filter(action="reconcile.adopted", object_id=str(child.pk)).exists()
    assert AuditEvent.objects.filter(action="child.sent", object_id=str(child.pk)).count() == 1

    child_order_submit(child_id=child.pk)  # Celery redelivers the dead worker's task
    assert len(bybit_desk.venue.orders) == 1 and len(bybit_desk.requests_to(CREATE)) <= 1
