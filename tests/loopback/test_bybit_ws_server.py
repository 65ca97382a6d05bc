"""The loopback Bybit v5 WebSocket server, driven by a plain WebSocket client: acknowledgements, ping/pong,
the auth signature check, the reply delay, book snapshot + deltas that rebuild the venue's book, trades,
tickers, private order/execution pushes, and the fault controls."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.loopback import fixtures
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.bybit_ws import PRIVATE_PATH, BybitWsLoopbackServer, wait_until

bybit_server = fixtures.bybit_server
bybit_ws_server = fixtures.bybit_ws_server

LINEAR = "/v5/public/linear"
BOOK = "orderbook.50.BTCUSDT"


@pytest.fixture
def open_ws(bybit_ws_server: BybitWsLoopbackServer) -> Iterator:
    with ExitStack() as stack:
        yield lambda path: stack.enter_context(connect(bybit_ws_server.url + path, open_timeout=2))


def send(ws: ClientConnection, message: dict) -> None:
    ws.send(json.dumps(message))


def recv(ws: ClientConnection, timeout: float = 2.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def recv_topic(ws: ClientConnection, topic: str, timeout: float = 2.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = recv(ws, max(0.01, deadline - time.monotonic()))
        if message.get("topic") == topic:
            return message


def no_message(ws: ClientConnection, within: float = 0.15) -> bool:
    try:
        ws.recv(timeout=within)
    except TimeoutError:
        return True
    return False


def signature(secret: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest()


def auth(ws: ClientConnection, key: str, secret: str, expires: int | None = None) -> dict:
    expires = expires if expires is not None else int(time.time() * 1000) + 5000
    send(ws, {"op": "auth", "args": [key, expires, signature(secret, expires)], "req_id": "a1"})
    return recv(ws)


def apply(book: dict[str, dict[Decimal, Decimal]], data: dict) -> None:
    for side in ("b", "a"):
        for price, size in data[side]:
            if Decimal(size) == 0:
                del book[side][Decimal(price)]
            else:
                book[side][Decimal(price)] = Decimal(size)


def test_subscribe_is_acknowledged_after_the_network_delay_then_a_book_snapshot_follows(open_ws):
    ws = open_ws(LINEAR)
    sent = time.monotonic()
    send(ws, {"op": "subscribe", "args": [BOOK], "req_id": "r-1"})
    ack = recv(ws)
    assert time.monotonic() - sent >= 0.018  # every reply waits ~20 ms, as over a real network
    assert ack["success"] is True and ack["ret_msg"] == "" and ack["op"] == "subscribe"
    assert ack["req_id"] == "r-1" and ack["conn_id"]
    snapshot = recv(ws)
    assert snapshot["topic"] == BOOK and snapshot["type"] == "snapshot"
    assert {"ts", "cts"} <= set(snapshot) and {"s", "b", "a", "u", "seq"} == set(snapshot["data"])
    assert len(snapshot["data"]["b"]) == len(snapshot["data"]["a"]) == 50


def test_an_unknown_topic_or_symbol_fails_the_subscription_naming_it(open_ws, bybit_ws_server):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": ["orderbook.50.DOGEUSDT"], "req_id": "r-2"})
    refused = recv(ws)
    assert refused["success"] is False and "DOGEUSDT" in refused["ret_msg"] and refused["req_id"] == "r-2"
    send(ws, {"op": "subscribe", "args": ["klines.BTCUSDT"]})
    assert "handler not found" in recv(ws)["ret_msg"]
    assert bybit_ws_server.connections[0].subscriptions == []


def test_ping_is_answered_with_bybits_pong_on_public_and_private_paths(open_ws):
    public = open_ws(LINEAR)
    send(public, {"op": "ping", "req_id": "p-1"})
    pong = recv(public)
    assert (pong["success"], pong["ret_msg"], pong["op"], pong["req_id"]) == (True, "pong", "ping", "p-1")
    private = open_ws(PRIVATE_PATH)
    send(private, {"op": "ping"})
    pong = recv(private)
    assert pong["op"] == "pong" and pong["args"][0].isdigit() and pong["conn_id"]


def test_auth_checks_the_signature_the_key_and_the_expiry(
    open_ws, bybit_server: BybitLoopbackServer, bybit_ws_server
):
    key, secret = bybit_server.api_key, bybit_server.api_secret
    wrong = auth(open_ws(PRIVATE_PATH), key, "not-the-secret")
    assert wrong["success"] is False and wrong["op"] == "auth" and "sign" in wrong["ret_msg"]
    expired = auth(open_ws(PRIVATE_PATH), key, secret, expires=int(time.time() * 1000) - 1000)
    assert expired["success"] is False and "expired" in expired["ret_msg"]
    unknown = auth(open_ws(PRIVATE_PATH), "nobody", secret)
    assert unknown["success"] is False and "apikey" in unknown["ret_msg"]
    good = auth(open_ws(PRIVATE_PATH), key, secret)
    assert good == {"success": True, "ret_msg": "", "conn_id": good["conn_id"], "op": "auth", "req_id": "a1"}
    assert [c.authenticated for c in bybit_ws_server.connections] == [False, False, False, True]
    assert bybit_ws_server.connections[0].auth_failures == [wrong["ret_msg"]]


def test_private_topics_need_auth_first(open_ws):
    ws = open_ws(PRIVATE_PATH)
    send(ws, {"op": "subscribe", "args": ["order"], "req_id": "s-1"})
    refused = recv(ws)
    assert refused["success"] is False and refused["ret_msg"] == "Request not authorized"


def test_book_deltas_applied_to_the_snapshot_rebuild_the_venues_book(open_ws, bybit_server):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": [BOOK]})
    recv(ws)
    snapshot = recv(ws)
    book = {side: {Decimal(p): Decimal(q) for p, q in snapshot["data"][side]} for side in ("b", "a")}
    u = snapshot["data"]["u"]
    # a market buy through REST takes the first ask levels: they are deleted (size "0") and deeper ones enter
    bybit_server.venue.create_order(
        {
            "category": "linear",
            "symbol": "BTCUSDT",
            "side": "Buy",
            "orderType": "Market",
            "qty": "0.5",
            "orderLinkId": "ws-take",
        }
    )
    delta = recv_topic(ws, BOOK)
    assert delta["type"] == "delta" and delta["data"]["u"] == u + 1
    assert ["65000.1", "0"] in delta["data"]["a"]
    apply(book, delta["data"])
    venue_book = bybit_server.venue.books[("linear", "BTCUSDT")]
    assert sorted(book["a"].items())[:50] == venue_book.levels("a", 50)
    assert sorted(book["b"].items(), reverse=True)[:50] == venue_book.levels("b", 50)


def test_a_trade_is_pushed_as_public_trade_and_the_linear_ticker_sends_only_what_changed(
    open_ws, bybit_server
):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": ["publicTrade.BTCUSDT", "tickers.BTCUSDT"]})
    recv(ws)
    ticker = recv_topic(ws, "tickers.BTCUSDT")
    assert ticker["type"] == "snapshot"
    assert {
        "fundingRate",
        "openInterest",
        "markPrice",
        "lastPrice",
        "bid1Price",
        "ask1Price",
        "volume24h",
    } <= set(ticker["data"])
    bybit_server.trade_through("BTCUSDT", "65000.5", "0.25")
    trade = recv_topic(ws, "publicTrade.BTCUSDT")
    [row] = trade["data"]
    assert (row["s"], row["S"], row["v"], row["p"], row["BT"]) == (
        "BTCUSDT",
        "Sell",
        "0.25",
        "65000.5",
        False,
    )
    assert isinstance(row["T"], int) and row["i"] and row["L"] in ("PlusTick", "MinusTick", "ZeroPlusTick")
    delta = recv_topic(ws, "tickers.BTCUSDT")
    assert delta["type"] == "delta" and delta["data"]["lastPrice"] == "65000.5"
    assert "fundingRate" not in delta["data"]  # unchanged fields are not repeated
    bybit_server.venue.set_open_interest("51000")
    oi = recv_topic(ws, "tickers.BTCUSDT")
    assert oi["data"] == {
        "symbol": "BTCUSDT",
        "openInterest": "51000",
        "openInterestValue": oi["data"]["openInterestValue"],
    }


def test_spot_tickers_are_snapshots_only(open_ws, bybit_server):
    ws = open_ws("/v5/public/spot")
    send(ws, {"op": "subscribe", "args": ["tickers.BTCUSDT"]})
    recv(ws)
    assert recv_topic(ws, "tickers.BTCUSDT")["type"] == "snapshot"
    bybit_server.trade_through("BTCUSDT", "65001", "0.01", category="spot")
    pushed = recv_topic(ws, "tickers.BTCUSDT")
    assert pushed["type"] == "snapshot" and pushed["data"]["lastPrice"] == "65001"
    assert "fundingRate" not in pushed["data"]


def test_orders_and_executions_reach_authenticated_subscribers(open_ws, bybit_server):
    ws = open_ws(PRIVATE_PATH)
    assert auth(ws, bybit_server.api_key, bybit_server.api_secret)["success"] is True
    send(ws, {"op": "subscribe", "args": ["order", "execution"], "req_id": "s-2"})
    assert recv(ws)["success"] is True
    bybit_server.venue.create_order(
        {
            "category": "linear",
            "symbol": "BTCUSDT",
            "side": "Buy",
            "orderType": "Market",
            "qty": "0.1",
            "orderLinkId": "ws-fill",
        }
    )
    execution = recv_topic(ws, "execution")
    [row] = execution["data"]
    assert {"id", "creationTime"} <= set(execution)
    assert (row["category"], row["orderLinkId"], row["execType"], row["isMaker"]) == (
        "linear",
        "ws-fill",
        "Trade",
        False,
    )
    assert {"execId", "orderId", "symbol", "side", "execQty", "execPrice", "execFee", "execTime"} <= set(row)
    assert "feeCurrency" not in row  # Bybit's execution stream has none; /v5/execution/list does
    order = recv_topic(ws, "order")["data"][0]
    assert (order["orderLinkId"], order["orderStatus"], order["category"]) == ("ws-fill", "Filled", "linear")


def test_skip_update_id_makes_the_next_delta_jump(open_ws, bybit_ws_server):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": [BOOK]})
    recv(ws)
    u = recv(ws)["data"]["u"]
    bybit_ws_server.skip_update_id("BTCUSDT")
    assert recv_topic(ws, BOOK)["data"]["u"] == u + 2


def test_silence_stops_pushes_but_keeps_the_socket_and_resume_sends_a_snapshot(
    open_ws, bybit_server, bybit_ws_server
):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": [BOOK, "publicTrade.BTCUSDT"]})
    recv(ws)
    recv(ws)
    bybit_ws_server.silence("BTCUSDT")
    bybit_server.trade_through("BTCUSDT", "65000", "0.1")
    bybit_server.venue.set_book("BTCUSDT", [("64990", "1")], [("65010", "1")])
    assert no_message(ws)
    send(ws, {"op": "ping"})
    assert recv(ws)["ret_msg"] == "pong"
    bybit_ws_server.resume("BTCUSDT")
    snapshot = recv_topic(ws, BOOK)
    assert snapshot["type"] == "snapshot" and snapshot["data"]["b"] == [["64990", "1"]]


def test_push_raw_and_drop_all(open_ws, bybit_ws_server):
    ws = open_ws(LINEAR)
    assert bybit_ws_server.push_raw("this is not json") == 1
    assert ws.recv(timeout=2) == "this is not json"
    assert bybit_ws_server.drop_all() == 1
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=2)
    wait_until(lambda: not bybit_ws_server.open_connections(), what="the connection to be closed")


def test_connections_record_what_was_subscribed(open_ws, bybit_ws_server):
    ws = open_ws(LINEAR)
    send(ws, {"op": "subscribe", "args": [BOOK, "tickers.BTCUSDT"], "req_id": "x"})
    recv(ws)
    send(ws, {"op": "unsubscribe", "args": ["tickers.BTCUSDT"], "req_id": "x"})
    wait_until(lambda: bybit_ws_server.connections[0].subscriptions == [BOOK], what="the unsubscribe")
    record = bybit_ws_server.connections[0]
    assert record.ever_subscribed == [BOOK, "tickers.BTCUSDT"] and record.path == LINEAR
    assert [r["op"] for r in record.requests] == ["subscribe", "unsubscribe"]
    assert bybit_ws_server.subscribers(BOOK) == [record]


def test_an_unknown_path_is_refused(bybit_ws_server):
    with (
        connect(bybit_ws_server.url + "/v5/public/option", open_timeout=2) as ws,
        pytest.raises(ConnectionClosed),
    ):
        ws.recv(timeout=2)
