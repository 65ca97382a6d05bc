"""Bybit v5 public stream payloads (orderbook, publicTrade, tickers) read strictly, with no I/O.

The WebSocket feed calls these from pybit's socket thread. Two pybit habits shape them: the order book
callback receives pybit's *live* book (a later delta rewrites it in place) and pybit appends a newly
inserted level at the end of its list, so `copy_book` takes an immutable, sorted copy. And pybit rewrites
every book message to ``type: "snapshot"`` before the callback, so the sequence check (`BookSequence`) runs
on the raw message, before pybit applies it. A payload that does not have the documented shape raises
`BybitPayloadError` naming the field, like the REST parsers in `execdesk.bybit.parse`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from execdesk.bybit.parse import BybitPayloadError, float_value
from execdesk.domain.market import Level, Trade

_SIDES = {"Buy": "buy", "Sell": "sell"}


_number = float_value  # execdesk.bybit.parse's checked reader: a string number, finite, signed only when allowed


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise BybitPayloadError(f"{where}={value!r} is not a non-negative integer")
    return int(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BybitPayloadError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _symbol(data: Mapping[str, Any], key: str, symbol: str, where: str) -> None:
    if data.get(key) != symbol:
        raise BybitPayloadError(f"{where}.{key}={data.get(key)!r} is not {symbol}")


def _levels(raw: Any, where: str, *, allow_zero: bool) -> list[tuple[float, float]]:
    if not isinstance(raw, list):
        raise BybitPayloadError(f"{where}: expected a list of [price, size], got {type(raw).__name__}")
    levels = []
    for i, row in enumerate(raw):
        if not isinstance(row, (list, tuple)) or len(row) != 2:
            raise BybitPayloadError(f"{where}[{i}]: expected [price, size], got {row!r}")
        price = _number(row[0], f"{where}[{i}] price", positive=True)
        size = _number(row[1], f"{where}[{i}] size", positive=not allow_zero)
        levels.append((price, size))
    return levels


# ----------------------------------------------------------------------------------------- order book


@dataclass(frozen=True)
class BookCopy:
    """Our own copy of pybit's book for one symbol: every level, best first, plus Bybit's ids."""

    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    u: int
    seq: int
    ts: float  # the message's exchange time, Unix seconds

    @property
    def best_bid(self) -> float:
        return self.bids[0].price

    @property
    def best_ask(self) -> float:
        return self.asks[0].price

    @property
    def mid(self) -> float:
        return (self.best_bid + self.best_ask) / 2


def check_book_message(message: Mapping[str, Any], symbol: str) -> tuple[str, int]:
    """Validate a raw orderbook message before pybit applies it; ``(type, u)``.

    ``type`` is "snapshot" or "delta"; a delta's size "0" deletes a level, so zero sizes are accepted here.
    """
    topic = message.get("topic")
    kind = message.get("type")
    if kind not in ("snapshot", "delta"):
        raise BybitPayloadError(f"{topic}.type={kind!r} is not 'snapshot' or 'delta'")
    data = _mapping(message.get("data"), f"{topic}.data")
    _symbol(data, "s", symbol, f"{topic}.data")
    _levels(data.get("b"), f"{topic}.data.b", allow_zero=kind == "delta")
    _levels(data.get("a"), f"{topic}.data.a", allow_zero=kind == "delta")
    return str(kind), _integer(data.get("u"), f"{topic}.data.u")


def copy_book(message: Mapping[str, Any], symbol: str) -> BookCopy:
    """pybit's orderbook callback message (its live, merged book) as an immutable sorted copy.

    An empty side or a crossed book is an error: either means the local book is no longer Bybit's.
    """
    topic = message.get("topic")
    data = _mapping(message.get("data"), f"{topic}.data")
    _symbol(data, "s", symbol, f"{topic}.data")
    bids = sorted(_levels(data.get("b"), f"{topic}.data.b", allow_zero=False), reverse=True)
    asks = sorted(_levels(data.get("a"), f"{topic}.data.a", allow_zero=False))
    if not bids or not asks:
        raise BybitPayloadError(f"{topic}: the {'bid' if not bids else 'ask'} side is empty")
    if bids[0][0] >= asks[0][0]:
        raise BybitPayloadError(f"{topic} is crossed: best bid {bids[0][0]} >= best ask {asks[0][0]}")
    ts = _integer(message.get("ts"), f"{topic}.ts") / 1000.0
    return BookCopy(
        symbol=symbol,
        bids=tuple(Level(p, q) for p, q in bids),
        asks=tuple(Level(p, q) for p, q in asks),
        u=_integer(data.get("u"), f"{topic}.data.u"),
        seq=_integer(data.get("seq", 0), f"{topic}.data.seq"),
        ts=ts,
    )


class BookSequence:
    """Bybit's update ids: every delta's ``u`` is the previous ``u`` + 1; a snapshot starts over.

    `check` returns "" when the message follows on, else why the local book can no longer be trusted.
    """

    def __init__(self) -> None:
        self.last_u: int | None = None

    def reset(self) -> None:
        self.last_u = None

    def check(self, kind: str, u: int) -> str:
        if kind == "snapshot":
            self.last_u = u
            return ""
        if self.last_u is None:
            return f"an order book delta (u={u}) arrived before any snapshot"
        expected = self.last_u + 1
        if u != expected:
            previous, self.last_u = self.last_u, None
            return f"order book sequence gap: update id jumped from {previous} to {u} (expected {expected})"
        self.last_u = u
        return ""


# --------------------------------------------------------------------------------------------- trades


def trades_from_stream(message: Mapping[str, Any], symbol: str) -> tuple[list[Trade], list[str]]:
    """A publicTrade message as Trades in the order Bybit sent them (oldest first), and why each malformed
    row was left out.

    Each row: ``T`` time (ms), ``s`` symbol, ``S`` taker side, ``v`` size, ``p`` price, ``i`` trade id (what
    makes a second delivery of a print recognisable). Rows are read one by one: a malformed row is left out
    and named, the others are kept (a bad print says nothing about the book or the other prints). A message
    whose ``data`` is not a list raises `BybitPayloadError`.
    """
    topic = message.get("topic")
    rows = message.get("data")
    if not isinstance(rows, list):
        raise BybitPayloadError(f"{topic}.data: expected a list of trades, got {type(rows).__name__}")
    trades, rejected = [], []
    for i, raw in enumerate(rows):
        where = f"{topic}.data[{i}]"
        try:
            trades.append(_stream_trade(raw, symbol, where))
        except BybitPayloadError as exc:
            rejected.append(str(exc))
    return trades, rejected


def _stream_trade(raw: Any, symbol: str, where: str) -> Trade:
    row = _mapping(raw, where)
    _symbol(row, "s", symbol, where)
    side = row.get("S")
    if side not in _SIDES:
        raise BybitPayloadError(f"{where}.S={side!r} is not 'Buy' or 'Sell'")
    trade_id = row.get("i")
    if not isinstance(trade_id, str) or not trade_id.strip():
        raise BybitPayloadError(f"{where}.i={trade_id!r} is not a trade id")
    return Trade(
        ts=_integer(row.get("T"), f"{where}.T") / 1000.0,
        price=_number(row.get("p"), f"{where}.p", positive=True),
        qty=_number(row.get("v"), f"{where}.v", positive=True),
        side=_SIDES[side],
        trade_id=trade_id,
    )


class TradeIds:
    """The last `limit` trade ids seen, to recognise a print delivered twice (oldest forgotten first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._order: deque[str] = deque()
        self._ids: set[str] = set()

    def add(self, trade_id: str) -> bool:
        """True when `trade_id` is new (and now remembered); a print without an id is always new."""
        if not trade_id:
            return True
        if trade_id in self._ids:
            return False
        self._ids.add(trade_id)
        self._order.append(trade_id)
        if len(self._order) > self.limit:
            self._ids.discard(self._order.popleft())
        return True


# -------------------------------------------------------------------------------------------- tickers


@dataclass(frozen=True)
class TickerFields:
    """What the feed uses from a tickers message; None where Bybit does not send it (spot has no
    funding or open interest)."""

    funding_rate: float | None
    open_interest: float | None
    last_price: float | None
    mark_price: float | None
    volume_24h: float | None


def ticker_fields(message: Mapping[str, Any], symbol: str) -> TickerFields:
    """pybit's tickers callback message (snapshot and deltas already merged) read field by field."""
    topic = message.get("topic")
    data = _mapping(message.get("data"), f"{topic}.data")
    _symbol(data, "symbol", symbol, f"{topic}.data")

    def optional(key: str, *, signed: bool = False) -> float | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        return _number(value, f"{topic}.data.{key}", signed=signed)

    return TickerFields(
        funding_rate=optional("fundingRate", signed=True),
        open_interest=optional("openInterest"),
        last_price=optional("lastPrice"),
        mark_price=optional("markPrice"),
        volume_24h=optional("volume24h"),
    )


# ------------------------------------------------------------------------------------- open interest


def open_interest_points(result: Mapping[str, Any]) -> list[tuple[float, float]]:
    """A /v5/market/open-interest ``result`` as ``(ts_seconds, open_interest)``, oldest first."""
    result = _mapping(result, "open-interest")
    rows = result.get("list")
    if not isinstance(rows, list):
        raise BybitPayloadError("open-interest.list is missing or not a list")
    points = []
    for i, raw in enumerate(rows):
        where = f"open-interest.list[{i}]"
        row = _mapping(raw, where)
        points.append(
            (
                _integer(row.get("timestamp"), f"{where}.timestamp") / 1000.0,
                _number(row.get("openInterest"), f"{where}.openInterest"),
            )
        )
    return sorted(points)


def value_at_or_before(points: Sequence[tuple[float, float]], ts: float) -> float | None:
    """The newest value of ``(ts, value)`` points (oldest first) at or before `ts`."""
    found = None
    for point_ts, value in points:
        if point_ts > ts:
            break
        found = value
    return found
