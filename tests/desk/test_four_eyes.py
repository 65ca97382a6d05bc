"""Four-eyes: above the desk's threshold a supervisor approves, and nobody approves their own override."""

from __future__ import annotations

import functools

import pytest

from execdesk.desk.models import AuditEvent, ChildOrder, Proposal
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.services.errors import FourEyesRequired
from execdesk.desk.services.proposals import proposal_approve, proposal_override, proposal_reject

pytestmark = pytest.mark.django_db


@pytest.fixture
def threshold(settings, monkeypatch):
    """A low threshold: every BTC slice of these orders is above it."""
    monkeypatch.setitem(settings.EXECDESK, "FOUR_EYES_NOTIONAL", 100.0)
    return 100


@pytest.fixture
def dave(django_user_model):
    """dave, a second supervisor."""
    from tests.conftest import _user

    return _user(django_user_model, "dave", "supervisor")


@pytest.fixture
def make_order(make_order, django_user_model):
    """Orders above the lowered threshold need four-eyes to start too: fiona, a supervisor, approves each."""
    from tests.conftest import _user

    fiona = _user(django_user_model, "fiona", "supervisor")
    return functools.partial(make_order, approver=fiona)


def _sending(parent, proposal_for):
    proposal = proposal_for(parent)
    assert proposal.action != "WAIT", proposal.reasoning
    return proposal


def test_a_trader_cannot_approve_a_proposal_above_the_threshold(alice, threshold, make_order, proposal_for):
    proposal = _sending(make_order(), proposal_for)
    assert proposal_payload(proposal)["needs_supervisor"] is True
    with pytest.raises(FourEyesRequired, match=r"above the desk's four-eyes threshold of 100.00 USDT: a supervisor"):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    proposal.refresh_from_db()
    assert proposal.status == "pending" and not ChildOrder.objects.exists()


def test_a_supervisor_approves_it(bob, threshold, make_order, proposal_for, django_capture_on_commit_callbacks):
    proposal = _sending(make_order(), proposal_for)
    proposal_approve(proposal_id=proposal.pk, user=bob)
    assert ChildOrder.objects.get(proposal=proposal).quantity == proposal.quantity


def test_below_the_threshold_a_trader_approves_alone(alice, make_order, proposal_for,
                                                     django_capture_on_commit_callbacks):
    proposal = _sending(make_order(), proposal_for)
    assert proposal_payload(proposal)["needs_supervisor"] is False
    proposal_approve(proposal_id=proposal.pk, user=alice)
    assert ChildOrder.objects.filter(proposal=proposal).count() == 1


@pytest.mark.parametrize("mode", ["autopilot", "auto_within_limits"])
def test_automatic_modes_leave_proposals_above_the_threshold_to_a_supervisor(alice, threshold, make_order,
                                                                             proposal_for, mode):
    parent = make_order(mode=mode)
    parent.auto_cap_notional = 10**9
    parent.save(update_fields=["auto_cap_notional"])
    proposal = _sending(parent, proposal_for)
    proposal.refresh_from_db()
    assert proposal.status == "pending"
    assert not ChildOrder.objects.exists()


def _override(proposal, user, qty="0.02"):
    mid = proposal.market["mid"]
    return proposal_override(proposal_id=proposal.pk, user=user, quantity=qty, order_type="limit",
                             limit_price=f"{round(mid - 5, 1)}", tif="GTC", reason="smaller, passive")


def test_an_override_above_the_threshold_waits_for_a_supervisor_who_did_not_write_it(
        alice, bob, threshold, make_order, proposal_for, django_capture_on_commit_callbacks):
    proposal = _sending(make_order(), proposal_for)
    first_expiry = proposal.expires_at
    waiting = _override(proposal, alice)
    assert waiting.status == "pending" and waiting.overridden_by == alice
    assert waiting.expires_at >= first_expiry  # the clock restarts with the new terms
    payload = proposal_payload(waiting)
    assert payload["awaiting_second"] is True and payload["overridden_by"] == "alice"
    assert payload["final_quantity"] == "0.02"
    assert not ChildOrder.objects.exists()

    with pytest.raises(FourEyesRequired, match="nobody approves their own override"):
        proposal_approve(proposal_id=proposal.pk, user=alice)

    done = proposal_approve(proposal_id=proposal.pk, user=bob)
    assert done.status == "overridden" and done.decided_by == bob and done.overridden_by == alice
    child = ChildOrder.objects.get(proposal=proposal)
    assert str(child.quantity.normalize()) == "0.02" and child.order_type == "limit"
    actions = list(AuditEvent.objects.filter(object_type="proposal", object_id=str(proposal.pk)).values_list("action", flat=True))
    assert actions[-3:] == ["proposal.override_submitted", "proposal.approve_refused", "proposal.override_approved"]


def test_another_trader_cannot_approve_an_override(alice, threshold, make_order, proposal_for, django_user_model,
                                                   settings):
    from tests.conftest import _user

    # with a shared book erin may act on alice's order (else ownership refuses her first): four-eyes still holds
    settings.EXECDESK = {**settings.EXECDESK, "SHARED_BOOK": True}
    erin = _user(django_user_model, "erin", "trader")
    proposal = _sending(make_order(), proposal_for)
    _override(proposal, alice)
    with pytest.raises(FourEyesRequired, match=r"override by alice .* needs a supervisor's approval \(you are trader\)"):
        proposal_approve(proposal_id=proposal.pk, user=erin)


def test_a_supervisors_override_needs_another_supervisor(bob, dave, threshold, make_order, proposal_for,
                                                         django_capture_on_commit_callbacks):
    proposal = _sending(make_order(), proposal_for)
    _override(proposal, bob)
    with pytest.raises(FourEyesRequired, match="nobody approves their own override"):
        proposal_approve(proposal_id=proposal.pk, user=bob)
    assert proposal_approve(proposal_id=proposal.pk, user=dave).status == "overridden"


def test_an_override_below_the_threshold_is_sent_at_once(alice, make_order, proposal_for,
                                                         django_capture_on_commit_callbacks):
    proposal = _sending(make_order(), proposal_for)
    done = _override(proposal, alice)
    assert done.status == "overridden" and done.overridden_by is None
    assert ChildOrder.objects.filter(proposal=proposal).count() == 1


def test_the_author_may_still_withdraw_a_waiting_override_by_rejecting_it(alice, threshold, make_order, proposal_for):
    proposal = _sending(make_order(), proposal_for)
    _override(proposal, alice)
    proposal_reject(proposal_id=proposal.pk, user=alice, reason="changed my mind")
    assert Proposal.objects.get(pk=proposal.pk).status == "rejected"
    assert not ChildOrder.objects.exists()
