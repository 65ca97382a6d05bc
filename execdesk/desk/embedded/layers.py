"""The embedded mode's channel layer: in-memory, safe to send to from worker threads.

Channels' InMemoryChannelLayer assumes one event loop. In embedded mode the Celery worker threads
push through `async_to_sync`, each on a loop of its own, while the consumers wait on Daphne's loop;
an asyncio.Queue fed from a foreign thread does not wake its loop (and the group dict could change
under the sender's feet), so sends are handed to the receivers' loop with run_coroutine_threadsafe.
"""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    _home: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel):
        self._home = asyncio.get_running_loop()
        return await super().receive(channel)

    def _foreign_home(self) -> asyncio.AbstractEventLoop | None:
        home = self._home
        if home is None or home is asyncio.get_running_loop() or home.is_closed() or not home.is_running():
            return None
        return home

    async def send(self, channel, message):
        home = self._foreign_home()
        if home is None:
            return await super().send(channel, message)
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(InMemoryChannelLayer.send(self, channel, message), home))

    async def group_send(self, group, message):
        home = self._foreign_home()
        if home is None:
            return await super().group_send(group, message)
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(InMemoryChannelLayer.group_send(self, group, message), home))
