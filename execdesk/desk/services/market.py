"""Market data and instrument rules per venue: the simulated market and paper venue per symbol (kept in
one row and advanced under its lock), or Bybit's live market (execdesk.desk.bybit.link)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from execdesk.desk.models import MarketState
from execdesk.desk.realtime.push import push_market
from execdesk.desk.services.atomic import desk_atomic, unit_of_work
from execdesk.domain.instrument import SIM_INSTRUMENTS, Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import OrderReport
from execdesk.market.sim import SIM_PRESETS, SimMarket
from execdesk.venues.paper import PaperVenue


class UnknownSymbol(ValueError):
    pass


VENUES = ("paper", "bybit")


class VenueUnavailable(ValueError):
    pass


def instrument_for(symbol: str, venue: str = "paper") -> Instrument:
    if venue == "bybit":
        return _bybit_call(lambda link: link.bybit_instrument(symbol), f"reading {symbol}'s instrument rules")
    try:
        return SIM_INSTRUMENTS[symbol]
    except KeyError:
        known = ", ".join(sorted(SIM_INSTRUMENTS))
        raise UnknownSymbol(f"unknown symbol {symbol!r}; the simulated markets are: {known}") from None


def _bybit_call(fn, what: str):
    """Call into the Bybit link, turning its failures into one error the desk shows as it is."""
    from execdesk.bybit.parse import BybitPayloadError
    from execdesk.desk.bybit import link as bybit_link
    from execdesk.market.bybit import BybitUnknownSymbol

    try:
        return fn(bybit_link)
    except bybit_link.BybitUnavailable as exc:
        raise VenueUnavailable(str(exc)) from None
    except BybitUnknownSymbol as exc:
        raise UnknownSymbol(f"Bybit does not list it: {exc}") from None
    except BybitPayloadError as exc:
        raise VenueUnavailable(f"Bybit answered {what} with a malformed payload: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pybit's and the network's errors, classified for the message
        from execdesk.bybit.errors import classify_pybit_error

        raise VenueUnavailable(f"Bybit failed {what}: {classify_pybit_error(exc).message}") from None


@dataclass
class LoadedMarket:
    row: MarketState
    market: SimMarket
    venue: PaperVenue
    instrument: Instrument

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
    instrument = instrument_for(symbol)
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
    if venue == "bybit":
        return _bybit_call(lambda link: link.bybit_hourly_volumes(symbol), f"reading {symbol}'s hourly klines")
    with desk_atomic():
        return market_load(symbol).market.hourly_volumes(24)


def market_advance(loaded: LoadedMarket, now: float) -> list[OrderReport]:
    """Step the market to `now`; resting paper orders fill when the market trades through them."""
    trades = loaded.market.advance_to(now)
    return loaded.venue.on_trades(loaded.market, trades, loaded.instrument) if trades else []


def market_snapshot(symbol: str, venue: str = "paper") -> MarketSnapshot:
    """The latest snapshot (no lock): what the advisor and the page see."""
    if venue == "bybit":
        return _bybit_call(lambda link: link.bybit_snapshot(symbol), f"reading the {symbol} market")
    row = MarketState.objects.filter(symbol=symbol).only("snapshot").first()
    if row is None:
        with desk_atomic():
            return market_load(symbol).market.snapshot()
    return MarketSnapshot.from_dict(row.snapshot)
