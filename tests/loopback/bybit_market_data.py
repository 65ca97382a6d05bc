"""The `result` objects of the loopback venue's public market endpoints and fee rates, shaped as the
Bybit v5 docs show them. Klines, funding and open-interest histories are derived deterministically
from the current mid so repeated calls agree."""

from __future__ import annotations

from decimal import Decimal

from tests.loopback.bybit_instruments import CATEGORIES, fmt
from tests.loopback.bybit_venue import BybitVenue, _param_error

KLINE_MINUTES = {
    "1": 1,
    "3": 3,
    "5": 5,
    "15": 15,
    "30": 30,
    "60": 60,
    "120": 120,
    "240": 240,
    "360": 360,
    "720": 720,
    "D": 1440,
    "W": 10080,
}
OI_INTERVAL_MINUTES = {"5min": 5, "15min": 15, "30min": 30, "1h": 60, "4h": 240, "1d": 1440}


def _limit(params: dict[str, object], default: int, maximum: int) -> int:
    try:
        value = int(str(params.get("limit", default)))
    except ValueError:
        raise _param_error(f"limit invalid: {params.get('limit')!r}") from None
    if not 1 <= value <= maximum:
        raise _param_error(f"limit must be in [1, {maximum}], got {value}")
    return value


def _wiggle(i: int) -> Decimal:
    """A deterministic relative offset in [-0.002, 0.002] for bar `i`."""
    return Decimal((i * 7) % 11 - 5) / 2500


def instruments_info(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category = str(p.get("category", ""))
    if category not in CATEGORIES:
        raise _param_error(f"category invalid: {category!r}")
    rows = [
        i.info() for (c, s), i in venue.instruments.items() if c == category and p.get("symbol") in (None, s)
    ]
    return {"category": category, "list": rows, "nextPageCursor": ""}


def tickers(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category = str(p.get("category", ""))
    if category not in CATEGORIES:
        raise _param_error(f"category invalid: {category!r}")
    rows = []
    for c, symbol in venue.instruments:
        if c != category or p.get("symbol") not in (None, symbol):
            continue
        book = venue.books[(c, symbol)]
        bid, ask = book.levels("b", 1), book.levels("a", 1)
        last = Decimal(str(venue.trades[(c, symbol)][0]["price"]))
        mid = venue.mid(c, symbol)
        row: dict[str, object] = {
            "symbol": symbol,
            "lastPrice": fmt(last),
            "bid1Price": fmt(bid[0][0]) if bid else "",
            "bid1Size": fmt(bid[0][1]) if bid else "",
            "ask1Price": fmt(ask[0][0]) if ask else "",
            "ask1Size": fmt(ask[0][1]) if ask else "",
            "prevPrice24h": fmt(mid * Decimal("0.99")),
            "price24hPcnt": "0.0101",
            "highPrice24h": fmt(mid * Decimal("1.02")),
            "lowPrice24h": fmt(mid * Decimal("0.98")),
            "turnover24h": fmt(mid * 12000),
            "volume24h": "12000",
        }
        if category == "linear":
            next_funding = (venue.now_ms() // 28_800_000 + 1) * 28_800_000
            row.update(
                {
                    "indexPrice": fmt(mid),
                    "markPrice": fmt(mid),
                    "prevPrice1h": fmt(mid),
                    "openInterest": fmt(venue.open_interest),
                    "openInterestValue": fmt(venue.open_interest * mid),
                    "fundingRate": fmt(venue.funding_rate),
                    "nextFundingTime": str(next_funding),
                    "predictedDeliveryPrice": "",
                    "basisRate": "",
                    "deliveryFeeRate": "",
                    "deliveryTime": "0",
                    "basis": "",
                }
            )
        else:
            row["usdIndexPrice"] = fmt(mid)
        rows.append(row)
    return {"category": category, "list": rows}


def orderbook(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category, symbol = str(p.get("category", "")), str(p.get("symbol", ""))
    venue.instrument(category, symbol)
    limit = _limit(p, 1 if category == "spot" else 25, 200 if category == "spot" else 500)
    book = venue.books[(category, symbol)]
    now = venue.now_ms()
    return {
        "s": symbol,
        "b": [[fmt(px), fmt(q)] for px, q in book.levels("b", limit)],
        "a": [[fmt(px), fmt(q)] for px, q in book.levels("a", limit)],
        "ts": now,
        "u": book.update_id,
        "seq": book.seq,
        "cts": now,
    }


def recent_trades(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category, symbol = str(p.get("category", "")), str(p.get("symbol", ""))
    venue.instrument(category, symbol)
    limit = _limit(p, 60 if category == "spot" else 500, 60 if category == "spot" else 1000)
    return {"category": category, "list": list(venue.trades[(category, symbol)])[:limit]}


def kline(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category, symbol = str(p.get("category", "linear")), str(p.get("symbol", ""))
    inst = venue.instrument(category, symbol)
    interval = str(p.get("interval", ""))
    if interval not in KLINE_MINUTES:
        raise _param_error(f"interval invalid: {interval!r}")
    limit = _limit(p, 200, 1000)
    step = KLINE_MINUTES[interval] * 60_000
    end = int(str(p.get("end", venue.now_ms())))
    newest = end // step * step
    mid = venue.mid(category, symbol)
    rows = []
    for i in range(limit):
        start = newest - i * step
        open_ = (mid * (1 + _wiggle(i + 1))).quantize(inst.tick_size)
        close = (mid * (1 + _wiggle(i))).quantize(inst.tick_size)
        high = (max(open_, close) * Decimal("1.0005")).quantize(inst.tick_size)
        low = (min(open_, close) * Decimal("0.9995")).quantize(inst.tick_size)
        volume = (Decimal(50) * (1 + (i % 5))).quantize(inst.qty_step)
        rows.append(
            [str(start), fmt(open_), fmt(high), fmt(low), fmt(close), fmt(volume), fmt(volume * close)]
        )
    return {"category": category, "symbol": symbol, "list": rows}


def funding_history(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category, symbol = str(p.get("category", "")), str(p.get("symbol", ""))
    if category != "linear":
        raise _param_error(f"category invalid: {category!r}")
    venue.instrument(category, symbol)
    limit = _limit(p, 200, 200)
    newest = venue.now_ms() // 28_800_000 * 28_800_000
    rows = [
        {
            "symbol": symbol,
            "fundingRate": fmt(venue.funding_rate + _wiggle(i) / 10),
            "fundingRateTimestamp": str(newest - i * 28_800_000),
        }
        for i in range(limit)
    ]
    return {"category": category, "list": rows}


def open_interest(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category, symbol = str(p.get("category", "")), str(p.get("symbol", ""))
    if category != "linear":
        raise _param_error(f"category invalid: {category!r}")
    venue.instrument(category, symbol)
    interval = str(p.get("intervalTime", ""))
    if interval not in OI_INTERVAL_MINUTES:
        raise _param_error(f"intervalTime invalid: {interval!r}")
    limit = _limit(p, 50, 200)
    step = OI_INTERVAL_MINUTES[interval] * 60_000
    newest = venue.now_ms() // step * step
    rows = [
        {
            "openInterest": fmt((venue.open_interest * (1 + _wiggle(i))).quantize(Decimal("0.001"))),
            "timestamp": str(newest - i * step),
        }
        for i in range(limit)
    ]
    return {"symbol": symbol, "category": category, "list": rows, "nextPageCursor": ""}


def fee_rate(venue: BybitVenue, p: dict[str, object]) -> dict[str, object]:
    category = str(p.get("category", ""))
    if category not in CATEGORIES:
        raise _param_error(f"category invalid: {category!r}")
    taker, maker = venue.fee_rates[category]
    rows = [
        {
            "symbol": s,
            "baseCoin": i.base_coin if category == "spot" else "",
            "takerFeeRate": fmt(taker),
            "makerFeeRate": fmt(maker),
        }
        for (c, s), i in venue.instruments.items()
        if c == category and p.get("symbol") in (None, s)
    ]
    return {"list": rows}
