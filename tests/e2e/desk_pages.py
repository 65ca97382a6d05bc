"""Browser helpers for the end-to-end tests: a signed-in page per demo user, each in its own browser context
(its own cookies, so trader and supervisor are two people), which records every console error and page
error; and the order form driven as a trader drives it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import DEMO_PASSWORD

# A refused action (403 four-eyes, 409 not pending...) makes Chromium log the HTTP status as a console error;
# the page shows the refusal itself, so such a line is expected. Anything else in the console is a bug.
_EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")

VIEWPORT = {"width": 1440, "height": 900}


def expected_console_error(text: str) -> bool:
    return bool(_EXPECTED_CONSOLE.search(text))


@dataclass
class DeskPage:
    """One user's tab: `page` plus what went wrong in it (console errors, uncaught exceptions, navigations)."""

    page: Page
    username: str
    errors: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not expected_console_error(e.split("] ", 1)[-1])]

    def watch_navigation(self) -> None:
        """From now on, record every load of the main frame: live updates must never reload the page."""
        self.page.on("framenavigated", lambda frame: self.navigations.append(frame.url)
                     if frame == self.page.main_frame else None)


def open_desk(browser: Browser, base: str, username: str, viewport: dict[str, int] | None = None) -> DeskPage:
    """A new browser context signed in as `username` (trader / supervisor / auditor) on the desk's home page."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    page = context.new_page()
    desk = DeskPage(page=page, username=username)
    page.on("console", lambda msg: desk.errors.append(f"[{username} console] {msg.text}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: desk.errors.append(f"[{username} pageerror] {exc}"))
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")
    return desk


def create_order(page: Page, base: str, *, quantity: str, horizon_s: int, interval_s: int, approval_mode: str = "manual",
                 auto_cap: str | None = None, strategy: str = "twap", side: str = "buy", symbol: str = "BTCUSDT",
                 notes: str = "") -> str:
    """Fill and send the home page's order form; returns the new order page's URL (the browser is on it)."""
    page.goto(f"{base}/")
    # scoped to the order form: the desk page's approval queue has override forms with the same field names
    form = page.locator("form#order-form")
    form.locator("select[name=symbol]").select_option(symbol)
    form.locator("select[name=side]").select_option(side)
    form.locator("input[name=quantity]").fill(quantity)
    form.locator("input[name=horizon_seconds]").fill(str(horizon_s))
    form.locator("input[name=interval_seconds]").fill(str(interval_s))
    form.locator("select[name=strategy]").select_option(strategy)
    form.locator("select[name=approval_mode]").select_option(approval_mode)
    if auto_cap is not None:
        form.locator("input[name=auto_cap_notional]").fill(auto_cap)
    if notes:
        form.locator("textarea[name=notes]").fill(notes)
    page.click("form#order-form button[type=submit]")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/orders/\d+/$"))
    return page.url


def start_order(page: Page) -> None:
    """Press Start and wait for the order's live socket (proposals arrive over it from now on)."""
    page.click("#start-btn")
    expect(page.locator("#order-status")).to_have_text(re.compile(r"ACTIVE|EXECUTING"), timeout=10_000)
    expect(page.locator("#ws-status")).to_contain_text("live", timeout=15_000)


def pending_card(page: Page, proposal_id: int | str | None = None) -> Locator:
    """The locator of a pending proposal's card (the newest one when no id is given)."""
    if proposal_id is None:
        return page.locator("#pending-proposal .proposal-card[data-proposal-id]").last
    return page.locator(f"#pending-proposal .proposal-card[data-proposal-id='{proposal_id}']")


def order_card(page: Page, timeout_ms: int = 40_000) -> Locator:
    """Wait for a pending card that proposes an order (not a WAIT, which sends nothing) and return it.

    WAIT cards on the way are left alone: the desk supersedes them with the next proposal."""
    card = page.locator("#pending-proposal .proposal-card[data-proposal-id]:not([data-action='WAIT'])").first
    expect(card).to_be_visible(timeout=timeout_ms)
    return pending_card(page, card.get_attribute("data-proposal-id"))


def number(text: str) -> float:
    """The first number in a cell such as '0.005 BTC' or '65,012.3 / 0.02 bps'."""
    match = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def approve_card(page: Page, card: Locator, timeout_ms: int = 10_000) -> bool:
    """Press the card's Approve and wait for the desk's answer: True when the card left the pending list
    (approved); False when the page showed the desk's refusal on the card (for example the risk gate's
    re-check at approval: the market moved since the proposal), which the trader then rejects with that
    reason so the next proposal follows. Either answer is a correct desk; a card that neither leaves nor
    shows a refusal fails the test."""
    proposal_id = card.get_attribute("data-proposal-id")
    card.locator(".approve-btn").click()
    gone = f"!document.querySelector(\"#pending-proposal .proposal-card[data-proposal-id='{proposal_id}']\")"
    refused = (f"(() => {{ const box = document.querySelector(\"#pending-proposal .proposal-card"
               f"[data-proposal-id='{proposal_id}'] [data-slot='error']\"); return box && !box.hidden; }})()")
    page.wait_for_function(f"() => {gone} || {refused}", timeout=timeout_ms)
    if page.evaluate(f"() => {gone}"):
        return True
    refusal = card.locator("[data-slot='error']").inner_text()
    card.locator(".reject-btn").click()
    reason = card.locator(".reject-form input[name=reason]")
    reason.fill(f"approval refused: {refusal}"[:200])
    reason.press("Enter")
    expect(pending_card(page, proposal_id)).to_have_count(0, timeout=timeout_ms)
    return False
