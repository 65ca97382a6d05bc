"""Amend a parent order: quantity down (never below what is done or working), deadline moved."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_amend
from execdesk.desk.services.proposals import proposal_approve
from execdesk.domain.orders import ChildStatus

pytestmark = pytest.mark.django_db


def test_reducing_the_quantity_withdraws_the_pending_proposal_and_is_audited(alice, make_order, proposal_for):
    parent = make_order(quantity="0.5")
    proposal = proposal_for(parent)
    parent_order_amend(parent_id=parent.pk, user=alice, quantity="0.3", reason="client cut the size")
    parent.refresh_from_db()
    proposal.refresh_from_db()
    assert parent.quantity == Decimal("0.3")
    assert proposal.status == "superseded" and proposal.decision_reason == "parent order amended"
    event = AuditEvent.objects.get(action="parent.amended")
    assert Decimal(event.payload["from"]["quantity"]) == Decimal("0.5")
    assert Decimal(event.payload["to"]["quantity"]) == Decimal("0.3") and event.payload["reason"] == "client cut the size"


def test_the_quantity_cannot_go_up(alice, make_order):
    parent = make_order(quantity="0.5")
    with pytest.raises(InvalidInput, match="quantity can only go down: 0.6 is not below the order's 0.5"):
        parent_order_amend(parent_id=parent.pk, user=alice, quantity="0.6", reason="more")


def test_the_quantity_stays_above_what_is_executed_or_working(alice, make_order, proposal_for,
                                                              django_capture_on_commit_callbacks):
    parent = make_order(quantity="0.5")
    proposal = proposal_for(parent)
    proposal_approve(proposal_id=proposal.pk, user=alice)  # a child order now works (or has filled)
    parent.refresh_from_db()
    floor = parent.executed_qty + sum(c.quantity - c.filled_qty for c in parent.child_orders.all()
                                      if ChildStatus(c.status).is_open)
    with pytest.raises(InvalidInput, match="must stay above what is executed"):
        parent_order_amend(parent_id=parent.pk, user=alice, quantity=str(max(floor, Decimal("0.001"))), reason="x")
    assert ParentOrder.objects.get(pk=parent.pk).quantity == Decimal("0.5")


def test_moving_the_deadline_moves_the_horizon(alice, make_order):
    parent = make_order(horizon=600)
    new_deadline = parent.started_at + timedelta(seconds=1800)
    parent_order_amend(parent_id=parent.pk, user=alice, deadline=new_deadline, reason="thin market, go slower")
    parent.refresh_from_db()
    assert parent.deadline == new_deadline and parent.horizon_seconds == 1800


@pytest.mark.parametrize("kwargs,message", [
    ({"reason": "x"}, "nothing to amend"),
    ({"quantity": "0.2", "reason": ""}, "a reason is required"),
    ({"quantity": "0.1234", "reason": "x"}, "is not a multiple of BTCUSDT's step"),
    ({"quantity": "0.12345678901", "reason": "x"}, "has more than 10 decimal places"),
    ({"quantity": "-1", "reason": "x"}, "quantity must be positive"),
])
def test_bad_amendments_are_refused_naming_the_problem(alice, make_order, kwargs, message):
    parent = make_order(quantity="0.5")
    with pytest.raises(InvalidInput, match=message):
        parent_order_amend(parent_id=parent.pk, user=alice, **kwargs)


def test_a_deadline_in_the_past_or_before_start_is_refused(alice, make_order):
    parent = make_order(interval=10)
    with pytest.raises(InvalidInput, match="at least one decision interval"):
        parent_order_amend(parent_id=parent.pk, user=alice, deadline=timezone.now(), reason="x")
    waiting = make_order(start=False)
    with pytest.raises(InvalidInput, match="has not started"):
        parent_order_amend(parent_id=waiting.pk, user=alice, deadline=timezone.now() + timedelta(hours=1), reason="x")


def test_the_page_endpoint_parses_a_utc_deadline_and_names_bad_ones(client, alice, make_order):
    parent = make_order(horizon=600)
    client.force_login(alice)
    url = reverse("desk:order_amend", kwargs={"order_id": parent.pk})
    later = (parent.started_at + timedelta(seconds=1200)).strftime("%Y-%m-%dT%H:%M:%S")
    ok = client.post(url, {"deadline": later, "reason": "slower"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200, ok.content
    parent.refresh_from_db()
    assert abs(parent.horizon_seconds - 1200) <= 1  # the form has whole seconds
    bad = client.post(url, {"deadline": "tomorrow-ish", "reason": "x"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 409 and "deadline 'tomorrow-ish' is not a date and time" in bad.json()["error"]
