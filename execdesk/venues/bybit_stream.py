"""Bybit's private stream (``order`` and ``execution`` topics) over pybit's WebSocket: our fills and order
states as they happen, instead of polling /v5/execution/list.

The stream is an accelerator, not the record: Bybit does not replay what was pushed while a connection was
down, so the desk reconciles through REST (`BybitVenue.executions(order_link_id)`, `get`) whenever
`connected` is False or has just become True again (``on_connection_change``). Fills carry Bybit's
``execId`` and are delivered once per stream even if Bybit repeats one.

Authentication uses the configured API key and secret (pybit signs ``GET/realtime`` + expires); a refusal
is permanent until the credentials change, so `start` raises `BybitAuthError` with Bybit's message rather
than reconnecting in a loop. A dropped connection is rebuilt by the watchdog thread (pybit's own
reconnect is off, as in the public feed). Callbacks run on pybit's socket thread inside a guard: keep them
short (hand the report to a queue); an exception in one is logged and counted, never fatal.

Bybit's execution stream carries no ``feeCurrency`` (the REST execution list does): `FillReport.fee_currency`
is "" for streamed fills unless Bybit sends the field; take the currency from the REST fill when needed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from execdesk.bybit.config import BybitConfig
from execdesk.bybit.parse import BybitPayloadError, decimal_value
from execdesk.bybit.sockets import BybitSocket, backoff_delay, close_socket
from execdesk.domain.orders import ChildStatus, FillReport
from execdesk.venues.bybit import STATUS_MAP

logger = logging.getLogger(__name__)

CATEGORIES = ("linear", "spot")
TOPICS = ("order", "execution")
SEEN_EXEC_IDS = 10_000
_QUIET_REASONS = frozenset({"", "EC_NoError"})


class BybitAuthError(RuntimeError):
    """Bybit refused the private stream's credentials (wrong key or secret, or an expired signature)."""


@dataclass(frozen=True)
class OrderUpdate:
    """One row of Bybit's order stream: where an order stands now."""

    order_link_id: str
    venue_order_id: str
    symbol: str
    category: str
    status: ChildStatus
    bybit_status: str
    filled_qty: Decimal
    avg_price: Decimal | None
    cum_fee: Decimal
    reject_reason: str
    ts: float  # updatedTime, Unix seconds


# ----------------------------------------------------------------------------------------- parsing


def _decimal(
    row: Mapping[str, Any], key: str, where: str, *, default: str | None = None, positive: bool = False
) -> Decimal:
    """`row[key]` through execdesk.bybit.parse's checked reader (`default` when missing or empty)."""
    value = row.get(key)
    if (value is None or value == "") and default is not None:
        value = default
    if value is None or value == "":
        raise BybitPayloadError(f"{where}.{key} is missing or not a number: {value!r}")
    return decimal_value(value, f"{where}.{key}", positive=positive, signed=not positive)


def _ms(row: Mapping[str, Any], key: str, where: str) -> float:
    value = row.get(key)
    if isinstance(value, bool) or not str(value).isdigit():
        raise BybitPayloadError(f"{where}.{key}={value!r} is not a millisecond timestamp")
    return int(str(value)) / 1000.0


def fill_from_execution(row: Mapping[str, Any]) -> FillReport | None:
    """An execution-stream row as a FillReport; None for rows that are not trades (funding, ADL, ...)."""
    if not isinstance(row, Mapping):
        raise BybitPayloadError(f"execution row: expected an object, got {type(row).__name__}")
    exec_type = row.get("execType")
    if exec_type != "Trade":
        return None
    exec_id = row.get("execId")
    if not isinstance(exec_id, str) or not exec_id:
        raise BybitPayloadError(f"execution row: execId is missing: {exec_id!r}")
    where = f"execution {exec_id}"
    maker = row.get("isMaker")
    if maker not in (True, False, "true", "false"):
        raise BybitPayloadError(f"{where}.isMaker={maker!r} is not a boolean")
    return FillReport(
        exec_id=exec_id,
        order_link_id=str(row.get("orderLinkId") or ""),
        qty=_decimal(row, "execQty", where, positive=True),
        price=_decimal(row, "execPrice", where, positive=True),
        fee=_decimal(row, "execFee", where, default="0"),  # negative for a maker rebate
        fee_currency=str(row.get("feeCurrency") or ""),
        liquidity="maker" if maker in (True, "true") else "taker",
        ts=_ms(row, "execTime", where),
    )


def order_update_from_row(row: Mapping[str, Any]) -> OrderUpdate:
    """An order-stream row (the /v5/order/realtime fields plus ``category``) as an OrderUpdate."""
    if not isinstance(row, Mapping):
        raise BybitPayloadError(f"order row: expected an object, got {type(row).__name__}")
    order_id = str(row.get("orderId") or "")
    link = str(row.get("orderLinkId") or "")
    where = f"order {link or order_id or '?'}"
    bybit_status = str(row.get("orderStatus"))
    status = STATUS_MAP.get(bybit_status)
    if status is None:
        raise BybitPayloadError(f"{where}.orderStatus={row.get('orderStatus')!r} is not a known order status")
    filled = _decimal(row, "cumExecQty", where, default="0")
    if status is ChildStatus.SUBMITTED and filled > 0:
        status = ChildStatus.PARTIALLY_FILLED
    avg = _decimal(row, "avgPrice", where) if row.get("avgPrice") not in (None, "", "0") else None
    reason = str(row.get("rejectReason") or "")
    shown = (
        reason
        if status in (ChildStatus.CANCELLED, ChildStatus.REJECTED) and reason not in _QUIET_REASONS
        else ""
    )
    return OrderUpdate(
        order_link_id=link,
        venue_order_id=order_id,
        symbol=str(row.get("symbol") or ""),
        category=str(row.get("category") or ""),
        status=status,
        bybit_status=bybit_status,
        filled_qty=filled,
        avg_price=avg,
        cum_fee=_decimal(row, "cumExecFee", where, default="0"),
        reject_reason=shown,
        ts=_ms(row, "updatedTime", where),
    )


# ------------------------------------------------------------------------------------------ stream


class BybitPrivateStream:
    def __init__(
        self,
        config: BybitConfig,
        *,
        categories: Iterable[str] = ("linear",),
        on_fill: Callable[[FillReport], None],
        on_order: Callable[[OrderUpdate], None] | None = None,
        on_connection_change: Callable[[bool], None] | None = None,
        clock: Callable[[], float] = time.time,
        watchdog_interval_s: float = 0.1,
        reconnect_backoff_s: float = 0.5,
        ping_interval_s: float = 20.0,
    ) -> None:
        if not config.has_credentials:
            raise BybitAuthError(
                "the private stream needs EXECDESK_BYBIT_API_KEY and EXECDESK_BYBIT_API_SECRET (or *_FILE)"
            )
        self.categories = tuple(categories)
        if not self.categories or any(c not in CATEGORIES for c in self.categories):
            raise ValueError(
                f"categories must be taken from {', '.join(CATEGORIES)}, got {self.categories!r}"
            )
        if not math.isfinite(watchdog_interval_s) or watchdog_interval_s <= 0:
            raise ValueError(f"watchdog_interval_s must be positive, got {watchdog_interval_s!r}")
        self.config = config
        self.url = config.private_ws_url()
        self.on_fill = on_fill
        self.on_order = on_order
        self.on_connection_change = on_connection_change
        self.clock = clock
        self.watchdog_interval_s = watchdog_interval_s
        self.reconnect_backoff_s = reconnect_backoff_s
        self.ping_interval_s = ping_interval_s
        self.errors = 0
        self.connections = 0  # sockets built so far
        self.auth_error = ""
        self.last_error = ""
        self.last_message_ts: float | None = None
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._job: threading.Thread | None = None
        self._socket: BybitSocket | None = None
        self._generation = 0
        self._rebuild = True
        self._failures = 0
        self._next_attempt = 0.0
        self._authenticated = False
        self._acks = 0  # subscriptions Bybit confirmed on the current connection
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._reported_connected = False

    # ------------------------------------------------------------------ public API

    @property
    def connected(self) -> bool:
        """Authenticated and subscribed to both topics on a live connection: fills arrive as they happen.
        When False, poll REST."""
        with self._lock:
            return (
                self._socket is not None
                and self._socket.is_connected()
                and self._authenticated
                and self._acks >= len(TOPICS)
            )

    def start(self, timeout_s: float = 5.0) -> bool:
        """Connect, authenticate and subscribe; True once live within `timeout_s`. False means it keeps trying
        in the background (poll REST meanwhile). Raises BybitAuthError when Bybit refuses the credentials."""
        if self._watchdog is None:
            self._stopping.clear()
            self._watchdog = threading.Thread(target=self._watch, name="bybit-private-stream", daemon=True)
            self._watchdog.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.auth_error:
                self.stop()
                raise BybitAuthError(
                    f"Bybit refused the private stream's credentials at {self.url}: {self.auth_error}"
                )
            if self.connected:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(10)
        self._watchdog = None
        job = self._job
        if job is not None and job is not threading.current_thread():
            job.join(10)
        with self._lock:
            self._generation += 1
            socket, self._socket = self._socket, None
            self._rebuild = True
        close_socket(socket)

    def __enter__(self) -> BybitPrivateStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ watchdog

    def _watch(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.watchdog_interval_s)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                self._supervise()
            except Exception:  # noqa: BLE001 - the watchdog must outlive its own bugs
                self.errors += 1
                logger.exception("Bybit private stream watchdog failed")
            self._report_connection()

    def _supervise(self) -> None:
        refused: BybitSocket | None = None
        with self._lock:
            if self._job is not None and self._job.is_alive():
                return
            if self.auth_error:  # refused credentials stay refused: close, and do not try again
                refused, self._socket = self._socket, None
            else:
                if self._socket is not None and not self._rebuild and not self._socket.is_connected():
                    self._lost("the WebSocket connection was lost; reconnecting")
                if self._rebuild and time.monotonic() >= self._next_attempt and not self._stopping.is_set():
                    self._job = threading.Thread(
                        target=self._connect_job, name="bybit-private-connect", daemon=True
                    )
                    self._job.start()
        close_socket(refused)

    def _lost(self, reason: str) -> None:
        """The connection must be rebuilt (lock held)."""
        if not self._rebuild:
            logger.warning("Bybit private stream: %s", reason)
            self._rebuild = True
            self._failures += 1
            self._next_attempt = time.monotonic() + backoff_delay(self._failures, self.reconnect_backoff_s)
        self.last_error = reason
        self._authenticated = False
        self._wake.set()

    def _report_connection(self) -> None:
        now_connected = self.connected
        if now_connected == self._reported_connected:
            return
        self._reported_connected = now_connected
        if now_connected:
            with self._lock:
                self._failures = 0
        if self.on_connection_change is not None:
            try:
                self.on_connection_change(now_connected)
            except Exception:  # noqa: BLE001
                self.errors += 1
                logger.exception("on_connection_change failed")

    def _connect_job(self) -> None:
        with self._lock:
            old, self._socket = self._socket, None
            self._generation += 1
            generation = self._generation
            self._authenticated = False
            self._acks = 0
        close_socket(old)
        socket: BybitSocket | None = None
        try:
            socket = BybitSocket(
                "private",
                url=self.url,
                on_fault=partial(self._on_fault, generation),
                on_message=partial(self._on_raw, generation),
                on_close=self._wake.set,
                testnet=self.config.testnet,
                demo=self.config.demo,
                api_key=self.config.api_key,
                api_secret=self.config.api_secret,
                ping_interval=self.ping_interval_s,
                ping_timeout=min(10.0, self.ping_interval_s / 2),
            )
            with self._lock:
                if self._stopping.is_set() or generation != self._generation or self.auth_error:
                    raise ConnectionAbortedError(self.auth_error or "the stream stopped while connecting")
                self._socket = socket
                self._rebuild = False
                self.connections += 1
            socket.order_stream(partial(self._guarded, generation, self._on_orders))
            socket.execution_stream(partial(self._guarded, generation, self._on_executions))
        except Exception as exc:  # noqa: BLE001 - any failure is one more reconnect attempt
            close_socket(socket)
            with self._lock:
                if generation == self._generation and not self._stopping.is_set():
                    self._socket = None
                    self._rebuild = True
                    self._failures += 1
                    self._next_attempt = time.monotonic() + backoff_delay(
                        self._failures, self.reconnect_backoff_s
                    )
                    self.last_error = f"cannot connect to {self.url}: {type(exc).__name__}: {exc}"
                    if not self.auth_error:
                        logger.warning("Bybit private stream: %s", self.last_error)
        self._wake.set()

    # ------------------------------------------------------------------ socket thread

    def _on_fault(self, generation: int, where: str, reason: str) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self.errors += 1
            self.last_error = f"{where}: {reason}" if where else reason
        logger.warning(
            "Bybit private stream: malformed or unexpected message%s: %s",
            f" on {where}" if where else "",
            reason,
        )

    def _on_raw(self, generation: int, message: dict[str, Any]) -> bool:
        with self._lock:
            if generation != self._generation:
                return False
            self.last_message_ts = self.clock()
            op = message.get("op")
            if op == "auth":
                if message.get("success") is True:
                    self._authenticated = True
                    return True
                # pybit raises on a refused auth; record Bybit's reason and stop trying with these credentials
                self.auth_error = str(message.get("ret_msg") or "authentication failed")
                logger.error("Bybit private stream: authentication refused: %s", self.auth_error)
                self._rebuild = True
                self._wake.set()
                return False
            if op == "subscribe":
                if message.get("success") is True:
                    self._acks += 1
                    return True
                self.errors += 1
                self.last_error = f"Bybit refused a subscription: {message.get('ret_msg')!r}"
                logger.warning("Bybit private stream: %s", self.last_error)
                return False  # pybit's own bookkeeping fails on a refused subscription
            if op is None and message.get("topic") is None:
                self.errors += 1
                logger.warning("Bybit private stream: a message has neither topic nor op: %.120s", message)
                return False
            return True

    def _guarded(
        self, generation: int, handler: Callable[[list[Any]], None], message: dict[str, Any]
    ) -> None:
        if generation != self._generation:
            return
        rows = message.get("data")
        if not isinstance(rows, list):
            self._on_fault(generation, str(message.get("topic")), f"data is not a list: {rows!r:.80}")
            return
        handler(rows)

    def _on_executions(self, rows: list[Any]) -> None:
        for row in rows:
            try:
                if not isinstance(row, Mapping) or row.get("category") not in self.categories:
                    continue
                fill = fill_from_execution(row)
                if fill is None:
                    continue
                with self._lock:
                    if fill.exec_id in self._seen:
                        continue
                    self._seen[fill.exec_id] = None
                    while len(self._seen) > SEEN_EXEC_IDS:
                        self._seen.popitem(last=False)
                self.on_fill(fill)
            except Exception as exc:  # noqa: BLE001 - one bad row or consumer bug must not stop the stream
                self._count(f"execution row {_row_id(row, 'execId')}: {type(exc).__name__}: {exc}")

    def _on_orders(self, rows: list[Any]) -> None:
        for row in rows:
            try:
                if not isinstance(row, Mapping) or row.get("category") not in self.categories:
                    continue
                update = order_update_from_row(row)
                if self.on_order is not None:
                    self.on_order(update)
            except Exception as exc:  # noqa: BLE001
                self._count(f"order row {_row_id(row, 'orderLinkId')}: {type(exc).__name__}: {exc}")

    def _count(self, reason: str) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = reason
        logger.warning("Bybit private stream: %s", reason)


def _row_id(row: Any, key: str) -> str:
    return str(row.get(key)) if isinstance(row, Mapping) else "?"
