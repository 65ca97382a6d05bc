"""The headless run service: manual approval through the proposal services, Ctrl-C and the time limit
cancel through `parent_order_cancel`, a cancel from the desk ends the run, and Celery is put back."""

from __future__ import annotations

import pytest

from execdesk.celery import app
from execdesk.desk.models import AuditEvent, ChildOrder, ParentOrder, Proposal
from execdesk.desk.services.headless import parent_order_run_headless
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_create
from execdesk.desk.services.proposals import proposal_approve

pytestmark = pytest.mark.django_db(transaction=True)


def _order(user, mode: str) -> ParentOrder:
    return parent_order_create(user=user, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=30,
                               interval_seconds=5, strategy="twap", approval_mode=mode, advisor="rules")


def _cancel_reason(parent: ParentOrder) -> str:
    event = AuditEvent.objects.get(action="parent.state_changed", parent_order_id=parent.pk,
                                   payload__to="CANCELLED")
    return event.payload["reason"]


def test_manual_proposals_go_to_the_approver_once_and_approval_sends_the_child_inline(alice):
    parent = _order(alice, "manual")
    seen: list[int] = []

    def approve(proposal: Proposal) -> None:
        seen.append(proposal.pk)
        proposal_approve(proposal_id=proposal.pk, user=alice)

    app.conf.task_always_eager = False  # as in a process with a worker: the run makes its tasks inline itself
    outcome = parent_order_run_headless(parent_id=parent.pk, user=alice, on_pending=approve, tick_s=0.2,
                                        stop_after_s=2)
    assert app.conf.task_always_eager is False, "the run must put Celery back as it found it"
    assert len(seen) == len(set(seen)) >= 1
    first = Proposal.objects.get(pk=seen[0])
    assert first.status == "approved" and first.decided_by == alice
    child = ChildOrder.objects.get(proposal=first)
    assert child.status != "new", "approved but never submitted"
    assert AuditEvent.objects.filter(action="child.sent", object_id=str(child.pk)).exists()
    assert AuditEvent.objects.filter(action="proposal.approved", object_id=str(first.pk),
                                     actor_label="alice").exists()
    assert outcome.timed_out and not outcome.completed and outcome.status == "CANCELLED"
    assert "not complete 2 s after it started" in _cancel_reason(parent)
    assert not ChildOrder.objects.filter(parent=parent, status__in=["new", "submitted", "partially_filled"]).exists()


def test_ctrl_c_cancels_the_order_through_the_service(alice):
    parent = _order(alice, "autopilot")
    ticks: list[dict] = []

    def on_progress(progress: dict) -> None:
        ticks.append(progress)
        if len(ticks) == 2:
            raise KeyboardInterrupt

    outcome = parent_order_run_headless(parent_id=parent.pk, user=alice, on_progress=on_progress, tick_s=0.2)
    assert outcome.interrupted and not outcome.timed_out and outcome.status == "CANCELLED"
    assert ticks[0]["id"] == parent.pk and ticks[0]["status"] in ("ACTIVE", "EXECUTING", "FILLED")
    assert _cancel_reason(parent) == "interrupted at the terminal (Ctrl-C)"
    assert AuditEvent.objects.get(action="parent.state_changed", parent_order_id=parent.pk,
                                  payload__to="CANCELLED").actor_label == "alice"
    assert not Proposal.objects.filter(parent=parent, status="pending").exists()


def test_a_cancel_from_the_desk_ends_the_run(alice, bob):
    parent = _order(alice, "manual")

    def desk_cancels(progress: dict) -> None:
        if progress["status"] == "ACTIVE":
            parent_order_cancel(parent_id=parent.pk, user=bob, reason="bob stops it on the desk")

    outcome = parent_order_run_headless(parent_id=parent.pk, user=alice, on_progress=desk_cancels, tick_s=0.2,
                                        stop_after_s=5)
    assert outcome.status == "CANCELLED" and not outcome.timed_out and not outcome.interrupted
    assert outcome.wall_s < 2
    assert _cancel_reason(parent) == "bob stops it on the desk"
