"""A loopback WebSocket server speaking Bybit's v5 stream protocol, for tests that point the real
`pybit.unified_trading.WebSocket` at it (paths /v5/public/linear, /v5/public/spot, /v5/private).

Protocol as Bybit documents it (docs/v5/ws/connect, docs/v5/websocket/*):

* ``{"op": "subscribe", "args": [...], "req_id": ...}`` is acknowledged with
  ``{"success": true, "ret_msg": "", "conn_id": ..., "req_id": ..., "op": "subscribe"}``; an unknown topic
  fails the whole request (``success`` false, ``ret_msg`` naming the topic).
* ``{"op": "ping"}`` answers ``{"success": true, "ret_msg": "pong", ..., "op": "ping"}`` on public paths and
  ``{"op": "pong", "args": [<ms>], ...}`` on the private path.
* ``{"op": "auth", "args": [api_key, expires_ms, signature]}`` on /v5/private, signature = hex
  HMAC-SHA256(secret, "GET/realtime" + expires); an unknown key, a wrong signature or an ``expires`` in the
  past gets ``success`` false with the reason. Private topics need a successful auth first.
* ``orderbook.{1,50,200}.<SYMBOL>``: a ``snapshot``, then ``delta`` messages with consecutive ``u`` (size
  "0" deletes a level); ``publicTrade.<SYMBOL>``; ``tickers.<SYMBOL>`` (linear: snapshot then deltas of
  the changed fields; spot: snapshots only); private ``order`` and ``execution`` (or ``order.linear`` ...).

Public data comes from the shared loopback `BybitVenue`: a REST order that trades moves the book, prints a
public trade and pushes order and execution rows to authenticated connections. Every reply and push leaves
``delay_s`` (20 ms) after its cause, as a real network does: pybit registers a subscription's callback only
after sending the subscribe, and an instant answer would beat it.

Fault controls for tests: `drop_all` (pybit should reconnect), `silence` a symbol (socket stays open),
`skip_update_id` (a sequence gap on the next book delta), `push_raw` (malformed messages). `connections`
records what each connection sent and subscribed to.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.loopback import bybit_market_data as md
from tests.loopback.bybit_instruments import fmt
from tests.loopback.bybit_venue import BybitVenue

PUBLIC_PATHS = {"/v5/public/linear": "linear", "/v5/public/spot": "spot"}
PRIVATE_PATH = "/v5/private"
BOOK_DEPTHS = (1, 50, 200)
PRIVATE_TOPICS = ("order", "execution")
FIRST_UPDATE_ID = 100_000

# Bybit's wording where it documents one; otherwise a message that names the problem.
SIGN_ERROR = "Error sign, please check your signature generation algorithm."
NOT_AUTHORIZED = "Request not authorized"


@dataclass
class WsConnection:
    """One client connection as the server saw it (read it from tests; the server appends to it)."""

    conn_id: str
    path: str
    requests: list[dict[str, Any]] = field(default_factory=list)  # every parsed message received
    subscriptions: list[str] = field(default_factory=list)  # topics currently subscribed, in order
    ever_subscribed: list[str] = field(default_factory=list)
    authenticated: bool = False
    auth_failures: list[str] = field(default_factory=list)
    sent: int = 0
    open: bool = True

    @property
    def private(self) -> bool:
        return self.path == PRIVATE_PATH

    @property
    def category(self) -> str | None:
        return PUBLIC_PATHS.get(self.path)


@dataclass
class _Client:
    ws: ServerConnection
    record: WsConnection
    queue: asyncio.Queue[tuple[float, str]]


@dataclass
class _BookStream:
    """What one orderbook.<depth>.<symbol> topic last published: the image the next delta is cut from."""

    category: str
    symbol: str
    depth: int
    bids: dict[str, str]
    asks: dict[str, str]
    u: int
    seq: int
    skip_next: bool = False

    @property
    def topic(self) -> str:
        return f"orderbook.{self.depth}.{self.symbol}"


def _diff(old: dict[str, str], new: dict[str, str]) -> list[list[str]]:
    changes = [[price, size] for price, size in new.items() if old.get(price) != size]
    changes += [[price, "0"] for price in old if price not in new]
    return changes


class BybitWsLoopbackServer:
    """`start()` binds 127.0.0.1 on a free port and serves from its own thread and asyncio loop."""

    def __init__(
        self,
        *,
        venue: BybitVenue | None = None,
        api_keys: dict[str, str] | None = None,
        delay_s: float = 0.02,
    ) -> None:
        self.venue = venue or BybitVenue()
        self.api_keys = dict(api_keys or {"loopback-key": "loopback-secret"})
        self.delay_s = delay_s
        self.connections: list[WsConnection] = []
        self._clients: list[_Client] = []
        self._books: dict[tuple[str, str, int], _BookStream] = {}
        self._tickers: dict[tuple[str, str], dict[str, object]] = {}
        self._last_trade_price: dict[tuple[str, str], Decimal] = {}
        self._silenced: set[tuple[str, str]] = set()
        self._cross_seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._port = 0
        self._record_lock = threading.Lock()

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> BybitWsLoopbackServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="bybit-ws-loopback", daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the loopback WebSocket server did not start within 5 s")
        self.venue.add_listener(self._on_venue_event)
        return self

    def stop(self) -> None:
        self.venue.remove_listener(self._on_venue_event)
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(5)
        self._loop = None

    def __enter__(self) -> BybitWsLoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL (EXECDESK_BYBIT_WS_URL); clients append /v5/public/<category> or /v5/private."""
        if not self._port:
            raise RuntimeError("server not started")
        return f"ws://127.0.0.1:{self._port}"

    def _run(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve(
            self._handle, "127.0.0.1", 0, compression=None, ping_interval=None, close_timeout=1
        ) as server:
            self._port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    # ---- test controls (thread-safe, synchronous) -----------------------------------------------
    def _call(self, fn: Callable[[], Any]) -> Any:
        if self._loop is None:
            raise RuntimeError("server not started")

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(5)

    def drop_all(self, *, graceful: bool = False) -> int:
        """Cut every open connection (TCP abort, as a network failure; `graceful`: close code 1001).
        Returns how many were cut."""

        def drop() -> int:
            clients = list(self._clients)
            for client in clients:
                if graceful:
                    asyncio.ensure_future(client.ws.close(1001, "going away"))
                else:
                    client.ws.transport.abort()
            return len(clients)

        return int(self._call(drop))

    def silence(self, symbol: str, *, category: str = "linear") -> None:
        """Stop every push for `symbol` (book, trades, tickers); connections stay open and answer pings."""
        self._call(lambda: self._silenced.add((category, symbol)))

    def resume(self, symbol: str, *, category: str = "linear") -> None:
        """End `silence`: subscribers get a fresh snapshot (Bybit resets a book the same way)."""
        self._call(lambda: self._resume(category, symbol))

    def skip_update_id(self, symbol: str, *, category: str = "linear", publish: bool = True) -> None:
        """The next book delta of `symbol` skips one update id (u jumps by 2): a sequence gap. With
        `publish` an otherwise empty delta goes out at once, so the gap needs no book change."""

        def skip() -> None:
            for stream in self._streams_of(category, symbol):
                stream.skip_next = True
                if publish:
                    self._publish_book(stream, force=True)

        self._call(skip)

    def push_raw(self, message: str | dict[str, Any], *, path: str | None = None) -> int:
        """Send `message` (text as is, or JSON-encoded) to every open connection on `path` (all paths when
        None). Returns how many connections it went to."""
        text = message if isinstance(message, str) else json.dumps(message)

        def push() -> int:
            targets = [c for c in self._clients if path is None or c.record.path == path]
            for client in targets:
                self._send_text(client, text)
            return len(targets)

        return int(self._call(push))

    def publish(self, symbol: str, *, category: str = "linear") -> None:
        """Push whatever changed in the venue for `symbol` now (book deltas and ticker)."""
        self._call(lambda: self._on_market_change(category, symbol))

    def open_connections(self, path: str | None = None) -> list[WsConnection]:
        with self._record_lock:
            return [c for c in self.connections if c.open and (path is None or c.path == path)]

    def subscribers(self, topic: str) -> list[WsConnection]:
        with self._record_lock:
            return [c for c in self.connections if c.open and topic in c.subscriptions]

    # ---- connections ----------------------------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        path = urlsplit(ws.request.path if ws.request else "").path
        if path not in PUBLIC_PATHS and path != PRIVATE_PATH:
            await ws.close(1008, f"unknown path {path}")
            return
        record = WsConnection(conn_id=f"loopback-{uuid.uuid4().hex[:12]}", path=path)
        client = _Client(ws, record, asyncio.Queue())
        with self._record_lock:
            self.connections.append(record)
        self._clients.append(client)
        writer = asyncio.create_task(self._writer(client))
        try:
            async for raw in ws:
                self._on_request(client, raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
        except ConnectionClosed:
            pass
        finally:
            record.open = False
            if client in self._clients:
                self._clients.remove(client)
            writer.cancel()

    async def _writer(self, client: _Client) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, text = await client.queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                await client.ws.send(text)
                client.record.sent += 1
            except ConnectionClosed:
                return

    def _send_text(self, client: _Client, text: str) -> None:
        assert self._loop is not None
        client.queue.put_nowait((self._loop.time() + self.delay_s, text))

    def _send(self, client: _Client, message: dict[str, Any]) -> None:
        self._send_text(client, json.dumps(message))

    def _ack(self, client: _Client, op: str, req_id: object, success: bool, ret_msg: str) -> None:
        reply: dict[str, Any] = {
            "success": success,
            "ret_msg": ret_msg,
            "conn_id": client.record.conn_id,
            "op": op,
        }
        reply["req_id"] = req_id if req_id is not None else ""
        self._send(client, reply)

    def _on_request(self, client: _Client, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self._ack(client, "", None, False, f"error:request is not a JSON object: {raw[:80]!r}")
            return
        with self._record_lock:
            client.record.requests.append(message)
        op, req_id, args = message.get("op"), message.get("req_id"), message.get("args")
        if op == "ping":
            if client.record.private:
                self._send(
                    client,
                    {
                        "req_id": req_id or "",
                        "op": "pong",
                        "args": [str(self.venue.now_ms())],
                        "conn_id": client.record.conn_id,
                    },
                )
            else:
                self._ack(client, "ping", req_id, True, "pong")
        elif op == "auth":
            self._auth(client, req_id, args)
        elif op in ("subscribe", "unsubscribe"):
            self._subscribe(client, str(op), req_id, args)
        else:
            self._ack(client, str(op or ""), req_id, False, f"error:unsupported op {op!r}")

    def _auth(self, client: _Client, req_id: object, args: object) -> None:
        record = client.record
        reason = ""
        if not record.private:
            reason = "error:auth is only supported on /v5/private"
        elif record.authenticated:
            reason = "Repeat auth"
        elif not isinstance(args, list) or len(args) != 3:
            reason = "Params Error: args must be [api_key, expires, signature]"
        else:
            key, expires, signature = args
            secret = self.api_keys.get(str(key))
            try:
                expires_ms = int(str(expires))
            except ValueError:
                expires_ms = None
            if secret is None:
                reason = f"Invalid apikey: {str(key)[:4]}…"
            elif expires_ms is None:
                reason = f"Params Error: expires {expires!r} is not a millisecond timestamp"
            elif expires_ms <= self.venue.now_ms():
                reason = (
                    f"Params Error: request expired: expires {expires_ms} <= server time "
                    f"{self.venue.now_ms()}"
                )
            else:
                expected = hmac.new(secret.encode(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256)
                if not hmac.compare_digest(expected.hexdigest(), str(signature)):
                    reason = SIGN_ERROR
        if reason:
            with self._record_lock:
                record.auth_failures.append(reason)
            self._ack(client, "auth", req_id, False, reason)
            return
        record.authenticated = True
        self._ack(client, "auth", req_id, True, "")

    def _topic_error(self, record: WsConnection, topic: object) -> str:
        if not isinstance(topic, str):
            return f"error:topic must be a string, got {topic!r}"
        if record.private:
            base, _, category = topic.partition(".")
            if base not in PRIVATE_TOPICS or (category and category not in ("spot", "linear")):
                return f"error:handler not found,topic:{topic}"
            return "" if record.authenticated else NOT_AUTHORIZED
        category = record.category
        parts = topic.split(".")
        symbol = parts[-1]
        known = (category, symbol) in self.venue.instruments
        if (
            parts[0] == "orderbook"
            and len(parts) == 3
            and parts[1].isdigit()
            and int(parts[1]) in BOOK_DEPTHS
        ):
            return "" if known else f"error:symbol not found,topic:{topic}"
        if parts[0] in ("publicTrade", "tickers") and len(parts) == 2:
            return "" if known else f"error:symbol not found,topic:{topic}"
        return f"error:handler not found,topic:{topic}"

    def _subscribe(self, client: _Client, op: str, req_id: object, args: object) -> None:
        record = client.record
        if not isinstance(args, list) or not args:
            self._ack(client, op, req_id, False, "error:args must be a non-empty list of topics")
            return
        if op == "unsubscribe":
            with self._record_lock:
                for topic in args:
                    if topic in record.subscriptions:
                        record.subscriptions.remove(topic)
            self._ack(client, op, req_id, True, "")
            return
        for topic in args:
            error = self._topic_error(record, topic)
            if not error and topic in record.subscriptions:
                error = f"error:already subscribed,topic:{topic}"
            if error:
                self._ack(client, op, req_id, False, error)
                return
        with self._record_lock:
            record.subscriptions.extend(args)
            record.ever_subscribed.extend(args)
        self._ack(client, op, req_id, True, "")
        if not record.private:
            for topic in args:
                self._initial_push(client, str(record.category), topic)

    # ---- public data ----------------------------------------------------------------------------
    def _initial_push(self, client: _Client, category: str, topic: str) -> None:
        parts = topic.split(".")
        symbol = parts[-1]
        if (category, symbol) in self._silenced:
            return
        if parts[0] == "orderbook":
            stream = self._book_stream(category, symbol, int(parts[1]))
            self._publish_book(stream)  # existing subscribers catch up first: the snapshot is then current
            self._send(client, self._book_message(stream, "snapshot"))
        elif parts[0] == "tickers":
            row = self._ticker_row(category, symbol)
            self._tickers[(category, symbol)] = row
            self._send(client, self._ticker_message(category, symbol, "snapshot", row))

    def _streams_of(self, category: str, symbol: str) -> list[_BookStream]:
        return [s for (c, sym, _), s in self._books.items() if (c, sym) == (category, symbol)]

    def _book_stream(self, category: str, symbol: str, depth: int) -> _BookStream:
        key = (category, symbol, depth)
        if key not in self._books:
            bids, asks, seq = self._book_image(category, symbol, depth)
            self._books[key] = _BookStream(category, symbol, depth, bids, asks, FIRST_UPDATE_ID, seq)
        return self._books[key]

    def _book_image(
        self, category: str, symbol: str, depth: int
    ) -> tuple[dict[str, str], dict[str, str], int]:
        with self.venue.lock:
            book = self.venue.books[(category, symbol)]
            bids = {fmt(p): fmt(q) for p, q in book.levels("b", depth)}
            asks = {fmt(p): fmt(q) for p, q in book.levels("a", depth)}
            return bids, asks, book.seq

    def _book_message(
        self,
        stream: _BookStream,
        kind: str,
        bids: list[list[str]] | None = None,
        asks: list[list[str]] | None = None,
    ) -> dict[str, Any]:
        now = self.venue.now_ms()
        if kind == "snapshot":
            bids = [[p, q] for p, q in stream.bids.items()]
            asks = [[p, q] for p, q in stream.asks.items()]
        return {
            "topic": stream.topic,
            "type": kind,
            "ts": now,
            "data": {"s": stream.symbol, "b": bids or [], "a": asks or [], "u": stream.u, "seq": stream.seq},
            "cts": now,
        }

    def _subscribed(self, category: str | None, topic: str) -> list[_Client]:
        return [
            c
            for c in self._clients
            if (category is None or c.record.category == category) and topic in c.record.subscriptions
        ]

    def _publish_book(self, stream: _BookStream, *, force: bool = False) -> None:
        if (stream.category, stream.symbol) in self._silenced:
            return
        bids, asks, seq = self._book_image(stream.category, stream.symbol, stream.depth)
        delta_b, delta_a = _diff(stream.bids, bids), _diff(stream.asks, asks)
        if not (delta_b or delta_a or force):
            return
        stream.u += 2 if stream.skip_next else 1
        stream.skip_next = False
        stream.bids, stream.asks, stream.seq = bids, asks, seq
        message = self._book_message(stream, "delta", delta_b, delta_a)
        for client in self._subscribed(stream.category, stream.topic):
            self._send(client, message)

    def _ticker_row(self, category: str, symbol: str) -> dict[str, object]:
        with self.venue.lock:
            rows = md.tickers(self.venue, {"category": category, "symbol": symbol})["list"]
        row = dict(rows[0])  # type: ignore[index]
        if category == "linear":
            row["tickDirection"] = "ZeroPlusTick"
        return row

    def _ticker_message(
        self, category: str, symbol: str, kind: str, data: dict[str, object]
    ) -> dict[str, Any]:
        self._cross_seq += 1
        return {
            "topic": f"tickers.{symbol}",
            "type": kind,
            "data": data,
            "cs": self._cross_seq,
            "ts": self.venue.now_ms(),
        }

    def _publish_ticker(self, category: str, symbol: str) -> None:
        if (category, symbol) in self._silenced:
            return
        key = (category, symbol)
        subscribers = self._subscribed(category, f"tickers.{symbol}")
        if key not in self._tickers or not subscribers:
            return
        row = self._ticker_row(category, symbol)
        last = self._tickers[key]
        changed = {k: v for k, v in row.items() if last.get(k) != v}
        if not changed:
            return
        self._tickers[key] = row
        if category == "linear":
            message = self._ticker_message(category, symbol, "delta", {"symbol": symbol, **changed})
        else:
            message = self._ticker_message(category, symbol, "snapshot", row)
        for client in subscribers:
            self._send(client, message)

    def _publish_trade(self, category: str, symbol: str, trade: dict[str, object]) -> None:
        if (category, symbol) in self._silenced:
            return
        price = Decimal(str(trade["price"]))
        previous = self._last_trade_price.get((category, symbol))
        self._last_trade_price[(category, symbol)] = price
        if previous is None or price == previous:
            tick = "ZeroPlusTick"
        else:
            tick = "PlusTick" if price > previous else "MinusTick"
        row = {
            "T": int(str(trade["time"])),
            "s": symbol,
            "S": trade["side"],
            "v": trade["size"],
            "p": trade["price"],
            "L": tick,
            "i": trade["execId"],
            "BT": False,
        }
        message = {
            "topic": f"publicTrade.{symbol}",
            "type": "snapshot",
            "ts": self.venue.now_ms(),
            "data": [row],
        }
        for client in self._subscribed(category, f"publicTrade.{symbol}"):
            self._send(client, message)

    def _on_market_change(self, category: str, symbol: str) -> None:
        for stream in self._streams_of(category, symbol):
            self._publish_book(stream)
        self._publish_ticker(category, symbol)

    def _resume(self, category: str, symbol: str) -> None:
        self._silenced.discard((category, symbol))
        for stream in self._streams_of(category, symbol):
            stream.bids, stream.asks, stream.seq = self._book_image(category, symbol, stream.depth)
            stream.u += 1
            for client in self._subscribed(category, stream.topic):
                self._send(client, self._book_message(stream, "snapshot"))
        if (category, symbol) in self._tickers:
            row = self._ticker_row(category, symbol)
            self._tickers[(category, symbol)] = row
            for client in self._subscribed(category, f"tickers.{symbol}"):
                self._send(client, self._ticker_message(category, symbol, "snapshot", row))

    # ---- private data ---------------------------------------------------------------------------
    def _publish_private(self, kind: str, category: str, row: dict[str, object]) -> None:
        for client in self._clients:
            record = client.record
            if not (record.private and record.authenticated):
                continue
            for topic in (kind, f"{kind}.{category}"):
                if topic in record.subscriptions:
                    self._send(
                        client,
                        {
                            "id": f"{uuid.uuid4().hex}",
                            "topic": topic,
                            "creationTime": self.venue.now_ms(),
                            "data": [row],
                        },
                    )

    @staticmethod
    def _execution_row(category: str, execution: dict[str, object]) -> dict[str, object]:
        """The execution stream's row: the REST row's fields plus category, execPnl, isLeverage and
        marketUnit. Bybit's execution stream carries no feeCurrency (the REST execution list does), so
        the row has none either."""
        row = {k: v for k, v in execution.items() if k != "feeCurrency"}
        row.update({"category": category, "execPnl": "0", "isLeverage": "0", "marketUnit": ""})
        return row

    # ---- venue events ---------------------------------------------------------------------------
    def _on_venue_event(self, kind: str, payload: dict[str, object]) -> None:
        """Called under the venue's lock from whichever thread changed it: hand over to the loop."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._handle_event, kind, payload)
        except RuntimeError:  # the loop is closing
            pass

    def _handle_event(self, kind: str, payload: dict[str, object]) -> None:
        category, symbol = str(payload["category"]), str(payload["symbol"])
        if kind in ("book", "ticker"):
            self._on_market_change(category, symbol)
        elif kind == "trade":
            self._publish_trade(category, symbol, payload["trade"])  # type: ignore[arg-type]
            self._publish_ticker(category, symbol)
        elif kind == "order":
            row = dict(payload["order"])  # type: ignore[call-overload]
            row["category"] = category
            self._publish_private("order", category, row)
        elif kind == "execution":
            execution: dict[str, object] = payload["execution"]  # type: ignore[assignment]
            self._publish_private("execution", category, self._execution_row(category, execution))


def wait_until(
    predicate: Callable[[], object], timeout: float = 3.0, interval: float = 0.01, what: str = "condition"
) -> Any:
    """Poll `predicate` until it returns something truthy (returned) or fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
