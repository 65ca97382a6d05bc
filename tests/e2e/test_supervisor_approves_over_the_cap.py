"""Four-eyes in the browser: an order in `auto_within_limits` whose first slice is over its auto cap and over
the desk's four-eyes threshold waits; the trader cannot approve it (and is told why); the supervisor, in
another browser, approves it (after approving the whole order, also above the threshold, before it could
start); the trader's page shows the child order and the fill arrive live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.desk_pages import create_order, number, open_desk, order_card, pending_card, start_order

pytestmark = pytest.mark.e2e

FOUR_EYES_USDT = "20"  # below any BTC order (min 0.001 BTC ≈ 60 USDT): every slice needs a supervisor
AUTO_CAP_USDT = "10"


@pytest.fixture
def desk_env() -> dict[str, str]:
    return {"EXECDESK_FOUR_EYES_NOTIONAL": FOUR_EYES_USDT, "EXECDESK_PROPOSAL_TTL": "45"}


def test_supervisor_in_another_browser_approves_what_the_trader_may_not(desk_server, browser, tmp_path):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader")
    order_url = create_order(trader.page, base, quantity="0.06", horizon_s=60, interval_s=5,
                             approval_mode="auto_within_limits", auto_cap=AUTO_CAP_USDT)
    page = trader.page
    expect(page.locator("#order-mode")).to_have_text(f"auto ≤ {AUTO_CAP_USDT} USDT")
    # The whole order is above four-eyes too: the supervisor approves it before the trader can start it.
    supervisor = open_desk(browser, base, "supervisor")
    supervisor.page.goto(order_url)
    supervisor.page.click("#approve-order-btn")
    expect(supervisor.page.locator("#order-four-eyes")).to_contain_text("approved by supervisor")
    page.reload()
    trader.watch_navigation()
    start_order(page)

    # The first slice is over the cap and over the four-eyes threshold: it waits, and not for the trader.
    card = order_card(page)
    proposal_id = card.get_attribute("data-proposal-id")
    expect(card.locator("[data-slot=foureyes]")).to_be_visible()
    expect(card.locator(".approve-btn")).to_be_disabled()
    note = card.locator("[data-slot=approve-note]")
    expect(note).to_be_visible()
    expect(note).to_have_text(re.compile(r"^Four-eyes: [\d,.]+ USDT is above the desk's threshold of 20\.00 USDT; "
                                         r"a supervisor must approve it$"))
    assert number(card.locator("[data-slot=notional]").inner_text()) > float(AUTO_CAP_USDT)
    expect(page.locator("#children-table tbody tr[data-child-id]")).to_have_count(0)
    expect(page.locator("#progress-pct")).to_have_text("0.0%")
    # Pressing A does not send it either: the card says why instead.
    card.click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(card.locator("[data-slot=error]")).to_have_text(re.compile(r"^Four-eyes: .*supervisor must approve it\.$"))
    expect(card).to_be_visible()
    note.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "trader-waits-for-supervisor.png"))

    supervisor.page.goto(order_url)
    theirs = pending_card(supervisor.page, proposal_id)
    expect(theirs).to_be_visible(timeout=10_000)
    expect(theirs.locator("[data-slot=foureyes]")).to_be_visible()
    expect(theirs.locator(".approve-btn")).to_be_enabled()
    theirs.locator(".approve-btn").click()
    expect(theirs).to_have_count(0, timeout=10_000)

    # The trader's page, untouched: the decision, the child order, the fill and the progress arrive live.
    expect(pending_card(page, proposal_id)).to_have_count(0, timeout=10_000)
    history = page.locator(f"#proposal-history tr[data-proposal-row='{proposal_id}']")
    expect(history).to_contain_text("approved", timeout=10_000)
    expect(history.locator(".history-who")).to_contain_text("supervisor")
    expect(page.locator("#children-table tbody tr[data-child-id]").first).to_be_visible(timeout=15_000)
    expect(page.locator("#fills-table tbody tr").first).to_be_visible(timeout=15_000)
    expect(page.locator("#progress-pct")).not_to_have_text("0.0%", timeout=10_000)
    assert number(page.locator("#executed").inner_text()) > 0
    page.screenshot(path=str(tmp_path / "trader-sees-supervisor-approval-execute.png"), full_page=True)

    assert page.url == order_url and not trader.navigations, f"the trader's page reloaded: {trader.navigations}"
    problems = trader.unexpected_errors() + supervisor.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
