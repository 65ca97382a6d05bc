"""The desk's fat-finger limits through the API: a breach is a 422 naming the limit and the figures, nothing is
written; a supervisor raises a limit for one order with a reason (audited); a trader cannot."""

from __future__ import annotations

import pytest

from execdesk.desk.models import AuditEvent, ParentOrder
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_a_million_bitcoin_order_is_refused_naming_the_notional_limit(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "quantity": "1000000"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "notional" in detail and "USDT is above the desk's per-order limit 2,000,000 USDT" in detail
    assert not ParentOrder.objects.exists() and not AuditEvent.objects.filter(action="parent.created").exists()


def test_a_thousand_bitcoin_order_is_refused_too(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "quantity": "1000"})
    assert r.status_code == 422 and "per-order limit" in r.json()["detail"]
    assert not ParentOrder.objects.exists()


def test_an_order_above_the_share_of_daily_volume_is_refused_with_the_figures(as_alice, settings):
    settings.EXECDESK = {**settings.EXECDESK, "MAX_DAILY_VOLUME_SHARE": 0.0001}  # ~1.3 BTC of the sim's ~13,000
    r = as_alice.post("/api/orders", {**ORDER, "quantity": "2"})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "of BTCUSDT's volume over the last 24 hours" in detail and "above the desk's limit of 0.01 %" in detail
    assert not ParentOrder.objects.exists()


def test_a_supervisor_raises_the_limit_for_one_order_with_a_reason(as_bob, bob):
    r = as_bob.post("/api/orders", {**ORDER, "quantity": "40", "raise_limits_reason": "client block, risk signed"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["limits_raised"]["by"] == "bob" and body["limits_raised"]["reason"] == "client block, risk signed"
    assert [b["code"] for b in body["limits_raised"]["breaches"]] == ["max_order_notional"]
    event = AuditEvent.objects.get(action="parent.limits_raised", parent_order_id=body["id"])
    assert event.actor_label == "bob" and event.payload["reason"] == "client block, risk signed"
    # for that order only: the next one is refused again
    assert as_bob.post("/api/orders", {**ORDER, "quantity": "40"}).status_code == 422


def test_a_trader_cannot_raise_a_limit(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "quantity": "40", "raise_limits_reason": "trust me"})
    assert r.status_code == 403 and "needs the supervisor role" in r.json()["detail"]
    assert not ParentOrder.objects.exists()


def test_an_auto_cap_above_the_per_order_limit_is_refused(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "approval_mode": "auto_within_limits",
                                      "auto_cap_notional": "5000000"})
    assert r.status_code == 422 and "auto cap 5,000,000 is above the desk's per-order limit" in r.json()["detail"]


def test_an_override_limit_price_outside_the_collar_is_refused(as_alice, make_order, proposal_for):
    proposal = proposal_for(make_order())
    r = as_alice.post(f"/api/proposals/{proposal.pk}/override",
                      {"quantity": "0.01", "order_type": "limit", "limit_price": "6500", "reason": "fat finger"})
    assert r.status_code == 422
    assert "is 9,000 bps from the mid" in r.json()["detail"] and "price collar of 500 bps" in r.json()["detail"]
