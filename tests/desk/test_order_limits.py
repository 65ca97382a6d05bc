"""The desk's fat-finger limits on the order form and the CLI (the API's are in tests/api): shown on the form,
a breach refused naming the limit and the figures with nothing written, and a supervisor's one-order raise."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.parent_orders import parent_order_create

pytestmark = pytest.mark.django_db

FORM = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": "600",
        "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual", "randomise_pct": "0",
        "auto_cap_notional": "0", "notes": ""}


def test_the_form_shows_the_desks_limits(client, alice):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "at most 2,000,000 USDT notional" in page and "5 % of the symbol's last 24 h volume" in page
    assert "within 500 bps of the mid" in page and "above\n          250,000 USDT a supervisor approves" in page
    assert 'name="raise_limits_reason"' not in page  # a trader is not offered the raise


def test_a_fat_finger_on_the_form_is_refused_naming_the_limit_and_nothing_is_written(client, alice):
    client.force_login(alice)
    r = client.post("/orders/new/", {**FORM, "quantity": "1000000"})
    assert r.status_code == 400
    assert "is above the desk&#x27;s per-order limit 2,000,000 USDT" in r.content.decode()
    assert not ParentOrder.objects.exists()


def test_a_thousand_bitcoin_typed_as_1e3_is_refused(client, alice):
    # the form reads numbers as the API and the CLI do: plain digits, never an exponent (1e3 was 1,000 BTC)
    client.force_login(alice)
    r = client.post("/orders/new/", {**FORM, "quantity": "1e3"})
    assert r.status_code == 400 and "is not a plain decimal" in r.content.decode()
    assert not ParentOrder.objects.exists()


def test_a_supervisor_raises_a_limit_on_the_form_with_a_reason(client, bob):
    client.force_login(bob)
    assert 'name="raise_limits_reason"' in client.get("/").content.decode()
    r = client.post("/orders/new/", {**FORM, "quantity": "40", "raise_limits_reason": "client block"})
    parent = ParentOrder.objects.get()
    assert r.status_code == 302 and parent.limits_raised["reason"] == "client block"
    assert AuditEvent.objects.filter(action="parent.limits_raised", parent_order_id=parent.pk).exists()
    assert "Limits raised" in client.get(f"/orders/{parent.pk}/").content.decode()


def test_the_service_refuses_a_raise_from_a_trader(alice):
    with pytest.raises(PermissionDenied, match="needs the supervisor role"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="40", horizon_seconds=600,
                            raise_limits_reason="please")


def test_a_raise_with_nothing_to_raise_records_nothing(bob):
    parent = parent_order_create(user=bob, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                                 raise_limits_reason="just in case")
    assert parent.limits_raised == {} and not AuditEvent.objects.filter(action="parent.limits_raised").exists()


def test_the_cli_refuses_a_fat_finger_naming_the_option(alice):
    with pytest.raises(CommandError, match=r"--qty 1000000: notional [\d,]+ USDT is above the desk's per-order limit"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "1000000", "--horizon", "60")
    assert not ParentOrder.objects.exists()


def test_the_cli_raises_a_limit_for_a_supervisor_and_four_eyes_still_holds_the_start(bob):
    with pytest.raises(CommandError, match=r"was created but not started: order \d+ is [\d,.]+ USDT, above"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "40", "--horizon", "60",
                     "--user", "bob", "--raise-limits", "client block, risk signed")
    parent = ParentOrder.objects.get()
    assert parent.limits_raised["reason"] == "client block, risk signed" and parent.status == "INITIALIZED"
