"""Changing a running order through the API: its approval mode and its quantity or deadline, each with a
reason, by the same services as the order page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from execdesk.desk.models import AuditEvent, ParentOrder

pytestmark = pytest.mark.django_db


def test_the_approval_mode_changes_with_a_reason_and_is_audited(as_alice, make_order):
    parent = make_order()
    r = as_alice.post(f"/api/orders/{parent.pk}/mode",
                      {"approval_mode": "auto_within_limits", "auto_cap_notional": "5000", "reason": "quiet market"})
    assert r.status_code == 200, r.json()
    assert (r.json()["approval_mode"], r.json()["auto_cap_notional"]) == ("auto_within_limits", "5000")
    event = AuditEvent.objects.get(action="parent.mode_changed", parent_order_id=parent.pk)
    assert event.payload["reason"] == "quiet market" and event.actor_label == "alice"


@pytest.mark.parametrize("body,message", [
    ({"approval_mode": "autopilot", "reason": " "}, "a reason is required"),
    ({"approval_mode": "autopilot"}, "reason: Field required"),
    ({"approval_mode": "yolo", "reason": "x"}, "approval_mode: Input should be"),
    ({"approval_mode": "auto_within_limits", "auto_cap_notional": "-5", "reason": "x"}, "must not be negative"),
    ({"approval_mode": "auto_within_limits", "reason": "x"}, "needs an auto cap above 0"),
])
def test_a_bad_mode_change_is_422_and_changes_nothing(as_alice, make_order, body, message):
    parent = make_order()
    r = as_alice.post(f"/api/orders/{parent.pk}/mode", body)
    assert r.status_code == 422 and message in r.json()["detail"]
    assert ParentOrder.objects.get(pk=parent.pk).approval_mode == "manual"


def test_the_quantity_goes_down_and_the_deadline_moves_with_a_reason(as_alice, make_order):
    parent = make_order(quantity="0.5")
    deadline = parent.deadline + timedelta(minutes=10)
    r = as_alice.post(f"/api/orders/{parent.pk}/amend",
                      {"quantity": "0.3", "deadline": deadline.isoformat(), "reason": "client cut the size"})
    assert r.status_code == 200, r.json()
    parent.refresh_from_db()
    assert parent.quantity == Decimal("0.3") and parent.deadline == deadline
    assert r.json()["quantity"] == "0.3" and r.json()["deadline"] == pytest.approx(deadline.timestamp())
    assert AuditEvent.objects.get(action="parent.amended").payload["reason"] == "client cut the size"


@pytest.mark.parametrize("body,message", [
    ({"quantity": "0.8", "reason": "more"}, "quantity can only go down"),
    ({"reason": "nothing"}, "nothing to amend"),
    ({"quantity": "0.3"}, "reason: Field required"),
    ({"deadline": "2026-01-01T00:00:00", "reason": "x"}, "deadline: Input should have timezone info"),
    ({"deadline": "tomorrow", "reason": "x"}, "deadline: Input should be a valid datetime"),
    ({"quantity": "abc", "reason": "x"}, 'quantity: must be a decimal string such as "0.5"'),
])
def test_a_bad_amendment_is_422_and_changes_nothing(as_alice, make_order, body, message):
    parent = make_order(quantity="0.5")
    r = as_alice.post(f"/api/orders/{parent.pk}/amend", body)
    assert r.status_code == 422 and message in r.json()["detail"]
    assert ParentOrder.objects.get(pk=parent.pk).quantity == Decimal("0.5")


def test_a_deadline_in_the_past_is_refused(as_alice, make_order):
    parent = make_order()
    past = datetime(2020, 1, 1, tzinfo=UTC).isoformat()
    r = as_alice.post(f"/api/orders/{parent.pk}/amend", {"deadline": past, "reason": "x"})
    assert r.status_code == 422 and "at least one decision interval" in r.json()["detail"]
