"""The approval queue in the browser (/queue/ and the desk page's panel): the proposals of two orders are
approved from one place with the keyboard alone (A on the focused row, the focus moving on to the next one);
rows arrive and leave live (a proposal decided on its order's page leaves the queue at once); a refusal shows
on its row; bulk reject sends one reason for the selected rows. At 1280×800 and 1920×1080."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.desk_pages import create_order, open_desk, start_order

pytestmark = pytest.mark.e2e

VIEWPORTS = [pytest.param({"width": 1280, "height": 800}, id="1280x800"),
             pytest.param({"width": 1920, "height": 1080}, id="1920x1080")]
ROW = "#queue-list .queue-row[data-proposal-id]"


@pytest.fixture
def desk_env() -> dict[str, str]:
    return {"EXECDESK_PROPOSAL_TTL": "60"}  # time to read a row on a loaded machine


def _two_started_orders(page: Page, base: str) -> list[int]:
    ids = []
    for qty in ("0.06", "0.05"):
        url = create_order(page, base, quantity=qty, horizon_s=120, interval_s=5)
        start_order(page)
        ids.append(int(re.search(r"/orders/(\d+)/$", url).group(1)))
    return ids


def _row_for(page: Page, order_id: int):
    return page.locator(f"{ROW}[data-order-id='{order_id}']")


def _in_viewport(page: Page, selector: str) -> bool:
    return page.evaluate("""(sel) => { const n = document.querySelector(sel); if (!n) return false;
        const r = n.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.width > 0; }""", selector)


def _proposal_status(page: Page, base: str, order_id: int, proposal_id: str) -> str:
    state = page.request.get(f"{base}/orders/{order_id}/state.json").json()
    return next(p["status"] for p in state["proposals"] if str(p["id"]) == proposal_id)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_queue_approves_proposals_of_two_orders_with_the_keyboard(desk_server, browser, viewport, tmp_path):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport=viewport)
    page = trader.page
    orders = _two_started_orders(page, base)
    page.click("nav.topnav a[href='/queue/']")
    page.wait_for_url(f"{base}/queue/")
    trader.watch_navigation()
    expect(page.locator("#ws-status")).to_contain_text("live", timeout=15_000)

    approved: dict[int, str] = {}
    for _ in range(8):  # a refused approval (the risk re-check) is rejected and the order's next proposal taken
        if len(approved) == 2:
            break
        waiting = [o for o in orders if o not in approved]
        for order_id in waiting:
            expect(_row_for(page, order_id)).to_have_count(1, timeout=40_000)
        # the oldest row holds the focus (on screen), ringed as the one A acts on
        target = page.locator(f"{ROW}.is-key-target")
        expect(target).to_have_count(1)
        expect(page.locator(ROW).first).to_have_class(re.compile(r"\bis-key-target\b"))
        if not page.evaluate("() => !!document.activeElement.closest('.queue-row')"):
            page.keyboard.press("ArrowDown")  # the first arrow focuses the oldest row
        row_id = target.get_attribute("data-proposal-id")
        order_id = int(target.get_attribute("data-order-id"))
        line = target.locator(".queue-line")
        expect(line).to_contain_text(f"#{order_id}/")
        expect(line).to_contain_text("BTCUSDT")
        expect(line).to_contain_text("BUY")
        expect(line).to_contain_text("TWAP")
        expect(line).to_contain_text(re.compile(r"\d+\.\d % of 0\.0[56]"))
        expect(target.locator("[data-slot=expiry]")).to_have_text(re.compile(r"^expires in \d+:\d\d$"))
        assert _in_viewport(page, f"{ROW}[data-proposal-id='{row_id}'] .queue-line")
        assert _in_viewport(page, f"{ROW}[data-proposal-id='{row_id}'] .proposal-actions")
        if not approved:
            page.screenshot(path=str(tmp_path / f"queue-{viewport['width']}-rows.png"))
        page.keyboard.press("a")
        gone = page.locator(f"{ROW}[data-proposal-id='{row_id}']")
        refusal = gone.locator("[data-slot=error]")
        page.wait_for_function(
            """(id) => { const n = document.querySelector(`#queue-list .queue-row[data-proposal-id='${id}']`);
                 return !n || !n.querySelector('[data-slot=error]').hidden; }""", arg=row_id, timeout=10_000)
        if gone.count() == 0:
            assert _proposal_status(page, base, order_id, row_id) == "approved"
            approved[order_id] = row_id
            continue
        # refused on its row (the market moved): R, a reason, Enter; the order's next proposal follows
        expect(refusal).to_be_visible()
        page.keyboard.press("r")
        reason = gone.locator(".reject-form input[name=reason]")
        expect(reason).to_be_focused()
        page.keyboard.type("approval refused: " + refusal.inner_text()[:120])
        page.keyboard.press("Enter")
        expect(gone).to_have_count(0, timeout=10_000)

    assert sorted(approved) == sorted(orders), f"approved {approved} of orders {orders}"
    assert not trader.navigations, f"the page reloaded: {trader.navigations}"
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"


def test_rows_arrive_and_leave_live_and_bulk_reject_sends_one_reason(desk_server, browser, tmp_path):
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport={"width": 1280, "height": 800})
    page = trader.page
    first = create_order(page, base, quantity="0.06", horizon_s=120, interval_s=5)
    second = create_order(page, base, quantity="0.05", horizon_s=120, interval_s=5)
    # the queue is open (on the desk page's panel) before any proposal exists
    queue_tab = trader.page.context.new_page()
    queue_tab.on("console", lambda msg: trader.errors.append(f"[queue console] {msg.text}") if msg.type == "error" else None)
    queue_tab.on("pageerror", lambda exc: trader.errors.append(f"[queue pageerror] {exc}"))
    queue_tab.goto(f"{base}/")
    expect(queue_tab.locator("#ws-status")).to_contain_text("live", timeout=15_000)
    expect(queue_tab.locator("#queue-empty")).to_be_visible()
    expect(queue_tab.locator("#queue-count")).to_have_text("0")

    for url in (first, second):
        page.goto(url)
        start_order(page)
    rows = queue_tab.locator(ROW)
    expect(rows).to_have_count(2, timeout=40_000)  # arrived over the websocket, no reload
    expect(queue_tab.locator("#queue-count")).to_have_text("2")
    expect(queue_tab).to_have_title(re.compile(r"^● 2 proposals waiting"))

    # decided on the order's page (the other tab): it leaves the queue at once
    page.goto(second)
    card = page.locator("#pending-proposal .proposal-card[data-proposal-id]").first
    expect(card).to_be_visible(timeout=20_000)
    decided_id = card.get_attribute("data-proposal-id")
    card.locator(".reject-btn").click()
    card.locator(".reject-form input[name=reason]").fill("from the order page")
    card.locator(".reject-form input[name=reason]").press("Enter")
    expect(queue_tab.locator(f"{ROW}[data-proposal-id='{decided_id}']")).to_have_count(0, timeout=10_000)

    # bulk reject: every row selected, one reason; each is decided (and audited) through the same endpoint
    expect(rows).to_have_count(2, timeout=40_000)  # the second order's next proposal arrived
    ids = [rows.nth(i).get_attribute("data-proposal-id") for i in range(2)]
    queue_tab.check("#queue-select-all")
    expect(queue_tab.locator("#queue-bulk-reject")).to_have_text("Reject selected (2)")
    queue_tab.click("#queue-bulk-reject")
    expect(queue_tab.locator("#queue-bulk-status")).to_have_text("A reason is required to reject proposals.")
    queue_tab.fill("#queue-bulk-reason", "desk flattening for the close")
    queue_tab.click("#queue-bulk-reject")
    expect(queue_tab.locator("#queue-bulk-status")).to_have_text(re.compile(r"^\d rejected"), timeout=10_000)
    for proposal_id in ids:
        gone = queue_tab.locator(f"{ROW}[data-proposal-id='{proposal_id}']")
        expect(gone).to_have_count(0, timeout=10_000)
    for url in (first, second):
        state = page.request.get(f"{url}state.json").json()
        for p in state["proposals"]:
            if str(p["id"]) in ids:
                assert p["status"] == "rejected" and p["decision_reason"] == "desk flattening for the close", p
    queue_tab.screenshot(path=str(tmp_path / "queue-panel-after-bulk.png"))
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"


def test_a_refusal_shows_on_its_row(desk_server, browser):
    """The queue's socket loses the proposal pushes (a lagging link): a proposal rejected on its order's page
    stays in the queue, and A on it shows the desk's refusal on the row, which sends nothing."""
    base, log_path = desk_server
    trader = open_desk(browser, base, "trader", viewport={"width": 1280, "height": 800})
    page = trader.page
    url = create_order(page, base, quantity="0.06", horizon_s=120, interval_s=5)
    order_id = int(re.search(r"/orders/(\d+)/$", url).group(1))
    start_order(page)

    queue_tab = page.context.new_page()
    queue_tab.on("console", lambda msg: trader.errors.append(f"[queue console] {msg.text}") if msg.type == "error" else None)
    queue_tab.on("pageerror", lambda exc: trader.errors.append(f"[queue pageerror] {exc}"))

    def lose_proposal_pushes(ws) -> None:
        server = ws.connect_to_server()

        def from_server(message) -> None:
            if isinstance(message, str) and json.loads(message).get("type") == "proposal":
                return
            ws.send(message)

        server.on_message(from_server)

    queue_tab.route_web_socket(re.compile(r"/ws/desk/$"), lose_proposal_pushes)
    queue_tab.goto(f"{base}/queue/")
    row = _row_for(queue_tab, order_id)
    expect(row).to_have_count(1, timeout=40_000)
    proposal_id = row.get_attribute("data-proposal-id")

    card = page.locator(f"#pending-proposal .proposal-card[data-proposal-id='{proposal_id}']")
    card.locator(".reject-btn").click()
    card.locator(".reject-form input[name=reason]").fill("decided on the order page")
    card.locator(".reject-form input[name=reason]").press("Enter")
    expect(card).to_have_count(0, timeout=10_000)

    queue_tab.bring_to_front()
    expect(row).to_have_class(re.compile(r"\bis-key-target\b"))
    queue_tab.keyboard.press("a")
    expect(row.locator("[data-slot=error]")).to_have_text(
        re.compile(rf"^proposal #\d+ of order {order_id} is already rejected by trader; cannot approve it$"), timeout=10_000)
    expect(row).to_have_count(1)
    state = page.request.get(f"{url}state.json").json()
    assert next(p for p in state["proposals"] if str(p["id"]) == proposal_id)["status"] == "rejected"
    assert not state["children"], "a refused approval sent a child order"
    problems = trader.unexpected_errors()
    assert not problems, f"{problems}\ndesk log tail:\n{log_path.read_text()[-2000:]}"
