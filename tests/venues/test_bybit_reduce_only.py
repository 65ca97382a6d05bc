"""Reduce-only orders: sent with reduceOnly on linear contracts, refused before sending on spot."""

from __future__ import annotations

from decimal import Decimal

from execdesk.domain.orders import ChildStatus, OrderRequest, OrderType, Side
from tests.venues.test_bybit_execution_orders import CREATE, make_venue


def test_a_reduce_only_linear_order_carries_the_flag(bybit_server) -> None:
    venue = make_venue(bybit_server, "linear")
    venue.place(OrderRequest("ro-1", "BTCUSDT", Side.SELL, OrderType.MARKET, Decimal("0.01"), reduce_only=True))
    [create] = bybit_server.requests_to(CREATE)
    assert create.params["reduceOnly"] is True
    assert bybit_server.venue.order("ro-1").reduce_only is True


def test_reduce_only_on_spot_is_refused_unsent(bybit_server) -> None:
    venue = make_venue(bybit_server, "spot")
    report = venue.place(OrderRequest("ro-2", "BTCUSDT", Side.SELL, OrderType.MARKET, Decimal("0.01"),
                                      reduce_only=True))
    assert report.status is ChildStatus.REJECTED
    assert "reduce-only orders exist for linear contracts, not spot" in report.reject_reason
    assert bybit_server.requests_to(CREATE) == []
