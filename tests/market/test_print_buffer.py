"""The print buffer between a live feed and the desk's tick: what the feed adds the next take returns whole,
oldest first, once; a take that could not be stored is restored ahead of what came since; the bound drops
the oldest and says how many. The same behaviour in one process (a deque) and across processes (Redis)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis

from execdesk.domain.market import Trade
from execdesk.market.print_buffer import LocalPrintBuffer, PrintBuffer, RedisPrintBuffer
from tests.conftest import need, reachable

REDIS_URL = os.environ.get("EXECDESK_REDIS_URL", "redis://127.0.0.1:6379/6")


def prints(*ids: int) -> list[Trade]:
    return [Trade(1_000.0 + i / 1000, 65_000.0 + i / 10, 0.001 * (i + 1), "buy" if i % 2 else "sell", f"t{i}")
            for i in ids]


@pytest.fixture(params=["local", "redis"])
def make_buffer(request) -> Iterator:
    clients: list[tuple[redis.Redis, str]] = []

    def make(max_prints: int = 1_000) -> PrintBuffer:
        if request.param == "local":
            return LocalPrintBuffer(max_prints=max_prints)
        need(reachable(REDIS_URL, 6379), f"the Redis print buffer's tests need a Redis server at {REDIS_URL}")
        parsed = urlparse(REDIS_URL)
        client = redis.Redis(host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379,
                             password=parsed.password, db=int((parsed.path or "/0").strip("/") or 0))
        namespace = f"test-{uuid.uuid4().hex}"
        clients.append((client, namespace))
        return RedisPrintBuffer(client, namespace=namespace, max_prints=max_prints)

    yield make
    for client, namespace in clients:
        client.delete(*client.keys(f"execdesk:prints:{namespace}:*") or ["none"])
        client.close()


def test_a_take_returns_everything_added_since_the_last_one_oldest_first(make_buffer) -> None:
    buffer = make_buffer()
    assert buffer.take("BTCUSDT") == []
    assert buffer.add("BTCUSDT", prints(0, 1)) == 0
    assert buffer.add("BTCUSDT", prints(2)) == 0
    buffer.add("ETHUSDT", prints(7))
    assert buffer.pending("BTCUSDT") == 3
    assert buffer.take("BTCUSDT") == prints(0, 1, 2)  # exactly, trade ids included
    assert buffer.take("BTCUSDT") == [] and buffer.pending("BTCUSDT") == 0
    assert buffer.take("ETHUSDT") == prints(7)


def test_a_restored_take_comes_back_ahead_of_what_came_since(make_buffer) -> None:
    buffer = make_buffer()
    buffer.add("BTCUSDT", prints(0, 1))
    taken = buffer.take("BTCUSDT")
    buffer.add("BTCUSDT", prints(2))
    buffer.restore("BTCUSDT", taken)
    assert buffer.take("BTCUSDT") == prints(0, 1, 2)


def test_the_bound_drops_the_oldest_and_says_how_many(make_buffer) -> None:
    buffer = make_buffer(max_prints=3)
    assert buffer.add("BTCUSDT", prints(0, 1)) == 0
    assert buffer.add("BTCUSDT", prints(2, 3, 4)) == 2
    assert buffer.take("BTCUSDT") == prints(2, 3, 4)


def test_a_bound_that_is_not_a_positive_integer_is_refused() -> None:
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"max_prints must be a positive integer, got {bad!r}"):
            LocalPrintBuffer(max_prints=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("make_buffer", ["redis"], indirect=True)  # only Redis holds rows the feed did not write
def test_a_malformed_row_in_redis_is_logged_and_the_others_kept(make_buffer, caplog) -> None:
    buffer = make_buffer()
    assert isinstance(buffer, RedisPrintBuffer)
    buffer.add("BTCUSDT", prints(0))
    buffer.client.rpush(buffer.key("BTCUSDT"), "not json")
    buffer.add("BTCUSDT", prints(1))
    with caplog.at_level(logging.ERROR, logger="execdesk.market.print_buffer"):
        assert buffer.take("BTCUSDT") == prints(0, 1)
    assert any(f"a print in Redis list {buffer.key('BTCUSDT')} is malformed" in r.getMessage() for r in caplog.records)
