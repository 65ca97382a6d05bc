"""The snapshot store between a live feed and everyone who trades on it: the latest snapshot per symbol,
marked stale (with the reason) when the feed stops publishing, shared through Redis across processes."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse

import pytest
import redis

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.market.snapshot_store import LocalSnapshotStore, RedisSnapshotStore
from tests.conftest import need, reachable

REDIS_URL = os.environ.get("EXECDESK_REDIS_URL", "redis://127.0.0.1:6379/13")
TEST_DB = 14


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _snapshot(symbol: str = "BTCUSDT", mid: float = 60_000.0) -> MarketSnapshot:
    return MarketSnapshot(symbol=symbol, ts=1_000.0, mid=mid, best_bid=mid - 0.05, best_ask=mid + 0.05,
                          bids=(Level(mid - 0.05, 2.0),), asks=(Level(mid + 0.05, 1.5),), source="bybit")


def test_the_latest_snapshot_is_served_fresh_until_the_feed_falls_silent() -> None:
    clock = Clock()
    store = LocalSnapshotStore(max_age_s=5, clock=clock)
    assert store.get("BTCUSDT") is None
    store.put(_snapshot(mid=60_000.0))
    store.put(_snapshot(mid=60_010.0))
    clock.now += 4.9
    fresh = store.get("BTCUSDT")
    assert fresh is not None and fresh.mid == 60_010.0 and not fresh.stale
    clock.now += 0.2
    stale = store.get("BTCUSDT")
    assert stale is not None and stale.stale
    assert "has not published BTCUSDT for 5.1 s" in stale.extra["stale_reason"]


def test_a_snapshot_the_feed_marked_stale_keeps_the_feeds_reason() -> None:
    store = LocalSnapshotStore(max_age_s=5, clock=Clock())
    snap = _snapshot()
    store.put(MarketSnapshot(**{**snap.__dict__, "stale": True, "extra": {"stale_reason": "sequence gap 7 -> 9"}}))
    assert store.get("BTCUSDT").extra["stale_reason"] == "sequence gap 7 -> 9"


@pytest.fixture
def redis_store():
    need(reachable(REDIS_URL, 6379), f"the snapshot store's Redis tests need a Redis server at {REDIS_URL}")
    parsed = urlparse(REDIS_URL)
    client = redis.Redis(host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379, password=parsed.password,
                         db=TEST_DB)
    clock = Clock()
    namespace = f"test-{uuid.uuid4().hex}"
    yield RedisSnapshotStore(client, namespace=namespace, max_age_s=5, clock=clock), clock, client
    client.delete(*client.keys(f"execdesk:snapshot:{namespace}:*") or ["none"])
    client.close()


def test_every_process_reads_what_the_feed_process_wrote_through_redis(redis_store) -> None:
    store, clock, client = redis_store
    other_process = RedisSnapshotStore(client, namespace=store.namespace, max_age_s=5, clock=clock)
    pubsub = client.pubsub()
    pubsub.subscribe(store.channel("BTCUSDT"))
    pubsub.get_message(timeout=1)  # the subscribe confirmation
    store.put(_snapshot(mid=60_020.0))
    read = other_process.get("BTCUSDT")
    assert read == _snapshot(mid=60_020.0)
    published = pubsub.get_message(timeout=2)
    assert published is not None and b"60020.0" in published["data"]
    clock.now += 6
    assert other_process.get("BTCUSDT").stale
    pubsub.close()


def test_a_malformed_value_in_redis_is_a_clear_error(redis_store) -> None:
    store, _, client = redis_store
    client.set(store.key("ETHUSDT"), b"{not json")
    with pytest.raises(ValueError, match="snapshot of ETHUSDT in Redis key .* is malformed"):
        store.get("ETHUSDT")
