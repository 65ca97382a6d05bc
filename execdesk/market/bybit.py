"""Bybit market data over REST through pybit's official HTTP client: instruments, a MarketSnapshot (the
same shape the simulator and the replay produce), the 24-hour volume curve from hourly klines, and the
account's fee rates. The WebSocket feed (issue 4) maintains the same snapshot between REST reads.

Every number goes through `execdesk.bybit.parse`, which refuses malformed payloads with the field named; pybit's
own errors keep their retCode, and `execdesk.bybit.errors.classify_pybit_error` tells what they mean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from pybit.unified_trading import HTTP

from execdesk.bybit.parse import (
    BybitPayloadError,
    InstrumentLimits,
    decimal_value,
    float_value,
    hourly_volumes_from_klines,
    instrument_from_info,
    instrument_limits_from_info,
    snapshot_from_rest,
)
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot

BOOK_DEPTH = 50
RECENT_TRADES = 60
MINUTE_KLINES = 62  # 61 closes give 60 one-minute returns, plus the minute still in progress


class BybitUnknownSymbol(BybitPayloadError):
    """Bybit does not list the symbol in this category."""


def _result(response: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if not isinstance(response, Mapping) or not isinstance(response.get("result"), Mapping):
        raise BybitPayloadError(f"{what}: the response has no result object")
    return response["result"]


class BybitMarketData:
    def __init__(self, http: HTTP, *, category: str = "linear", clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.category = category
        self.clock = clock

    def instrument(self, symbol: str) -> Instrument:
        return instrument_from_info(self.instrument_item(symbol), self.category)

    def instrument_limits(self, symbol: str) -> InstrumentLimits:
        """Whether the symbol trades and its largest limit and market order sizes."""
        return instrument_limits_from_info(self.instrument_item(symbol), self.category)

    def instrument_item(self, symbol: str) -> Mapping[str, Any]:
        result = _result(self.http.get_instruments_info(category=self.category, symbol=symbol), "instruments-info")
        items = [i for i in result.get("list") or [] if isinstance(i, Mapping) and i.get("symbol") == symbol]
        if not items:
            raise BybitUnknownSymbol(f"instruments-info has no {self.category} instrument {symbol}")
        return items[0]

    def funding_history(self, symbol: str, limit: int = 21) -> list[tuple[float, float]]:
        """(funding time, rate per 8 h) newest first; linear contracts only (spot has no funding)."""
        if self.category != "linear":
            raise ValueError(f"funding history exists for linear contracts, not {self.category}")
        if not 1 <= limit <= 200:
            raise ValueError(f"limit must be within 1..200, got {limit}")
        result = _result(self.http.get_funding_rate_history(category=self.category, symbol=symbol, limit=limit),
                         "funding/history")
        rows = []
        for i, row in enumerate(result.get("list") or []):
            where = f"funding/history {symbol} row {i}"
            if not isinstance(row, Mapping):
                raise BybitPayloadError(f"{where}: not an object")
            rows.append((float_value(row.get("fundingRateTimestamp"), f"{where} fundingRateTimestamp") / 1000.0,
                         float_value(row.get("fundingRate"), f"{where} fundingRate", signed=True)))
        return rows

    def fee_rates(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The account's (maker, taker) fee rates for the symbol, as fractions of notional."""
        result = _result(self.http.get_fee_rates(category=self.category, symbol=symbol), "account/fee-rate")
        row = next((r for r in result.get("list") or [] if isinstance(r, Mapping) and r.get("symbol") == symbol),
                   None)
        if row is None:
            raise BybitPayloadError(f"account/fee-rate has no {symbol}")
        return (decimal_value(row.get("makerFeeRate"), f"fee-rate {symbol} makerFeeRate", signed=True),
                decimal_value(row.get("takerFeeRate"), f"fee-rate {symbol} takerFeeRate", signed=True))

    def snapshot(self, symbol: str) -> MarketSnapshot:
        c = self.category
        book = _result(self.http.get_orderbook(category=c, symbol=symbol, limit=BOOK_DEPTH), "orderbook")
        trades = _result(self.http.get_public_trade_history(category=c, symbol=symbol, limit=RECENT_TRADES),
                         "recent-trade")
        tickers = _result(self.http.get_tickers(category=c, symbol=symbol), "tickers")
        ticker = next((t for t in tickers.get("list") or [] if isinstance(t, Mapping) and t.get("symbol") == symbol),
                      None)
        if ticker is None:
            raise BybitPayloadError(f"tickers has no {symbol}")
        klines = _result(self.http.get_kline(category=c, symbol=symbol, interval="1", limit=MINUTE_KLINES), "kline")
        open_interest = None
        if c == "linear":
            open_interest = _result(self.http.get_open_interest(category=c, symbol=symbol, intervalTime="5min",
                                                                limit=15), "open-interest")
        return snapshot_from_rest(symbol, book, trades, ticker, klines, open_interest, now=self.clock(), category=c)

    def hourly_volumes(self, symbol: str, hours: int = 24) -> list[tuple[float, float]]:
        """(hour start, base volume) for the last complete UTC hours: the VWAP strategy's curve."""
        if not 1 <= hours <= 200:
            raise ValueError(f"hours must be within 1..200, got {hours}")
        result = _result(self.http.get_kline(category=self.category, symbol=symbol, interval="60", limit=hours + 1),
                         "kline")
        return hourly_volumes_from_klines(result, now=self.clock())
