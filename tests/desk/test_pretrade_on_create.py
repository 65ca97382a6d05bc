"""A parent order carries its pre-trade cost estimate from creation, audited and shown on its page."""

import pytest

from execdesk.desk.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_creation_records_a_pretrade_estimate_with_a_band_and_duration(make_order):
    parent = make_order(start=False, quantity="2.0", horizon=1800)
    pt = parent.pretrade
    assert "error" not in pt, pt
    assert pt["low_bps"] <= pt["expected_cost_bps"] <= pt["high_bps"]
    assert pt["expected_duration_s"] >= 1800
    assert pt["half_spread_bps"] > 0 and pt["temporary_bps"] >= 0
    created = AuditEvent.objects.get(action="parent.created", parent_order_id=parent.pk)
    assert created.payload["pretrade"]["expected_cost_bps"] == pytest.approx(pt["expected_cost_bps"])


def test_a_bigger_order_is_expected_to_cost_more(make_order):
    small = make_order(start=False, quantity="0.5", horizon=600).pretrade
    big = make_order(start=False, quantity="25", horizon=600).pretrade  # within the desk's 2,000,000 USDT
    assert big["expected_cost_bps"] > small["expected_cost_bps"]


def test_the_order_page_shows_the_estimate(client, alice, make_order):
    parent = make_order(start=False, quantity="2.0", horizon=1800)
    client.force_login(alice)
    page = client.get(f"/orders/{parent.pk}/").content.decode()
    assert 'id="pretrade-cost"' in page
    assert f"{parent.pretrade['expected_cost_bps']:.2f} bps" in page


def test_a_pov_estimate_covers_the_time_pov_takes_not_the_horizon(make_order):
    twap = make_order(start=False, quantity="2.0", horizon=7200).pretrade
    pov = make_order(start=False, quantity="2.0", horizon=7200, strategy="pov").pretrade
    assert pov["expected_duration_s"] < twap["expected_duration_s"] == 7200
    assert "POV at 5% of the volume" in pov["warnings"][0]
