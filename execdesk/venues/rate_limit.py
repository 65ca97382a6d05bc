"""Client-side order rate limits per Bybit category, so the desk never earns a 10006 on its own.

Bybit counts order requests per UID and category (10/s linear, 20/s spot by default). Every worker that
submits child orders draws from the same budget, so in distributed mode the limiter lives in Redis and
one Lua script decides each grant atomically; in embedded mode all workers are threads of one process
and an in-process limiter with a lock does the same job.

Both keep a sliding log of grant times per category and are exact: a category with rate ``r`` gets at
most ``floor(r)`` grants in any one-second window (a fractional rate is rounded down, never up, so the
cap Bybit enforces is never exceeded). A rate below one per second allows one grant per ``1 / r``
seconds.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

import redis

if TYPE_CHECKING:
    from execdesk.bybit.config import BybitConfig

# The categories whose order requests are limited (BybitConfig.order_rate knows their rates).
LIMITED_CATEGORIES = ("linear", "spot")

# Distributed mode gives the Celery broker, the result backend and the channel layer Redis databases
# N, N+1 and N+2 (execdesk.env.redis_db_url); the limiter takes the next one so its keys mix with none of them.
REDIS_DB_OFFSET = 3

DEFAULT_KEY_PREFIX = "execdesk:ratelimit:"


class RateLimitTimeout(TimeoutError):
    """No order slot for `category` frees up within the caller's timeout."""

    def __init__(self, category: str, rate: float, wait_s: float, timeout_s: float) -> None:
        self.category = category
        self.rate = rate
        self.wait_s = wait_s  # from the start of acquire until the next slot frees
        self.timeout_s = timeout_s
        super().__init__(
            f"order rate limit for {category} ({rate:g}/s) is full: the next slot frees in "
            f"{wait_s:.3f} s, beyond timeout_s={timeout_s:g}"
        )


class RateLimiter(Protocol):
    def acquire(self, category: str, *, timeout_s: float) -> float:
        """Block until an order slot for `category` is granted; return the seconds waited.

        Raises RateLimitTimeout (without waiting in vain) when no slot frees within `timeout_s`."""
        ...

    def try_acquire(self, category: str) -> float | None:
        """Take a slot if one is free now (None); otherwise the seconds until one frees."""
        ...


@dataclass(frozen=True)
class Grant:
    """One granted slot: when the limiter's clock granted it and how long the caller waited for it."""

    at: float  # seconds on the limiter's clock: the injected clock (local) or the Redis server's TIME
    waited_s: float


@dataclass(frozen=True)
class _Limit:
    """A rate as 'at most `count` grants in any `window_s` seconds'."""

    rate: float
    count: int
    window_s: float

    @classmethod
    def of(cls, category: object, rate: object) -> _Limit:
        if not isinstance(category, str) or not category:
            raise ValueError(f"rate limit category={category!r} must be a non-empty string")
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise ValueError(f"rate for {category}={rate!r} must be a number of orders per second")
        if not math.isfinite(rate) or rate <= 0:
            raise ValueError(
                f"rate for {category}={rate!r} must be a positive, finite number of orders per second"
            )
        rate = float(rate)
        if rate >= 1:
            return cls(rate=rate, count=math.floor(rate), window_s=1.0)
        return cls(rate=rate, count=1, window_s=1.0 / rate)


def _limits(rates: Mapping[str, float]) -> dict[str, _Limit]:
    if not rates:
        raise ValueError("rates is empty: give at least one category's orders per second")
    return {category: _Limit.of(category, rate) for category, rate in rates.items()}


def _check_timeout(timeout_s: float) -> None:
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not timeout_s >= 0:
        raise ValueError(f"timeout_s={timeout_s!r} must be a number of seconds >= 0")


class _Waiting(ABC):
    """The acquire loop both limiters share: try, and sleep until the slot frees, or give up early."""

    _limits: dict[str, _Limit]
    _clock: Callable[[], float]
    _sleep: Callable[[float], None]

    def _limit(self, category: str) -> _Limit:
        try:
            return self._limits[category]
        except KeyError:
            raise ValueError(
                f"category={category!r} has no order rate limit; configured: {', '.join(self._limits)}"
            ) from None

    @abstractmethod
    def _attempt(self, category: str) -> tuple[bool, float]:
        """(True, the grant's time on the limiter's clock), or (False, seconds until a slot frees)."""

    def acquire_grant(self, category: str, *, timeout_s: float) -> Grant:
        """As `acquire`, also telling when the limiter granted the slot (for audit records and tests)."""
        limit = self._limit(category)
        _check_timeout(timeout_s)
        started = self._clock()
        while True:
            granted, figure = self._attempt(category)
            waited = self._clock() - started
            if granted:
                return Grant(at=figure, waited_s=waited)
            wait = figure
            # Give up at once when the slot frees too late: sleeping first would only delay the refusal.
            if waited + wait > timeout_s:
                raise RateLimitTimeout(category, limit.rate, waited + wait, timeout_s)
            self._sleep(wait)

    def acquire(self, category: str, *, timeout_s: float) -> float:
        return self.acquire_grant(category, timeout_s=timeout_s).waited_s

    def try_acquire(self, category: str) -> float | None:
        self._limit(category)
        granted, figure = self._attempt(category)
        return None if granted else figure

    def rate(self, category: str) -> float:
        """The configured orders per second for `category`."""
        return self._limit(category).rate


class LocalRateLimiter(_Waiting):
    """One process's limiter (embedded mode): a sliding log of grant times per category, under a lock."""

    def __init__(
        self,
        rates: Mapping[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = _limits(rates)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._grants: dict[str, deque[float]] = {category: deque() for category in self._limits}

    def _attempt(self, category: str) -> tuple[bool, float]:
        limit = self._limits[category]
        with self._lock:
            now = self._clock()
            grants = self._grants[category]
            while grants and grants[0] <= now - limit.window_s:
                grants.popleft()
            if len(grants) < limit.count:
                grants.append(now)
                return True, now
            return False, grants[0] + limit.window_s - now


# KEYS[1] the category's sorted set of grants (score: Redis server time in microseconds).
# ARGV: the grant count, the window in microseconds, a unique member for this grant, the key's TTL in ms.
# The server's TIME is the only clock, so workers on machines with skewed clocks still agree. Lua's
# tostring() would print the 16-digit microsecond figures as %.14g and lose them, so numbers are passed to
# redis.call as numbers (sent exactly) and returned as integers.
_ACQUIRE_LUA = """
local key = KEYS[1]
local count = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < count then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, tonumber(ARGV[4]))
  return {1, now}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""

_MICROS = 1_000_000


class RedisRateLimiter(_Waiting):
    """The limiter every worker process shares (distributed mode): one Lua script grants atomically.

    `clock` only measures how long a caller waited; which grant is allowed is decided by Redis TIME.
    A Redis outage raises redis' ConnectionError: without the shared count no order may be sent."""

    def __init__(
        self,
        client: redis.Redis,
        rates: Mapping[str, float],
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = _limits(rates)
        if not key_prefix:
            raise ValueError("key_prefix must not be empty: the limiter's keys need a namespace")
        self._client = client
        self._key_prefix = key_prefix
        self._clock = clock
        self._sleep = sleep
        self._script = client.register_script(_ACQUIRE_LUA)

    def key(self, category: str) -> str:
        """The Redis key holding `category`'s grants."""
        return f"{self._key_prefix}{category}"

    def _attempt(self, category: str) -> tuple[bool, float]:
        limit = self._limits[category]
        window_us = math.ceil(limit.window_s * _MICROS)
        # The key outlives its newest grant by one window plus a second of slack, then disappears.
        ttl_ms = math.ceil(limit.window_s * 1000) + 1000
        granted, figure = self._script(
            keys=[self.key(category)], args=[limit.count, window_us, uuid.uuid4().hex, ttl_ms]
        )
        return bool(granted), int(figure) / _MICROS


def _limiter_db_url(redis_url: str) -> tuple[str, int]:
    """The URL without its database number, and the database the limiter uses (N + REDIS_DB_OFFSET)."""
    parts = urlsplit(redis_url)
    tail = parts.path.strip("/")
    if tail and not tail.isdigit():
        raise ValueError(f"redis_url={redis_url!r} has a database path {tail!r} that is not a number")
    base = parts._replace(path="").geturl()
    return base, (int(tail) if tail else 0) + REDIS_DB_OFFSET


def rate_limiter_from_settings(
    config: BybitConfig, redis_url: str | None
) -> LocalRateLimiter | RedisRateLimiter:
    """Redis-shared limits when the desk runs distributed (EXECDESK_REDIS_URL set), in-process otherwise."""
    rates = {category: config.order_rate(category) for category in LIMITED_CATEGORIES}
    if not redis_url:
        return LocalRateLimiter(rates)
    base, db = _limiter_db_url(redis_url)
    return RedisRateLimiter(redis.Redis.from_url(base, db=db), rates)
