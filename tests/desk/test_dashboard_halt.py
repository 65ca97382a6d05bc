"""The desk-wide kill switch on every page: a red HALT button in the top bar for supervisors only (it asks
for a reason and posts state=HALTED to the trading-state endpoint), and while the desk is halted a red banner
"DESK HALTED by X at T: reason" on every page, with "Resume desk" for supervisors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from execdesk.desk.services.desk_state import desk_trading_state_set
from tests.desk.dashboard_html import element

pytestmark = pytest.mark.django_db


def _pages(make_order) -> list[str]:
    order = make_order(start=False)
    return [reverse("desk:home"), reverse("desk:order", args=[order.pk])]


def test_only_a_supervisor_gets_the_halt_button_and_its_reason_dialog(client, alice, bob, charlie, make_order):
    urls = _pages(make_order)
    for user, sees in ((bob, True), (alice, False), (charlie, False)):
        client.force_login(user)
        for url in urls:
            page = client.get(url).content.decode()
            assert ('id="halt-btn"' in page) is sees, (user.username, url)
            assert ('id="desk-state-dialog"' in page) is sees
    client.force_login(bob)
    page = client.get(urls[1]).content.decode()
    assert f'action="{reverse("desk:trading_state")}"' in page
    assert 'name="state" value="HALTED"' in page and 'id="desk-state-reason" name="reason" required' in page


def test_a_halted_desk_shows_the_banner_on_every_page_and_resume_for_supervisors(client, alice, bob, make_order):
    urls = _pages(make_order)
    client.force_login(alice)
    assert " hidden" in element(client.get(urls[0]).content.decode(), "desk-banner")  # ACTIVE: no banner
    desk_trading_state_set(user=bob, state="HALTED", reason="venue outage <investigating>")
    for user, resume in ((alice, False), (bob, True)):
        client.force_login(user)
        for url in urls:
            page = client.get(url).content.decode()
            banner = element(page, "desk-banner")
            assert banner and " hidden" not in banner and "desk-banner-HALTED" in banner
            assert "DESK HALTED by bob at " in page and " UTC: venue outage &lt;investigating&gt;" in page
            assert ('id="desk-resume-btn"' in page) is resume
            assert " hidden" in element(page, "halt-btn") or not resume  # a halted desk offers resume, not halt


def test_the_halt_endpoint_answers_json_for_the_dialog_and_refuses_a_trader(client, alice, bob):
    url = reverse("desk:trading_state")
    client.force_login(alice)
    refused = client.post(url, {"state": "HALTED", "reason": "x"}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 403 and "supervisor" in refused.json()["error"]
    client.force_login(bob)
    no_reason = client.post(url, {"state": "HALTED", "reason": " "}, HTTP_ACCEPT="application/json")
    assert no_reason.status_code == 409 and "reason is required" in no_reason.json()["error"]
    done = client.post(url, {"state": "HALTED", "reason": "fat finger upstream"}, HTTP_ACCEPT="application/json").json()
    assert done["trading_state"] == "HALTED" and done["changed_by"] == "bob" and done["reason"] == "fat finger upstream"
