"""Starting an order that has started is a 409: it would reset started_at and the deadline and re-freeze the
strategy. The refusal is audited like any refused transition."""

from __future__ import annotations

import pytest

from execdesk.desk.models import AuditEvent, ParentOrder
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_a_second_start_is_409_and_changes_nothing(as_alice):
    order = as_alice.post("/api/orders", ORDER).json()
    assert as_alice.post(f"/api/orders/{order['id']}/start").status_code == 200
    before = ParentOrder.objects.get(pk=order["id"])

    r = as_alice.post(f"/api/orders/{order['id']}/start")
    assert r.status_code == 409 and "ACTIVE → ACTIVE" in r.json()["detail"]
    after = ParentOrder.objects.get(pk=order["id"])
    assert (after.started_at, after.deadline, after.strategy_params) == (before.started_at, before.deadline,
                                                                         before.strategy_params)
    refused = AuditEvent.objects.get(action="parent.transition_refused", parent_order_id=order["id"])
    assert refused.payload["requested"] == "start" and refused.payload["from"] == "ACTIVE"


def test_a_paused_order_is_resumed_not_started(as_alice):
    order = as_alice.post("/api/orders", ORDER).json()
    as_alice.post(f"/api/orders/{order['id']}/start")
    as_alice.post(f"/api/orders/{order['id']}/pause")
    r = as_alice.post(f"/api/orders/{order['id']}/start")
    assert r.status_code == 409 and ParentOrder.objects.get(pk=order["id"]).status == "PAUSED"
