"""The proposal keys on the order page: A approves the pending proposal (its card leaves, a child order
appears), R opens the reject form with the focus in its reason field (where typing "r" or "a" is just
text), O opens the override form, Escape closes them, and Enter in the reason sends the rejection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.desk_pages import create_order, open_desk, order_card, start_order

pytestmark = pytest.mark.e2e

REASON = "rather not: market already ran away"  # an r and an a and an o, typed into the field


def test_keys_approve_reject_and_override_the_pending_proposal(desk_server, browser, tmp_path):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader")
    page = trader.page
    order_url = create_order(page, base, quantity="0.06", horizon_s=60, interval_s=5)
    trader.watch_navigation()
    start_order(page)
    children = page.locator("#children-table tbody tr[data-child-id]")

    # A: the card the keys act on (ringed) is approved; it leaves the pending list and its child order appears.
    first = order_card(page)
    first_id = first.get_attribute("data-proposal-id")
    expect(first).to_have_class(re.compile(r"\bis-key-target\b"))
    expect(children).to_have_count(0)
    page.keyboard.press("a")
    expect(first).to_have_count(0, timeout=10_000)
    expect(page.locator(f"#proposal-history tr[data-proposal-row='{first_id}']")).to_contain_text("approved")
    expect(children).to_have_count(1, timeout=10_000)
    page.screenshot(path=str(tmp_path / "approved-with-A.png"))

    # R: the reject form opens with the focus in its reason; letters typed there are text, not keys.
    second = order_card(page)
    second_id = second.get_attribute("data-proposal-id")
    assert second_id != first_id
    reject_form, override_form = second.locator(".reject-form"), second.locator(".override-form")
    reason = reject_form.locator("input[name=reason]")
    expect(reject_form).to_be_hidden()
    page.keyboard.press("r")
    expect(reject_form).to_be_visible()
    expect(reason).to_be_focused()
    expect(second.locator(".reject-btn")).to_have_attribute("aria-expanded", "true")
    page.keyboard.type(REASON)
    expect(reason).to_have_value(REASON)
    expect(reject_form).to_be_visible()
    expect(override_form).to_be_hidden()
    expect(second).to_be_visible()
    expect(page.locator(f"#proposal-history tr[data-proposal-row='{second_id}']")).to_have_count(0)
    expect(children).to_have_count(1)
    second.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "reject-form-from-R.png"))

    # Escape closes it; O opens the override form, starting from the proposal's terms.
    page.keyboard.press("Escape")
    expect(reject_form).to_be_hidden()
    # Escape hides the form but leaves the focus in its field until Chromium's next frame: a key pressed
    # before then goes to the hidden field. A person is never that quick; wait as they would.
    expect(reason).not_to_be_focused()
    page.keyboard.press("o")
    expect(override_form).to_be_visible()
    expect(reject_form).to_be_hidden()
    quantity = override_form.locator("input[name=quantity]")
    expect(quantity).to_be_focused()
    expect(quantity).to_have_value(re.compile(r"^0\.\d+$"))
    expect(second.locator(".override-btn")).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(tmp_path / "override-form-from-O.png"))

    # Back to R, and Enter in the reason field sends the rejection: the card leaves, no order was sent.
    page.keyboard.press("Escape")
    expect(override_form).to_be_hidden()
    expect(quantity).not_to_be_focused()
    page.keyboard.press("r")
    expect(reason).to_be_focused()
    reason.fill(REASON)
    page.keyboard.press("Enter")
    expect(second).to_have_count(0, timeout=10_000)
    row = page.locator(f"#proposal-history tr[data-proposal-row='{second_id}']")
    expect(row).to_contain_text("rejected")
    expect(row.locator(".history-who")).to_contain_text(REASON)
    expect(children).to_have_count(1)

    assert page.url == order_url and not trader.navigations, f"the page reloaded: {trader.navigations}"
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
