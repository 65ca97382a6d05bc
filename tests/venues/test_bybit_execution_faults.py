"""BybitVenue under injected faults: an ambiguous failure is resolved by looking the order up by
orderLinkId before anything else, so there is never a second order; a rate limit waits for Bybit's
reset time before the same request is sent again."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.rest import http_client
from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side
from execdesk.market.bybit import BybitMarketData
from execdesk.venues.bybit import BybitVenue
from tests.loopback.bybit_server import BybitLoopbackServer

CREATE, REALTIME = "/v5/order/create", "/v5/order/realtime"
TIMEOUT_S = 0.3


def make_venue(server: BybitLoopbackServer, sleeps: list[float]) -> BybitVenue:
    config = BybitConfig.from_env({
        "EXECDESK_BYBIT_REST_URL": server.url,
        "EXECDESK_BYBIT_API_KEY": server.api_key,
        "EXECDESK_BYBIT_API_SECRET": server.api_secret,
    })
    http = http_client(config, timeout_s=TIMEOUT_S)
    instruments = {"BTCUSDT": BybitMarketData(http).instrument("BTCUSDT")}
    return BybitVenue(http, instruments=instruments, sleep=sleeps.append)


def private_paths(server: BybitLoopbackServer) -> list[str]:
    """Private requests in the order they arrived (a slow request is logged only when it answers)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not server.requests_to(CREATE):
        time.sleep(0.01)
    return [r.path for r in sorted(server.requests, key=lambda r: r.received_ms) if r.signed is not None]


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("server_error", {"applied": True}),
        ("http_500", {"applied": True}),
        ("lost_response", {}),
        ("slow", {"seconds": TIMEOUT_S * 3}),
    ],
)
@pytest.mark.parametrize(
    ("order_type", "price", "expected"),
    [(OrderType.MARKET, None, ChildStatus.FILLED), (OrderType.LIMIT, Decimal("64000"), ChildStatus.SUBMITTED)],
)
def test_ambiguous_failure_after_acceptance_is_looked_up_and_never_sent_twice(
    bybit_server: BybitLoopbackServer,
    kind: str,
    options: dict[str, object],
    order_type: OrderType,
    price: Decimal | None,
    expected: ChildStatus,
) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    bybit_server.inject(kind, CREATE, **options)  # type: ignore[arg-type]
    report = venue.place(OrderRequest("amb-1", "BTCUSDT", Side.BUY, order_type, Decimal("0.01"), price))
    assert [o.order_link_id for o in bybit_server.venue.orders] == ["amb-1"]
    assert report.status is expected
    assert report.venue_order_id == bybit_server.venue.order("amb-1").order_id
    assert report.filled_qty == (Decimal("0.01") if expected is ChildStatus.FILLED else 0)
    paths = private_paths(bybit_server)
    assert paths[:2] == [CREATE, REALTIME]  # the lookup comes first
    assert paths.count(CREATE) == 1


def test_ambiguous_failure_before_acceptance_is_looked_up_then_resent_once(
    bybit_server: BybitLoopbackServer,
) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    bybit_server.inject("server_error", CREATE, applied=False)
    report = venue.place(OrderRequest("amb-2", "BTCUSDT", Side.SELL, OrderType.LIMIT, Decimal("0.01"),
                                      Decimal("66000")))
    assert report.status is ChildStatus.SUBMITTED
    assert [o.order_link_id for o in bybit_server.venue.orders] == ["amb-2"]
    assert private_paths(bybit_server)[:3] == [CREATE, REALTIME, CREATE]
    assert [r.params["orderLinkId"] for r in bybit_server.requests_to(CREATE)] == ["amb-2", "amb-2"]


def test_lookup_failing_too_is_retried_before_any_resend(bybit_server: BybitLoopbackServer) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    bybit_server.inject("http_500", CREATE, applied=True)
    bybit_server.inject("server_error", REALTIME)
    report = venue.place(OrderRequest("amb-3", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01")))
    assert report.status is ChildStatus.FILLED
    assert len(bybit_server.requests_to(CREATE)) == 1
    assert len(bybit_server.venue.orders) == 1


def test_unanswered_lookups_leave_the_order_unresolved_and_open(bybit_server: BybitLoopbackServer) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    bybit_server.inject("lost_response", CREATE)
    for _ in range(2 * venue.max_attempts):
        bybit_server.inject("http_500", REALTIME)
    report = venue.place(OrderRequest("amb-4", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.01"),
                                      Decimal("64000")))
    assert report.unresolved
    assert report.status is ChildStatus.NEW and report.status.is_open
    assert "HTTP 500" in report.reject_reason
    assert len(bybit_server.requests_to(CREATE)) == 1  # never resent while Bybit could not say


def test_rate_limit_waits_for_bybits_reset_time_then_sends_the_same_order(
    bybit_server: BybitLoopbackServer,
) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    bybit_server.inject("rate_limit", CREATE, reset_in_ms=1500)
    report = venue.place(OrderRequest("rl-1", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01")))
    assert report.status is ChildStatus.FILLED
    assert len(sleeps) == 1
    assert 1.3 <= sleeps[0] <= 1.5 + 0.25  # Bybit's reset time plus at most the jitter
    assert [r.ret_code for r in bybit_server.requests_to(CREATE)] == [10006, 0]
    assert bybit_server.requests_to(REALTIME)[0].params["orderLinkId"] == "rl-1"  # read back, not a lookup
    assert private_paths(bybit_server)[:2] == [CREATE, CREATE]


def test_rate_limit_on_every_attempt_is_rejected_without_an_order(bybit_server: BybitLoopbackServer) -> None:
    sleeps: list[float] = []
    venue = make_venue(bybit_server, sleeps)
    for _ in range(venue.max_attempts):
        bybit_server.inject("rate_limit", CREATE, reset_in_ms=100)
    report = venue.place(OrderRequest("rl-2", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01")))
    assert report.status is ChildStatus.REJECTED
    assert "10006" in report.reject_reason and "gave up after 4 attempts" in report.reject_reason
    assert len(sleeps) == venue.max_attempts - 1
    assert bybit_server.venue.orders == []
