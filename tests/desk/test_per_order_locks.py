"""Per-order concurrency: a transaction working on one order never waits for another order's, and the audit
chain stays one unbroken, signed chain when many orders write at once. PostgreSQL only (SQLite serialises
writers by design)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from execdesk.desk.access.roles import SYSTEM
from execdesk.desk.audit.verify import audit_verify
from execdesk.desk.models import ChildOrder, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.errors import DeskError
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve
from execdesk.domain.proposals import Action
from tests.conftest import need

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_and_a_real_queue():
    need(connection.vendor == "postgresql", "per-order locking is PostgreSQL's: set EXECDESK_DATABASE_URL")
    from execdesk.celery import app

    app.conf.task_always_eager = False  # sends are not what these tests are about (they stay NEW)


def _orders(alice, n: int) -> list[ParentOrder]:
    orders = []
    for _ in range(n):
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.05",
                                     horizon_seconds=60, interval_seconds=5, approval_mode="manual")
        parent_order_start(parent_id=parent.pk, user=alice)
        orders.append(parent)
    return orders


def test_an_order_steps_while_another_orders_transaction_is_open(alice):
    first, second = _orders(alice, 2)
    holding, release = threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with desk_atomic():
                ParentOrder.objects.select_for_update().get(pk=first.pk)
                audit_record(actor=SYSTEM, action="test.holding", obj=first, parent_order_id=first.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:  # a lock wait fails this test instead of hanging it
            cursor.execute("SET lock_timeout = '5s'")
        proposal = execution_step(parent_id=second.pk)  # on a desk-wide lock this waits for the holder
        assert proposal is not None
        assert holder.is_alive()  # the other order's transaction is still open
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    verdict = audit_verify()
    assert verdict.ok, verdict.describe()


def test_many_orders_stepped_and_approved_at_once_leave_one_intact_chain_and_one_child_per_approval(alice):
    orders = _orders(alice, 8)
    errors: list[BaseException] = []
    refusals: list[str] = []
    barrier = threading.Barrier(len(orders))

    def work(parent: ParentOrder) -> None:
        try:
            barrier.wait(30)
            for _ in range(2):
                proposal = execution_step(parent_id=parent.pk)
                if proposal is not None and proposal.status == ProposalStatus.PENDING:
                    try:
                        proposal_approve(proposal_id=proposal.pk, user=alice)
                    except DeskError as exc:
                        refusals.append(str(exc))  # a re-check refusal is the desk's answer, not a race
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(p,)) for p in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors, errors
    approved = [p for p in Proposal.objects.filter(parent__in=orders, status=ProposalStatus.APPROVED)
                if Action(p.action).sends_order]
    assert approved, (refusals, list(Proposal.objects.values_list("action", "status", "risk_blocked")))
    for proposal in approved:
        assert ChildOrder.objects.filter(proposal=proposal).count() == 1
    assert Proposal.objects.filter(parent__in=orders).count() >= len(orders)
    verdict = audit_verify()
    assert verdict.ok, verdict.describe()
