"""A change of the desk's trading state reaches the pages already open: each open order's socket gets it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from execdesk.asgi import application
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from tests.desk.test_consumer import _headers, _session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_an_open_order_page_hears_the_halt(alice, bob):
    def make():
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600)
        parent_order_start(parent_id=parent.pk, user=alice)
        return parent

    parent = await sync_to_async(make)()
    cookie = await sync_to_async(_session_cookie)(alice)
    communicator = WebsocketCommunicator(application, f"/ws/orders/{parent.pk}/", headers=_headers(cookie))
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(desk_trading_state_set)(user=bob, state="HALTED", reason="exchange incident")
    for _ in range(60):
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == "desk":
            break
    assert event["type"] == "desk", event
    assert event["data"]["trading_state"] == "HALTED" and event["data"]["reason"] == "exchange incident"
    assert event["data"]["changed_by"] == "bob"
    await communicator.disconnect()
