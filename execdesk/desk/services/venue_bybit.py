"""Bybit on the desk, behind the desk's venue gateway: every call to it is a network call made outside a
transaction (execdesk.desk.services.live_orders holds the send / cancel / report flow); fills arrive on the
private stream, with REST polling on the desk's tick as the fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from execdesk.bybit.errors import classify_pybit_error
from execdesk.bybit.parse import BybitPayloadError
from execdesk.desk.access.roles import Actor
from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import ChildOrder, ParentOrder
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.live_orders import (
    live_child_submit,
    live_children_cancel,
    live_poll_due,
    live_snapshot_cached,
)
from execdesk.desk.services.market import UnknownSymbol, VenueUnavailable
from execdesk.desk.services.market_prints import market_evidence_record, market_evidence_symbols
from execdesk.desk.services.venues import venue_register
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.market.bybit import BybitUnknownSymbol

T = TypeVar("T")
log = logging.getLogger(__name__)


def _bybit_call(fn: Callable[[], T], what: str) -> T:
    """Call into the Bybit link, turning its failures into one error the desk shows as it is."""
    try:
        return fn()
    except bybit_link.BybitUnavailable as exc:
        raise VenueUnavailable(str(exc)) from None
    except BybitUnknownSymbol as exc:
        raise UnknownSymbol(f"Bybit does not list it: {exc}") from None
    except BybitPayloadError as exc:
        raise VenueUnavailable(f"Bybit answered {what} with a malformed payload: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pybit's and the network's errors, classified for the message
        raise VenueUnavailable(f"Bybit failed {what}: {classify_pybit_error(exc).message}") from None


class BybitDeskVenue:
    name = "bybit"
    fills_on_advance = False

    def instrument(self, symbol: str) -> Instrument:
        return _bybit_call(lambda: bybit_link.bybit_instrument(symbol), f"reading {symbol}'s instrument rules")

    def snapshot(self, symbol: str) -> MarketSnapshot:
        return _bybit_call(lambda: bybit_link.bybit_snapshot(symbol), f"reading the {symbol} market")

    def snapshot_cached(self, parent: ParentOrder) -> MarketSnapshot:
        return live_snapshot_cached(parent)

    def hourly_volumes(self, symbol: str) -> list[tuple[float, float]]:
        return _bybit_call(lambda: bybit_link.bybit_hourly_volumes(symbol), f"reading {symbol}'s hourly klines")

    def volume_since(self, symbol: str, since: float, now: float) -> float | None:
        return None  # the feed gives rolling volumes: the step estimates from the snapshot

    def step_market(self, symbol: str) -> tuple[MarketSnapshot, Instrument] | None:
        return self.snapshot(symbol), self.instrument(symbol)

    def advance(self, symbols: Iterable[str], *, now: float) -> None:
        live_poll_due(now=now)
        # the working orders' symbols and those of orders ended a moment ago (their last prints and markouts)
        for symbol in sorted(set(symbols) | market_evidence_symbols(self.name)):
            try:
                self._evidence_record(symbol, now=now)
            except Exception:  # noqa: BLE001 - Bybit unconfigured or the rows unreadable: the next tick tries again
                log.exception("desk tick: Bybit %s prints and markouts not recorded this tick", symbol)

    def _evidence_record(self, symbol: str, *, now: float) -> None:
        """The prints the public feed buffered since the last tick, and the fills' markouts from the feed's
        latest mid (none from a stale one: a markout must be the market's mid at its time)."""
        current = bybit_link.link()
        snapshot = current.store.get(symbol)
        prints = current.prints.take(symbol)
        try:
            with desk_atomic():
                market_evidence_record(self.name, symbol, prints, now=now,
                                       market=snapshot if snapshot is not None and not snapshot.stale else None)
        except Exception:
            current.prints.restore(symbol, prints)  # the next tick stores them (a print is kept once)
            raise

    def submit(self, *, child_id: int, now: float) -> ChildOrder | None:
        return live_child_submit(child_id=child_id)

    def cancel_children(self, children: list[ChildOrder], *, actor: Actor, reason: str) -> None:
        live_children_cancel(children, actor=actor, reason=reason)


venue_register(BybitDeskVenue())
