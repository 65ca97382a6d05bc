from decimal import Decimal

import pytest
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ChildOrder, Proposal
from execdesk.desk.services.errors import InvalidInput, ProposalNotPending, RiskBlocked
from execdesk.desk.services.execution import proposal_expire_due
from execdesk.desk.services.proposals import proposal_approve, proposal_override, proposal_reject

pytestmark = pytest.mark.django_db


def test_a_started_order_gets_a_rules_proposal_with_reasoning_citing_market_figures(make_order, proposal_for):
    proposal = proposal_for(make_order(strategy="adaptive"))
    assert proposal.status == "pending"
    assert proposal.advisor == "rules"
    assert proposal.action in {"AGGRESSIVE", "PASSIVE", "WAIT", "ACCELERATE", "DECELERATE", "CANCEL"}
    assert "spread" in proposal.reasoning and "bps" in proposal.reasoning and "1-h vol" in proposal.reasoning
    assert 0 <= proposal.confidence <= 1
    assert {c["code"] for c in proposal.risk_checks} >= {"max_volatility"}
    assert AuditEvent.objects.filter(action="proposal.created", object_id=str(proposal.pk)).exists()


def test_approval_turns_the_proposal_into_one_child_order_on_the_paper_venue(alice, make_order, proposal_for,
                                                                           django_capture_on_commit_callbacks):
    parent = make_order()
    proposal = proposal_for(parent)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.order_link_id.startswith(f"ED{parent.pk}-1-") and len(child.order_link_id) <= 36
    assert child.status != "new", "the submit task ran and the venue answered"
    approved = AuditEvent.objects.get(action="proposal.approved", object_id=str(proposal.pk))
    assert approved.actor_label == "alice"


def test_reject_needs_a_reason_and_records_who_and_why(alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    with pytest.raises(InvalidInput, match="reason is required"):
        proposal_reject(proposal_id=proposal.pk, user=alice, reason="  ")
    proposal_reject(proposal_id=proposal.pk, user=alice, reason="spread looks fake")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_reason) == ("rejected", alice, "spread looks fake")
    event = AuditEvent.objects.get(action="proposal.rejected")
    assert event.payload["reason"] == "spread looks fake" and event.actor_label == "alice"
    assert not ChildOrder.objects.exists()


def test_override_sends_the_human_terms_and_fills_a_market_order(alice, make_order, proposal_for,
                                                                 django_capture_on_commit_callbacks):
    parent = make_order()
    proposal = proposal_for(parent)
    with pytest.raises(InvalidInput, match="reason is required"):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="market", reason="")
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="market",
                          reason="take it now")
    proposal.refresh_from_db()
    assert proposal.status == "overridden" and proposal.final_quantity == Decimal("0.01")
    child = ChildOrder.objects.get(proposal=proposal)
    assert (child.order_type, child.quantity, child.status) == ("market", Decimal("0.01"), "filled")
    parent.refresh_from_db()
    assert parent.executed_qty == Decimal("0.01")
    assert parent.is_bps is not None and parent.avg_price is not None
    assert AuditEvent.objects.filter(action="fill.recorded", parent_order_id=parent.pk).count() == child.fills.count()
    event = AuditEvent.objects.get(action="proposal.overridden")
    assert event.payload["override"]["quantity"] == "0.01" and event.payload["reason"] == "take it now"


@pytest.mark.parametrize("terms,message", [
    (dict(quantity="1.5", order_type="market"), "risk gate blocks it"),  # over participation / remaining caps
    (dict(quantity="0.01", order_type="limit", limit_price="64000.0"), "price_band"),  # inside the desk's collar
    (dict(quantity="0.01", order_type="limit", limit_price="50000.0"), "outside the desk's price collar"),
    (dict(quantity="0.01", order_type="limit"), "needs a limit price"),
    (dict(quantity="0.01", order_type="limit", limit_price="65000.05"), "not on the 0.1 tick"),
    (dict(quantity="0.0101", order_type="market"), "not a multiple"),
    (dict(quantity="0.01", order_type="stop"), "order type must be one of"),
])
def test_an_override_breaking_a_limit_is_refused_and_the_refusal_is_audited(alice, make_order, proposal_for,
                                                                          terms, message):
    proposal = proposal_for(make_order())
    with pytest.raises((RiskBlocked, InvalidInput), match=message):
        proposal_override(proposal_id=proposal.pk, user=alice, reason="try", **terms)
    proposal.refresh_from_db()
    assert proposal.status == "pending"
    assert not ChildOrder.objects.exists()
    if "risk gate" in message or message == "price_band":
        assert AuditEvent.objects.filter(action="proposal.override_refused").exists()


def test_an_expired_proposal_cannot_be_approved_and_its_expiry_is_audited(alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now())
    with pytest.raises(ProposalNotPending, match="expired"):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    assert proposal_expire_due() == 1
    proposal.refresh_from_db()
    assert proposal.status == "expired"
    assert AuditEvent.objects.filter(action="proposal.expired", object_id=str(proposal.pk)).exists()


def test_a_decided_proposal_cannot_be_decided_again(alice, bob, make_order, proposal_for):
    proposal = proposal_for(make_order())
    proposal_reject(proposal_id=proposal.pk, user=alice, reason="no")
    with pytest.raises(ProposalNotPending, match="already rejected by alice"):
        proposal_approve(proposal_id=proposal.pk, user=bob)


def test_an_expired_proposal_is_replaced_at_once_even_when_the_interval_is_longer(alice, make_order, proposal_for):
    parent = make_order(interval=120)  # the TTL (30 s) is shorter than the interval
    first = proposal_for(parent)
    Proposal.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    assert proposal_expire_due() == 1
    fresh = proposal_for(parent)
    assert fresh.seq == first.seq + 1 and fresh.status == "pending"


def test_each_proposal_records_how_long_its_advisor_took(alice, make_order, proposal_for):
    from execdesk.desk.realtime.payloads import proposal_payload

    proposal = proposal_for(make_order())
    assert proposal.advisor_latency_ms is not None and 0 <= proposal.advisor_latency_ms < 5000
    assert proposal_payload(proposal)["advisor_latency_ms"] == proposal.advisor_latency_ms
