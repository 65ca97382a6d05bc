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

import math
from bisect import insort
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import ChildStatus, FillReport, OrderReport, OrderRequest
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
    """The paper venue on one market (simulated or replayed): the market's clock is the caller's.

    ``latency_s`` is the travel time of an order or a cancel to the venue (0: instantaneous, as the desk's
    paper venue). With a latency, ``place`` answers with the order ``new`` and no fills (sent, not yet
    arrived) and ``cancel`` with the order as it stands: both reach the venue ``latency_s`` after they were
    sent, when ``advance`` gets there — the market moves in between, an order meets the book of its
    arrival, and a resting order keeps filling until its cancel lands.
    """

    name = "paper"
    fills_on_advance = True

    def __init__(self, market: MatchableMarket, instrument: Instrument, venue: PaperVenue | None = None,
                 *, latency_s: float = 0.0) -> None:
        if not (math.isfinite(latency_s) and latency_s >= 0):
            raise ValueError(f"latency_s must be a finite number >= 0, got {latency_s!r}")
        self.market = market
        self.venue = venue or PaperVenue()
        self._instrument = instrument
        self.latency_s = latency_s
        self._in_flight: list[tuple[float, OrderRequest | str]] = []  # (arrival, an order or a cancel's link)

    def instrument(self, symbol: str) -> Instrument:
        self._check(symbol)
        return self._instrument

    def snapshot(self, symbol: str) -> MarketSnapshot:
        self._check(symbol)
        return self.market.snapshot()

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        if not self.latency_s:
            return self.venue.place(self.market, request, self._instrument, now)
        known = self.venue.get(request.order_link_id)
        if known is not None:
            return known
        if request.order_link_id not in self._links_in_flight():
            insort(self._in_flight, (now + self.latency_s, request), key=_arrival)
        return _sent(request.order_link_id)

    def cancel(self, order_link_id: str) -> OrderReport | None:
        if not self.latency_s:
            return self.venue.cancel(order_link_id)
        known = self.venue.get(order_link_id)
        if known is None and order_link_id not in self._links_in_flight():
            return None
        insort(self._in_flight, (self.market.ts + self.latency_s, order_link_id), key=_arrival)
        return known or _sent(order_link_id)

    def cancel_all(self, symbol: str) -> list[OrderReport]:
        self._check(symbol)
        links = [r.order_link_id for r in self.venue.open_orders()] + sorted(self._links_in_flight())
        return [r for r in (self.cancel(link) for link in links) if r is not None]

    def pending_until(self) -> float | None:
        """When the last order or cancel still travelling reaches the venue; None when none is."""
        return max((at for at, _ in self._in_flight), default=None)

    def order_report(self, order_link_id: str) -> OrderReport | None:
        return self.venue.get(order_link_id)

    def fill_reports(self, order_link_id: str) -> list[FillReport]:
        report = self.venue.get(order_link_id)
        return [] if report is None else list(report.fills)

    def open_orders(self) -> list[OrderReport]:
        return self.venue.open_orders()

    def advance(self, now: float) -> Advance:
        """Step the market to ``now``; resting orders fill when the market trades through them, and the
        orders and cancels that arrive on the way act at their arrival."""
        if not self._in_flight or self._in_flight[0][0] > now:
            return self._move(now)
        trades: list[Trade] = []
        reports: list[OrderReport] = []
        while self._in_flight and self._in_flight[0][0] <= now:
            at, message = self._in_flight.pop(0)
            moved = self._move(at)
            trades += moved.trades
            reports += moved.reports
            if isinstance(message, OrderRequest):
                reports.append(self.venue.place(self.market, message, self._instrument, at))
            else:
                cancelled = self.venue.cancel(message)
                if cancelled is not None:
                    reports.append(cancelled)
        moved = self._move(now)
        return Advance(tuple(trades) + moved.trades, tuple(reports) + moved.reports)

    def _move(self, now: float) -> Advance:
        trades = self.market.advance_to(now)
        if not trades:
            return Advance()
        reports = self.venue.on_trades(self.market, trades, self._instrument) if self.venue.has_open_orders else []
        return Advance(tuple(trades), tuple(reports))

    def _links_in_flight(self) -> set[str]:
        return {m.order_link_id for _, m in self._in_flight if isinstance(m, OrderRequest)}

    def _check(self, symbol: str) -> None:
        if symbol != self.market.symbol:
            raise ValueError(f"this paper venue trades {self.market.symbol}, not {symbol}")


def _arrival(message: tuple[float, OrderRequest | str]) -> float:
    return message[0]


def _sent(order_link_id: str) -> OrderReport:
    """An order on its way to the venue: no venue id, no fills yet."""
    return OrderReport(order_link_id=order_link_id, venue_order_id="", status=ChildStatus.NEW,
                       filled_qty=Decimal(0), avg_price=None)
