"""Parent orders through the API: the life cycle, reads, and bad input answered with a message."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from execdesk.desk.models import AuditEvent, ParentOrder, ScheduledEvent
from execdesk.desk.services.calendar import scheduled_event_save
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_create_answers_201_with_the_order_and_audits_it_as_the_token_owner(as_alice, alice):
    r = as_alice.post("/api/orders", {**ORDER, "strategy": "vwap", "notes": "client ABC"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["symbol"], body["side"], body["quantity"]) == ("INITIALIZED", "BTCUSDT", "buy", "0.5")
    assert body["strategy"] == "vwap" and body["created_by"] == "alice" and body["notes"] == "client ABC"
    assert body["decision_price"] is not None and body["pretrade"]["expected_cost_bps"] is not None
    parent = ParentOrder.objects.get(pk=body["id"])
    assert parent.created_by == alice
    assert AuditEvent.objects.get(action="parent.created", object_id=str(parent.pk)).actor_label == "alice"


def test_start_pause_resume_cancel_follow_the_state_machine(as_alice):
    oid = as_alice.post("/api/orders", ORDER).json()["id"]
    assert as_alice.post(f"/api/orders/{oid}/start").json()["status"] == "ACTIVE"
    paused = as_alice.post(f"/api/orders/{oid}/pause", {"reason": "news due"})
    assert paused.status_code == 200 and paused.json()["status"] == "PAUSED"
    assert AuditEvent.objects.filter(parent_order_id=oid, payload__reason="news due").exists()
    assert as_alice.post(f"/api/orders/{oid}/resume").json()["status"] == "ACTIVE"
    assert as_alice.post(f"/api/orders/{oid}/cancel", {"reason": "client pulled it"}).json()["status"] == "CANCELLED"


def test_an_illegal_transition_is_409_naming_the_states(as_alice):
    oid = as_alice.post("/api/orders", ORDER).json()["id"]
    r = as_alice.post(f"/api/orders/{oid}/pause")
    assert r.status_code == 409
    assert "INITIALIZED" in r.json()["detail"] and "allowed" in r.json()["detail"]
    as_alice.post(f"/api/orders/{oid}/cancel")
    again = as_alice.post(f"/api/orders/{oid}/start")
    assert again.status_code == 409 and "CANCELLED" in again.json()["detail"]


def test_get_returns_the_order_page_state(as_alice, make_order, proposal_for):
    parent = make_order()
    proposal = proposal_for(parent)
    r = as_alice.get(f"/api/orders/{parent.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == parent.pk and body["status"] == "ACTIVE"
    assert [p["id"] for p in body["proposals"]] == [proposal.pk]
    assert body["market"]["symbol"] == "BTCUSDT" and body["schedule"], "the TWAP plan of a started order"
    assert set(body["tca"]) >= {"is_bps", "vs_twap_bps"}


def test_list_filters_by_status_and_symbol_and_pages(as_alice, make_order):
    started = [make_order() for _ in range(3)]
    as_alice.post("/api/orders", {**ORDER, "symbol": "ETHUSDT", "quantity": "2"})
    active = as_alice.get("/api/orders", status="ACTIVE").json()
    assert active["count"] == 3 and {o["id"] for o in active["items"]} == {p.pk for p in started}
    eth = as_alice.get("/api/orders", symbol="ETHUSDT").json()
    assert eth["count"] == 1 and eth["items"][0]["quantity"] == "2"
    first, second = (as_alice.get("/api/orders", limit=2, offset=k).json() for k in (0, 2))
    assert first["count"] == second["count"] == 4
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert not {o["id"] for o in first["items"]} & {o["id"] for o in second["items"]}


def test_tca_reports_is_and_the_full_report_after_a_fill(as_alice, make_order, proposal_for,
                                                        django_capture_on_commit_callbacks):
    parent = make_order()
    before = as_alice.get(f"/api/orders/{parent.pk}/tca").json()
    assert before["report"] is None and before["executed"] == "0"
    proposal = proposal_for(parent)
    with django_capture_on_commit_callbacks(execute=True):
        as_alice.post(f"/api/proposals/{proposal.pk}/override",
                      {"quantity": "0.01", "order_type": "market", "reason": "take it now"})
    tca = as_alice.get(f"/api/orders/{parent.pk}/tca").json()
    assert tca["executed"] == "0.01" and tca["is_bps"] is not None
    assert tca["report"]["filled_qty"] == pytest.approx(0.01) and "is_execution_bps" in tca["report"]


@pytest.mark.parametrize("field,value,message", [
    ("quantity", "abc", 'must be a decimal string such as "0.5"'),
    ("quantity", "NaN", 'must be a decimal string such as "0.5"'),
    ("quantity", "1e999", "no sign, exponent"),
    ("quantity", "-1", "must not be negative"),
    ("quantity", "0", "quantity must be positive"),
    ("quantity", "0.0001", "not a multiple of BTCUSDT's step 0.001"),
    ("quantity", "1234567890123456789", "too many digits"),
    ("quantity", 0.5, "quantity: Input should be a valid string"),
    ("side", "long", "side: Input should be 'buy' or 'sell'"),
    ("symbol", "DOGEUSDT", "unknown symbol 'DOGEUSDT'"),
    ("horizon_seconds", 5, "horizon_seconds: Input should be greater than or equal to 30"),
    ("interval_seconds", 6000, "decision interval must be between"),
    ("strategy", "martingale", "strategy: Input should be"),
    ("randomise", 0.9, "randomise: Input should be less than or equal to 0.5"),
    ("auto_cap_notional", "lots", "auto_cap_notional: must be a decimal string"),
    ("notes", "a\x00b", "notes: must not contain NUL characters"),
    ("qty", "1", "qty: unknown field"),
])
def test_bad_input_is_422_naming_the_field_and_the_problem(as_alice, field, value, message):
    r = as_alice.post("/api/orders", {**ORDER, field: value})
    assert r.status_code == 422
    assert message in r.json()["detail"]
    assert not ParentOrder.objects.exists()


def test_a_missing_field_and_a_non_json_body_are_explained(as_alice):
    missing = as_alice.post("/api/orders", {k: v for k, v in ORDER.items() if k != "side"})
    assert missing.status_code == 422 and "side: Field required" in missing.json()["detail"]
    assert as_alice.post("/api/orders").json()["detail"] == "invalid request: a JSON object body is required"
    broken = as_alice.post("/api/orders", raw='{"symbol": "BTCUSDT",')
    assert broken.status_code == 400 and broken.json()["detail"].startswith("the request body is not valid JSON")
    nan = as_alice.post("/api/orders", raw='{"quantity": NaN}')
    assert nan.status_code == 400 and "NaN is not a JSON number" in nan.json()["detail"]


def test_unknown_and_malformed_order_ids_are_404_and_422(as_alice):
    missing = as_alice.get("/api/orders/99")
    assert (missing.status_code, missing.json()) == (404, {"detail": "parent order 99 does not exist"})
    assert as_alice.post("/api/orders/99/start").status_code == 404
    word = as_alice.get("/api/orders/abc")
    assert word.status_code == 422 and "order_id: Input should be a valid integer" in word.json()["detail"]
    huge = as_alice.get(f"/api/orders/{2**70}")
    assert huge.status_code == 422 and "order_id" in huge.json()["detail"]


def test_the_api_and_the_order_page_show_one_band_with_its_jump_risk(as_alice, alice):
    body = as_alice.post("/api/orders", ORDER).json()
    pt = as_alice.get(f"/api/orders/{body['id']}").json()["pretrade"]
    assert pt["low_bps"] < pt["expected_cost_bps"] < pt["high_bps"]
    assert pt["jump_prior"]["size_rms"] == 0.015 and pt["volatility_dof"] == 59 and pt["jump_risk_bps"] > 0
    page = Client()
    page.force_login(alice)
    html = page.get(f"/orders/{body['id']}/").content.decode()
    assert f"{pt['low_bps']:.1f} … {pt['high_bps']:.1f} bps" in html
    assert f"{pt['timing_risk_bps']:.1f} · {pt['jump_risk_bps']:.1f} bps" in html


def test_the_api_pretrade_carries_the_calendars_events_and_line(as_alice, bob):
    scheduled_event_save(user=bob, event=ScheduledEvent(
        name="funding", at=timezone.now() + timedelta(seconds=300), move_bps=Decimal("40"),
        source="BTC moves around the last 90 funding times"))
    pt = as_alice.post("/api/orders", ORDER).json()["pretrade"]
    (event,) = pt["scheduled_events"]
    assert event["name"] == "funding" and event["symbols"] == [] and 0.45 <= event["share"] <= 0.5
    assert pt["scheduled_line"].startswith("scheduled: funding at ") and "typical ±40 bps" in pt["scheduled_line"]
    assert pt["event_widening_bps"] > 0
