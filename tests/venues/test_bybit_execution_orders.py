"""BybitVenue against the loopback Bybit server through the real pybit client: what is sent (quantised
decimal strings), what is refused before sending, fills with fee and liquidity, cancel and lookup,
Bybit's rejections, and a repeated orderLinkId that must never become a second order."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.rest import http_client
from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side, TimeInForce
from execdesk.market.bybit import BybitMarketData
from execdesk.venues.bybit import BybitVenue
from tests.loopback.bybit_server import BybitLoopbackServer

CREATE = "/v5/order/create"


def make_venue(server: BybitLoopbackServer, category: str = "linear", **overrides: object) -> BybitVenue:
    config = BybitConfig.from_env({
        "EXECDESK_BYBIT_REST_URL": server.url,
        "EXECDESK_BYBIT_API_KEY": server.api_key,
        "EXECDESK_BYBIT_API_SECRET": server.api_secret,
    })
    http = http_client(config, timeout_s=2.0)
    market = BybitMarketData(http, category=category)
    instruments = {s: market.instrument(s) for s in ("BTCUSDT", "ETHUSDT")}
    options: dict[str, object] = {"category": category, "instruments": instruments, "sleep": lambda s: None}
    options.update(overrides)
    return BybitVenue(http, **options)  # type: ignore[arg-type]


def limit(link: str, symbol: str, side: Side, qty: str, price: str, **kw: object) -> OrderRequest:
    return OrderRequest(link, symbol, side, OrderType.LIMIT, Decimal(qty), Decimal(price), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("category", "symbol", "qty", "price", "sent_qty", "sent_price"),
    [
        ("linear", "BTCUSDT", "0.0120", "64000.50", "0.012", "64000.5"),
        ("linear", "ETHUSDT", "1.500", "3300.100", "1.50", "3300.10"),
        ("spot", "BTCUSDT", "0.0012340", "64000.5", "0.001234", "64000.50"),
        ("spot", "ETHUSDT", "0.0123400", "3300.1", "0.01234", "3300.10"),
    ],
)
def test_limit_order_is_sent_as_decimal_strings_quantised_to_the_instrument(
    bybit_server: BybitLoopbackServer, category: str, symbol: str, qty: str, price: str, sent_qty: str,
    sent_price: str,
) -> None:
    venue = make_venue(bybit_server, category)
    report = venue.place(limit(f"q-{category}-{symbol}", symbol, Side.BUY, qty, price))
    assert report.status is ChildStatus.SUBMITTED, report.reject_reason
    [create] = bybit_server.requests_to(CREATE)
    assert (create.params["qty"], create.params["price"]) == (sent_qty, sent_price)
    assert (create.params["orderType"], create.params["timeInForce"]) == ("Limit", "GTC")
    assert bybit_server.venue.order(f"q-{category}-{symbol}").qty == Decimal(sent_qty)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (limit("tiny", "BTCUSDT", Side.BUY, "0.0005", "64000"), "not a multiple of the 0.001 step"),
        (limit("small", "ETHUSDT", Side.BUY, "0.01", "100"), "below the minimum 5"),
        (limit("off-tick", "BTCUSDT", Side.SELL, "0.01", "64000.05"), "not on the 0.1 tick"),
        (limit("bad id!", "BTCUSDT", Side.BUY, "0.01", "64000"), "must be 1-36 characters"),
        (limit("x" * 37, "BTCUSDT", Side.BUY, "0.01", "64000"), "must be 1-36 characters"),
    ],
)
def test_orders_breaking_instrument_rules_are_rejected_without_sending(
    bybit_server: BybitLoopbackServer, request_: OrderRequest, message: str
) -> None:
    venue = make_venue(bybit_server)
    report = venue.place(request_)
    assert report.status is ChildStatus.REJECTED
    assert message in report.reject_reason
    assert bybit_server.requests_to(CREATE) == []
    assert bybit_server.venue.orders == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (limit("spot-min", "BTCUSDT", Side.BUY, "0.000001", "64000"), "below the minimum order quantity"),
        (OrderRequest("mkt-small", "ETHUSDT", Side.SELL, OrderType.MARKET, Decimal("0.001")), "3.40 USDT is below"),
    ],
)
def test_spot_orders_below_the_minimums_are_refused_before_sending(
    bybit_server: BybitLoopbackServer, request_: OrderRequest, message: str
) -> None:
    venue = make_venue(bybit_server, "spot")
    report = venue.place(request_)  # a market order is measured at the touch it would take
    assert report.status is ChildStatus.REJECTED
    assert message in report.reject_reason
    assert bybit_server.requests_to(CREATE) == []


def test_market_order_fills_as_taker_with_fee_and_fee_currency(bybit_server: BybitLoopbackServer) -> None:
    venue = make_venue(bybit_server)
    request = OrderRequest("mkt-1", "BTCUSDT", Side.BUY, OrderType.MARKET, Decimal("0.01"))
    report = venue.place(request)
    assert report.status is ChildStatus.FILLED
    assert report.filled_qty == Decimal("0.01")
    [fill] = report.fills
    best_ask = Decimal("65000.1")
    assert (fill.price, fill.qty, fill.liquidity, fill.fee_currency) == (best_ask, Decimal("0.01"), "taker", "USDT")
    assert fill.fee == Decimal("0.01") * best_ask * Decimal("0.00055")
    assert report.avg_price == best_ask
    assert fill.exec_id == bybit_server.venue.executions[0]["execId"]
    assert abs(fill.ts - bybit_server.venue.clock()) < 5
    create = bybit_server.requests_to(CREATE)[0]
    assert (create.params["orderType"], create.params["qty"]) == ("Market", "0.010")  # on the 0.001 step


def test_spot_market_buy_is_sized_in_the_base_coin(bybit_server: BybitLoopbackServer) -> None:
    venue = make_venue(bybit_server, "spot")
    report = venue.place(OrderRequest("spot-mkt", "ETHUSDT", Side.BUY, OrderType.MARKET, Decimal("0.5")))
    assert report.status is ChildStatus.FILLED
    assert report.filled_qty == Decimal("0.5")
    assert report.fills[0].fee_currency == "ETH"  # Bybit charges a spot buy's fee in the coin bought
    assert bybit_server.requests_to(CREATE)[0].params["marketUnit"] == "baseCoin"


def test_resting_order_reports_maker_fills_then_cancels(bybit_server: BybitLoopbackServer) -> None:
    venue = make_venue(bybit_server)
    placed = venue.place(limit("rest-1", "BTCUSDT", Side.BUY, "0.02", "64990", tif=TimeInForce.GTC))
    assert placed.status is ChildStatus.SUBMITTED
    bybit_server.trade_through("BTCUSDT", "64990", "0.005")
    partly = venue.get("rest-1")
    assert partly is not None
    assert partly.status is ChildStatus.PARTIALLY_FILLED
    assert [(f.qty, f.liquidity) for f in partly.fills] == [(Decimal("0.005"), "maker")]
    assert [o.order_link_id for o in venue.open_orders()] == ["rest-1"]
    cancelled = venue.cancel("rest-1")
    assert cancelled is not None
    assert cancelled.status is ChildStatus.CANCELLED
    assert cancelled.filled_qty == Decimal("0.005")
    assert venue.open_orders() == []
    assert venue.get("never-sent") is None
    assert venue.cancel("never-sent") is None


def test_insufficient_balance_is_rejected_with_bybits_message(bybit_server: BybitLoopbackServer) -> None:
    bybit_server.venue.balances["USDT"] = Decimal("1")
    venue = make_venue(bybit_server)
    report = venue.place(limit("poor", "BTCUSDT", Side.BUY, "0.01", "64000"))
    assert report.status is ChildStatus.REJECTED
    assert "110007" in report.reject_reason
    assert "Insufficient available balance" in report.reject_reason
    assert len(bybit_server.requests_to(CREATE)) == 1
    assert bybit_server.venue.orders == []


def test_below_minimum_notional_on_bybit_is_rejected_with_bybits_message(
    bybit_server: BybitLoopbackServer,
) -> None:
    venue = make_venue(bybit_server)
    stale = {s: replace(i, min_notional=Decimal(0)) for s, i in venue.instruments.items()}
    venue = make_venue(bybit_server, instruments=stale)  # rules older than Bybit's: Bybit catches it
    report = venue.place(limit("under", "BTCUSDT", Side.BUY, "0.001", "1000"))
    assert report.status is ChildStatus.REJECTED
    assert "110094" in report.reject_reason
    assert "minimum order value" in report.reject_reason
    assert bybit_server.venue.orders == []


def test_placing_the_same_order_link_id_twice_returns_the_existing_order(
    bybit_server: BybitLoopbackServer,
) -> None:
    venue = make_venue(bybit_server)
    request = limit("twice", "ETHUSDT", Side.SELL, "0.5", "3500")
    first = venue.place(request)
    again = make_venue(bybit_server).place(request)  # e.g. a restarted worker retrying its proposal
    assert first.status is again.status is ChildStatus.SUBMITTED
    assert again.venue_order_id == first.venue_order_id
    assert [o.order_link_id for o in bybit_server.venue.orders] == ["twice"]
    assert [r.ret_code for r in bybit_server.requests_to(CREATE)] == [0, 110072]
