"""Every page says where orders go: the paper venue, or Bybit with its environment, in a banner that
cannot be missed; the order form offers Bybit only when the desk has its keys."""

from __future__ import annotations

import pytest

from execdesk.desk.bybit import link as bybit_link

pytestmark = pytest.mark.django_db


def test_without_bybit_keys_the_banner_says_paper_and_the_form_offers_only_paper(client, alice, monkeypatch):
    for name in ("EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    bybit_link.link_reset()
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "PAPER VENUE · SIMULATED MARKET" in page
    assert 'value="bybit"' not in page


def test_with_bybit_keys_the_banner_names_the_environment_and_the_endpoint(client, alice, bybit_desk):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "venue-bybit env-testnet" in page
    assert f"BYBIT TESTNET · endpoint {bybit_desk.url}" in page
    assert 'value="bybit"' in page
    assert bybit_desk.api_secret not in page


def test_a_bybit_order_created_from_the_form_shows_its_venue(client, alice, bybit_desk):
    client.force_login(alice)
    response = client.post("/orders/new/", {
        "venue": "bybit", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": 600,
        "interval_seconds": 10, "strategy": "twap", "approval_mode": "manual", "auto_cap_notional": "0",
        "randomise_pct": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    assert 'id="order-venue">BYBIT · TESTNET' in page
