"""Where a live feed leaves its latest MarketSnapshot for everyone who trades or draws on it.

In embedded mode the feed runs in the web process and the store is a dict. In distributed mode one feed
process per symbol writes to Redis and every Celery worker reads the same key, so all workers decide on
the same market state; a snapshot older than `max_age_s` is returned marked stale (the feed process died
or lost Bybit), which makes the risk gate refuse aggressive orders instead of trading on an old book.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from execdesk.domain.market import MarketSnapshot

DEFAULT_MAX_AGE_S = 10.0
KEY_PREFIX = "execdesk:snapshot:"
CHANNEL_PREFIX = "execdesk:snapshots:"


class SnapshotStore(Protocol):
    def put(self, snapshot: MarketSnapshot) -> None: ...

    def get(self, symbol: str) -> MarketSnapshot | None: ...


def _aged(snapshot: MarketSnapshot, written_at: float, now: float, max_age_s: float) -> MarketSnapshot:
    age = now - written_at
    if age <= max_age_s or snapshot.stale:
        return snapshot
    reason = f"the feed has not published {snapshot.symbol} for {age:.1f} s (limit {max_age_s:.0f} s)"
    return replace(snapshot, stale=True, extra={**snapshot.extra, "stale_reason": reason})


class LocalSnapshotStore:
    """One process: the feed thread writes, request and worker threads read."""

    def __init__(self, *, max_age_s: float = DEFAULT_MAX_AGE_S, clock: Callable[[], float] = time.time) -> None:
        self.max_age_s = max_age_s
        self.clock = clock
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[MarketSnapshot, float]] = {}

    def put(self, snapshot: MarketSnapshot) -> None:
        with self._lock:
            self._latest[snapshot.symbol] = (snapshot, self.clock())

    def get(self, symbol: str) -> MarketSnapshot | None:
        with self._lock:
            entry = self._latest.get(symbol)
        if entry is None:
            return None
        return _aged(entry[0], entry[1], self.clock(), self.max_age_s)


class RedisSnapshotStore:
    """Every process: the key holds the latest snapshot with the time it was written (it expires after a
    minute, so a dead feed leaves nothing behind), and each write is also published for listeners."""

    def __init__(self, client, *, namespace: str = "bybit", max_age_s: float = DEFAULT_MAX_AGE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.namespace = namespace
        self.max_age_s = max_age_s
        self.clock = clock

    def key(self, symbol: str) -> str:
        return f"{KEY_PREFIX}{self.namespace}:{symbol}"

    def channel(self, symbol: str) -> str:
        return f"{CHANNEL_PREFIX}{self.namespace}:{symbol}"

    def put(self, snapshot: MarketSnapshot) -> None:
        body = json.dumps({"written_at": self.clock(), "snapshot": snapshot.to_dict()}, allow_nan=False)
        pipe = self.client.pipeline()
        pipe.set(self.key(snapshot.symbol), body, ex=60)
        pipe.publish(self.channel(snapshot.symbol), body)
        pipe.execute()

    def get(self, symbol: str) -> MarketSnapshot | None:
        raw = self.client.get(self.key(symbol))
        if raw is None:
            return None
        try:
            body = json.loads(raw)
            snapshot = MarketSnapshot.from_dict(body["snapshot"])
            written_at = float(body["written_at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"snapshot of {symbol} in Redis key {self.key(symbol)} is malformed: {exc}") from None
        return _aged(snapshot, written_at, self.clock(), self.max_age_s)
