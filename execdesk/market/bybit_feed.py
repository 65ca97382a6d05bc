"""Bybit public market data over pybit's WebSocket: a live MarketSnapshot per symbol, the same shape the
simulator and the REST reader (`market.bybit`) produce, between REST reads.

Per symbol the feed holds one pybit socket subscribed to ``orderbook.50``, ``publicTrade`` and ``tickers``,
and keeps: a copy of pybit's book (pybit hands over its live one), the recent prints (last 10 trades,
``volume_1m``), the ticker (funding, open interest), and from REST, refreshed every few minutes, 1-min
klines (``volume_1h``, ``volatility_1h``) and open-interest history (the value an hour ago, for
``oi_change_1h``).

Every print, not only the last 10 (the desk's market VWAP and TWAP need all of them): each new print (by
Bybit's trade id ``i``) is queued and handed to ``on_prints`` from the watchdog thread, oldest first; a
consumer that fails gets them again (bounded, `PENDING_PRINTS`). Once subscribed, the feed reads Bybit's
recent trades over REST: on the first connection the first minute's volume, on a reconnection the prints
the stream missed while it was down (the overlap is recognised by trade id). A malformed print is logged,
counted and left out, the message's other prints kept: it says nothing about the book, so no resync.

A snapshot is only as good as its book, so the feed says when it is not (``stale`` and
``extra["stale_reason"]``): before the first book snapshot, after a sequence gap (a delta whose ``u`` is not
the previous + 1), after ``stale_after_s`` without data, on a dropped connection and on a malformed
message. Each of these tears the symbol's socket down and builds a new one; Bybit's fresh snapshot on
the new subscription clears the flag (a malformed print does not, see above). One socket per symbol keeps a gap on one symbol from disturbing
the others. pybit's own reconnect is off so there is a single recovery path, run by the watchdog thread.

pybit runs callbacks on its socket thread, and an exception there closes the socket for good; so every
message is handled inside a guard (`execdesk.bybit.sockets.BybitSocket._on_message`) that logs, counts and marks the symbol
stale instead. ``on_snapshot`` is called from the watchdog thread, at most every ``publish_interval_s``
per symbol, whenever something changed; its exceptions are logged and counted too.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pybit.unified_trading import HTTP

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.parse import (
    BybitPayloadError,
    Kline,
    klines_from_result,
    trades_from_recent,
    volatility_1h,
)
from execdesk.bybit.rest import http_client
from execdesk.bybit.sockets import BybitSocket, backoff_delay, close_socket
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.market.bybit_book import (
    BookCopy,
    BookSequence,
    TickerFields,
    TradeIds,
    check_book_message,
    copy_book,
    open_interest_points,
    ticker_fields,
    trades_from_stream,
    value_at_or_before,
)

logger = logging.getLogger(__name__)

CATEGORIES = ("linear", "spot")
BOOK_DEPTH = 50
SNAPSHOT_LEVELS = 5
LAST_TRADES = 10
PENDING_PRINTS = 50_000  # prints received but not yet handed to `on_prints` (a consumer failing for a while)
SEEN_IDS = 20_000  # trade ids remembered to recognise a second delivery (a reconnect's REST backfill overlaps)
TRADE_WINDOW_S = 60.0
TRADE_KEEP_S = 120.0
MINUTE_KLINES = 62
RECENT_TRADES = {"linear": 1000, "spot": 60}  # Bybit's recent-trade limits per category
OI_INTERVAL, OI_POINTS = "5min", 15  # 70 minutes of history: the value an hour ago is in it
HOUR_S = 3600.0


@dataclass(frozen=True)
class FeedStatus:
    symbol: str
    connected: bool
    synced: bool
    stale_reason: str
    errors: int
    connections: int  # sockets built so far: 1 + reconnects
    last_data_ts: float | None


@dataclass
class _Symbol:
    symbol: str
    socket: BybitSocket | None = None
    generation: int = 0
    job: threading.Thread | None = None
    rebuild: bool = True  # the socket must be (re)built
    next_attempt: float = 0.0  # monotonic
    failures: int = 0
    connections: int = 0
    connected_at: float = 0.0  # clock
    sequence: BookSequence = field(default_factory=BookSequence)
    raw_kind: str = ""  # the book message being handled, as Bybit sent it
    book: BookCopy | None = None
    synced: bool = False
    stale_reason: str = "waiting for the first order book snapshot"
    last_data: float | None = None  # clock
    trades: deque[Trade] = field(default_factory=lambda: deque(maxlen=20_000))
    pending: deque[Trade] = field(default_factory=lambda: deque(maxlen=PENDING_PRINTS))  # for on_prints
    seen: TradeIds = field(default_factory=lambda: TradeIds(SEEN_IDS))
    prints_failing: bool = False
    recent_read: bool = False  # recent trades read over REST at least once
    ticker: TickerFields | None = None
    klines: list[Kline] = field(default_factory=list)
    oi_points: list[tuple[float, float]] = field(default_factory=list)
    rest_due: float = 0.0  # monotonic
    rest_seeded: bool = False
    unavailable: dict[str, str] = field(default_factory=dict)
    errors: int = 0
    dirty: bool = False
    last_publish: float = -math.inf  # monotonic
    published_stale: bool | None = None


def _result(response: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(response, Mapping) or not isinstance(response.get("result"), Mapping):
        raise BybitPayloadError(f"{what}: the response has no result object")
    return response["result"]


class BybitPublicFeed:
    def __init__(
        self,
        config: BybitConfig,
        *,
        category: str,
        symbols: Iterable[str],
        http: HTTP | None = None,
        on_snapshot: Callable[[MarketSnapshot], None] | None = None,
        on_prints: Callable[[str, list[Trade]], None] | None = None,
        clock: Callable[[], float] = time.time,
        stale_after_s: float = 10.0,
        publish_interval_s: float = 0.25,
        watchdog_interval_s: float = 0.1,
        rest_refresh_s: float = 180.0,
        reconnect_backoff_s: float = 0.5,
        ping_interval_s: float = 20.0,
    ) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        for name, value in (
            ("stale_after_s", stale_after_s),
            ("publish_interval_s", publish_interval_s),
            ("watchdog_interval_s", watchdog_interval_s),
            ("rest_refresh_s", rest_refresh_s),
        ):
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self.config = config
        self.category = category
        self.url = config.public_ws_url(category)
        self.http = http if http is not None else http_client(config, timeout_s=5.0)
        self.on_snapshot = on_snapshot
        self.on_prints = on_prints
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.publish_interval_s = publish_interval_s
        self.watchdog_interval_s = watchdog_interval_s
        self.rest_refresh_s = rest_refresh_s
        self.reconnect_backoff_s = reconnect_backoff_s
        self.ping_interval_s = ping_interval_s
        self.errors = 0
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._symbols: dict[str, _Symbol] = {}
        for symbol in symbols:
            self.add_symbol(symbol)

    # ------------------------------------------------------------------ public API

    def start(self) -> None:
        if self._watchdog is not None:
            return
        self._stopping.clear()
        self._watchdog = threading.Thread(target=self._watch, name=f"bybit-feed-{self.category}", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._watchdog is not None:
            self._watchdog.join(10)
            self._watchdog = None
        with self._lock:
            states = list(self._symbols.values())
            sockets = []
            for st in states:
                st.generation += 1  # late callbacks of the old sockets are ignored
                sockets.append(st.socket)
                st.socket, st.rebuild = None, True
        for socket in sockets:
            close_socket(socket)
        for st in states:
            job = st.job
            if job is not None:
                job.join(10)
                with self._lock:
                    leftover, st.socket = st.socket, None
                close_socket(leftover)

    def __enter__(self) -> BybitPublicFeed:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def symbols(self) -> list[str]:
        with self._lock:
            return list(self._symbols)

    def add_symbol(self, symbol: str) -> None:
        """Follow `symbol` too (a parent order became active on it); nothing happens if it is followed."""
        if not isinstance(symbol, str) or not symbol.isalnum() or symbol.upper() != symbol:
            raise ValueError(f"symbol must be an upper-case Bybit symbol such as BTCUSDT, got {symbol!r}")
        with self._lock:
            if symbol not in self._symbols:
                self._symbols[symbol] = _Symbol(symbol)
        self._wake.set()

    def snapshot(self, symbol: str) -> MarketSnapshot | None:
        """The latest snapshot, ``stale`` with ``extra["stale_reason"]`` while the book is not trustworthy;
        None before the first book ever arrived (or for a symbol the feed does not follow)."""
        with self._lock:
            st = self._symbols.get(symbol)
            if st is None or st.book is None:
                return None
            return self._snapshot(st)

    def stale_reason(self, symbol: str) -> str:
        """Why `symbol`'s snapshot is stale; "" when it is fresh."""
        with self._lock:
            st = self._symbols.get(symbol)
            if st is None:
                return f"{symbol} is not followed by this feed"
            return self._stale_reason(st, self.clock())

    def status(self, symbol: str) -> FeedStatus:
        with self._lock:
            st = self._symbols[symbol]
            connected = st.socket is not None and st.socket.is_connected()
            return FeedStatus(
                symbol,
                connected,
                st.synced,
                self._stale_reason(st, self.clock()),
                st.errors,
                st.connections,
                st.last_data,
            )

    def wait_ready(self, timeout_s: float = 10.0) -> bool:
        """Block until every symbol has a fresh book, its first ticker and Bybit's recent prints (True) or
        `timeout_s` passed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if all(
                    st.ticker is not None and st.recent_read and not self._stale_reason(st, self.clock())
                    for st in self._symbols.values()
                ):
                    return True
            time.sleep(0.01)
        return False

    # ------------------------------------------------------------------ snapshot

    def _stale_reason(self, st: _Symbol, now: float) -> str:
        if st.stale_reason:
            return st.stale_reason
        if st.last_data is not None and now - st.last_data > self.stale_after_s:
            return f"no market data for {now - st.last_data:.1f} s (stale after {self.stale_after_s:g} s)"
        return ""

    def _snapshot(self, st: _Symbol) -> MarketSnapshot:
        assert st.book is not None
        now = self.clock()
        book = st.book
        unavailable = dict(st.unavailable)
        if not st.recent_read:
            unavailable.setdefault("volume_1m", "waiting for Bybit's recent trades (REST): the minute is incomplete")
        trades = list(st.trades)
        volume_1m = math.fsum(t.qty for t in trades if t.ts > now - TRADE_WINDOW_S)
        complete = [k for k in st.klines if (k.start_ms + 60_000) / 1000.0 <= now]
        last_hour = complete[-60:]
        volume_1h = math.fsum(k.volume for k in last_hour)
        vol = volatility_1h(complete) if last_hour else 0.0
        if not last_hour:
            unavailable.setdefault("volume_1h", "no complete 1-min klines")
            unavailable.setdefault("volatility_1h", "no complete 1-min klines")
        funding = st.ticker.funding_rate if st.ticker is not None else None
        if st.ticker is None:
            unavailable["funding_rate"] = unavailable["oi_change_1h"] = "waiting for the first ticker"
        elif funding is None:
            unavailable["funding_rate"] = f"the {self.category} ticker has no fundingRate"
        oi_change = self._oi_change(st, now, unavailable)
        reason = self._stale_reason(st, now)
        extra: dict[str, Any] = {
            "category": self.category,
            "book_ts": book.ts,
            "u": book.u,
            "seq": book.seq,
            "volume_1h_source": "1-min klines",
        }
        if reason:
            extra["stale_reason"] = reason
        if unavailable:
            extra["unavailable"] = sorted(unavailable)
            extra["unavailable_reasons"] = unavailable
        return MarketSnapshot(
            symbol=st.symbol,
            ts=now,
            mid=book.mid,
            best_bid=book.best_bid,
            best_ask=book.best_ask,
            bids=book.bids[:SNAPSHOT_LEVELS],
            asks=book.asks[:SNAPSHOT_LEVELS],
            last_trades=tuple(trades[-LAST_TRADES:]),
            volume_1m=volume_1m,
            volume_1h=volume_1h,
            volatility_1h=vol,
            funding_rate=funding or 0.0,
            oi_change_1h=oi_change,
            stale=bool(reason),
            source="bybit",
            extra=extra,
        )

    def _oi_change(self, st: _Symbol, now: float, unavailable: dict[str, str]) -> float:
        if st.ticker is None:
            return 0.0
        current = st.ticker.open_interest
        if current is None:
            unavailable["oi_change_1h"] = f"the {self.category} ticker has no openInterest"
            return 0.0
        reference = value_at_or_before(st.oi_points, now - HOUR_S)
        if reference is None:
            unavailable.setdefault("oi_change_1h", "no open-interest history an hour back")
            return 0.0
        if reference <= 0:
            unavailable["oi_change_1h"] = "open interest an hour ago was zero"
            return 0.0
        return current / reference - 1.0

    # ------------------------------------------------------------------ watchdog

    def _watch(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(min(self.watchdog_interval_s, self.publish_interval_s))
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self._supervise()
            except Exception:  # noqa: BLE001 - the watchdog must outlive its own bugs
                self.errors += 1
                logger.exception("Bybit feed watchdog failed")
            self._publish_due()
            self._hand_prints()

    def _supervise(self) -> None:
        now, mono = self.clock(), time.monotonic()
        with self._lock:
            for st in self._symbols.values():
                if st.job is not None and st.job.is_alive():
                    continue
                if st.socket is not None and not st.rebuild:
                    if not st.socket.is_connected():
                        self._fault(st, "the WebSocket connection was lost; reconnecting", count=False)
                    else:
                        since = now - (st.last_data if st.last_data is not None else st.connected_at)
                        if since > self.stale_after_s:
                            self._fault(
                                st,
                                f"no market data for {since:.1f} s (stale after "
                                f"{self.stale_after_s:g} s); reconnecting",
                                count=False,
                            )
                if st.rebuild and mono >= st.next_attempt:
                    self._start_job(st, self._connect_job)
                elif not st.rebuild and mono >= st.rest_due:
                    self._start_job(st, self._refresh_job)

    def _start_job(self, st: _Symbol, target: Callable[[_Symbol], None]) -> None:
        if self._stopping.is_set():
            return
        st.job = threading.Thread(target=target, args=(st,), name=f"bybit-feed-{st.symbol}", daemon=True)
        st.job.start()

    def _fault(self, st: _Symbol, reason: str, *, count: bool = True) -> None:
        """Mark `st` stale with `reason` and have its socket rebuilt (lock held)."""
        if count:
            st.errors += 1
            self.errors += 1
        if not st.rebuild:
            logger.warning("Bybit %s feed %s: %s", self.category, st.symbol, reason)
        st.stale_reason = reason
        st.synced = False
        st.dirty = True
        if not st.rebuild:
            st.rebuild = True
            st.failures += 1
            st.next_attempt = time.monotonic() + backoff_delay(st.failures, self.reconnect_backoff_s)
        self._wake.set()

    def _publish_due(self) -> None:
        if self.on_snapshot is None:
            return
        mono, now = time.monotonic(), self.clock()
        due: list[MarketSnapshot] = []
        with self._lock:
            for st in self._symbols.values():
                if not st.dirty or st.book is None:
                    continue
                stale = bool(self._stale_reason(st, now))
                # a change of the stale flag goes out at once: the desk must not act on a book it lost
                if stale != st.published_stale or mono - st.last_publish >= self.publish_interval_s:
                    st.dirty, st.last_publish, st.published_stale = False, mono, stale
                    due.append(self._snapshot(st))
        for snap in due:
            try:
                self.on_snapshot(snap)
            except Exception:  # noqa: BLE001 - a consumer's bug must not stop the feed
                self.errors += 1
                logger.exception("on_snapshot failed for %s", snap.symbol)

    def _hand_prints(self) -> None:
        """Every print received since the last call goes to `on_prints`, oldest first, on this (the watchdog's)
        thread: the socket thread only queues. A failing consumer gets them again next time (bounded)."""
        if self.on_prints is None:
            return
        with self._lock:
            due = [(st, list(st.pending)) for st in self._symbols.values() if st.pending]
            for st, _ in due:
                st.pending.clear()
        for st, trades in due:
            try:
                self.on_prints(st.symbol, trades)
            except Exception:  # noqa: BLE001 - a consumer's failure must not stop the feed; retried next time
                with self._lock:
                    newer = list(st.pending)
                    st.pending.clear()
                    st.pending.extend([*trades, *newer])  # the bound drops the oldest
                    if not st.prints_failing:
                        self.errors += 1
                        logger.exception("Bybit %s feed %s: handing %d prints on failed; kept to retry",
                                         self.category, st.symbol, len(trades))
                    st.prints_failing = True
            else:
                if st.prints_failing:
                    logger.info("Bybit %s feed %s: prints handed on again", self.category, st.symbol)
                st.prints_failing = False

    def _prints_received(self, st: _Symbol, trades: list[Trade]) -> list[Trade]:
        """The prints not seen before, queued for `on_prints` (lock held)."""
        new = [t for t in trades if st.seen.add(t.trade_id)]
        if self.on_prints is not None:
            if len(st.pending) + len(new) > PENDING_PRINTS:
                logger.error("Bybit %s feed %s: %d prints not handed on yet; the oldest are dropped",
                             self.category, st.symbol, len(st.pending) + len(new))
            st.pending.extend(new)
        return new

    # ------------------------------------------------------------------ jobs (one thread a symbol at a time)

    def _connect_job(self, st: _Symbol) -> None:
        with self._lock:
            old, st.socket = st.socket, None
            st.generation += 1
            generation = st.generation
            st.sequence.reset()
            st.synced = False
        close_socket(old)
        if not st.rest_seeded or time.monotonic() >= st.rest_due:
            self._refresh_rest(st)
        socket: BybitSocket | None = None
        try:
            socket = BybitSocket(
                self.category,
                url=self.url,
                on_fault=partial(self._on_socket_fault, st, generation),
                on_message=partial(self._on_raw, st, generation),
                on_close=self._wake.set,
                testnet=self.config.testnet,
                demo=self.config.demo,
                ping_interval=self.ping_interval_s,
                ping_timeout=min(10.0, self.ping_interval_s / 2),
            )
            with self._lock:
                if self._stopping.is_set() or generation != st.generation:
                    raise ConnectionAbortedError("the feed stopped while connecting")
                st.socket = socket
                st.rebuild = False
                st.connections += 1
                st.connected_at, st.last_data = self.clock(), None
            socket.orderbook_stream(
                BOOK_DEPTH, st.symbol, partial(self._guarded, st, generation, self._on_book)
            )
            socket.trade_stream(st.symbol, partial(self._guarded, st, generation, self._on_trades))
            socket.ticker_stream(st.symbol, partial(self._guarded, st, generation, self._on_ticker))
            self._recent_prints(st)
        except Exception as exc:  # noqa: BLE001 - any failure is one more reconnect attempt
            close_socket(socket)
            with self._lock:
                if generation == st.generation and not self._stopping.is_set():
                    st.socket = None
                    st.rebuild = True
                    st.failures += 1
                    st.next_attempt = time.monotonic() + backoff_delay(st.failures, self.reconnect_backoff_s)
                    st.stale_reason = f"cannot connect to {self.url}: {type(exc).__name__}: {exc}"
                    st.dirty = True
                    logger.warning("Bybit %s feed %s: %s", self.category, st.symbol, st.stale_reason)
        self._wake.set()

    def _refresh_job(self, st: _Symbol) -> None:
        self._refresh_rest(st)
        self._wake.set()

    def _recent_prints(self, st: _Symbol) -> None:
        """Bybit's recent prints over REST, read once the stream is subscribed. On the first connection they
        give the first minute's volume; on a reconnection, the prints the stream missed while it was down (up
        to Bybit's recent-trade limit). What the stream also delivered is recognised by its trade id."""
        c = self.category
        try:
            recent = trades_from_recent(
                _result(
                    self.http.get_public_trade_history(category=c, symbol=st.symbol, limit=RECENT_TRADES[c]),
                    "recent-trade",
                )
            )
        except Exception as exc:  # noqa: BLE001 - best effort: the stream goes on either way
            reason = f"recent trades failed (prints before this connection are missing): {exc}"
            logger.warning("Bybit %s feed %s: %s", c, st.symbol, reason)
            with self._lock:
                if not st.recent_read:
                    st.unavailable["volume_1m"] = reason
                    st.dirty = True
            return
        with self._lock:
            missed = self._prints_received(st, recent)
            if missed:
                st.trades = deque(sorted([*st.trades, *missed], key=lambda t: t.ts), maxlen=st.trades.maxlen)
            if not st.recent_read:
                st.unavailable.pop("volume_1m", None)
            st.recent_read = True
            st.dirty = True

    def _refresh_rest(self, st: _Symbol) -> None:
        """1-min klines and open-interest history."""
        c, symbol = self.category, st.symbol
        unavailable: dict[str, str] = {}
        klines: list[Kline] | None = None
        oi_points: list[tuple[float, float]] | None = None
        try:
            klines = klines_from_result(
                _result(
                    self.http.get_kline(category=c, symbol=symbol, interval="1", limit=MINUTE_KLINES), "kline"
                )
            )
        except Exception as exc:  # noqa: BLE001 - REST extras are best effort; the book comes from the socket
            unavailable["volume_1h"] = unavailable["volatility_1h"] = f"1-min klines failed: {exc}"
        if c == "linear":
            try:
                oi_points = open_interest_points(
                    _result(
                        self.http.get_open_interest(
                            category=c, symbol=symbol, intervalTime=OI_INTERVAL, limit=OI_POINTS
                        ),
                        "open-interest",
                    )
                )
            except Exception as exc:  # noqa: BLE001
                unavailable["oi_change_1h"] = f"open-interest history failed: {exc}"
        for name, reason in unavailable.items():
            logger.warning("Bybit %s feed %s: %s unavailable: %s", c, symbol, name, reason)
        with self._lock:
            if klines is not None:
                st.klines = klines
            if oi_points is not None:
                st.oi_points = oi_points
            if "volume_1m" in st.unavailable and not st.recent_read:
                unavailable["volume_1m"] = st.unavailable["volume_1m"]
            st.unavailable = unavailable
            st.rest_seeded = True
            st.rest_due = time.monotonic() + self.rest_refresh_s
            st.dirty = True

    # ------------------------------------------------------------------ socket thread

    def _on_socket_fault(self, st: _Symbol, generation: int, where: str, reason: str) -> None:
        with self._lock:
            if generation == st.generation:
                self._fault(
                    st,
                    f"malformed or unexpected message{f' on {where}' if where else ''}: {reason}; "
                    "resynchronising",
                )

    def _on_raw(self, st: _Symbol, generation: int, message: dict[str, Any]) -> bool:
        """Every message before pybit handles it: False drops it (pybit never sees it)."""
        with self._lock:
            if generation != st.generation or st.rebuild:
                return False  # a socket being replaced, or a book already known to be broken
            topic = message.get("topic")
            if topic is None:
                if message.get("op") == "subscribe" and message.get("success") is False:
                    # pybit's own bookkeeping fails on a refused subscription: handle it here
                    self._fault(st, f"Bybit refused the subscription: {message.get('ret_msg')!r}")
                    return False
                if message.get("op") is None:
                    self._fault(st, f"a message has neither topic nor op: {json.dumps(message)[:120]}")
                    return False
                return True
            if not isinstance(topic, str) or not topic.endswith(f".{st.symbol}"):
                self._fault(st, f"a message has an unexpected topic {topic!r}")
                return False
            if topic.startswith("orderbook."):
                try:
                    kind, u = check_book_message(message, st.symbol)
                except BybitPayloadError as exc:
                    self._fault(st, f"malformed order book message: {exc}; resynchronising")
                    return False
                problem = st.sequence.check(kind, u)
                if problem:
                    self._fault(st, f"{problem}; resynchronising")
                    return False
                st.raw_kind = kind
            return True

    def _guarded(
        self,
        st: _Symbol,
        generation: int,
        handler: Callable[[_Symbol, dict[str, Any]], None],
        message: dict[str, Any],
    ) -> None:
        try:
            with self._lock:
                if generation != st.generation or st.rebuild:
                    return
                handler(st, message)
                st.dirty = True
        except Exception as exc:  # noqa: BLE001 - see BybitSocket: an exception here would kill the socket
            with self._lock:
                if generation == st.generation:
                    self._fault(st, f"malformed {message.get('topic')} message: {exc}; resynchronising")
        self._wake.set()

    def _on_book(self, st: _Symbol, message: dict[str, Any]) -> None:
        st.book = copy_book(message, st.symbol)  # a copy: pybit keeps rewriting its own book in place
        st.last_data = self.clock()
        if st.raw_kind == "snapshot":
            st.synced = True
            st.stale_reason = ""
            st.failures = 0

    def _on_trades(self, st: _Symbol, message: dict[str, Any]) -> None:
        try:
            trades, rejected = trades_from_stream(message, st.symbol)
        except BybitPayloadError as exc:
            trades, rejected = [], [str(exc)]
        for reason in rejected:  # a bad print says nothing about the book: logged and left out, no resync
            st.errors += 1
            self.errors += 1
            logger.error("Bybit %s feed %s: a malformed public trade was rejected (the others are kept): %s",
                         self.category, st.symbol, reason)
        trades = self._prints_received(st, trades)
        st.trades.extend(trades)
        horizon = self.clock() - TRADE_KEEP_S
        while len(st.trades) > LAST_TRADES and st.trades[0].ts < horizon:
            st.trades.popleft()
        st.last_data = self.clock()

    def _on_ticker(self, st: _Symbol, message: dict[str, Any]) -> None:
        st.ticker = ticker_fields(message, st.symbol)
        st.last_data = self.clock()
