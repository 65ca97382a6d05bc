"""Orders larger than instruments-info's maximum order size, or on a symbol that is not trading, are
refused before anything is sent, with the limit named."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side
from execdesk.market.bybit import BybitMarketData
from tests.venues.test_bybit_execution_orders import CREATE, limit, make_venue


def _venue_with_limits(server, category="linear"):
    venue = make_venue(server, category)
    for symbol in venue.instruments:
        venue.limits[symbol] = BybitMarketData(venue.http, category=category).instrument_limits(symbol)
    return venue


def test_a_market_order_above_the_maximum_market_size_is_refused_unsent(bybit_server) -> None:
    venue = _venue_with_limits(bybit_server)
    largest = venue.limits["BTCUSDT"].max_market_qty
    report = venue.place(OrderRequest("too-big", "BTCUSDT", Side.BUY, OrderType.MARKET, largest + Decimal("0.001")))
    assert report.status is ChildStatus.REJECTED
    assert f"above Bybit's maximum market order size {largest}" in report.reject_reason
    assert bybit_server.requests_to(CREATE) == []


def test_a_limit_order_up_to_the_maximum_limit_size_is_sent(bybit_server) -> None:
    venue = _venue_with_limits(bybit_server)
    largest = venue.limits["ETHUSDT"].max_limit_qty
    refused = venue.place(limit("eth-big", "ETHUSDT", Side.BUY, str(largest + Decimal("0.01")), "3000"))
    assert "maximum limit order size" in refused.reject_reason
    assert bybit_server.requests_to(CREATE) == []


def test_a_symbol_that_is_not_trading_is_refused(bybit_server) -> None:
    venue = _venue_with_limits(bybit_server)
    venue.limits["BTCUSDT"] = replace(venue.limits["BTCUSDT"], status="PreLaunch")
    report = venue.place(limit("pre", "BTCUSDT", Side.BUY, "0.01", "64000"))
    assert "not trading on Bybit (status PreLaunch)" in report.reject_reason
