"""Ownership: a trader acts on their own orders and their proposals only; a supervisor on every order; the
desk's shared book (EXECDESK_SHARED_BOOK) lets every trader act on every order. Services, pages and the API
follow the one rule (roles.require_owner); a refusal is a 403 naming the owner and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import ParentOrder, Proposal
from execdesk.desk.services import parent_orders, proposals
from execdesk.desk.services.api_tokens import api_token_create
from tests.conftest import _user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dan(django_user_model):
    """dan, another trader."""
    return _user(django_user_model, "dan", "trader")


@pytest.fixture
def alices(alice, make_order, proposal_for):
    parent = make_order(user=alice)
    return parent, proposal_for(parent)


ORDER_ACTS = {
    "pause": lambda pk, u: parent_orders.parent_order_pause(parent_id=pk, user=u, reason="mine now"),
    "cancel": lambda pk, u: parent_orders.parent_order_cancel(parent_id=pk, user=u, reason="mine now"),
    "mode": lambda pk, u: parent_orders.parent_order_mode_set(parent_id=pk, user=u, approval_mode="autopilot",
                                                               reason="faster"),
    "amend": lambda pk, u: parent_orders.parent_order_amend(parent_id=pk, user=u, quantity="0.3", reason="smaller"),
    "amend_deadline": lambda pk, u: parent_orders.parent_order_amend(
        parent_id=pk, user=u, deadline=timezone.now() + timedelta(hours=1), reason="later"),
}
PROPOSAL_ACTS = {
    "approve": lambda pk, u: proposals.proposal_approve(proposal_id=pk, user=u),
    "reject": lambda pk, u: proposals.proposal_reject(proposal_id=pk, user=u, reason="no"),
    "override": lambda pk, u: proposals.proposal_override(proposal_id=pk, user=u, quantity="0.01",
                                                          order_type="market", reason="now"),
}


def _snapshot(parent: ParentOrder) -> tuple:
    parent.refresh_from_db()
    return (parent.status, parent.quantity, parent.deadline, parent.approval_mode,
            tuple(Proposal.objects.filter(parent=parent).values_list("status", flat=True)))


@pytest.mark.parametrize("act", sorted(ORDER_ACTS))
def test_a_trader_cannot_act_on_another_traders_order(act, alices, dan):
    parent, _ = alices
    before = _snapshot(parent)
    with pytest.raises(PermissionDenied, match="order .* belongs to alice"):
        ORDER_ACTS[act](parent.pk, dan)
    assert _snapshot(parent) == before


@pytest.mark.parametrize("act", sorted(PROPOSAL_ACTS))
def test_a_trader_cannot_decide_another_traders_proposal(act, alices, dan):
    parent, proposal = alices
    with pytest.raises(PermissionDenied, match="belongs to alice"):
        PROPOSAL_ACTS[act](proposal.pk, dan)
    proposal.refresh_from_db()
    assert proposal.status == "pending" and proposal.overridden_by_id is None


def test_a_trader_cannot_start_another_traders_order(alice, dan, make_order):
    parent = make_order(user=alice, start=False)
    with pytest.raises(PermissionDenied, match="belongs to alice"):
        parent_orders.parent_order_start(parent_id=parent.pk, user=dan)
    parent.refresh_from_db()
    assert parent.status == "INITIALIZED" and parent.started_at is None


def test_a_supervisor_acts_on_any_traders_order(alices, bob):
    parent, proposal = alices
    proposals.proposal_reject(proposal_id=proposal.pk, user=bob, reason="not now")
    assert parent_orders.parent_order_pause(parent_id=parent.pk, user=bob, reason="risk").status == "PAUSED"


def test_the_owner_acts_on_their_own_order(alices, alice):
    parent, proposal = alices
    assert proposals.proposal_reject(proposal_id=proposal.pk, user=alice, reason="no").status == "rejected"
    assert parent_orders.parent_order_pause(parent_id=parent.pk, user=alice).status == "PAUSED"


def test_with_a_shared_book_any_trader_acts_on_any_order(alices, dan, settings):
    settings.EXECDESK = {**settings.EXECDESK, "SHARED_BOOK": True}
    parent, proposal = alices
    assert proposals.proposal_reject(proposal_id=proposal.pk, user=dan, reason="shared").status == "rejected"
    assert parent_orders.parent_order_pause(parent_id=parent.pk, user=dan).status == "PAUSED"


def test_the_api_answers_403_naming_the_owner(alices, dan):
    parent, proposal = alices
    token = api_token_create(user=dan, name="t")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    for path, body in ((f"/api/orders/{parent.pk}/pause", {"reason": "x"}),
                       (f"/api/proposals/{proposal.pk}/approve", None)):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 403, path
        assert "belongs to alice" in response.json()["detail"]
    parent.refresh_from_db()
    assert parent.status == "ACTIVE"


def test_the_form_endpoint_answers_403_naming_the_owner(alices, dan):
    parent, _ = alices
    client = Client()
    client.force_login(dan)
    response = client.post(f"/orders/{parent.pk}/pause/", {"reason": "x"}, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert "belongs to alice" in response.json()["error"]


def test_another_traders_order_page_is_read_only(alices, alice, dan, bob):
    parent, _ = alices

    def page(user) -> str:
        client = Client()
        client.force_login(user)
        return client.get(f"/orders/{parent.pk}/").content.decode()

    theirs = page(dan)
    assert 'data-control="pause"' not in theirs and 'data-can-trade="0"' in theirs
    assert "belongs to alice" in theirs
    for user in (alice, bob):
        mine = page(user)
        assert 'data-control="pause"' in mine and 'data-can-trade="1"' in mine
