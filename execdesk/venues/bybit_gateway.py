"""Bybit behind the venue gateway (``execdesk.venues.gateway.ExecutionClient``)."""

from __future__ import annotations

from collections.abc import Callable

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import FillReport, OrderReport, OrderRequest
from execdesk.venues.bybit import BybitVenue
from execdesk.venues.gateway import Advance


class BybitGateway:
    """Bybit: orders through pybit; fills arrive from the private stream, and ``advance`` polls the open
    orders as the fallback. ``snapshots`` reads the live feed's latest snapshot of a symbol."""

    name = "bybit"
    fills_on_advance = False

    def __init__(self, venue: BybitVenue, snapshots: Callable[[str], MarketSnapshot]) -> None:
        self.venue = venue
        self._snapshots = snapshots

    def instrument(self, symbol: str) -> Instrument:
        try:
            return self.venue.instruments[symbol]
        except KeyError:
            raise ValueError(f"no instrument rules known for {symbol}") from None

    def snapshot(self, symbol: str) -> MarketSnapshot:
        return self._snapshots(symbol)

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        return self.venue.place(request)

    def cancel(self, order_link_id: str) -> OrderReport | None:
        return self.venue.cancel(order_link_id)

    def cancel_all(self, symbol: str) -> list[OrderReport]:
        links = [r.order_link_id for r in self.venue.open_orders() if r.order_link_id]
        return [r for r in (self.venue.cancel(link) for link in links) if r is not None]

    def order_report(self, order_link_id: str) -> OrderReport | None:
        return self.venue.get(order_link_id)

    def fill_reports(self, order_link_id: str) -> list[FillReport]:
        return self.venue.executions(order_link_id)

    def open_orders(self) -> list[OrderReport]:
        return list(self.venue.open_orders())

    def advance(self, now: float) -> Advance:
        return Advance(reports=tuple(self.venue.open_orders()))
