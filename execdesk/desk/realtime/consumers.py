"""The dashboard's one websocket: authenticated, joined to an order's and a market's groups, and closed
within seconds once its login ends (logout, session expiry, deactivation, role removed)."""

from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.utils.module_loading import import_string

from execdesk.desk.access.roles import can_view
from execdesk.desk.models import ParentOrder
from execdesk.desk.realtime.push import DESK_GROUP, market_group, order_group

log = logging.getLogger(__name__)

DENIED = 4403
NOT_FOUND = 4404
ROLE_CHANGED = 4409  # the user's groups changed: the page reconnects, and the new socket runs under the new role
SESSION_ENDED = 4401
MAX_FRAME = 4096  # the client only ever sends {"type": "ping"}


def user_group(user_id: int) -> str:
    """Every socket of one user: told to re-check its login when the user logs out or changes."""
    return f"user.{user_id}"


def session_user_allowed(session_key: str | None, user_id: int) -> bool:
    """Whether the socket's login still holds: the session exists (not logged out, not expired), still
    belongs to the same active user (password unchanged), and that user still has a desk role."""
    if not session_key:
        return False
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    # checks the session's auth hash and is_active; get_user reads only the request's session
    user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    return user.is_authenticated and user.pk == user_id and can_view(user)


class DeskConsumer(AsyncJsonWebsocketConsumer):
    """/ws/desk/ (every order's summary) or /ws/orders/<id>/ (one order and its market)."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(can_view)(user):
            await self.close(code=DENIED)
            return
        order_id = self.scope["url_route"]["kwargs"].get("order_id")
        if order_id is None:
            self.groups_joined = [DESK_GROUP, market_group(settings.EXECDESK["DEFAULT_SYMBOL"])]
        else:
            row = await database_sync_to_async(
                lambda: ParentOrder.objects.filter(pk=order_id).values_list("symbol", "venue").first())()
            if row is None:
                await self.close(code=NOT_FOUND)
                return
            self.groups_joined = [order_group(int(order_id)), market_group(*row)]
        self.user_id = user.pk
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        # a logout, a user change or a group change signals this group (access/signals_auth.py); the watch below
        # also catches what sends no signal (a session that expired, a session row deleted)
        self.groups_joined.append(user_group(user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.watch = asyncio.ensure_future(self._watch_login())

    async def disconnect(self, code: int) -> None:
        watch = getattr(self, "watch", None)
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _watch_login(self) -> None:
        interval = settings.EXECDESK["WS_RECHECK_SECONDS"]
        while True:
            await asyncio.sleep(interval)
            if not await self._check_login():
                return

    async def _check_login(self) -> bool:
        try:
            allowed = await database_sync_to_async(session_user_allowed)(self.session_key, self.user_id)
        except Exception:  # a database hiccup must not end a trader's live view; the next check decides
            log.exception("websocket login re-check failed")
            return True
        if not allowed:
            await self._end()
        return allowed

    async def _end(self) -> None:
        await self._error("your login ended (logged out, expired, deactivated or no desk role): log in again")
        await self.close(code=SESSION_ENDED)
        watch = getattr(self, "watch", None)
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()

    async def desk_session_check(self, message) -> None:
        if message.get("ended_session") and message["ended_session"] == self.session_key:
            await self._end()  # this very session logged out: no need to ask the database
            return
        if await self._check_login() and message.get("role_changed"):
            # what this socket may see was decided under the old role: close it; the page reconnects at once
            # and the new handshake admits (or refuses) it under the new one
            await self._error("your desk role changed: reconnecting under the new role")
            await self.close(code=ROLE_CHANGED)
            watch = getattr(self, "watch", None)
            if watch is not None and watch is not asyncio.current_task():
                watch.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # a binary, oversized or undecodable frame gets an error reply; the socket stays open
        if text_data is None:
            await self._error("binary frames are not accepted; send JSON text such as {\"type\": \"ping\"}")
            return
        if len(text_data) > MAX_FRAME:
            await self._error(f"frame of {len(text_data)} characters refused (at most {MAX_FRAME})")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._error("the frame is not valid JSON (or nests too deeply)")
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self._error("unknown message; this socket only accepts {\"type\": \"ping\"}")

    async def _error(self, text: str) -> None:
        await self.send_json({"type": "error", "order_id": None, "data": {"error": text}})

    async def desk_event(self, message) -> None:
        await self.send_json(message["event"])
