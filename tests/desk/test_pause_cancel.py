import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, Proposal
from execdesk.desk.services.parent_orders import (
    parent_order_cancel,
    parent_order_pause,
    parent_order_resume,
    parent_order_start,
)
from execdesk.desk.services.proposals import proposal_override
from execdesk.domain.states import IllegalTransition

pytestmark = pytest.mark.django_db


def _resting_limit(alice, make_order, proposal_for, capture):
    parent = make_order()
    proposal = proposal_for(parent)
    far_bid = str(round(float(proposal.market["best_bid"]) * 0.995, 1))  # 50 bps under: rests, inside the band
    with capture(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="limit",
                          limit_price=far_bid, reason="work it low")
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.status == "submitted", child.reject_reason
    return parent, child


def test_cancel_leaves_no_open_child_order(alice, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent, child = _resting_limit(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    parent_order_cancel(parent_id=parent.pk, user=alice, reason="client changed mind")
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.status == "CANCELLED" and parent.ended_at is not None
    assert child.status == "cancelled"
    assert not ChildOrder.objects.filter(parent=parent, status__in=["new", "submitted", "partially_filled"]).exists()
    assert AuditEvent.objects.filter(action="child.cancel_requested", object_id=str(child.pk)).exists()


def test_pause_cancels_working_orders_and_pending_proposals_and_resume_continues(alice, make_order, proposal_for,
                                                                                 django_capture_on_commit_callbacks):
    parent, child = _resting_limit(alice, make_order, proposal_for, django_capture_on_commit_callbacks)
    parent_order_pause(parent_id=parent.pk, user=alice, reason="news due")
    child.refresh_from_db()
    parent.refresh_from_db()
    assert parent.status == "PAUSED" and child.status == "cancelled"
    assert not Proposal.objects.filter(parent=parent, status="pending").exists()
    parent_order_resume(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.status == "ACTIVE"
    changes = [(e.payload["from"], e.payload["to"]) for e in
               AuditEvent.objects.filter(action="parent.state_changed", parent_order_id=parent.pk)]
    assert ("EXECUTING", "PAUSED") in changes and ("PAUSED", "ACTIVE") in changes


def test_an_illegal_transition_is_refused_with_a_clear_error_and_audited(alice, make_order):
    parent = make_order(start=False)
    with pytest.raises(IllegalTransition, match="illegal transition INITIALIZED → PAUSED"):
        parent_order_pause(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.status == "INITIALIZED"
    refused = AuditEvent.objects.get(action="parent.transition_refused", parent_order_id=parent.pk)
    assert refused.payload["from"] == "INITIALIZED" and refused.payload["to"] == "PAUSED"
    assert refused.actor_label == "alice"
    parent_order_cancel(parent_id=parent.pk, user=alice)
    with pytest.raises(IllegalTransition, match="terminal"):
        parent_order_start(parent_id=parent.pk, user=alice)


def test_an_order_that_never_started_cannot_be_resumed(alice, make_order):
    from execdesk.desk.services.errors import InvalidInput
    from execdesk.desk.services.parent_orders import parent_order_resume

    parent = make_order(start=False)
    with pytest.raises(InvalidInput, match="is INITIALIZED: only a HALTED or PAUSED order can be resumed; start it"):
        parent_order_resume(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.status == "INITIALIZED" and parent.started_at is None
