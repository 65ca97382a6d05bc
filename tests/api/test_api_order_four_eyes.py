"""Four-eyes on a whole parent order through the API: above the desk's four-eyes notional it starts only after a
supervisor other than its creator approves it; autopilot changes nothing about that."""

from __future__ import annotations

import pytest

from execdesk.desk.models import AuditEvent, ParentOrder
from tests.api.conftest import ORDER, Api, token_for
from tests.conftest import _user

pytestmark = pytest.mark.django_db

BIG = {**ORDER, "quantity": "5"}  # ~325,000 USDT: above four-eyes (250,000), within the desk's limits


def test_an_order_above_four_eyes_cannot_start_until_another_supervisor_approves(as_alice, as_bob):
    order = as_alice.post("/api/orders", {**BIG, "approval_mode": "autopilot"}).json()
    assert order["four_eyes_required"] is True and order["start_approved_by"] is None
    refused = as_alice.post(f"/api/orders/{order['id']}/start")
    assert refused.status_code == 409 and "above the desk's four-eyes threshold" in refused.json()["detail"]
    assert ParentOrder.objects.get(pk=order["id"]).status == "INITIALIZED"
    assert AuditEvent.objects.filter(action="parent.start_refused", parent_order_id=order["id"]).exists()

    approved = as_bob.post(f"/api/orders/{order['id']}/approve", {"reason": "size agreed with risk"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["start_approved_by"] == "bob"
    event = AuditEvent.objects.get(action="parent.four_eyes_approved", parent_order_id=order["id"])
    assert event.actor_label == "bob" and event.payload["reason"] == "size agreed with risk"
    assert as_alice.post(f"/api/orders/{order['id']}/start").json()["status"] == "ACTIVE"


def test_a_trader_cannot_approve_an_order(as_alice):
    order = as_alice.post("/api/orders", BIG).json()
    r = as_alice.post(f"/api/orders/{order['id']}/approve")
    assert r.status_code == 403


def test_a_supervisor_cannot_approve_an_order_they_created(as_bob):
    order = as_bob.post("/api/orders", BIG).json()
    r = as_bob.post(f"/api/orders/{order['id']}/approve")
    assert r.status_code == 409 and "nobody approves their own order" in r.json()["detail"]
    assert AuditEvent.objects.filter(action="parent.approve_refused", parent_order_id=order["id"]).exists()
    assert as_bob.post(f"/api/orders/{order['id']}/start").status_code == 409


def test_another_supervisor_approves_a_supervisors_order(as_bob, django_user_model):
    order = as_bob.post("/api/orders", BIG).json()
    dave = Api(token_for(_user(django_user_model, "dave", "supervisor")))
    assert dave.post(f"/api/orders/{order['id']}/approve").status_code == 200
    assert as_bob.post(f"/api/orders/{order['id']}/start").json()["status"] == "ACTIVE"


def test_an_order_below_four_eyes_starts_alone_and_needs_no_approval(as_alice, as_bob):
    order = as_alice.post("/api/orders", ORDER).json()
    assert order["four_eyes_required"] is False
    assert as_bob.post(f"/api/orders/{order['id']}/approve").status_code == 422
    assert as_alice.post(f"/api/orders/{order['id']}/start").json()["status"] == "ACTIVE"
