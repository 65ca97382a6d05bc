"""Four-eyes in the approval queue, in two browsers: a proposal above the desk's threshold is not in the trader's
queue (the trader may not approve it) and is in the supervisor's, marked four-eyes; the supervisor approves it
there with A, and it leaves both the queue and the trader's order page live."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.desk_pages import create_order, open_desk, start_order

pytestmark = pytest.mark.e2e

FOUR_EYES_USDT = "20"  # below any BTC slice: every proposal needs a supervisor


@pytest.fixture
def desk_env() -> dict[str, str]:
    return {"EXECDESK_FOUR_EYES_NOTIONAL": FOUR_EYES_USDT, "EXECDESK_PROPOSAL_TTL": "60"}


def test_the_supervisors_queue_holds_the_four_eyes_proposals(desk_server, browser):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport={"width": 1280, "height": 800})
    supervisor = open_desk(browser, base, "supervisor", viewport={"width": 1920, "height": 1080})
    url = create_order(trader.page, base, quantity="0.06", horizon_s=120, interval_s=5)
    supervisor.page.goto(url)
    supervisor.page.click("#approve-order-btn")  # the whole order is above four-eyes too
    expect(supervisor.page.locator("#order-four-eyes")).to_contain_text("approved by supervisor")
    trader.page.reload()
    start_order(trader.page)
    card = trader.page.locator("#pending-proposal .proposal-card[data-proposal-id]").first
    expect(card).to_be_visible(timeout=40_000)
    proposal_id = card.get_attribute("data-proposal-id")
    expect(card.locator("[data-slot=foureyes]")).to_be_visible()

    supervisor.page.goto(f"{base}/queue/")
    row = supervisor.page.locator(f"#queue-list .queue-row[data-proposal-id='{proposal_id}']")
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator("[data-slot=foureyes]")).to_be_visible()
    expect(row.locator(".approve-btn")).to_be_enabled()

    # the trader's own queue does not list what only a supervisor may approve
    trader_queue = trader.page.context.new_page()
    trader_queue.goto(f"{base}/queue/")
    expect(trader_queue.locator("#queue-empty")).to_be_visible()
    expect(trader_queue.locator("#queue-list .queue-row")).to_have_count(0)

    supervisor.page.bring_to_front()
    expect(row).to_have_class(re.compile(r"\bis-key-target\b"))
    supervisor.page.keyboard.press("a")
    supervisor.page.wait_for_function(
        """(id) => { const n = document.querySelector(`#queue-list .queue-row[data-proposal-id='${id}']`);
             return !n || !n.querySelector('[data-slot=error]').hidden; }""", arg=proposal_id, timeout=10_000)
    if row.count() == 1:  # the risk re-check refused it (the market moved): the refusal is on the row
        expect(row.locator("[data-slot=error]")).to_contain_text("risk gate")
    else:
        state = supervisor.page.request.get(f"{url}state.json").json()
        decided = next(p for p in state["proposals"] if str(p["id"]) == proposal_id)
        assert decided["status"] == "approved" and decided["decided_by"] == "supervisor"
        expect(card).to_have_count(0, timeout=10_000)  # gone from the trader's order page, live
    problems = trader.unexpected_errors() + supervisor.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
