"""The dashboard websocket: refused without a login, and live events for those with a desk role."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from execdesk.asgi import application
from execdesk.desk.models import ParentOrder
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.proposals import proposal_override

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def _session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _headers(cookie: bytes | None) -> list[tuple[bytes, bytes]]:
    return [ORIGIN, (b"host", b"127.0.0.1:8000")] + ([(b"cookie", cookie)] if cookie else [])


async def _order(alice) -> ParentOrder:
    def make():
        parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600)
        parent_order_start(parent_id=parent.pk, user=alice)
        return parent

    return await sync_to_async(make)()


async def test_an_anonymous_connection_is_refused(alice):
    parent = await _order(alice)
    communicator = WebsocketCommunicator(application, f"/ws/orders/{parent.pk}/", headers=_headers(None))
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4403


async def test_a_user_without_a_desk_role_is_refused(django_user_model, alice):
    parent = await _order(alice)
    nobody = await sync_to_async(django_user_model.objects.create_user)("mallory", password="x-pw-123456!")
    cookie = await sync_to_async(_session_cookie)(nobody)
    communicator = WebsocketCommunicator(application, f"/ws/orders/{parent.pk}/", headers=_headers(cookie))
    connected, code = await communicator.connect()
    assert not connected and code == 4403


async def test_an_authorised_connection_receives_the_fill_event(alice, charlie):
    parent = await _order(alice)
    cookie = await sync_to_async(_session_cookie)(charlie)  # the auditor may watch, not act
    communicator = WebsocketCommunicator(application, f"/ws/orders/{parent.pk}/", headers=_headers(cookie))
    connected, _ = await communicator.connect()
    assert connected

    def fill_now():
        from execdesk.desk.models import ChildOrder
        from execdesk.desk.services.child_orders import child_order_submit
        from execdesk.desk.services.execution import execution_step

        proposal = parent.proposals.filter(status="pending").first() or execution_step(parent_id=parent.pk)
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="market", reason="now")
        child_order_submit(child_id=ChildOrder.objects.get(proposal=proposal).pk)

    from execdesk.celery import app

    app.conf.task_always_eager = False  # the test submits the child itself, in its own thread
    await sync_to_async(fill_now)()
    seen = []
    for _ in range(60):
        event = await communicator.receive_json_from(timeout=5)
        seen.append(event["type"])
        if event["type"] == "fill":
            break
    assert "fill" in seen, seen
    assert event["order_id"] == parent.pk
    assert event["data"]["qty"] and float(event["data"]["price"]) > 0 and event["data"]["liquidity"] == "taker"
    await communicator.send_json_to({"type": "subscribe", "order_id": 999})
    while True:
        reply = await communicator.receive_json_from(timeout=5)
        if reply["type"] == "error":
            break
    assert "unknown message" in reply["data"]["error"]
    await communicator.disconnect()
