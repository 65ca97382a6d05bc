"""The loopback Bybit v5 server, driven by the real pybit HTTP client: envelopes, signing, order
life cycle, Bybit's rejection codes, and every injected fault as pybit experiences it."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError

from tests.loopback import fixtures
from tests.loopback.bybit_server import BybitLoopbackServer
from tests.loopback.fixtures import pybit_http

bybit_server = fixtures.bybit_server

LINEAR = {"category": "linear", "symbol": "BTCUSDT"}


def _code(exc_info: pytest.ExceptionInfo[InvalidRequestError]) -> int:
    return int(exc_info.value.status_code)


def test_instruments_info_gives_documented_filters_for_linear_and_spot(bybit_server):
    client = pybit_http(bybit_server)
    linear = client.get_instruments_info(category="linear", symbol="BTCUSDT")["result"]["list"][0]
    assert linear["priceFilter"]["tickSize"] == "0.1"
    assert linear["lotSizeFilter"]["qtyStep"] == "0.001"
    assert linear["lotSizeFilter"]["minOrderQty"] == "0.001"
    assert linear["lotSizeFilter"]["minNotionalValue"] == "5"
    eth = client.get_instruments_info(category="linear", symbol="ETHUSDT")["result"]["list"][0]
    assert (eth["priceFilter"]["tickSize"], eth["lotSizeFilter"]["qtyStep"]) == ("0.01", "0.01")
    spot = client.get_instruments_info(category="spot", symbol="BTCUSDT")["result"]["list"][0]
    assert {"basePrecision", "minOrderAmt", "minOrderQty"} <= set(spot["lotSizeFilter"])
    assert "qtyStep" not in spot["lotSizeFilter"]


def test_public_market_endpoints_parse(bybit_server):
    client = pybit_http(bybit_server)
    book = client.get_orderbook(limit=50, **LINEAR)["result"]
    assert len(book["b"]) == len(book["a"]) == 50
    assert Decimal(book["b"][0][0]) < Decimal("65000") < Decimal(book["a"][0][0])
    assert Decimal(book["b"][0][0]) > Decimal(book["b"][1][0])
    assert {"u", "seq", "ts"} <= set(book)
    trades = client.get_public_trade_history(limit=5, **LINEAR)["result"]["list"]
    assert len(trades) == 5 and trades[0]["price"] == "65000"
    ticker = client.get_tickers(**LINEAR)["result"]["list"][0]
    assert ticker["bid1Price"] == book["b"][0][0] and ticker["fundingRate"] == "0.0001"
    bars = client.get_kline(interval="1", limit=3, **LINEAR)["result"]["list"]
    assert len(bars) == 3 and all(len(bar) == 7 for bar in bars)
    assert int(bars[0][0]) - int(bars[1][0]) == 60_000  # newest first
    funding = client.get_funding_rate_history(limit=2, **LINEAR)["result"]["list"]
    assert int(funding[0]["fundingRateTimestamp"]) > int(funding[1]["fundingRateTimestamp"])
    oi = client.get_open_interest(intervalTime="5min", limit=2, **LINEAR)["result"]["list"]
    assert len(oi) == 2
    fees = client.get_fee_rates(**LINEAR)["result"]["list"][0]
    assert (fees["takerFeeRate"], fees["makerFeeRate"]) == ("0.00055", "0.0002")


def test_seed_book_moves_the_market(bybit_server):
    bybit_server.venue.seed_book("ETHUSDT", "3500", category="linear")
    book = pybit_http(bybit_server).get_orderbook(category="linear", symbol="ETHUSDT", limit=1)["result"]
    assert (book["b"][0][0], book["a"][0][0]) == ("3499.99", "3500.01")


def test_limit_order_create_realtime_cancel_round_trip(bybit_server):
    client = pybit_http(bybit_server)
    created = client.place_order(
        side="Buy", orderType="Limit", qty="0.010", price="64000.0", orderLinkId="rt-1", **LINEAR
    )
    assert created["retCode"] == 0 and created["result"]["orderLinkId"] == "rt-1"
    order = client.get_open_orders(orderLinkId="rt-1", **LINEAR)["result"]["list"][0]
    assert (order["orderStatus"], order["leavesQty"], order["orderId"]) == (
        "New",
        "0.01",
        created["result"]["orderId"],
    )
    cancelled = client.cancel_order(orderLinkId="rt-1", **LINEAR)["result"]
    assert cancelled["orderId"] == created["result"]["orderId"]
    assert client.get_open_orders(**LINEAR)["result"]["list"] == []
    order = client.get_open_orders(orderLinkId="rt-1", **LINEAR)["result"]["list"][0]
    assert (order["orderStatus"], order["cancelType"]) == ("Cancelled", "CancelByUser")
    with pytest.raises(InvalidRequestError) as exc:
        client.cancel_order(orderLinkId="rt-1", **LINEAR)
    assert _code(exc) == 110001
    assert all(r.signed for r in bybit_server.requests if r.path.startswith("/v5/order"))


def test_market_order_fills_against_the_book_and_records_executions(bybit_server):
    client = pybit_http(bybit_server)
    client.place_order(side="Buy", orderType="Market", qty="0.300", orderLinkId="mkt-1", **LINEAR)
    fills = client.get_executions(orderLinkId="mkt-1", **LINEAR)["result"]["list"]
    assert len(fills) >= 2  # walked more than one level
    assert sum(Decimal(f["execQty"]) for f in fills) == Decimal("0.3")
    assert all(not f["isMaker"] and f["feeCurrency"] == "USDT" and f["execId"] for f in fills)
    fill = fills[-1]
    assert Decimal(fill["execFee"]) == Decimal(fill["execValue"]) * Decimal("0.00055")
    order = client.get_open_orders(orderLinkId="mkt-1", **LINEAR)["result"]["list"][0]
    assert order["orderStatus"] == "Filled" and Decimal(order["cumExecQty"]) == Decimal("0.3")


def test_resting_limit_fills_as_maker_on_trade_through(bybit_server):
    client = pybit_http(bybit_server)
    client.place_order(
        side="Sell",
        orderType="Limit",
        qty="0.5",
        price="3410.00",
        orderLinkId="tt-1",
        category="spot",
        symbol="ETHUSDT",
    )
    assert bybit_server.trade_through("ETHUSDT", "3411", "0.2", category="spot")
    order = client.get_open_orders(orderLinkId="tt-1", category="spot")["result"]["list"][0]
    assert (order["orderStatus"], order["cumExecQty"]) == ("PartiallyFilled", "0.2")
    fill = client.get_executions(category="spot", symbol="ETHUSDT")["result"]["list"][0]
    assert fill["isMaker"] is True and fill["execPrice"] == "3410" and fill["feeCurrency"] == "USDT"


def test_crossing_post_only_is_accepted_then_cancelled_with_reject_reason(bybit_server):
    client = pybit_http(bybit_server)
    result = client.place_order(
        side="Buy",
        orderType="Limit",
        qty="0.01",
        price="65001.0",
        timeInForce="PostOnly",
        orderLinkId="po-1",
        **LINEAR,
    )
    assert result["retCode"] == 0
    order = client.get_open_orders(orderLinkId="po-1", **LINEAR)["result"]["list"][0]
    assert (order["orderStatus"], order["rejectReason"]) == ("Cancelled", "EC_PostOnlyWillTakeLiquidity")
    assert client.get_executions(orderLinkId="po-1", **LINEAR)["result"]["list"] == []


def test_spot_market_buy_measures_qty_in_quote_coin_by_default(bybit_server):
    client = pybit_http(bybit_server)
    client.place_order(
        category="spot", symbol="BTCUSDT", side="Buy", orderType="Market", qty="650", orderLinkId="spot-q"
    )
    fills = client.get_executions(category="spot", orderLinkId="spot-q")["result"]["list"]
    assert sum(Decimal(f["execValue"]) for f in fills) <= Decimal("650")
    assert Decimal("0.009") < sum(Decimal(f["execQty"]) for f in fills) < Decimal("0.0101")
    assert all(f["feeCurrency"] == "BTC" for f in fills)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"qty": "0.0105"}, 10001),  # off the qty step
        ({"price": "64000.05"}, 10001),  # off the tick
        ({"qty": "0.0001"}, 10001),  # off step and below minOrderQty
        ({"qty": "0.001", "price": "1000.0"}, 110094),  # 1 USDT < minNotionalValue 5
        ({"orderLinkId": "x" * 37}, 10001),
        ({"orderLinkId": "bad id!"}, 10001),
        ({"side": "buy"}, 10001),
    ],
)
def test_order_create_rejections_use_bybit_codes(bybit_server, changes, code):
    params = {
        "side": "Buy",
        "orderType": "Limit",
        "qty": "0.010",
        "price": "64000.0",
        "orderLinkId": "rej-1",
        **LINEAR,
        **changes,
    }
    with pytest.raises(InvalidRequestError) as exc:
        pybit_http(bybit_server).place_order(**params)
    assert _code(exc) == code
    assert bybit_server.venue.orders == []


def test_insufficient_balance_answers_110007(bybit_server):
    bybit_server.venue.balances["USDT"] = Decimal("50")
    with pytest.raises(InvalidRequestError) as exc:
        pybit_http(bybit_server).place_order(
            side="Buy", orderType="Limit", qty="0.010", price="64000.0", **LINEAR
        )
    assert _code(exc) == 110007


def test_duplicate_order_link_id_answers_110072_and_creates_nothing(bybit_server):
    client = pybit_http(bybit_server)
    client.place_order(
        side="Buy", orderType="Limit", qty="0.01", price="64000", orderLinkId="dup-1", **LINEAR
    )
    with pytest.raises(InvalidRequestError) as exc:
        client.place_order(
            side="Buy", orderType="Limit", qty="0.01", price="64000", orderLinkId="dup-1", **LINEAR
        )
    assert _code(exc) == 110072
    assert len(bybit_server.venue.orders) == 1


def test_bad_secret_answers_10004_and_unknown_key_10003(bybit_server):
    with pytest.raises(InvalidRequestError) as exc:
        pybit_http(bybit_server, api_secret="wrong").get_open_orders(**LINEAR)
    assert _code(exc) == 10004
    assert bybit_server.requests[-1].signed is False
    stranger = pybit_http(bybit_server)
    stranger.api_key = "nobody"
    with pytest.raises(InvalidRequestError) as exc:
        stranger.get_open_orders(**LINEAR)
    assert _code(exc) == 10003


def test_timestamp_outside_recv_window_answers_10002(bybit_server):
    bybit_server.venue.clock = lambda: time.time() + 10  # server clock 10 s ahead of pybit's
    with pytest.raises(InvalidRequestError) as exc:
        pybit_http(bybit_server, recv_window=5000).get_open_orders(**LINEAR)
    assert _code(exc) == 10002


def test_rate_limit_fault_sends_10006_with_reset_headers(bybit_server):
    bybit_server.inject("rate_limit", "/v5/order/create", reset_in_ms=1500)
    before = int(time.time() * 1000)
    with pytest.raises(InvalidRequestError) as exc:
        pybit_http(bybit_server).place_order(side="Buy", orderType="Market", qty="0.01", **LINEAR)
    assert _code(exc) == 10006
    headers = exc.value.resp_headers
    assert headers["X-Bapi-Limit-Status"] == "0" and headers["X-Bapi-Limit"] == "10"
    assert int(headers["X-Bapi-Limit-Reset-Timestamp"]) >= before + 1500
    assert bybit_server.venue.orders == []


def test_pybit_default_retry_waits_for_the_rate_limit_reset_then_succeeds(bybit_server):
    bybit_server.inject("rate_limit", "/v5/order/create", reset_in_ms=300)
    client = pybit_http(bybit_server, retry_codes=set(), max_retries=2)  # set() restores pybit's defaults
    started = time.monotonic()
    client.place_order(side="Buy", orderType="Market", qty="0.01", orderLinkId="rl-1", **LINEAR)
    assert time.monotonic() - started >= 0.25
    assert [r.ret_code for r in bybit_server.requests_to("/v5/order/create")] == [10006, 0]


def test_server_error_fault_can_hide_an_accepted_order(bybit_server):
    bybit_server.inject("server_error", "/v5/order/create", applied=True)
    client = pybit_http(bybit_server)
    with pytest.raises(InvalidRequestError) as exc:
        client.place_order(
            side="Buy", orderType="Limit", qty="0.01", price="64000", orderLinkId="amb-1", **LINEAR
        )
    assert _code(exc) == 10016
    assert client.get_open_orders(orderLinkId="amb-1", **LINEAR)["result"]["list"][0]["orderStatus"] == "New"


def test_http_500_fault_raises_failed_request(bybit_server):
    bybit_server.inject("http_500", "/v5/market/tickers")
    with pytest.raises(FailedRequestError) as exc:
        pybit_http(bybit_server).get_tickers(**LINEAR)
    assert exc.value.status_code == 500
    assert pybit_http(bybit_server).get_tickers(**LINEAR)["retCode"] == 0  # one-shot


def test_slow_fault_times_pybit_out_yet_the_order_exists(bybit_server):
    bybit_server.inject("slow", "/v5/order/create", seconds=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        pybit_http(bybit_server, timeout=0.1).place_order(
            side="Buy", orderType="Limit", qty="0.01", price="64000", orderLinkId="slow-1", **LINEAR
        )
    assert bybit_server.venue.order("slow-1") is not None


def test_lost_response_drops_the_connection_after_creating_the_order(bybit_server):
    bybit_server.inject("lost_response", "/v5/order/create")
    client = pybit_http(bybit_server)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.place_order(
            side="Sell", orderType="Limit", qty="0.01", price="66000", orderLinkId="lost-1", **LINEAR
        )
    found = client.get_open_orders(orderLinkId="lost-1", **LINEAR)["result"]["list"]
    assert [o["orderLinkId"] for o in found] == ["lost-1"]
    assert bybit_server.requests_to("/v5/order/create")[0].fault == "lost_response"


def test_faults_only_hit_their_path_and_are_consumed_once(bybit_server):
    bybit_server.inject("server_error", "/v5/order/cancel")
    client = pybit_http(bybit_server)
    assert client.get_tickers(**LINEAR)["retCode"] == 0
    assert len(bybit_server.pending_faults()) == 1


def test_each_server_has_its_own_state():
    with BybitLoopbackServer() as one, BybitLoopbackServer() as two:
        pybit_http(one).place_order(
            side="Buy", orderType="Limit", qty="0.01", price="64000", orderLinkId="s-1", **LINEAR
        )
        assert one.url != two.url
        assert pybit_http(two).get_open_orders(**LINEAR)["result"]["list"] == []
