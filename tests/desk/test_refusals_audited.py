"""Refused actions are audited: an approval refused (decided already, risk-blocked, four-eyes, wrong role) and a
trader's HALT attempt each leave an event naming who tried what, on which target, and why it was refused —
recorded on its own, since the refused request's transaction rolled back. Bad input is not a refusal."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from execdesk.desk.models import AuditEvent, ParentOrder, Proposal
from execdesk.desk.services.desk_state import desk_trading_state, desk_trading_state_set
from execdesk.desk.services.errors import FourEyesRequired, InvalidInput, ProposalNotPending, RiskBlocked
from execdesk.desk.services.proposals import proposal_approve, proposal_reject
from tests.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db


def _refusal(action: str) -> AuditEvent:
    [event] = AuditEvent.objects.filter(action=action)
    return event


def test_approving_a_decided_proposal_is_refused_and_audited(alice, bob, make_order, proposal_for):
    proposal = proposal_for(make_order())
    proposal_reject(proposal_id=proposal.pk, user=alice, reason="spread looks fake")
    with pytest.raises(ProposalNotPending) as refused:
        proposal_approve(proposal_id=proposal.pk, user=bob)
    event = _refusal("proposal.approve_refused")
    assert (event.actor_label, event.role, event.object_type, event.object_id, event.parent_order_id) == (
        "bob", "supervisor", "proposal", str(proposal.pk), proposal.parent_id)
    assert event.payload["refusal"] == "ProposalNotPending" and event.payload["error"] == str(refused.value)
    assert "already rejected by alice" in event.payload["error"]


def test_approving_a_risk_blocked_proposal_is_refused_and_audited_with_its_checks(alice, bob, make_order,
                                                                                  proposal_for):
    long_order = make_order(start=False)
    buy = make_order(side="buy")  # started before the desk reduces: REDUCING refuses a new buy
    ParentOrder.objects.filter(pk=long_order.pk).update(executed_qty="0.3")  # the desk is long 0.3 BTC
    desk_trading_state_set(user=bob, state="REDUCING", reason="risk limit reached")
    blocked = proposal_for(buy)
    assert blocked.risk_blocked
    with pytest.raises(RiskBlocked):
        proposal_approve(proposal_id=blocked.pk, user=alice)
    event = _refusal("proposal.approve_refused")
    assert event.actor_label == "alice" and event.payload["refusal"] == "RiskBlocked"
    assert any(c["code"] == "trading_state" and not c["passed"] for c in event.payload["checks"])
    assert Proposal.objects.get(pk=blocked.pk).status == "pending", "the refused approval changed nothing"


def test_a_trader_approving_above_the_four_eyes_threshold_is_refused_and_audited(alice, bob, make_order, proposal_for,
                                                                                settings, monkeypatch):
    monkeypatch.setitem(settings.EXECDESK, "FOUR_EYES_NOTIONAL", 100.0)
    proposal = proposal_for(make_order(approver=bob))  # the order itself is above four-eyes: bob lets it start
    assert proposal.action != "WAIT", proposal.reasoning
    with pytest.raises(FourEyesRequired):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    event = _refusal("proposal.approve_refused")
    assert event.payload["refusal"] == "FourEyesRequired" and "four-eyes threshold" in event.payload["error"]


def test_an_auditor_approving_is_refused_and_audited(charlie, make_order, proposal_for):
    proposal = proposal_for(make_order())
    with pytest.raises(PermissionDenied):
        proposal_approve(proposal_id=proposal.pk, user=charlie)
    event = _refusal("proposal.approve_refused")
    assert (event.actor_label, event.role, event.payload["refusal"]) == ("charlie", "auditor", "PermissionDenied")


def test_a_traders_halt_attempt_is_refused_and_audited(alice):
    with pytest.raises(PermissionDenied, match="needs the supervisor role"):
        desk_trading_state_set(user=alice, state="HALTED", reason="I want it stopped")
    assert desk_trading_state() == "ACTIVE"
    event = _refusal("desk.trading_state_refused")
    assert (event.actor_label, event.role, event.object_type) == ("alice", "trader", "deskstate")
    assert event.payload["requested"] == {"state": "HALTED"} and event.payload["reason"] == "I want it stopped"
    assert "needs the supervisor role (you are trader)" in event.payload["error"]


def test_a_traders_halt_from_the_dashboard_is_a_403_and_audited(alice, client):
    client.force_login(alice)
    response = client.post(reverse("desk:trading_state"), {"state": "HALTED", "reason": "stop"})
    assert response.status_code == 403
    assert _refusal("desk.trading_state_refused").actor_label == "alice"


def test_refusals_through_the_api_are_audited_too(alice, client, make_order, proposal_for):
    as_alice = Api(token_for(alice), client)
    proposal = proposal_for(make_order())
    proposal_reject(proposal_id=proposal.pk, user=alice, reason="spread looks fake")
    assert as_alice.post(f"/api/proposals/{proposal.pk}/approve").status_code == 409
    assert as_alice.post("/api/desk/state", {"state": "HALTED", "reason": "stop"}).status_code == 403
    assert AuditEvent.objects.get(action="proposal.approve_refused").object_id == str(proposal.pk)
    # the API refuses a trader's halt by role, before any service runs: recorded as a refused access
    refused = AuditEvent.objects.get(action="access.refused")
    assert (refused.actor_label, refused.object_id) == ("alice", "POST /api/desk/state")
    assert refused.payload["needed"] == "the supervisor role"


def test_bad_input_is_answered_but_not_recorded_as_a_refusal(bob, alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    with pytest.raises(InvalidInput):
        proposal_reject(proposal_id=proposal.pk, user=alice, reason="  ")
    with pytest.raises(InvalidInput):
        desk_trading_state_set(user=bob, state="SIDEWAYS", reason="no such state")
    assert not AuditEvent.objects.filter(action__endswith="refused").exists()


def test_the_refusals_are_part_of_the_signed_chain(alice, charlie, make_order, proposal_for):
    proposal = proposal_for(make_order())
    with pytest.raises(PermissionDenied):
        proposal_approve(proposal_id=proposal.pk, user=charlie)
    with pytest.raises(PermissionDenied):
        desk_trading_state_set(user=alice, state="HALTED", reason="stop")
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith(f"audit chain intact: {AuditEvent.objects.count()} events")
