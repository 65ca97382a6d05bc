"""A user's group change closes their open websockets even when they keep a desk role (trader → auditor):
the socket was admitted under the old role, so it closes (4409) with a notice and the page reconnects under
the new one. Other users' sockets stay open."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group

from tests.desk.test_ws_session_end import _assert_open, _socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ROLE_CHANGED = 4409


def _make_auditor(user) -> None:
    user.groups.set([Group.objects.get(name="auditor")])


async def test_a_trader_made_auditor_has_the_socket_closed_to_reconnect_under_the_new_role(alice, bob):
    communicator, _ = await _socket(alice)
    others, _ = await _socket(bob)
    await sync_to_async(_make_auditor)(alice)
    message = await communicator.receive_json_from(timeout=10)
    while message.get("type") != "error":  # desk events may arrive before the notice
        message = await communicator.receive_json_from(timeout=10)
    assert "role changed" in message["data"]["error"]
    assert await communicator.receive_output(timeout=10) == {"type": "websocket.close", "code": ROLE_CHANGED}
    await communicator.disconnect()
    await _assert_open(others)
    await others.disconnect()
