"""The pending proposal on the order page is on screen before the keys can act on it: at 1280×800, 800 px wide
and 1920×1080 the card's terms and buttons sit above the fold when the page moves the focus to it; the focus
never lands on a card scrolled out of view, and A pressed then approves nothing: it brings the card into view
and asks for the key again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.desk_pages import create_order, open_desk, order_card, pending_card, start_order

pytestmark = pytest.mark.e2e

VIEWPORTS = [pytest.param({"width": 1280, "height": 800}, id="1280x800"),
             pytest.param({"width": 800, "height": 800}, id="800x800"),
             pytest.param({"width": 1920, "height": 1080}, id="1920x1080")]

# what the trader must see before A: the terms and the buttons, below the bars that stay on top of the page
SEEN = """(id) => {
  const card = document.querySelector(`#pending-proposal .proposal-card[data-proposal-id='${id}']`);
  if (!card) return false;
  const top = document.querySelector('.topbar').getBoundingClientRect().bottom;
  const inside = (n) => { const r = n.getBoundingClientRect(); return r.top >= top - 1 && r.bottom <= innerHeight + 1; };
  return inside(card.querySelector('[data-terms]')) && inside(card.querySelector('.proposal-actions'));
}"""
FOCUSED = "(id) => document.activeElement && document.activeElement.getAttribute('data-proposal-id') === id"


@pytest.fixture
def desk_env() -> dict[str, str]:
    return {"EXECDESK_PROPOSAL_TTL": "60"}


def _status(page: Page, url: str, proposal_id: str) -> str:
    state = page.request.get(f"{url}state.json").json()
    return next(p["status"] for p in state["proposals"] if str(p["id"]) == proposal_id)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_card_is_on_screen_when_focused_and_a_never_approves_an_unseen_card(desk_server, browser, viewport,
                                                                                 tmp_path):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport=viewport)
    page = trader.page
    url = create_order(page, base, quantity="0.06", horizon_s=120, interval_s=5)
    start_order(page)

    # the new proposal takes the focus, and it is on screen where it has it
    first = order_card(page)
    first_id = first.get_attribute("data-proposal-id")
    page.wait_for_function(FOCUSED, arg=first_id, timeout=5_000)
    assert page.evaluate(SEEN, first_id), "the focused card's terms or buttons are off screen"
    page.screenshot(path=str(tmp_path / f"card-{viewport['width']}x{viewport['height']}.png"))
    first.locator(".reject-btn").click()
    first.locator(".reject-form input[name=reason]").fill("seen; scrolling down to the fills")
    first.locator(".reject-form input[name=reason]").press("Enter")
    expect(pending_card(page, first_id)).to_have_count(0, timeout=10_000)

    # scrolled down to the blotters: the next proposal arrives off screen and does not take the focus
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    second = page.locator(f"#pending-proposal .proposal-card[data-proposal-id]:not([data-proposal-id='{first_id}'])")
    expect(second).to_have_count(1, timeout=40_000)
    second_id = second.get_attribute("data-proposal-id")
    expect(second).to_have_class(re.compile(r"\bflash\b"), timeout=5_000)  # cued: the focus moved now, or never
    assert not page.evaluate(SEEN, second_id)
    assert not page.evaluate(FOCUSED, second_id), "the focus landed on a card the trader cannot see"

    # A approves nothing unseen: the card comes into view and asks for the key again
    page.keyboard.press("a")
    expect(second.locator("[data-slot=error]")).to_have_text(
        "Brought into view: read the terms, then press A again.")
    page.wait_for_function(SEEN, arg=second_id, timeout=5_000)
    assert _status(page, url, second_id) == "pending"
    assert page.evaluate(FOCUSED, second_id)

    # seen now: A decides it (approved, or the desk's refusal shown on the card)
    page.keyboard.press("a")
    page.wait_for_function(
        """(id) => { const c = document.querySelector(`#pending-proposal .proposal-card[data-proposal-id='${id}']`);
             return !c || !/^Brought into view/.test(c.querySelector('[data-slot=error]').textContent)
                        && !c.querySelector('[data-slot=error]').hidden; }""", arg=second_id, timeout=10_000)
    if pending_card(page, second_id).count() == 0:
        assert _status(page, url, second_id) == "approved"
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
