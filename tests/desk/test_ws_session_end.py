"""A dashboard websocket ends with its login: logout, deactivation, losing the desk role or a session that
is gone all close it (4401) after an error message; other users' sockets stay open. A binary, oversized or
deeply nested frame gets an error reply and the socket stays open."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from execdesk.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
ENDED = 4401


async def _socket(user) -> tuple[WebsocketCommunicator, Client]:
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(application, "/ws/desk/", headers=HEADERS + [(b"cookie", cookie)])
    connected, _ = await communicator.connect()
    assert connected
    return communicator, client


async def _assert_closed_after_error(communicator: WebsocketCommunicator) -> None:
    message = await communicator.receive_json_from(timeout=10)
    while message.get("type") != "error":  # desk events may arrive before the notice
        message = await communicator.receive_json_from(timeout=10)
    assert "login ended" in message["data"]["error"]
    closed = await communicator.receive_output(timeout=10)
    assert closed == {"type": "websocket.close", "code": ENDED}
    await communicator.disconnect()  # let the consumer finish on this test's event loop


async def _assert_open(communicator: WebsocketCommunicator) -> None:
    await communicator.send_json_to({"type": "ping"})
    reply = await communicator.receive_json_from(timeout=5)
    while reply.get("type") != "pong":
        reply = await communicator.receive_json_from(timeout=5)


async def test_logging_out_closes_the_socket_of_that_session_only(alice, bob):
    mine, client = await _socket(alice)
    other_session, _ = await _socket(alice)
    bobs, _ = await _socket(bob)
    await sync_to_async(client.post)("/accounts/logout/")
    await _assert_closed_after_error(mine)
    await _assert_open(other_session)
    await _assert_open(bobs)
    await other_session.disconnect()
    await bobs.disconnect()


async def test_deactivating_the_user_closes_the_socket(alice):
    communicator, _ = await _socket(alice)
    alice.is_active = False
    await sync_to_async(alice.save)()
    await _assert_closed_after_error(communicator)


async def test_removing_the_desk_role_closes_the_socket(alice):
    communicator, _ = await _socket(alice)
    await sync_to_async(alice.groups.clear)()
    await _assert_closed_after_error(communicator)


async def test_a_session_that_is_gone_closes_the_socket_at_the_next_check(alice, settings):
    settings.EXECDESK = {**settings.EXECDESK, "WS_RECHECK_SECONDS": 0.2}
    communicator, _ = await _socket(alice)
    # a bulk delete sends no signal: what expired or was cleared is found by the periodic re-check
    await sync_to_async(lambda: Session.objects.all().delete())()
    await _assert_closed_after_error(communicator)


@pytest.mark.parametrize("frame", [
    {"bytes_data": b"\x00\x01binary"},
    {"text_data": "[" * 100_000 + "]" * 100_000},
    {"text_data": '{"a":' * 5000 + "1" + "}" * 5000},  # valid JSON, nested past Python's recursion limit
    {"text_data": '{"type": "ping", "pad": "' + "x" * 10_000 + '"}'},  # valid but far larger than a ping
], ids=["binary", "nested-array", "nested-object", "oversized"])
async def test_a_bad_frame_gets_an_error_and_the_socket_stays_open(alice, frame):
    communicator, _ = await _socket(alice)
    await communicator.send_to(**frame)
    reply = await communicator.receive_json_from(timeout=5)
    while reply.get("type") != "error":
        reply = await communicator.receive_json_from(timeout=5)
    assert reply["data"]["error"]
    await _assert_open(communicator)
    await communicator.disconnect()
