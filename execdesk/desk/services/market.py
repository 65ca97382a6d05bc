"""Market data and instrument rules of a venue, through its gateway (execdesk.desk.services.venues); and
the paper venue's store: the simulated market and the paper venue's open orders per symbol, kept in one
row and advanced under its lock."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from execdesk.desk.models import MarketState
from execdesk.desk.realtime.push import push_market
from execdesk.desk.services.atomic import desk_atomic, in_desk_atomic, unit_of_work
from execdesk.desk.services.market_prints import market_evidence_record
from execdesk.desk.services.paper_takes import takes_prune, takes_replay
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderReport
from execdesk.market.sim import SIM_PRESETS, SimMarket
from execdesk.venues.gateway import PaperGateway
from execdesk.venues.paper import PaperFees, PaperVenue


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
    folded_take_id: int = 0  # the last PaperTake replayed into `market`
    loaded_take_id: int = 0  # ... into the state this copy was loaded from

    @property
    def gateway(self) -> PaperGateway:
        return PaperGateway(self.market, self.instrument, self.venue)

    def save(self) -> None:
        self.row.state = {"market": self.market.to_state(), "venue": self.venue.to_state(),
                          "folded_take_id": self.folded_take_id}
        snapshot = self.market.snapshot().to_dict()
        self.row.snapshot = snapshot
        self.row.save(update_fields=["state", "snapshot", "updated_at"])
        takes_prune(self.row.symbol, self.loaded_take_id)
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


def market_read(symbol: str) -> SimMarket:
    """The symbol's market to read (volumes, the book), WITHOUT its row lock: a step reads it and never
    queues behind the sends and the tick that write it. Inside a transaction that already holds the row,
    that copy (the one it will save)."""
    key = f"market:{symbol}"
    if in_desk_atomic() and key in unit_of_work():
        return unit_of_work()[key].market  # type: ignore[attr-defined]
    row = MarketState.objects.filter(symbol=symbol).only("symbol", "state").first()
    if row is not None:
        try:
            return SimMarket.from_state(row.state["market"])
        except ValueError:
            pass  # another simulator version: the locked load restarts the path
    with desk_atomic():
        return market_load(symbol).market


def market_snapshot_in_hand(symbol: str) -> MarketSnapshot:
    """The copy this transaction holds (it may have moved the market) or else the last saved snapshot."""
    key = f"market:{symbol}"
    if in_desk_atomic() and key in unit_of_work():
        return unit_of_work()[key].market.snapshot()  # type: ignore[attr-defined]
    return paper_snapshot(symbol)


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
    loaded_take_id = int(row.state.get("folded_take_id", 0))
    folded = takes_replay(market, symbol, loaded_take_id)  # what sends took since it was saved
    return LoadedMarket(row, market, PaperVenue.from_state(row.state["venue"]), instrument, folded, loaded_take_id)


def market_for_take(symbol: str) -> tuple[SimMarket, PaperFees] | None:
    """The market as a marketable send sees it, without the row lock: the last saved state and the takes
    recorded since (execdesk.desk.services.paper_takes). None: the market has no row yet, or one this
    simulator cannot read — the caller takes the locked path, which creates or restarts it."""
    row = MarketState.objects.filter(symbol=symbol).only("symbol", "state").first()
    if row is None:
        return None
    try:
        market = SimMarket.from_state(row.state["market"])
    except ValueError:
        return None
    takes_replay(market, symbol, int(row.state.get("folded_take_id", 0)))
    return market, PaperVenue.from_state(row.state["venue"]).fees


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
