"""The venue gateway (DESIGN.md's ExecutionClient): what the step engine, the backtest and the desk ask
of any venue, whatever it is.

One protocol, three adapters:

* ``PaperGateway`` on a ``SimMarket``: the paper venue matching against the simulator;
* ``PaperGateway`` on a ``ReplayMarket``: the same matching against a replayed trade tape;
* ``BybitGateway`` (``execdesk.venues.bybit_gateway``): Bybit through pybit and a live snapshot store.

Callers never ask which venue they hold. What differs between venues is a *capability*, read from the
gateway: ``fills_on_advance`` says that fills happen when the market's clock advances (a paper venue:
the caller's clock drives it, and ``advance`` returns the prints and the fills), as opposed to fills that
arrive from the exchange (a stream, or ``advance`` polling the open orders).

Pure Python: no Django. A new venue plugs in by implementing this protocol (and, on the desk, a
``DeskVenue`` in ``execdesk.desk.services.venues``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import FillReport, OrderReport, OrderRequest
from execdesk.venues.paper import PaperVenue


@dataclass(frozen=True)
class Advance:
    """What moving a venue's clock to ``now`` brought: the market's public prints (a paper venue's market;
    empty for an exchange) and the reports of our orders that changed."""

    trades: tuple[Trade, ...] = ()
    reports: tuple[OrderReport, ...] = field(default_factory=tuple)


@runtime_checkable
class ExecutionClient(Protocol):
    name: str
    fills_on_advance: bool

    def instrument(self, symbol: str) -> Instrument: ...

    def snapshot(self, symbol: str) -> MarketSnapshot: ...

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        """Send once; a repeated orderLinkId never makes a second order."""
        ...

    def cancel(self, order_link_id: str) -> OrderReport | None:
        """None: the venue has no such order."""
        ...

    def cancel_all(self, symbol: str) -> list[OrderReport]: ...

    def order_report(self, order_link_id: str) -> OrderReport | None:
        """The order with its whole fill history; None when the venue does not know it."""
        ...

    def fill_reports(self, order_link_id: str) -> list[FillReport]: ...

    def open_orders(self) -> list[OrderReport]: ...

    def advance(self, now: float) -> Advance: ...


class PaperGateway:
    """The paper venue on one market (simulated or replayed): the market's clock is the caller's."""

    name = "paper"
    fills_on_advance = True

    def __init__(self, market: MatchableMarket, instrument: Instrument, venue: PaperVenue | None = None) -> None:
        self.market = market
        self.venue = venue or PaperVenue()
        self._instrument = instrument

    def instrument(self, symbol: str) -> Instrument:
        self._check(symbol)
        return self._instrument

    def snapshot(self, symbol: str) -> MarketSnapshot:
        self._check(symbol)
        return self.market.snapshot()

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        return self.venue.place(self.market, request, self._instrument, now)

    def cancel(self, order_link_id: str) -> OrderReport | None:
        return self.venue.cancel(order_link_id)

    def cancel_all(self, symbol: str) -> list[OrderReport]:
        self._check(symbol)
        links = [r.order_link_id for r in self.venue.open_orders()]
        return [r for r in (self.venue.cancel(link) for link in links) if r is not None]

    def order_report(self, order_link_id: str) -> OrderReport | None:
        return self.venue.get(order_link_id)

    def fill_reports(self, order_link_id: str) -> list[FillReport]:
        report = self.venue.get(order_link_id)
        return [] if report is None else list(report.fills)

    def open_orders(self) -> list[OrderReport]:
        return self.venue.open_orders()

    def advance(self, now: float) -> Advance:
        """Step the market to ``now``; resting orders fill when the market trades through them."""
        trades = self.market.advance_to(now)
        if not trades:
            return Advance()
        reports = self.venue.on_trades(self.market, trades, self._instrument) if self.venue.has_open_orders else []
        return Advance(tuple(trades), tuple(reports))

    def _check(self, symbol: str) -> None:
        if symbol != self.market.symbol:
            raise ValueError(f"this paper venue trades {self.market.symbol}, not {symbol}")
