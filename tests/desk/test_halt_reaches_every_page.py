"""The supervisor's HALT reaches every open page's socket: the overview's (which every page without an order
socket of its own opens too), a working order's, a waiting order's, a finished order's and an order's on
another market. (How fast is measured by bench/halt_latency.py, not here.)"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from execdesk.asgi import application
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.parent_orders import parent_order_cancel, parent_order_create, parent_order_start
from tests.desk.test_consumer import _headers, _session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _orders(alice) -> dict[str, int]:
    def order(symbol: str = "BTCUSDT", quantity: str = "0.5") -> int:
        return parent_order_create(user=alice, symbol=symbol, side="buy", quantity=quantity, horizon_seconds=600).pk

    working, waiting, finished, other_market = order(), order(), order(), order("ETHUSDT", "2")
    for pk in (working, finished, other_market):
        parent_order_start(parent_id=pk, user=alice)
    parent_order_cancel(parent_id=finished, user=alice, reason="client pulled it")
    return {"working": working, "waiting": waiting, "finished": finished, "other market": other_market}


async def _desk_event(communicator: WebsocketCommunicator) -> dict:
    while True:  # market and order events may come first
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == "desk":
            return event


async def test_every_open_page_hears_the_halt(alice, bob):
    orders = await sync_to_async(_orders)(alice)
    cookie = await sync_to_async(_session_cookie)(alice)
    paths = {"overview": "/ws/desk/", **{name: f"/ws/orders/{pk}/" for name, pk in orders.items()}}
    pages = {name: WebsocketCommunicator(application, path, headers=_headers(cookie)) for name, path in paths.items()}
    for communicator in pages.values():
        connected, _ = await communicator.connect()
        assert connected
    await sync_to_async(desk_trading_state_set)(user=bob, state="HALTED", reason="exchange incident")
    for name, communicator in pages.items():
        event = await _desk_event(communicator)
        assert event["data"]["trading_state"] == "HALTED", name
        assert (event["data"]["changed_by"], event["data"]["reason"]) == ("bob", "exchange incident"), name
        await communicator.disconnect()
