"""The Redis order rate limiter (distributed mode): threads and separate processes sharing one budget never
exceed the rate in any one-second window of Redis server time; a full budget reports the wait."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
import redis

from execdesk.venues.rate_limit import RedisRateLimiter
from tests.conftest import need, reachable

REDIS_URL = os.environ.get("EXECDESK_REDIS_URL", "redis://127.0.0.1:6379/13")
TEST_DB = 14  # these tests' keys live here, apart from the broker, results and channel layer databases
MICROS = 1_000_000


def _client() -> redis.Redis:
    parsed = urlparse(REDIS_URL)
    return redis.Redis(
        host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379, password=parsed.password, db=TEST_DB
    )


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    need(reachable(REDIS_URL, 6379), f"the rate limiter's Redis tests need a Redis server at {REDIS_URL}")
    connection = _client()
    yield connection
    connection.close()


@pytest.fixture
def key_prefix(client: redis.Redis) -> Iterator[str]:
    prefix = f"execdesk-test:ratelimit:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


def busiest_window(micros: list[int]) -> int:
    """The most grants in any half-open second [t, t + 1 s): the busiest one starts at a grant."""
    ordered = sorted(micros)
    return max(sum(1 for u in ordered if t <= u < t + MICROS) for t in ordered)


def _grant_micros(limiter: RedisRateLimiter, category: str, threads: int, each: int) -> list[int]:
    """Grant times (Redis TIME, µs) of `threads` threads taking `each` slots apiece through `limiter`."""
    times: list[int] = []
    record = threading.Lock()
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        for _ in range(each):
            at = limiter.acquire_grant(category, timeout_s=8).at
            with record:
                times.append(round(at * MICROS))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=15)
    return times


def _process_main(key_prefix: str, rate: float, threads: int, each: int, start, results) -> None:
    """A separate worker process: its own client and limiter on the same keys, then its grant times."""
    client = _client()
    limiter = RedisRateLimiter(client, {"linear": rate}, key_prefix=key_prefix)
    start.wait(timeout=30)
    results.put((os.getpid(), _grant_micros(limiter, "linear", threads, each)))
    client.close()


def test_threads_sharing_a_redis_limiter_never_exceed_the_rate_in_any_second(
    client: redis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(client, {"spot": 20}, key_prefix=key_prefix)

    times = _grant_micros(limiter, "spot", threads=5, each=6)

    assert len(times) == 30
    assert busiest_window(times) == 20


def test_two_processes_sharing_a_redis_limiter_never_exceed_the_rate_in_any_second(
    client: redis.Redis, key_prefix: str
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    results = context.Queue()
    processes = [
        context.Process(target=_process_main, args=(key_prefix, 10, 3, 4, start, results)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=30)
        outcomes = [results.get(timeout=20) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()

    pids = {pid for pid, _ in outcomes}
    times = [at for _, grants in outcomes for at in grants]
    assert len(pids) == 2
    assert len(times) == 24
    assert busiest_window(times) == 10
    assert all(process.exitcode == 0 for process in processes)


def test_a_full_budget_reports_a_positive_wait_whatever_the_local_clock_says(
    client: redis.Redis, key_prefix: str
) -> None:
    here = RedisRateLimiter(client, {"linear": 3}, key_prefix=key_prefix)
    # another machine whose clock is an hour ahead: Redis TIME decides, so it sees the same full budget
    skewed = RedisRateLimiter(client, {"linear": 3}, key_prefix=key_prefix, clock=lambda: time.time() + 3600)

    assert [here.try_acquire("linear") for _ in range(3)] == [None, None, None]
    wait_here = here.try_acquire("linear")
    wait_skewed = skewed.try_acquire("linear")

    assert wait_here is not None and 0 < wait_here <= 1.0
    assert wait_skewed is not None and 0 < wait_skewed <= wait_here
    assert client.zcard(here.key("linear")) == 3  # refused attempts leave no trace


def test_acquire_waits_for_the_oldest_grant_to_leave_the_window(client: redis.Redis, key_prefix: str) -> None:
    limiter = RedisRateLimiter(client, {"linear": 2}, key_prefix=key_prefix)
    first = limiter.acquire_grant("linear", timeout_s=0)
    limiter.acquire_grant("linear", timeout_s=0)

    third = limiter.acquire_grant("linear", timeout_s=2)

    assert third.at - first.at >= 1.0
    assert 0 < third.waited_s < 1.5


def test_the_key_expires_about_a_window_after_the_last_grant(client: redis.Redis, key_prefix: str) -> None:
    limiter = RedisRateLimiter(client, {"spot": 20}, key_prefix=key_prefix)
    limiter.acquire("spot", timeout_s=0)

    ttl_ms = client.pttl(limiter.key("spot"))

    assert 1000 < ttl_ms <= 2000
