"""Market data and instrument rules of a venue, through its gateway (execdesk.desk.services.venues); and
the paper venue's store: the simulated market and the paper venue's open orders per symbol, kept in one
row and advanced under its lock."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from execdesk.desk.models import MarketState
from execdesk.desk.realtime.push import push_market
from execdesk.desk.services.atomic import desk_atomic, unit_of_work
from execdesk.desk.services.market_prints import market_evidence_record
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderReport
from execdesk.market.sim import SIM_PRESETS, SimMarket
from execdesk.venues.gateway import PaperGateway
from execdesk.venues.paper import PaperVenue


class UnknownSymbol(ValueError):
    pass


class VenueUnavailable(ValueError):
    pass


def instrument_for(symbol: str, venue: str = "paper") -> Instrument:
    return gateway_for(venue).instrument(symbol)


def sim_instrument(symbol: str) -> Instrument:
    try:
        return SIM_INSTRUMENTS[symbol]
    except KeyError:
        known = ", ".join(sorted(SIM_INSTRUMENTS))
        raise UnknownSymbol(f"unknown symbol {symbol!r}; the simulated markets are: {known}") from None


@dataclass
class LoadedMarket:
    row: MarketState
    market: SimMarket
    venue: PaperVenue
    instrument: Instrument

    @property
    def gateway(self) -> PaperGateway:
        return PaperGateway(self.market, self.instrument, self.venue)

    def save(self) -> None:
        self.row.state = {"market": self.market.to_state(), "venue": self.venue.to_state()}
        snapshot = self.market.snapshot().to_dict()
        self.row.snapshot = snapshot
        self.row.save(update_fields=["state", "snapshot", "updated_at"])
        push_market(self.row.symbol, snapshot)


def market_load(symbol: str, *, now: float | None = None) -> LoadedMarket:
    """The symbol's market under its row lock, created on first use. Inside one desk_atomic() every
    caller gets the same in-memory copy, saved once at commit."""
    work = unit_of_work()
    key = f"market:{symbol}"
    if key in work:
        return work[key]  # type: ignore[return-value]
    loaded = _load(symbol, now)
    work[key] = loaded
    return loaded


def _load(symbol: str, now: float | None) -> LoadedMarket:
    instrument = sim_instrument(symbol)
    row = MarketState.objects.select_for_update().filter(symbol=symbol).first()
    if row is None:
        start_price, params = SIM_PRESETS[symbol]
        market = SimMarket.create(symbol, seed=settings.EXECDESK["MARKET_SEED"], start_ts=now or time.time(),
                                  start_price=start_price, params=params)
        venue = PaperVenue()
        row = MarketState(symbol=symbol, state={}, snapshot={})
        loaded = LoadedMarket(row, market, venue, instrument)
        row.state = {"market": market.to_state(), "venue": venue.to_state()}
        row.snapshot = market.snapshot().to_dict()
        row.save()
        return loaded
    try:
        market = SimMarket.from_state(row.state["market"])
    except ValueError:  # written by another simulator version: restart the path at the last shown mid
        start_price, params = SIM_PRESETS[symbol]
        market = SimMarket.create(symbol, seed=settings.EXECDESK["MARKET_SEED"], start_ts=now or time.time(),
                                  start_price=float(row.snapshot.get("mid") or start_price), params=params)
    return LoadedMarket(row, market, PaperVenue.from_state(row.state["venue"]), instrument)


def market_hourly_volumes(symbol: str, venue: str = "paper") -> list[tuple[float, float]]:
    """The last 24 hours' volume per hour: the VWAP strategy's curve."""
    return gateway_for(venue).hourly_volumes(symbol)


def market_advance(loaded: LoadedMarket, now: float) -> list[OrderReport]:
    """Step the market to `now`; resting paper orders fill when the market trades through them. The prints
    and the fills' markout mids are kept for TCA (services/market_prints.py)."""
    moved = loaded.gateway.advance(now)
    market_evidence_record("paper", loaded.row.symbol, moved.trades, now=now, market=loaded.market.snapshot())
    return list(moved.reports)


def market_snapshot(symbol: str, venue: str = "paper") -> MarketSnapshot:
    """The latest snapshot (no lock): what the advisor and the page see."""
    return gateway_for(venue).snapshot(symbol)


def paper_snapshot(symbol: str) -> MarketSnapshot:
    """The paper market's latest snapshot, as its last writer left it (no lock)."""
    row = MarketState.objects.filter(symbol=symbol).only("snapshot").first()
    if row is None:
        with desk_atomic():
            return market_load(symbol).market.snapshot()
    return MarketSnapshot.from_dict(row.snapshot)
