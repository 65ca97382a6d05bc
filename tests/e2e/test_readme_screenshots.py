"""Regenerates the README's screenshots (docs/screenshot-overview.png, docs/screenshot-order.png) from a real
desk at 1440x900: a desk with orders in several states, and an order mid-execution with fills and a pending
proposal. Every run builds that desk and takes the shots (the page must show it all); they replace the README's
only when asked, EXECDESK_SCREENSHOTS=1 (EXECDESK_SCREENSHOTS_DIR=/some/dir writes them there instead, to look
before replacing them); otherwise they go to the test's tmp_path."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.desk_pages import VIEWPORT, approve_card, create_order, open_desk, order_card, start_order

pytestmark = pytest.mark.e2e

ENABLED = os.environ.get("EXECDESK_SCREENSHOTS") == "1"


def _target(tmp_path: Path) -> Path:
    if os.environ.get("EXECDESK_SCREENSHOTS_DIR"):
        return Path(os.environ["EXECDESK_SCREENSHOTS_DIR"])
    return ROOT / "docs" if ENABLED else tmp_path


def test_regenerate_readme_screenshots(desk_server, browser, tmp_path):
    target = _target(tmp_path)
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport=VIEWPORT)
    page = trader.page

    # The desk around the star order: paused, not started, finishing on autopilot, working within limits.
    create_order(page, base, quantity="0.3", horizon_s=1800, interval_s=10)
    start_order(page)
    page.click("#pause-btn")
    expect(page.locator("#order-status")).to_have_text("PAUSED")
    create_order(page, base, quantity="5", horizon_s=3600, interval_s=10, symbol="ETHUSDT")
    done_url = create_order(page, base, quantity="0.04", horizon_s=30, interval_s=5, side="sell",
                            approval_mode="autopilot")
    start_order(page)
    create_order(page, base, quantity="12", horizon_s=1800, interval_s=5, side="sell", symbol="ETHUSDT",
                 strategy="vwap", approval_mode="auto_within_limits", auto_cap="100000")
    start_order(page)

    # The star: an adaptive order the trader supervises, proposal by proposal, until it has fills and
    # the next proposal waits on the card.
    order_url = create_order(page, base, quantity="1.5", horizon_s=1200, interval_s=5, strategy="adaptive",
                             notes="Client buy ahead of the quarterly rebalance; stay passive when the spread allows")
    start_order(page)
    fills = page.locator("#fills-table tbody tr")
    # Adaptive rests passive slices: how many fill depends on the market and, on a loaded machine, on time.
    # Approve until three fills show (each card within its TTL), then wait for the third to be drawn.
    for _ in range(40):
        card = order_card(page, timeout_ms=45_000)
        if fills.count() >= 3:
            break
        approve_card(page, card)
    expect(fills.nth(2)).to_be_visible(timeout=30_000)

    # A fresh load (no "order created" message, no toasts), as someone opening the order would see it.
    page.goto(order_url)
    expect(page.locator("#ws-status")).to_have_text("live", timeout=15_000)
    expect(order_card(page)).to_be_visible()
    expect(page.locator("#price-chart .main-svg").first).to_be_visible(timeout=15_000)
    expect(page.locator("#market-mid")).to_have_text(re.compile(r"\d"), timeout=15_000)
    page.mouse.move(0, 0)
    page.screenshot(path=str(target / "screenshot-order.png"))

    page.goto(done_url)
    expect(page.locator("#order-status")).to_have_text("COMPLETE", timeout=60_000)
    page.goto(f"{base}/")
    expect(page.locator("#orders-table tbody tr[data-order-id]")).to_have_count(5)
    expect(page.locator("#ws-status")).to_have_text("live", timeout=15_000)
    expect(page.locator("#desk-market [data-m=mid]")).to_have_text(re.compile(r"\d"), timeout=15_000)
    page.mouse.move(0, 0)
    page.screenshot(path=str(target / "screenshot-overview.png"))

    for name in ("screenshot-order.png", "screenshot-overview.png"):
        assert (target / name).stat().st_size > 50_000, f"{name} looks empty"
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
