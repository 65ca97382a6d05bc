"""pybit's WebSocket as ExecDesk uses it, for the public market feed and the private order stream alike:
our URL, every message behind a guard, no reconnect of pybit's own, and the shared backoff."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from pybit.unified_trading import WebSocket

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


class BybitSocket(WebSocket):
    """pybit's WebSocket with the URL and the message handling ExecDesk needs.

    * The URL is ours (``EXECDESK_BYBIT_WS_URL`` or the environment's host, with the standard path):
      pybit builds its own from a template in `_connect`, called from its constructor and on reconnect.
    * Every inbound message goes through a guard: `on_message` sees the raw message first (before pybit
      rewrites a book delta into a "snapshot") and may drop it; then pybit's own handling and the topic
      callbacks run; any exception is reported to `on_fault` instead of reaching websocket-client, whose
      error handler would close the socket for good.
    * pybit's reconnect is off by default (``restart_on_error=False``): the owner rebuilds the socket.
    """

    def __init__(
        self,
        channel_type: str,
        *,
        url: str,
        on_fault: Callable[[str, str], None],
        on_message: Callable[[dict[str, Any]], bool] | None = None,
        on_close: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.execdesk_url = url
        self._on_fault_hook = on_fault
        self._on_message_hook = on_message
        self._on_close_hook = on_close
        self.last_message_monotonic: float | None = None
        kwargs.setdefault("restart_on_error", False)
        # pybit raises after its last connection attempt even when that attempt succeeded: 3 means two tries
        kwargs.setdefault("retries", 3)
        super().__init__(channel_type, **kwargs)

    def _connect(self, url: str) -> None:
        super()._connect(self.execdesk_url)

    def subscribe(self, topic: str, callback: Any, symbol: Any = False) -> None:
        # pybit waits (forever) for a connection before sending a subscribe; fail fast instead
        if not self.is_connected():
            raise ConnectionError(
                f"the WebSocket to {self.execdesk_url} closed before subscribing to {topic}"
            )
        super().subscribe(topic, callback, symbol)

    def _on_message(self, message: Any) -> None:
        text = message if isinstance(message, str) else bytes(message).decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            self._report("", f"a message is not JSON ({exc}): {text[:80]!r}")
            return
        if not isinstance(parsed, dict):
            self._report("", f"a message is not a JSON object: {text[:80]!r}")
            return
        self.last_message_monotonic = time.monotonic()
        try:
            if self._is_custom_pong(parsed):
                return
            if self._on_message_hook is not None and not self._on_message_hook(parsed):
                return
            self.callback(parsed)
        except Exception as exc:  # noqa: BLE001 - nothing may reach websocket-client (it kills the socket)
            where = str(parsed.get("topic") or parsed.get("op") or "")
            self._report(where, f"{type(exc).__name__}: {exc}")

    def _report(self, where: str, reason: str) -> None:
        try:
            self._on_fault_hook(where, reason)
        except Exception:  # noqa: BLE001
            logger.exception("the fault handler of %s failed on: %s", self.execdesk_url, reason)

    def _on_close(self) -> None:
        super()._on_close()
        if self._on_close_hook is not None:
            try:
                self._on_close_hook()
            except Exception:  # noqa: BLE001
                logger.exception("the close handler of %s failed", self.execdesk_url)


def close_socket(socket: WebSocket | None) -> None:
    """Close a pybit socket, whatever state it is in."""
    if socket is None:
        return
    try:
        socket.exit()
    except Exception:  # noqa: BLE001 - a socket that is already gone is closed enough
        logger.debug("closing a Bybit WebSocket failed", exc_info=True)


def backoff_delay(failures: int, base_s: float) -> float:
    """Reconnect at once after the first failure, then base, 2x base, ... up to 30 s."""
    if failures <= 1:
        return 0.0
    return min(MAX_BACKOFF_S, base_s * 2 ** (failures - 2))
