"""The desk's connections to Bybit: one set per process, built from the environment on first use.

Everything here is plumbing, not a state change: the configuration (testnet by default, mainnet only
with EXECDESK_ALLOW_MAINNET=1), pybit's HTTP session, the execution client with the order-rate budget
shared through Redis in distributed mode, instrument rules read from instruments-info, and the latest
market snapshot per symbol. Snapshots come from the public WebSocket feed: in embedded mode the feed runs
in this process (started for a symbol when an order needs it); in distributed mode one `bybit_feed`
process per symbol writes them to Redis. Without a feed snapshot the desk reads the market over REST.
The feed also leaves every public print it receives in a print buffer (in this process, or Redis), which
the desk's tick empties into the prints of its orders' windows (services/market_prints.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

from execdesk.bybit.config import BybitConfig, BybitConfigError
from execdesk.bybit.parse import instrument_from_info, instrument_limits_from_info
from execdesk.bybit.rest import http_client
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.env import redis_db_url
from execdesk.market.bybit import BybitMarketData
from execdesk.market.print_buffer import LocalPrintBuffer, PrintBuffer, RedisPrintBuffer
from execdesk.market.snapshot_store import LocalSnapshotStore, RedisSnapshotStore, SnapshotStore
from execdesk.venues.bybit import BybitVenue
from execdesk.venues.rate_limit import rate_limiter_from_settings

if TYPE_CHECKING:
    from execdesk.market.bybit_feed import BybitPublicFeed

log = logging.getLogger(__name__)

VENUE = "bybit"
INSTRUMENT_TTL_S = 3600.0
SNAPSHOT_REDIS_DB_OFFSET = 4  # broker 0, results 1, channel layer 2, order-rate budget 3


class BybitUnavailable(Exception):
    """Bybit is not configured for this desk (no credentials, or a bad setting); the message says which."""


@dataclass
class _Link:
    config: BybitConfig
    venue: BybitVenue
    market_data: BybitMarketData
    store: SnapshotStore
    prints: PrintBuffer
    instruments: dict[str, tuple[Instrument, float]] = field(default_factory=dict)
    feeds: dict[str, BybitPublicFeed] = field(default_factory=dict)
    private_stream: tuple | None = None  # (BybitPrivateStream, StreamPump) once started


_lock = threading.RLock()
_link: _Link | None = None


def bybit_config() -> BybitConfig:
    """The configuration from the environment; BybitConfigError names a bad or unsafe setting."""
    return BybitConfig.from_env()


def bybit_status() -> tuple[bool, str]:
    """(True, banner) when the desk can trade on Bybit, else (False, why not) — for forms and banners."""
    try:
        config = bybit_config()
    except BybitConfigError as exc:
        return False, str(exc)
    if not config.has_credentials:
        return False, ("Bybit is not configured: set EXECDESK_BYBIT_API_KEY and EXECDESK_BYBIT_API_SECRET "
                       "(or their *_FILE variants)")
    return True, config.environment_banner()


def bybit_category() -> str:
    return settings.EXECDESK["BYBIT_CATEGORY"]


def _snapshot_store() -> SnapshotStore:
    max_age = settings.EXECDESK["BYBIT_STALE_SECONDS"]
    if settings.EMBEDDED or not settings.REDIS_URL:
        return LocalSnapshotStore(max_age_s=max_age)
    import redis

    return RedisSnapshotStore(redis.Redis.from_url(redis_db_url(settings.REDIS_URL, SNAPSHOT_REDIS_DB_OFFSET)),
                              max_age_s=max_age)


def _print_buffer() -> PrintBuffer:
    if settings.EMBEDDED or not settings.REDIS_URL:
        return LocalPrintBuffer()
    import redis

    return RedisPrintBuffer(redis.Redis.from_url(redis_db_url(settings.REDIS_URL, SNAPSHOT_REDIS_DB_OFFSET)))


def link() -> _Link:
    """This process's Bybit connections, built on first use; BybitUnavailable when Bybit is not set up."""
    global _link
    with _lock:
        if _link is not None:
            return _link
        ok, why = bybit_status()
        if not ok:
            raise BybitUnavailable(why)
        config = bybit_config()
        http = http_client(config, timeout_s=settings.EXECDESK["BYBIT_TIMEOUT_SECONDS"])
        category = bybit_category()
        limiter = rate_limiter_from_settings(config, None if settings.EMBEDDED else settings.REDIS_URL)
        venue = BybitVenue(http, category=category, limiter=limiter)  # instruments load on first use
        _link = _Link(config=config, venue=venue, market_data=BybitMarketData(http, category=category),
                      store=_snapshot_store(), prints=_print_buffer())
        log.info("Bybit link ready: %s, category %s", config.environment_banner(), category)
        return _link


def snapshots_forget(symbols: list[str]) -> None:
    """Drop stored snapshots and buffered prints (tests; an operator switching environments): a stale entry
    left by an earlier feed must not be read as this one's."""
    for symbol in symbols:
        link().prints.take(symbol)
    store = link().store
    if isinstance(store, RedisSnapshotStore):
        store.client.delete(*[store.key(s) for s in symbols])
    elif isinstance(store, LocalSnapshotStore):
        with store._lock:
            for symbol in symbols:
                store._latest.pop(symbol, None)


def link_reset() -> None:
    """Forget the connections (tests, or after the environment changed); stops in-process feeds."""
    global _link
    with _lock:
        current, _link = _link, None
    if current is None:
        return
    for feed in current.feeds.values():
        _stop(feed)
    if current.private_stream:
        stream, pump = current.private_stream
        _stop(stream)
        _stop(pump)


def _stop(component: object) -> None:
    try:
        component.stop()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - shutting down: log and go on with the rest
        log.exception("stopping %r failed", component)


def bybit_venue(symbol: str) -> BybitVenue:
    """The execution client, with `symbol`'s instrument rules loaded."""
    current = link()
    bybit_instrument(symbol)
    return current.venue


def bybit_instrument(symbol: str) -> Instrument:
    """Tick size, qty step, minimum qty and notional from instruments-info, re-read every hour."""
    current = link()
    with _lock:
        cached = current.instruments.get(symbol)
    if cached is not None and time.time() - cached[1] < INSTRUMENT_TTL_S:
        return cached[0]
    item = current.market_data.instrument_item(symbol)
    instrument = instrument_from_info(item, current.market_data.category)
    limits = instrument_limits_from_info(item, current.market_data.category)
    with _lock:
        current.instruments[symbol] = (instrument, time.time())
        current.venue.instruments[symbol] = instrument
        current.venue.limits[symbol] = limits
    return instrument


def bybit_snapshot(symbol: str) -> MarketSnapshot:
    """The feed's latest snapshot (marked stale when the feed fell silent), else a REST read."""
    current = link()
    bybit_feed_ensure(symbol)
    feed = current.feeds.get(symbol)
    if feed is not None:  # in this process: the feed's own view, with its own staleness watchdog
        snapshot = feed.snapshot(symbol)
        if snapshot is not None:
            return snapshot
    snapshot = current.store.get(symbol)
    if snapshot is not None:
        return snapshot
    return current.market_data.snapshot(symbol)


def bybit_hourly_volumes(symbol: str) -> list[tuple[float, float]]:
    return link().market_data.hourly_volumes(symbol, 24)


def snapshot_publish(snapshot: MarketSnapshot) -> None:
    """What a feed does with each snapshot: store it for the workers and push it to the dashboards."""
    from execdesk.desk.realtime.push import push_market

    link().store.put(snapshot)
    push_market(snapshot.symbol, snapshot.to_dict(), venue=VENUE)


def prints_publish(symbol: str, trades: list[Trade]) -> None:
    """What a feed does with the prints it received: buffer them for the desk's tick (raises if the buffer
    cannot be written: the feed keeps them and hands them again)."""
    dropped = link().prints.add(symbol, trades)
    if dropped:
        log.error("the %s print buffer is full: its %d oldest prints were dropped before a tick kept them "
                  "(is the desk's tick running?)", symbol, dropped)


def bybit_feed_ensure(symbol: str) -> None:
    """Embedded mode (EXECDESK_BYBIT_FEED_IN_PROCESS, on by default there): run the public feed for
    `symbol` and the private stream in this process. Distributed mode: the `bybit_feed` process of the
    symbol does it (see docker-compose.yml)."""
    if not settings.EXECDESK["BYBIT_FEED_IN_PROCESS"]:
        return
    current = link()
    with _lock:
        if symbol in current.feeds:
            return
        from execdesk.market.bybit_feed import BybitPublicFeed

        feed = BybitPublicFeed(current.config, category=bybit_category(), symbols=[symbol],
                               http=current.market_data.http, on_snapshot=_publish_safely,
                               on_prints=prints_publish,
                               stale_after_s=settings.EXECDESK["BYBIT_STALE_SECONDS"])
        current.feeds[symbol] = feed
        start_private = current.private_stream is None
        if start_private:
            current.private_stream = ()  # claimed: started once below
    feed.start()
    if start_private:
        private_stream_ensure(current)


# How this process starts the private stream: streams.private_stream_start, installed by DeskConfig.ready().
# The stream applies fills through the live-order services, which use this module, so it is not imported here.
_private_stream_start: Callable[..., tuple] | None = None


def private_stream_starter_install(start: Callable[..., tuple]) -> None:
    global _private_stream_start
    _private_stream_start = start


def private_stream_ensure(current: _Link) -> None:
    """The private execution/order streams, in this process (embedded) or the `bybit_feed --private` one."""
    if _private_stream_start is None:
        current.private_stream = None
        log.error("no private stream starter is installed (DeskConfig.ready() does it); fills come from REST polling")
        return
    try:
        current.private_stream = _private_stream_start(current.config, category=bybit_category())
    except Exception:  # noqa: BLE001 - REST polling and reconciliation still record every fill
        current.private_stream = None
        log.exception("the Bybit private stream did not start; fills come from REST polling")


def _publish_safely(snapshot: MarketSnapshot) -> None:
    try:
        snapshot_publish(snapshot)
    except Exception:  # noqa: BLE001 - runs on pybit's socket thread: an exception there kills the socket
        log.exception("publishing the %s snapshot failed", snapshot.symbol)
