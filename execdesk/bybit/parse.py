"""Bybit v5 REST ``result`` payloads turned into domain objects, strictly.

Bybit sends every number as a string and uses ``""`` for "not applicable", so each field is read by name
and checked (present, numeric, finite, in range); a bad payload raises ``BybitPayloadError`` naming the
field path, e.g. ``lotSizeFilter.qtyStep``, rather than producing a wrong tick size or a NaN mid that
would surface much later as a mispriced order. These functions do no I/O: the Bybit feed fetches with
pybit and hands the ``result`` objects here. Endpoints: /v5/market/instruments-info, orderbook,
recent-trade, kline, tickers, open-interest (docs/v5/market).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import Level, MarketSnapshot, Trade

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
SUPPORTED_CATEGORIES = ("linear", "spot")


class BybitPayloadError(ValueError):
    """A Bybit response does not have the documented shape; the message names the field."""


# ---------------------------------------------------------------------------------------- field readers


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BybitPayloadError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(container: Mapping[str, Any], key: str, where: str) -> Sequence[Any]:
    if key not in container:
        raise BybitPayloadError(f"{where}.{key} is missing")
    value = container[key]
    if not isinstance(value, list):
        raise BybitPayloadError(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return value


def _text(container: Mapping[str, Any], key: str, where: str) -> str:
    if key not in container or container[key] is None:
        raise BybitPayloadError(f"{where}.{key} is missing")
    value = container[key]
    if not isinstance(value, str) or value.strip() == "":
        raise BybitPayloadError(f"{where}.{key} is empty or not a string: {value!r}")
    return value


def _number_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BybitPayloadError(f"{where}: expected a number as a string, got {value!r}")
    text = str(value).strip()
    if text == "":
        raise BybitPayloadError(f"{where} is an empty string")
    return text


def _decimal_value(value: Any, where: str, *, positive: bool = False, signed: bool = False) -> Decimal:
    text = _number_text(value, where)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BybitPayloadError(f"{where}={text!r} is not a number") from None
    if not number.is_finite():
        raise BybitPayloadError(f"{where}={text!r} is not finite")
    if not signed and (number < 0 or (positive and number == 0)):
        raise BybitPayloadError(f"{where}={text!r} must be {'positive' if positive else 'non-negative'}")
    return number


def _float_value(value: Any, where: str, *, positive: bool = False, signed: bool = False) -> float:
    text = _number_text(value, where)
    try:
        number = float(text)
    except ValueError:
        raise BybitPayloadError(f"{where}={text!r} is not a number") from None
    if not math.isfinite(number):
        raise BybitPayloadError(f"{where}={text!r} is not finite")
    if not signed and (number < 0 or (positive and number == 0)):
        raise BybitPayloadError(f"{where}={text!r} must be {'positive' if positive else 'non-negative'}")
    return number


def _decimal(container: Mapping[str, Any], key: str, where: str, *, positive: bool) -> Decimal:
    if key not in container or container[key] is None:
        raise BybitPayloadError(f"{where}.{key} is missing")
    return _decimal_value(container[key], f"{where}.{key}", positive=positive)


def _optional_decimal(container: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """An optional field: absent or "" (Bybit's "not applicable") is None, anything else must parse."""
    value = container.get(key)
    if value is None or value == "":
        return None
    return _decimal_value(value, f"{where}.{key}", positive=True)


def _timestamp_ms(value: Any, where: str) -> int:
    text = _number_text(value, where)
    if not text.isdigit():
        raise BybitPayloadError(f"{where}={text!r} is not a millisecond timestamp")
    return int(text)


# ------------------------------------------------------------------------------------------ instruments


def _category(category: str) -> str:
    if category not in SUPPORTED_CATEGORIES:
        raise BybitPayloadError(f"category={category!r} is not supported; use one of {SUPPORTED_CATEGORIES}")
    return category


def instrument_from_info(item: Mapping[str, Any], category: str) -> Instrument:
    """One entry of instruments-info ``result.list`` as an Instrument.

    linear: ``priceFilter.tickSize``, ``lotSizeFilter.qtyStep`` / ``minOrderQty`` / ``minNotionalValue``.
    spot: the quantity step is ``lotSizeFilter.basePrecision`` and the minimum notional ``minOrderAmt``;
    Bybit documents spot ``minOrderQty`` as deprecated and no longer checked, so the minimum quantity is
    one ``basePrecision`` step when it is absent (``minOrderAmt`` is the binding limit).
    """
    _category(category)
    item = _mapping(item, "instrument")
    symbol = _text(item, "symbol", "instrument")
    where = f"instrument {symbol}"
    price_filter = _mapping(item.get("priceFilter"), f"{where}.priceFilter")
    lot = _mapping(item.get("lotSizeFilter"), f"{where}.lotSizeFilter")
    tick = _decimal(price_filter, "tickSize", f"{where}.priceFilter", positive=True)
    if category == "linear":
        step = _decimal(lot, "qtyStep", f"{where}.lotSizeFilter", positive=True)
        min_qty = _decimal(lot, "minOrderQty", f"{where}.lotSizeFilter", positive=True)
        min_notional = _decimal(lot, "minNotionalValue", f"{where}.lotSizeFilter", positive=False)
    else:
        step = _decimal(lot, "basePrecision", f"{where}.lotSizeFilter", positive=True)
        min_qty = _optional_decimal(lot, "minOrderQty", f"{where}.lotSizeFilter") or step
        min_notional = _decimal(lot, "minOrderAmt", f"{where}.lotSizeFilter", positive=False)
    return Instrument(
        symbol=symbol,
        tick_size=tick,
        qty_step=step,
        min_qty=min_qty,
        min_notional=min_notional,
        base_asset=_text(item, "baseCoin", where),
        quote_asset=_text(item, "quoteCoin", where),
    )


@dataclass(frozen=True)
class InstrumentLimits:
    """What instruments-info says beyond Instrument: whether it trades and the largest order sizes."""

    symbol: str
    category: str
    status: str  # "Trading" when orders are accepted
    max_limit_qty: Decimal | None
    max_market_qty: Decimal | None

    @property
    def trading(self) -> bool:
        return self.status == "Trading"


def instrument_limits_from_info(item: Mapping[str, Any], category: str) -> InstrumentLimits:
    """linear: ``maxOrderQty`` / ``maxMktOrderQty``; spot: ``maxLimitOrderQty`` / ``maxMarketOrderQty``."""
    _category(category)
    item = _mapping(item, "instrument")
    symbol = _text(item, "symbol", "instrument")
    where = f"instrument {symbol}"
    lot = _mapping(item.get("lotSizeFilter"), f"{where}.lotSizeFilter")
    lot_where = f"{where}.lotSizeFilter"
    if category == "linear":
        limit_qty = _optional_decimal(lot, "maxOrderQty", lot_where)
        market_qty = _optional_decimal(lot, "maxMktOrderQty", lot_where)
    else:
        limit_qty = _optional_decimal(lot, "maxLimitOrderQty", lot_where) or _optional_decimal(
            lot, "maxOrderQty", lot_where
        )
        market_qty = _optional_decimal(lot, "maxMarketOrderQty", lot_where)
    return InstrumentLimits(symbol, category, _text(item, "status", where), limit_qty, market_qty)


# ----------------------------------------------------------------------------------------------- book


def _ladder(raw: Sequence[Any], where: str, depth: int, *, descending: bool) -> tuple[Level, ...]:
    levels: list[Level] = []
    for i, row in enumerate(raw[:depth]):
        if not isinstance(row, (list, tuple)) or len(row) < 2:
            raise BybitPayloadError(f"{where}[{i}]: expected [price, size], got {row!r}")
        price = _float_value(row[0], f"{where}[{i}] price", positive=True)
        qty = _float_value(row[1], f"{where}[{i}] size", positive=True)
        if levels:
            previous = levels[-1].price
            if (descending and price >= previous) or (not descending and price <= previous):
                order = "descending" if descending else "ascending"
                raise BybitPayloadError(
                    f"{where}[{i}] price {price} breaks the {order} order after {previous}"
                )
        levels.append(Level(price, qty))
    if not levels:
        raise BybitPayloadError(f"{where} is empty: no price on this side of the book")
    return tuple(levels)


def book_levels(
    orderbook_result: Mapping[str, Any], depth: int = 5
) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
    """``(bids, asks)``, best first, the top `depth` levels of a /v5/market/orderbook ``result``.

    ``b`` is bids (descending), ``a`` asks (ascending); a crossed or locked book is an error.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth!r}")
    result = _mapping(orderbook_result, "orderbook")
    bids = _ladder(_list(result, "b", "orderbook"), "orderbook.b", depth, descending=True)
    asks = _ladder(_list(result, "a", "orderbook"), "orderbook.a", depth, descending=False)
    if bids[0].price >= asks[0].price:
        raise BybitPayloadError(f"orderbook is crossed: best bid {bids[0].price} >= best ask {asks[0].price}")
    return bids, asks


# --------------------------------------------------------------------------------------------- trades

_SIDES = {"Buy": "buy", "Sell": "sell"}


def trades_from_recent(result: Mapping[str, Any]) -> list[Trade]:
    """A /v5/market/recent-trade ``result`` as Trades, oldest first (Bybit lists newest first).

    ``side`` is the taker's side ("Buy"/"Sell" -> "buy"/"sell"); ``time`` is in milliseconds.
    """
    result = _mapping(result, "recent-trade")
    trades: list[Trade] = []
    for i, raw in enumerate(_list(result, "list", "recent-trade")):
        where = f"recent-trade.list[{i}]"
        row = _mapping(raw, where)
        side = _text(row, "side", where)
        if side not in _SIDES:
            raise BybitPayloadError(f"{where}.side={side!r} is not 'Buy' or 'Sell'")
        if "time" not in row:
            raise BybitPayloadError(f"{where}.time is missing")
        trades.append(
            Trade(
                ts=_timestamp_ms(row["time"], f"{where}.time") / 1000.0,
                price=float(_decimal(row, "price", where, positive=True)),
                qty=float(_decimal(row, "size", where, positive=True)),
                side=_SIDES[side],
                trade_id=_text(row, "execId", where),
            )
        )
    trades.reverse()  # Bybit lists newest first; the stable sort then keeps same-millisecond prints in order
    trades.sort(key=lambda t: t.ts)
    return trades


# --------------------------------------------------------------------------------------------- klines


@dataclass(frozen=True)
class Kline:
    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # base coin for spot and linear


def klines_from_result(result: Mapping[str, Any]) -> list[Kline]:
    """A /v5/market/kline ``result`` as Klines, oldest first (Bybit lists newest first).

    Each row is ``[startTime, open, high, low, close, volume, turnover]``; duplicate start times are an
    error.
    """
    result = _mapping(result, "kline")
    rows: list[Kline] = []
    for i, raw in enumerate(_list(result, "list", "kline")):
        where = f"kline.list[{i}]"
        if not isinstance(raw, (list, tuple)) or len(raw) < 6:
            raise BybitPayloadError(
                f"{where}: expected [start, open, high, low, close, volume, ...], got {raw!r}"
            )
        start = _timestamp_ms(raw[0], f"{where} startTime")
        o, h, low, c = (
            _float_value(raw[k], f"{where} {name}", positive=True)
            for k, name in ((1, "open"), (2, "high"), (3, "low"), (4, "close"))
        )
        if not low <= min(o, c) <= max(o, c) <= h:
            raise BybitPayloadError(f"{where}: open/close {o}/{c} outside low..high {low}..{h}")
        rows.append(Kline(start, o, h, low, c, _float_value(raw[5], f"{where} volume")))
    rows.sort(key=lambda k: k.start_ms)
    for earlier, later in zip(rows, rows[1:], strict=False):
        if earlier.start_ms == later.start_ms:
            raise BybitPayloadError(f"kline.list has two klines starting at {later.start_ms}")
    return rows


def hourly_volumes_from_klines(
    result: Mapping[str, Any], *, now: float | None = None
) -> list[tuple[float, float]]:
    """``(start_s, volume)`` oldest first from interval=60 klines, as ``VolumeCurve.from_hourly_volumes``
    takes them.

    Every start must fall on a whole UTC hour (a 1-min kline list is refused). With `now` (Unix seconds)
    the hour still in progress is dropped: its partial volume would understate that hour of the day.
    """
    out: list[tuple[float, float]] = []
    for k in klines_from_result(result):
        if k.start_ms % HOUR_MS:
            raise BybitPayloadError(
                f"kline startTime {k.start_ms} is not on a whole hour: expected interval=60 klines"
            )
        if now is not None and (k.start_ms + HOUR_MS) / 1000.0 > now:
            continue
        out.append((k.start_ms / 1000.0, k.volume))
    return out


def volatility_1h(klines_1m: Sequence[Kline]) -> float:
    """Std-dev of the 1-min log returns of the last 61 closes, scaled to one hour (x sqrt 60).

    The same estimator the replay market uses; fewer than 3 closes give 0 (not enough to estimate).
    """
    closes = [k.close for k in klines_1m[-61:]]
    if len(closes) < 3:
        return 0.0
    returns = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False)]
    return statistics.stdev(returns) * math.sqrt(60)


# --------------------------------------------------------------------------------------------- ticker


def _ticker_item(ticker: Mapping[str, Any], symbol: str) -> Mapping[str, Any]:
    """Accept a /v5/market/tickers ``result`` (with ``list``) or one of its entries."""
    ticker = _mapping(ticker, "tickers")
    if "list" in ticker:
        for i, raw in enumerate(_list(ticker, "list", "tickers")):
            item = _mapping(raw, f"tickers.list[{i}]")
            if item.get("symbol") == symbol:
                return item
        raise BybitPayloadError(f"tickers.list has no entry for {symbol}")
    if _text(ticker, "symbol", "tickers") != symbol:
        raise BybitPayloadError(f"tickers.symbol={ticker.get('symbol')!r} is not {symbol}")
    return ticker


def _oi_change_1h(current: float | None, open_interest: Mapping[str, Any] | None) -> tuple[float | None, str]:
    """Open-interest change over the last hour from an open-interest ``result`` (newest first)."""
    if open_interest is None:
        return None, "no open-interest history given"
    result = _mapping(open_interest, "open-interest")
    points: list[tuple[int, float]] = []
    for i, raw in enumerate(_list(result, "list", "open-interest")):
        where = f"open-interest.list[{i}]"
        row = _mapping(raw, where)
        if "timestamp" not in row:
            raise BybitPayloadError(f"{where}.timestamp is missing")
        points.append(
            (
                _timestamp_ms(row["timestamp"], f"{where}.timestamp"),
                float(_decimal(row, "openInterest", where, positive=False)),
            )
        )
    if not points:
        return None, "open-interest history is empty"
    points.sort()
    newest_ts, newest = points[-1]
    reference = [value for ts, value in points if ts <= newest_ts - HOUR_MS]
    if not reference:
        return None, "open-interest history covers less than an hour"
    base = reference[-1]
    if base <= 0:
        return None, "open interest an hour ago was zero"
    return (newest if current is None else current) / base - 1.0, ""


# ------------------------------------------------------------------------------------------- snapshot


def snapshot_from_rest(
    symbol: str,
    orderbook: Mapping[str, Any],
    trades: Mapping[str, Any],
    ticker: Mapping[str, Any],
    klines_1m: Mapping[str, Any] | None = None,
    open_interest: Mapping[str, Any] | None = None,
    *,
    now: float,
    category: str = "linear",
    stale_after_s: float = 5.0,
) -> MarketSnapshot:
    """A MarketSnapshot from the REST ``result`` objects of one moment.

    * book: mid, best bid/ask and 5 levels a side from `orderbook`; the snapshot is ``stale`` when the
      book's ``ts`` is more than `stale_after_s` older than `now`.
    * last 10 trades from `trades` (recent-trade), newest last.
    * ``volume_1m``: the trades of the last 60 s when the trade list reaches back that far, else the last
      complete 1-min kline; ``volume_1h`` and ``volatility_1h`` from the last 60 complete 1-min klines.
    * ``funding_rate`` from the ticker's ``fundingRate`` (linear); ``oi_change_1h`` from the ticker's
      ``openInterest`` against `open_interest` history (/v5/market/open-interest) an hour back.

    Whatever cannot be derived reads 0 and is listed in ``extra["unavailable"]`` with the reason.
    """
    _category(category)
    if not math.isfinite(now):
        raise ValueError(f"now must be finite, got {now!r}")
    book = _mapping(orderbook, "orderbook")
    if _text(book, "s", "orderbook") != symbol:
        raise BybitPayloadError(f"orderbook.s={book.get('s')!r} is not {symbol}")
    bids, asks = book_levels(book, depth=5)
    book_ts = _timestamp_ms(book["ts"], "orderbook.ts") / 1000.0 if "ts" in book else None
    tape = trades_from_recent(trades)
    for i, raw in enumerate(_list(_mapping(trades, "recent-trade"), "list", "recent-trade")):
        if isinstance(raw, Mapping) and raw.get("symbol", symbol) != symbol:
            raise BybitPayloadError(f"recent-trade.list[{i}].symbol={raw.get('symbol')!r} is not {symbol}")
    tick = _ticker_item(ticker, symbol)
    unavailable: dict[str, str] = {}

    complete: list[Kline] = []
    if klines_1m is not None:
        complete = [k for k in klines_from_result(klines_1m) if (k.start_ms + MINUTE_MS) / 1000.0 <= now]
        for k in complete:
            if k.start_ms % MINUTE_MS:
                raise BybitPayloadError(
                    f"kline startTime {k.start_ms} is not on a whole minute: expected interval=1"
                )

    if tape and tape[0].ts <= now - 60:
        volume_1m, volume_1m_source = math.fsum(t.qty for t in tape if now - 60 < t.ts <= now), "trades"
    elif complete:
        volume_1m, volume_1m_source = complete[-1].volume, "last complete 1-min kline"
    else:
        volume_1m, volume_1m_source = 0.0, ""
        unavailable["volume_1m"] = "trades cover less than 60 s and no 1-min klines were given"

    last_hour = complete[-60:]
    if last_hour:
        volume_1h = math.fsum(k.volume for k in last_hour)
        vol = volatility_1h(complete)
    else:
        volume_1h, vol = 0.0, 0.0
        unavailable["volume_1h"] = unavailable["volatility_1h"] = "no complete 1-min klines were given"

    funding_raw = tick.get("fundingRate")
    if funding_raw is None or funding_raw == "":
        funding = 0.0
        unavailable["funding_rate"] = f"the {category} ticker has no fundingRate"
    else:
        funding = _float_value(funding_raw, f"tickers {symbol}.fundingRate", signed=True)

    oi_raw = tick.get("openInterest")
    current_oi = (
        None if oi_raw is None or oi_raw == "" else _float_value(oi_raw, f"tickers {symbol}.openInterest")
    )
    oi_change, why = _oi_change_1h(current_oi, open_interest)
    if oi_change is None:
        unavailable["oi_change_1h"] = why

    extra: dict[str, Any] = {"category": category, "book_ts": book_ts}
    if volume_1m_source:
        extra["volume_1m_source"] = volume_1m_source
    if unavailable:
        extra["unavailable"] = sorted(unavailable)
        extra["unavailable_reasons"] = unavailable
    return MarketSnapshot(
        symbol=symbol,
        ts=now,
        mid=(bids[0].price + asks[0].price) / 2,
        best_bid=bids[0].price,
        best_ask=asks[0].price,
        bids=bids,
        asks=asks,
        last_trades=tuple(tape[-10:]),
        volume_1m=volume_1m,
        volume_1h=volume_1h,
        volatility_1h=vol,
        funding_rate=funding,
        oi_change_1h=oi_change or 0.0,
        stale=book_ts is None or now - book_ts > stale_after_s,
        source="bybit",
        extra=extra,
    )


# The checked number readers, for the other Bybit adapters (REST market data, execution, the WebSocket book).
decimal_value = _decimal_value
float_value = _float_value
