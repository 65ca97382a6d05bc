"""The dashboard's one websocket: authenticated, joined to an order's and a market's groups."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from execdesk.desk.models import ParentOrder
from execdesk.desk.push import DESK_GROUP, market_group, order_group
from execdesk.desk.roles import can_view

DENIED = 4403
NOT_FOUND = 4404


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
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json({"type": "error", "order_id": None,
                              "data": {"error": "unknown message; this socket only accepts {\"type\": \"ping\"}"}})

    @classmethod
    async def decode_json(cls, text_data):
        # a malformed frame gets an error reply, not a dropped connection
        try:
            return json.loads(text_data)
        except ValueError:
            return {"type": "invalid-json"}

    async def desk_event(self, message) -> None:
        await self.send_json(message["event"])
