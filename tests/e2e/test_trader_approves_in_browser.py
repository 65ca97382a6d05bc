"""A trader logs in, creates a parent order, approves the first proposal, and sees the fill and the new
IS figure arrive on the page without reloading it."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.desk_pages import approve_card, expected_console_error, pending_card

pytestmark = pytest.mark.e2e


def test_trader_approves_the_first_proposal_and_sees_the_fill_live(desk_server, browser, tmp_path):
    base, log_path = desk_server
    page = browser.new_page(viewport={"width": 1440, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}")
            if msg.type == "error" and not expected_console_error(msg.text) else None)

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "trader")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")

    page.select_option("select[name=symbol]", "BTCUSDT")
    page.select_option("select[name=side]", "buy")
    page.fill("input[name=quantity]", "0.05")
    page.fill("input[name=horizon_seconds]", "300")
    page.fill("input[name=interval_seconds]", "5")
    page.select_option("select[name=strategy]", "twap")
    page.select_option("select[name=approval_mode]", "manual")
    page.click("form#order-form button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/orders/\d+/$"))
    order_url = page.url
    is_before = page.inner_text("#is-bps")

    page.on("framenavigated", lambda frame: errors.append(f"page navigated to {frame.url}")
            if frame == page.main_frame else None)
    page.click("#start-btn")
    page.wait_for_selector("#ws-status:has-text('live')", timeout=15_000)

    # Approve proposals as they come; a WAIT sends nothing, so keep going until a fill shows.
    approved = 0
    for _ in range(8):
        card = page.wait_for_selector("#pending-proposal [data-proposal-id]", timeout=30_000)
        action = card.get_attribute("data-action") or ""
        if not approve_card(page, pending_card(page, card.get_attribute("data-proposal-id")), timeout_ms=15_000):
            continue  # refused at approval (the market moved): rejected with the desk's reason, the next follows
        approved += 1
        if action != "WAIT":
            try:
                page.wait_for_selector("#fills-table tbody tr", timeout=30_000)
                break
            except Exception:  # a passive limit the market did not reach: the next proposal follows
                continue

    assert page.url == order_url, "the page must update in place, never reload"
    rows = page.query_selector_all("#fills-table tbody tr")
    assert rows, f"no fill after {approved} approvals; desk log tail:\n{log_path.read_text()[-3000:]}"
    page.wait_for_function("before => { const t = document.querySelector('#is-bps').textContent.trim();"
                           " return t !== before && /-?\\d/.test(t); }", arg=is_before, timeout=10_000)
    assert re.search(r"-?\d+(\.\d+)?", page.inner_text("#is-bps"))
    assert float(page.inner_text("#executed").split()[0].replace(",", "")) > 0
    page.screenshot(path=str(tmp_path / "desk-after-fill.png"), full_page=True)
    assert (tmp_path / "desk-after-fill.png").stat().st_size > 10_000
    assert not [e for e in errors if "navigated" in e], errors
    assert not errors, errors
