"""Where a live feed leaves the public prints it received until the desk's tick keeps them.

The snapshot a feed publishes carries only the last few prints; the market VWAP and TWAP of an order need
every print of its window (docs/tca.md). So the feed also hands each print it receives to a buffer, and the
desk's tick takes what accumulated since the last tick and stores the prints a working order needs
(`execdesk.desk.services.market_prints`). In embedded mode the feed and the tick share the process and the
buffer is a deque; in distributed mode the `bybit_feed` process pushes to a Redis list that any worker's
tick takes from, atomically.

Bounded: a buffer keeps at most `max_prints` per symbol (far more than a busy market prints between two
ticks); past that the oldest go, and `add` says how many, so a loss is never silent. A print carries the
venue's trade id: whoever stores it recognises a second delivery.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from execdesk.domain.market import Trade

log = logging.getLogger(__name__)

DEFAULT_MAX_PRINTS = 50_000
KEY_PREFIX = "execdesk:prints:"
REDIS_TTL_S = 3600  # nobody took a symbol's prints for an hour: no order works on it, nothing to keep


class PrintBuffer(Protocol):
    def add(self, symbol: str, trades: Sequence[Trade]) -> int:
        """Append `trades` (oldest first); returns how many of the oldest were dropped to stay bounded."""
        ...

    def take(self, symbol: str) -> list[Trade]:
        """Everything buffered for `symbol`, oldest first, removed from the buffer."""
        ...

    def restore(self, symbol: str, trades: Sequence[Trade]) -> None:
        """Put back what a `take` could not store (its transaction failed), ahead of what came since."""
        ...

    def pending(self, symbol: str) -> int:
        """How many prints wait for the next `take` (status lines)."""
        ...


def _check_bound(max_prints: int) -> int:
    if isinstance(max_prints, bool) or not isinstance(max_prints, int) or max_prints < 1:
        raise ValueError(f"max_prints must be a positive integer, got {max_prints!r}")
    return max_prints


class LocalPrintBuffer:
    """One process: the feed's thread adds, the tick's thread takes."""

    def __init__(self, *, max_prints: int = DEFAULT_MAX_PRINTS) -> None:
        self.max_prints = _check_bound(max_prints)
        self._lock = threading.Lock()
        self._prints: dict[str, deque[Trade]] = {}

    def _queue(self, symbol: str) -> deque[Trade]:
        return self._prints.setdefault(symbol, deque(maxlen=self.max_prints))

    def add(self, symbol: str, trades: Sequence[Trade]) -> int:
        with self._lock:
            queue = self._queue(symbol)
            dropped = max(len(queue) + len(trades) - self.max_prints, 0)
            queue.extend(trades)
            return dropped

    def take(self, symbol: str) -> list[Trade]:
        with self._lock:
            queue = self._prints.pop(symbol, None)
        return list(queue) if queue else []

    def restore(self, symbol: str, trades: Sequence[Trade]) -> None:
        with self._lock:
            queue = self._queue(symbol)
            newer = list(queue)
            queue.clear()
            queue.extend([*trades, *newer][-self.max_prints:])

    def pending(self, symbol: str) -> int:
        with self._lock:
            return len(self._prints.get(symbol, ()))


def _row(trade: Trade) -> str:
    return json.dumps([trade.ts, trade.price, trade.qty, trade.side, trade.trade_id], allow_nan=False)


def _trades(rows: list[bytes], key: str) -> list[Trade]:
    """The rows read back; one that is not what `_row` wrote is logged and left out, never the others."""
    trades = []
    for raw in rows:
        try:
            ts, price, qty, side, trade_id = json.loads(raw)
            trades.append(Trade(float(ts), float(price), float(qty), str(side), str(trade_id)))
        except (ValueError, TypeError) as exc:
            log.error("a print in Redis list %s is malformed and was dropped (%s): %r", key, exc, raw)
    return trades


class RedisPrintBuffer:
    """Every process: one Redis list per symbol; the feed process appends, a tick takes it whole."""

    def __init__(self, client, *, namespace: str = "bybit", max_prints: int = DEFAULT_MAX_PRINTS) -> None:
        self.client = client
        self.namespace = namespace
        self.max_prints = _check_bound(max_prints)

    def key(self, symbol: str) -> str:
        return f"{KEY_PREFIX}{self.namespace}:{symbol}"

    def add(self, symbol: str, trades: Sequence[Trade]) -> int:
        if not trades:
            return 0
        key = self.key(symbol)
        pipe = self.client.pipeline()
        pipe.rpush(key, *[_row(t) for t in trades])
        pipe.ltrim(key, -self.max_prints, -1)
        pipe.expire(key, REDIS_TTL_S)
        length = pipe.execute()[0]
        return max(int(length) - self.max_prints, 0)

    def take(self, symbol: str) -> list[Trade]:
        key = self.key(symbol)
        pipe = self.client.pipeline()  # MULTI: a print added meanwhile is either read here or left for the next take
        pipe.lrange(key, 0, -1)
        pipe.delete(key)
        return _trades(pipe.execute()[0], key)

    def restore(self, symbol: str, trades: Sequence[Trade]) -> None:
        if not trades:
            return
        key = self.key(symbol)
        pipe = self.client.pipeline()
        pipe.lpush(key, *[_row(t) for t in reversed(trades)])
        pipe.ltrim(key, -self.max_prints, -1)
        pipe.expire(key, REDIS_TTL_S)
        pipe.execute()

    def pending(self, symbol: str) -> int:
        return int(self.client.llen(self.key(symbol)))
