"""The kill switch in the browser: while the trader's order has a resting child order (a passive limit the
trader put below the touch by overriding the proposal), the supervisor presses HALT in the top bar and gives
a reason; the trader's open order page shows the DESK HALTED banner and the child order cancelled without a
reload (so do the auditor's review page, which has no order socket of its own, and the trader's second tab on
an order not started yet), no proposal is left to approve, starting the waiting order is refused on its page
naming the halt, and the supervisor's "Resume desk" brings the desk back to ACTIVE everywhere."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.desk_pages import create_order, number, open_desk, order_card, start_order

pytestmark = pytest.mark.e2e

HALT_REASON = "venue incident: stop everything"
RESUME_REASON = "venue back to normal"
BELOW_TOUCH_BPS = 60  # far enough that the simulated market does not reach it, inside the 100 bps price band
INTERVAL_S = 20  # a resting slice is cancelled as stale after one interval: the halt must come before that


def test_supervisor_halts_the_desk_and_every_page_shows_it(desk_server, browser, tmp_path):
    base, log_path = desk_server
    supervisor = open_desk(browser, base, "supervisor")  # on the desk overview, a page without an order
    auditor = open_desk(browser, base, "auditor")
    auditor.page.goto(f"{base}/review/")
    trader = open_desk(browser, base, "trader")
    page = trader.page
    waiting = trader.page.context.new_page()  # the trader's second tab: an order not started yet
    create_order(waiting, base, quantity="0.01", horizon_s=120, interval_s=INTERVAL_S)
    order_url = create_order(page, base, quantity="0.06", horizon_s=120, interval_s=INTERVAL_S)
    trader.watch_navigation()
    start_order(page)
    everyone = (supervisor, auditor, trader)
    pages = [desk.page for desk in everyone] + [waiting]
    for tab in pages:
        expect(tab.locator("#trading-state")).to_have_text("ACTIVE")
        expect(tab.locator("#desk-banner")).to_be_hidden()

    # The trader turns the first proposal into a passive limit below the touch: it rests on the book.
    card = order_card(page)
    mid = number(card.locator("[data-slot=mid]").inner_text())
    limit = math.floor(mid * (1 - BELOW_TOUCH_BPS / 10_000) * 10) / 10
    card.locator(".override-btn").click()
    form = card.locator(".override-form")
    form.locator("select[name=order_type]").select_option("limit")
    form.locator("input[name=limit_price]").fill(f"{limit:.1f}")
    form.locator("select[name=tif]").select_option("GTC")
    form.locator("input[name=reason]").fill("rest a bid below the touch")
    form.locator("button[type=submit]").click()
    expect(card).to_have_count(0, timeout=10_000)
    child = page.locator("#children-table tbody tr[data-child-id]").first
    expect(child).to_have_attribute("data-status", "submitted", timeout=10_000)
    expect(child).to_contain_text(f"{limit:,.1f}")
    expect(page.locator("#fills-table tbody tr")).to_have_count(0)

    # HALT from the top bar of the supervisor's overview: a reason is required.
    sup = supervisor.page
    sup.locator("#halt-btn").click()
    dialog = sup.locator("#desk-state-dialog")
    expect(dialog).to_be_visible()
    expect(sup.locator("#desk-dialog-title")).to_have_text("Halt the desk")
    sup.locator("#desk-state-submit").click()
    expect(sup.locator("#desk-state-error")).to_have_text(re.compile(r"reason is required"))
    sup.locator("#desk-state-reason").fill(HALT_REASON)
    expect(child).to_have_attribute("data-status", "submitted")  # still resting: what cancels it now is the halt
    sup.locator("#desk-state-submit").click()
    expect(dialog).to_be_hidden(timeout=10_000)

    banner_text = re.compile(rf"^DESK HALTED by supervisor at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC: {re.escape(HALT_REASON)}$")
    for tab in pages:
        expect(tab.locator("#desk-banner")).to_be_visible(timeout=10_000)
        expect(tab.locator("#desk-banner-text")).to_have_text(banner_text)
        expect(tab.locator("#trading-state")).to_have_text("HALTED")
    expect(sup.locator("#halt-btn")).to_be_hidden()
    expect(sup.locator("#desk-resume-btn")).to_be_visible()
    for desk in (auditor, trader):  # only a supervisor halts or resumes the desk
        expect(desk.page.locator("#desk-resume-btn, #halt-btn")).to_have_count(0)
    expect(child).to_have_attribute("data-status", "cancelled", timeout=10_000)
    expect(child).to_contain_text("cancelled")
    page.screenshot(path=str(tmp_path / "trader-sees-desk-halted.png"), full_page=True)
    sup.screenshot(path=str(tmp_path / "supervisor-halted-overview.png"))

    # Nothing is left to approve, and nothing new may start: the waiting order's Start is refused on its page.
    expect(page.locator("#pending-proposal .proposal-card[data-proposal-id]")).to_have_count(0)
    waiting.locator("#start-btn").click()
    expect(waiting.locator("#control-error")).to_have_text(
        re.compile(r"^starting order \d+ refused: the desk is HALTED by supervisor at .* UTC \(" + re.escape(HALT_REASON)))
    expect(waiting.locator("#order-status")).to_have_text("INITIALIZED")
    expect(page.locator("#children-table tbody tr[data-child-id]")).to_have_count(1)

    # Resume desk: the supervisor gives a reason, every page is ACTIVE again.
    sup.locator("#desk-resume-btn").click()
    expect(sup.locator("#desk-dialog-title")).to_have_text("Resume the desk")
    sup.locator("#desk-state-reason").fill(RESUME_REASON)
    sup.locator("#desk-state-submit").click()
    expect(dialog).to_be_hidden(timeout=10_000)
    for tab in pages:
        expect(tab.locator("#desk-banner")).to_be_hidden(timeout=10_000)
        expect(tab.locator("#trading-state")).to_have_text("ACTIVE")
    expect(sup.locator("#halt-btn")).to_be_visible()
    start_order(waiting)  # the gate is open again

    assert page.url == order_url and not trader.navigations, f"the trader's page reloaded: {trader.navigations}"
    problems = [e for desk in everyone for e in desk.unexpected_errors()]
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
