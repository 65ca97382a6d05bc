"""The execution client spends the desk's shared order budget before every order create: over budget it
waits for a slot (or gives up without sending), never exceeding Bybit's per-category rate."""

from __future__ import annotations

from decimal import Decimal

from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side
from execdesk.venues.rate_limit import LocalRateLimiter
from tests.venues.test_bybit_execution_orders import CREATE, make_venue


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def market(link: str) -> OrderRequest:
    return OrderRequest(link, "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.001"))


def test_orders_beyond_the_rate_wait_for_a_slot(bybit_server):
    t = FakeTime()
    limiter = LocalRateLimiter({"linear": 2}, clock=t.clock, sleep=t.sleep)
    venue = make_venue(bybit_server, limiter=limiter)
    reports = [venue.place(market(f"rl-{i}")) for i in range(5)]
    assert all(r.status is ChildStatus.FILLED for r in reports)
    assert t.now >= 2.0  # 5 orders at 2/s: the fifth waited for the third second
    assert len(bybit_server.requests_to(CREATE)) == 5


def test_a_spent_budget_gives_up_without_sending(bybit_server):
    t = FakeTime()
    limiter = LocalRateLimiter({"linear": 1}, clock=t.clock, sleep=lambda s: None)  # time never moves
    venue = make_venue(bybit_server, limiter=limiter, limiter_timeout_s=0.1, max_attempts=2)
    assert venue.place(market("rl-first")).status is ChildStatus.FILLED
    refused = venue.place(market("rl-second"))
    assert refused.status is ChildStatus.REJECTED and "rate limit" in refused.reject_reason
    assert [r.params.get("orderLinkId") for r in bybit_server.requests_to(CREATE)] == ["rl-first"]
