"""Under the desk's Content-Security-Policy every page still works in Chromium: the dashboard, an order page
with its plotly charts and live socket, the approval queue with a row, the review pages, the admin and the API docs — and the browser
reports no CSP violation on any of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.desk_pages import create_order, open_desk, start_order

pytestmark = pytest.mark.e2e


def test_no_page_violates_the_content_security_policy(desk_server, browser):
    base, _ = desk_server
    trader = open_desk(browser, base, "trader")
    violations: list[str] = []
    trader.page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text
                   else None)
    create_order(trader.page, base, quantity="0.05", horizon_s=300, interval_s=5)
    start_order(trader.page)
    expect(trader.page.locator("#price-chart .main-svg").first).to_be_attached(timeout=15_000)  # plotly drew
    trader.page.goto(f"{base}/queue/")
    expect(trader.page.locator("#queue-list .queue-row").first).to_be_visible(timeout=40_000)

    auditor = open_desk(browser, base, "auditor")
    auditor.page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text
                    else None)
    for path, ready in (("/review/", "main"), ("/admin/desk/auditevent/", "#result_list"),
                        ("/api/docs", ".swagger-ui .info")):
        auditor.page.goto(f"{base}{path}")
        expect(auditor.page.locator(ready).first).to_be_visible(timeout=15_000)
    assert violations == []
    assert trader.unexpected_errors() == [] and auditor.unexpected_errors() == []
