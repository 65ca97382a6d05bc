"""A real Celery worker and beat drive a manual-approval parent order to COMPLETE; the test is only the human.

Beat ticks every second, the worker advances the simulated market, makes proposals, submits approved
child orders to the paper venue and records fills, all in their own processes on PostgreSQL and Redis.
The test process makes the human decisions (approve, or override / reject what the risk gate blocks)
and then checks the order, its child orders, its fills and the audit hash chain.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, Fill, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.services.audit import GENESIS
from execdesk.desk.services.errors import ProposalNotPending, RiskBlocked
from execdesk.desk.services.market import instrument_for
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_approve, proposal_override, proposal_reject
from execdesk.desk.tasks import child_order_submit_task
from execdesk.domain.orders import ChildStatus
from execdesk.domain.states import ParentStatus

COMPLETE_TIMEOUT_S = 120
POLL_S = 0.25
OPEN_CHILD = [s.value for s in ChildStatus if s.is_open]


def _decide(proposal: Proposal, *, user, decisions: list[str]) -> None:
    """What a trader at the desk does with a pending proposal."""
    try:
        if proposal.risk_blocked:
            parent = ParentOrder.objects.get(pk=proposal.parent_id)
            remaining = instrument_for(parent.symbol).qty(parent.remaining_qty)
            try:
                proposal_override(proposal_id=proposal.pk, user=user, quantity=remaining, order_type="market",
                                  reason="integration: finish")
                decisions.append(f"#{proposal.seq} {proposal.action} {proposal.quantity.normalize():f} blocked by "
                                 f"{_blocking(proposal)}: overridden to market {remaining}")
            except RiskBlocked as exc:
                proposal_reject(proposal_id=proposal.pk, user=user, reason=f"integration: risk gate blocks it ({exc})")
                decisions.append(f"#{proposal.seq} {proposal.action} {proposal.quantity.normalize():f} blocked by "
                                 f"{_blocking(proposal)}; override to market {remaining} blocked too ({exc}): rejected")
            return
        try:
            proposal_approve(proposal_id=proposal.pk, user=user)
            decisions.append(f"#{proposal.seq} {proposal.action} {proposal.quantity.normalize():f}: approved")
        except RiskBlocked as exc:  # the market moved since the proposal: the re-check blocks it now
            proposal_reject(proposal_id=proposal.pk, user=user, reason=f"integration: re-check blocks it ({exc})")
            decisions.append(f"#{proposal.seq} {proposal.action}: blocked on re-check ({exc}), rejected")
    except ProposalNotPending as exc:  # expired or superseded by the worker while we looked at it
        decisions.append(f"#{proposal.seq}: no longer pending ({exc})")


def _blocking(proposal: Proposal) -> str:
    return ", ".join(c["code"] for c in proposal.risk_checks if not c["passed"] and c["severity"] == "hard")


def _where(parent: ParentOrder, decisions: list[str], desk) -> str:
    children = [f"{c.order_link_id} {c.order_type} {c.quantity.normalize():f} {c.status} "
                f"filled {c.filled_qty.normalize():f}" for c in ChildOrder.objects.filter(parent=parent)]
    return (f"parent {parent}: executed {parent.executed_qty.normalize():f}\n"
            f"decisions: {decisions}\nchild orders: {children}\n{desk.tail()}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_worker_and_beat_drive_a_manually_approved_order_to_complete(alice, desk_processes, monkeypatch):
    # Everything but the human decisions happens in the worker: this process must never tick the desk,
    # step an order (make proposals) or submit a child order.
    def not_here(**kwargs):
        raise AssertionError(f"a worker's service ran in the test process ({kwargs})")

    for name in ("execdesk.desk.tasks.desk_tick", "execdesk.desk.tasks.execution_step",
                 "execdesk.desk.tasks.child_order_submit", "execdesk.desk.services.child_orders.child_order_submit"):
        monkeypatch.setattr(name, not_here)
    enqueued: list[str] = []  # ids of the desk.child_order_submit tasks sent to the broker
    send = child_order_submit_task.apply_async

    def recording_send(*args, **kwargs):
        result = send(*args, **kwargs)
        enqueued.append(result.id)
        return result

    monkeypatch.setattr(child_order_submit_task, "apply_async", recording_send)

    started = time.monotonic()
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.02", horizon_seconds=40,
                                 interval_seconds=5, approval_mode="manual")
    parent_order_start(parent_id=parent.pk, user=alice)  # its first step goes to the broker

    decisions: list[str] = []
    deadline = time.monotonic() + COMPLETE_TIMEOUT_S
    while True:
        parent.refresh_from_db()
        if parent.state.is_terminal or parent.state == ParentStatus.HALTED:
            break
        assert time.monotonic() < deadline, (
            f"order not COMPLETE after {COMPLETE_TIMEOUT_S} s\n{_where(parent, decisions, desk_processes)}")
        desk_processes.assert_alive()
        for proposal in Proposal.objects.filter(parent=parent, status=ProposalStatus.PENDING):
            _decide(proposal, user=alice, decisions=decisions)
        time.sleep(POLL_S)
    elapsed = time.monotonic() - started
    where = _where(parent, decisions, desk_processes)

    assert parent.status == ParentStatus.COMPLETE, where
    assert parent.executed_qty == parent.quantity == Decimal("0.02"), where
    fills = Fill.objects.filter(parent=parent)
    assert fills.exists(), where
    assert sum(f.qty for f in fills) == parent.quantity, where
    children = ChildOrder.objects.filter(parent=parent)
    assert children.exists(), where
    assert not children.filter(status__in=OPEN_CHILD).exists(), where
    assert all(c.filled_qty == sum((f.qty for f in c.fills.all()), Decimal("0")) for c in children), where

    trail = list(AuditEvent.objects.filter(parent_order_id=parent.pk))
    actions = {e.action for e in trail}
    for action in ("parent.created", "proposal.created", "proposal.approved", "child.created", "child.sent",
                   "fill.recorded"):
        assert action in actions, f"no {action} in the audit trail: {sorted(actions)}\n{where}"
    assert any(e.action == "proposal.approved" and e.actor_label == "alice" and e.actor_id == alice.pk
               for e in trail), where
    assert any(e.action == "parent.state_changed" and e.payload.get("to") == ParentStatus.COMPLETE
               for e in trail), where
    assert {e.actor_label for e in trail if e.action == "child.sent"} == {"system:paper-venue"}, where

    chain = list(AuditEvent.objects.order_by("id"))
    assert chain[0].prev_hash == GENESIS
    for prev, event in zip([None, *chain], chain, strict=False):
        if prev is not None:
            assert event.prev_hash == prev.hash, f"chain broken at #{event.pk} {event.action}"
        assert event.hash == event.compute_hash(), f"event #{event.pk} {event.action} does not match its hash"

    # The worker process, not this one, ran every submission this process enqueued, and none failed.
    assert len(enqueued) == children.count(), f"enqueued {enqueued} for {children.count()} child orders\n{where}"
    worker = desk_processes.worker_name
    # Per task, the worker's own log says it received and ran it (events travel by Redis pub/sub, which drops
    # a message now and then by design: they are checked below only in aggregate).
    worker_log = desk_processes.log_text("worker")
    for task_id in enqueued:
        for what in ("received", "succeeded"):
            assert f"Task desk.child_order_submit[{task_id}] {what}" in worker_log, (
                f"desk.child_order_submit[{task_id}] not {what} by {worker}\n{where}")
    for task_name in ("desk.tick", "desk.parent_order_step", "desk.child_order_submit"):
        assert desk_processes.events.succeeded(task_name, hostname=worker) > 0, f"{worker} never ran {task_name}"
    failed = desk_processes.events.by_type("task-failed", "task-retried", hostname=worker)
    assert not failed, f"tasks failed in the worker: {failed}\n{where}"
    assert {e.actor_label for e in trail if e.action == "proposal.created"} == {"advisor:schedule"}, where  # TWAP
    assert " raised unexpected" not in worker_log and "Traceback" not in worker_log, where

    print(f"\norder {parent.pk} COMPLETE in {elapsed:.1f} s: {len(children)} child orders, {fills.count()} fills, "
          f"{len(trail)} audit events, IS {parent.is_bps:.2f} bps\n  " + "\n  ".join(decisions))
