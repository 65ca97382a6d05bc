"""The in-process order rate limiter (embedded mode): exact per-second caps on a fake clock, clear errors
for bad rates, a timeout that names its figures, and the choice between local and Redis limiters."""

from __future__ import annotations

import math
import threading

import pytest

from execdesk.bybit.config import BybitConfig
from execdesk.venues.rate_limit import (
    REDIS_DB_OFFSET,
    LocalRateLimiter,
    RateLimiter,
    RateLimitTimeout,
    RedisRateLimiter,
    rate_limiter_from_settings,
)


class FakeClock:
    """A clock that only moves when the limiter sleeps, and counts the sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, f"the limiter slept {seconds} s"
        self.sleeps.append(seconds)
        self.now += seconds


def local(rates: dict[str, float], clock: FakeClock) -> LocalRateLimiter:
    return LocalRateLimiter(rates, clock=clock, sleep=clock.sleep)


def busiest_window(times: list[float], window_s: float = 1.0) -> int:
    """The most grants in any half-open window [t, t + window_s): the busiest one starts at a grant."""
    ordered = sorted(times)
    return max(sum(1 for u in ordered if t <= u < t + window_s) for t in ordered)


def test_25_orders_at_10_per_second_take_2_seconds_and_never_exceed_10_in_a_window() -> None:
    clock = FakeClock()
    limiter = local({"linear": 10}, clock)

    grants = [limiter.acquire_grant("linear", timeout_s=5) for _ in range(25)]

    assert clock.now == pytest.approx(2.0)
    assert [g.at for g in grants] == [0.0] * 10 + [1.0] * 10 + [2.0] * 5
    assert busiest_window([g.at for g in grants]) == 10
    # one caller in a row: only the 11th and the 21st wait, each for the window to roll over
    assert [g.waited_s for g in grants] == [0.0] * 10 + [1.0] + [0.0] * 9 + [1.0] + [0.0] * 4


def test_acquire_returns_the_seconds_it_waited() -> None:
    clock = FakeClock()
    limiter = local({"linear": 2}, clock)
    assert limiter.acquire("linear", timeout_s=0) == 0.0
    clock.now = 0.25
    assert limiter.acquire("linear", timeout_s=0) == 0.0
    clock.now = 0.5

    assert limiter.acquire("linear", timeout_s=1) == pytest.approx(0.5)
    assert clock.now == pytest.approx(1.0)


def test_try_acquire_grants_with_none_then_tells_when_the_oldest_grant_leaves_the_window() -> None:
    clock = FakeClock()
    limiter = local({"spot": 2}, clock)
    assert limiter.try_acquire("spot") is None
    clock.now = 0.3
    assert limiter.try_acquire("spot") is None
    clock.now = 0.5

    assert limiter.try_acquire("spot") == pytest.approx(0.5)
    clock.now = 1.0  # the grant at 0.0 leaves the window exactly now
    assert limiter.try_acquire("spot") is None
    assert limiter.try_acquire("spot") == pytest.approx(0.3)
    assert clock.sleeps == []


def test_each_category_has_its_own_budget() -> None:
    clock = FakeClock()
    limiter = local({"linear": 1, "spot": 3}, clock)
    assert limiter.try_acquire("linear") is None
    assert limiter.try_acquire("linear") == pytest.approx(1.0)

    assert [limiter.try_acquire("spot") for _ in range(4)] == [None, None, None, pytest.approx(1.0)]


def test_a_fractional_rate_rounds_down_so_the_venue_cap_is_never_exceeded() -> None:
    clock = FakeClock()
    limiter = local({"linear": 2.5}, clock)

    times = [limiter.acquire_grant("linear", timeout_s=10).at for _ in range(6)]

    assert times == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    assert busiest_window(times) == 2


def test_a_rate_below_one_per_second_spaces_grants_by_its_period() -> None:
    clock = FakeClock()
    limiter = local({"spot": 0.5}, clock)

    times = [limiter.acquire_grant("spot", timeout_s=10).at for _ in range(3)]

    assert times == [0.0, 2.0, 4.0]


def test_timeout_raises_at_once_naming_category_rate_and_wait() -> None:
    clock = FakeClock()
    limiter = local({"linear": 10}, clock)
    for _ in range(10):
        limiter.acquire("linear", timeout_s=0)
    clock.now = 0.25

    with pytest.raises(RateLimitTimeout) as raised:
        limiter.acquire("linear", timeout_s=0.5)

    error = raised.value
    assert (error.category, error.rate, error.timeout_s) == ("linear", 10.0, 0.5)
    assert error.wait_s == pytest.approx(0.75)
    assert str(error) == (
        "order rate limit for linear (10/s) is full: the next slot frees in 0.750 s, beyond timeout_s=0.5"
    )
    assert isinstance(error, TimeoutError)
    assert clock.sleeps == []  # it did not sleep only to refuse afterwards
    assert limiter.acquire("linear", timeout_s=0.75) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (0, "rate for linear=0 must be a positive"),
        (-10, "rate for linear=-10 must be a positive"),
        (math.nan, "rate for linear=nan must be a positive"),
        (math.inf, "rate for linear=inf must be a positive"),
        (True, "rate for linear=True must be a number"),
        ("10", "rate for linear='10' must be a number"),
    ],
)
def test_invalid_rates_are_refused_naming_the_category_and_value(rate: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LocalRateLimiter({"spot": 20, "linear": rate})  # type: ignore[dict-item]


def test_no_rates_or_an_empty_category_name_are_refused() -> None:
    with pytest.raises(ValueError, match="rates is empty"):
        LocalRateLimiter({})
    with pytest.raises(ValueError, match="category='' must be a non-empty string"):
        LocalRateLimiter({"": 5})


def test_an_unknown_category_is_a_value_error_listing_the_configured_ones() -> None:
    limiter = LocalRateLimiter({"linear": 10, "spot": 20})
    expected = "category='inverse' has no order rate limit; configured: linear, spot"
    with pytest.raises(ValueError, match=expected):
        limiter.acquire("inverse", timeout_s=1)
    with pytest.raises(ValueError, match=expected):
        limiter.try_acquire("inverse")


@pytest.mark.parametrize("timeout_s", [-0.1, math.nan, None])
def test_a_negative_or_missing_timeout_is_a_value_error(timeout_s: object) -> None:
    limiter = LocalRateLimiter({"linear": 10})
    with pytest.raises(ValueError, match="timeout_s=.* must be a number of seconds >= 0"):
        limiter.acquire("linear", timeout_s=timeout_s)  # type: ignore[arg-type]


def test_threads_sharing_one_limiter_never_exceed_the_rate_in_any_second() -> None:
    limiter = LocalRateLimiter({"linear": 40})  # the real clock: the lock is what is under test
    times: list[float] = []
    record = threading.Lock()
    start = threading.Barrier(6)

    def worker() -> None:
        start.wait()
        for _ in range(10):
            at = limiter.acquire_grant("linear", timeout_s=5).at
            with record:
                times.append(at)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(times) == 60
    assert busiest_window(times) == 40


def test_embedded_mode_gets_a_local_limiter_with_the_configured_rates() -> None:
    config = BybitConfig.from_env({"EXECDESK_BYBIT_ORDER_RATE_LINEAR": "5"})

    limiter: RateLimiter = rate_limiter_from_settings(config, None)

    assert isinstance(limiter, LocalRateLimiter)
    assert (limiter.rate("linear"), limiter.rate("spot")) == (5.0, 20.0)


def test_distributed_mode_gets_a_redis_limiter_on_its_own_database() -> None:
    config = BybitConfig.from_env({})

    limiter = rate_limiter_from_settings(config, "redis://127.0.0.1:6390/4")  # never connected here

    assert isinstance(limiter, RedisRateLimiter)
    assert (limiter.rate("linear"), limiter.rate("spot")) == (10.0, 20.0)
    kwargs = limiter._client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("127.0.0.1", 6390, 4 + REDIS_DB_OFFSET)
    assert limiter.key("linear") == "execdesk:ratelimit:linear"
