"""BybitPrivateStream through the real pybit WebSocket client against the loopback Bybit v5 servers: the auth
signature, fills and order states of orders placed through REST, category filtering, reconnects, and
rows or consumers that fail without stopping the stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.parse import BybitPayloadError
from execdesk.bybit.rest import http_client
from execdesk.domain.orders import ChildStatus, FillReport, OrderRequest, OrderType, Side
from execdesk.market.bybit import BybitMarketData
from execdesk.venues.bybit import BybitVenue
from execdesk.venues.bybit_stream import (
    BybitAuthError,
    BybitPrivateStream,
    OrderUpdate,
    fill_from_execution,
    order_update_from_row,
)
from tests.loopback import fixtures
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.bybit_ws import PRIVATE_PATH, BybitWsLoopbackServer, wait_until
from tests.loopback.fixtures import loopback_config

bybit_server = fixtures.bybit_server
bybit_ws_server = fixtures.bybit_ws_server


@dataclass
class Heard:
    fills: list[FillReport] = field(default_factory=list)
    orders: list[OrderUpdate] = field(default_factory=list)
    changes: list[bool] = field(default_factory=list)

    def order(self, link: str) -> list[OrderUpdate]:
        return [o for o in self.orders if o.order_link_id == link]

    def fills_of(self, link: str) -> list[FillReport]:
        return [f for f in self.fills if f.order_link_id == link]


StreamMaker = Callable[..., tuple[BybitPrivateStream, Heard]]


@pytest.fixture
def make_stream(
    bybit_server: BybitLoopbackServer, bybit_ws_server: BybitWsLoopbackServer
) -> Iterator[StreamMaker]:
    streams: list[BybitPrivateStream] = []

    def make(
        *, api_secret: str | None = None, start: bool = True, **options: object
    ) -> tuple[BybitPrivateStream, Heard]:
        heard = Heard()
        settings: dict[str, object] = {
            "on_fill": heard.fills.append,
            "on_order": heard.orders.append,
            "on_connection_change": heard.changes.append,
            "watchdog_interval_s": 0.02,
            "reconnect_backoff_s": 0.05,
            "ping_interval_s": 1.0,
        }
        settings.update(options)
        stream = BybitPrivateStream(
            loopback_config(bybit_server, bybit_ws_server, api_secret=api_secret), **settings
        )  # type: ignore[arg-type]
        streams.append(stream)
        if start:
            assert stream.start(timeout_s=3), stream.last_error
        return stream, heard

    yield make
    for stream in streams:
        stream.stop()


def rest_venue(server: BybitLoopbackServer, category: str = "linear") -> BybitVenue:
    config = BybitConfig.from_env(
        {
            "EXECDESK_BYBIT_REST_URL": server.url,
            "EXECDESK_BYBIT_API_KEY": server.api_key,
            "EXECDESK_BYBIT_API_SECRET": server.api_secret,
        }
    )
    http = http_client(config, timeout_s=2.0)
    market = BybitMarketData(http, category=category)
    return BybitVenue(
        http, category=category, instruments={"BTCUSDT": market.instrument("BTCUSDT")}, sleep=lambda s: None
    )


def market(link: str, qty: str, side: Side = Side.BUY) -> OrderRequest:
    return OrderRequest(link, "BTCUSDT", side, OrderType.MARKET, Decimal(qty))


def test_the_right_secret_authenticates_and_subscribes_orders_and_executions(
    make_stream, bybit_server, bybit_ws_server
):
    stream, heard = make_stream()
    assert stream.connected and stream.connections == 1 and stream.auth_error == ""
    [record] = bybit_ws_server.open_connections(PRIVATE_PATH)
    assert record.authenticated and record.subscriptions == ["order", "execution"]
    key, expires, signature = next(r for r in record.requests if r["op"] == "auth")["args"]
    assert key == bybit_server.api_key and int(expires) > 0 and len(signature) == 64
    assert stream.last_message_ts is not None
    wait_until(lambda: heard.changes == [True], what="the connection to be reported")


def test_a_wrong_secret_is_refused_with_bybits_reason_and_not_retried(make_stream, bybit_ws_server):
    stream, heard = make_stream(api_secret="not-the-secret", start=False)
    with pytest.raises(BybitAuthError, match="refused the private stream's credentials.*Error sign"):
        stream.start(timeout_s=3)
    assert not stream.connected and "Error sign" in stream.auth_error
    assert [c.auth_failures for c in bybit_ws_server.connections] == [[stream.auth_error]]
    assert not heard.fills and stream.connections <= 1


def test_credentials_are_required():
    with pytest.raises(BybitAuthError, match="EXECDESK_BYBIT_API_KEY and EXECDESK_BYBIT_API_SECRET"):
        BybitPrivateStream(BybitConfig.from_env({}), on_fill=lambda fill: None)


def test_a_market_order_placed_through_rest_streams_its_fills_and_order_state(make_stream, bybit_server):
    stream, heard = make_stream()
    report = rest_venue(bybit_server).place(market("ps-market-1", "0.5"))
    assert report.status is ChildStatus.FILLED and len(report.fills) == 3
    wait_until(lambda: len(heard.fills_of("ps-market-1")) == 3, what="three streamed fills")
    streamed = {f.exec_id: f for f in heard.fills_of("ps-market-1")}
    for rest in report.fills:  # the REST execution list and the stream agree, fee and liquidity included
        fill = streamed[rest.exec_id]
        assert (fill.qty, fill.price, fill.fee, fill.liquidity, fill.ts) == (
            rest.qty,
            rest.price,
            rest.fee,
            "taker",
            rest.ts,
        )
        assert fill.fee_currency == "" and rest.fee_currency == "USDT"  # the stream carries no feeCurrency
    update = wait_until(lambda: heard.order("ps-market-1"), what="the order update")[-1]
    assert (update.status, update.bybit_status, update.filled_qty) == (
        ChildStatus.FILLED,
        "Filled",
        Decimal("0.5"),
    )
    assert update.venue_order_id == report.venue_order_id and update.category == "linear"
    assert update.avg_price == pytest.approx(report.avg_price) and update.cum_fee == sum(
        f.fee for f in report.fills
    )


def test_a_resting_order_filled_by_the_market_streams_maker_fills_and_partial_states(
    make_stream, bybit_server
):
    stream, heard = make_stream()
    request = OrderRequest(
        "ps-rest-1", "BTCUSDT", Side.BUY, OrderType.LIMIT, Decimal("0.2"), Decimal("64990.0")
    )
    assert rest_venue(bybit_server).place(request).status is ChildStatus.SUBMITTED
    wait_until(lambda: heard.order("ps-rest-1"), what="the new order")
    assert heard.order("ps-rest-1")[0].status is ChildStatus.SUBMITTED
    bybit_server.trade_through("BTCUSDT", "64990", "0.05")
    wait_until(lambda: heard.fills_of("ps-rest-1"), what="a maker fill")
    [first] = heard.fills_of("ps-rest-1")
    assert (first.qty, first.price, first.liquidity) == (Decimal("0.05"), Decimal("64990.0"), "maker")
    assert first.fee == Decimal("0.05") * Decimal("64990.0") * Decimal("0.0002")
    bybit_server.trade_through("BTCUSDT", "64980", "1")
    wait_until(
        lambda: heard.order("ps-rest-1")[-1].status is ChildStatus.FILLED, what="the fill to complete it"
    )
    assert [o.status for o in heard.order("ps-rest-1")] == [
        ChildStatus.SUBMITTED,
        ChildStatus.PARTIALLY_FILLED,
        ChildStatus.FILLED,
    ]
    assert sum(f.qty for f in heard.fills_of("ps-rest-1")) == Decimal("0.2")


def test_only_the_streams_categories_are_reported(make_stream, bybit_server):
    stream, heard = make_stream(categories=("linear",))
    rest_venue(bybit_server, "spot").place(market("ps-spot-1", "0.001"))
    rest_venue(bybit_server).place(market("ps-linear-1", "0.01"))
    wait_until(lambda: heard.fills_of("ps-linear-1"), what="the linear fill")
    assert not heard.fills_of("ps-spot-1") and not heard.order("ps-spot-1")


def test_a_dropped_stream_reconnects_reauthenticates_and_reports_the_gap(
    make_stream, bybit_server, bybit_ws_server
):
    stream, heard = make_stream()
    wait_until(lambda: heard.changes == [True], what="the connection to be reported")
    assert bybit_ws_server.drop_all() == 1
    wait_until(lambda: heard.changes == [True, False, True], what="down then up again")
    assert stream.connected and stream.connections == 2
    assert [c.authenticated for c in bybit_ws_server.connections] == [True, True]
    rest_venue(bybit_server).place(market("ps-after-drop", "0.01"))
    wait_until(lambda: heard.fills_of("ps-after-drop"), what="a fill on the new connection")


def test_a_failing_consumer_or_a_bad_row_does_not_stop_the_stream(make_stream, bybit_server, bybit_ws_server):
    delivered: list[FillReport] = []

    def flaky(fill: FillReport) -> None:
        delivered.append(fill)
        if len(delivered) == 1:
            raise RuntimeError("consumer bug")

    stream, _ = make_stream(on_fill=flaky)
    bybit_ws_server.push_raw(
        {
            "topic": "execution",
            "id": "x",
            "creationTime": 1,
            "data": [
                {
                    "category": "linear",
                    "execType": "Trade",
                    "execId": "bad-1",
                    "execQty": "lots",
                    "execPrice": "1",
                    "isMaker": False,
                    "execTime": "1",
                }
            ],
        },
        path=PRIVATE_PATH,
    )
    bybit_ws_server.push_raw({"topic": "order", "data": "not a list"}, path=PRIVATE_PATH)
    wait_until(lambda: stream.errors >= 2, what="the bad rows to be counted")
    assert "execQty" in stream.last_error or "data is not a list" in stream.last_error
    rest_venue(bybit_server).place(market("ps-flaky-1", "0.01"))
    rest_venue(bybit_server).place(market("ps-flaky-2", "0.01"))
    wait_until(
        lambda: [f.order_link_id for f in delivered] == ["ps-flaky-1", "ps-flaky-2"], what="both fills"
    )
    assert stream.connected and stream.connections == 1 and stream.errors >= 3


def test_a_repeated_exec_id_is_delivered_once(make_stream, bybit_ws_server):
    stream, heard = make_stream()
    row = {
        "category": "linear",
        "symbol": "BTCUSDT",
        "execType": "Trade",
        "execId": "dup-1",
        "orderLinkId": "d",
        "execQty": "0.1",
        "execPrice": "65000",
        "execFee": "1",
        "isMaker": True,
        "execTime": "1700000000000",
    }
    for _ in range(2):
        bybit_ws_server.push_raw(
            {"topic": "execution", "id": "x", "creationTime": 1, "data": [row]}, path=PRIVATE_PATH
        )
    wait_until(lambda: heard.fills, what="the fill")
    wait_until(lambda: bybit_ws_server.open_connections(PRIVATE_PATH)[0].sent >= 5, what="both pushes sent")
    assert [f.exec_id for f in heard.fills] == ["dup-1"] and heard.fills[0].ts == 1_700_000_000.0


def test_row_parsing_names_the_bad_field():
    base = {
        "execType": "Trade",
        "execId": "e1",
        "orderLinkId": "l1",
        "execQty": "0.1",
        "execPrice": "100",
        "execFee": "-0.001",
        "isMaker": "true",
        "execTime": "1700000000000",
        "feeCurrency": "USDT",
    }
    fill = fill_from_execution(base)
    assert fill is not None and fill.fee == Decimal("-0.001") and fill.liquidity == "maker"
    assert fill.fee_currency == "USDT"  # taken when Bybit sends it
    assert fill_from_execution({**base, "execType": "Funding"}) is None
    with pytest.raises(BybitPayloadError, match="execution e1.execPrice='0' must be positive"):
        fill_from_execution({**base, "execPrice": "0"})
    with pytest.raises(BybitPayloadError, match="isMaker='maybe'"):
        fill_from_execution({**base, "isMaker": "maybe"})
    with pytest.raises(BybitPayloadError, match="execTime"):
        fill_from_execution({**base, "execTime": ""})
    order = {
        "orderId": "o1",
        "orderLinkId": "l1",
        "symbol": "BTCUSDT",
        "category": "linear",
        "orderStatus": "Cancelled",
        "cumExecQty": "0",
        "avgPrice": "",
        "cumExecFee": "0",
        "rejectReason": "EC_PostOnlyWillTakeLiquidity",
        "updatedTime": "1700000000000",
    }
    update = order_update_from_row(order)
    assert update.status is ChildStatus.CANCELLED and update.reject_reason == "EC_PostOnlyWillTakeLiquidity"
    assert update.avg_price is None
    with pytest.raises(BybitPayloadError, match="order l1.orderStatus='Exploded'"):
        order_update_from_row({**order, "orderStatus": "Exploded"})
