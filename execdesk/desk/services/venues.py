"""The desk's venue gateways, one per venue name, found by `gateway_for(parent.venue)`.

Services never branch on a venue's name: they ask the order's gateway to do the venue's part (read its
market, send, cancel, bring in reports), and read what differs as a capability of the gateway:

* `fills_on_advance`: fills happen when the desk's clock advances the venue's market (the paper venue,
  which answers inside the caller's transaction); otherwise they arrive from the exchange (its private
  stream, REST polling as the fallback, reconciliation) and every call to it is a network call made
  outside any transaction.

Each adapter (`venue_paper`, `venue_bybit`) registers itself when the desk app is ready
(`DeskConfig.ready`). A new venue plugs in with one module implementing `DeskVenue` over its
`execdesk.venues.gateway.ExecutionClient`, registered the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot

if TYPE_CHECKING:
    from execdesk.desk.access.roles import Actor
    from execdesk.desk.models import ChildOrder, ParentOrder


class UnknownVenue(ValueError):
    pass


class DeskVenue(Protocol):
    name: str
    fills_on_advance: bool

    def instrument(self, symbol: str) -> Instrument: ...

    def snapshot(self, symbol: str) -> MarketSnapshot:
        """The latest market (may be a network read: call outside a transaction)."""
        ...

    def snapshot_cached(self, parent: ParentOrder) -> MarketSnapshot:
        """The market without a network call, for use inside a transaction."""
        ...

    def hourly_volumes(self, symbol: str) -> list[tuple[float, float]]: ...

    def volume_since(self, symbol: str, since: float, now: float) -> float | None:
        """The market's traded volume after `since` up to `now`, counted from its prints; None when the
        venue only gives rolling volumes (the caller estimates from the snapshot)."""
        ...

    def step_market(self, symbol: str) -> tuple[MarketSnapshot, Instrument] | None:
        """A step's market, read before the step's transaction (no network call under a row lock); None
        when the venue's market is read inside it."""
        ...

    def advance(self, symbols: Iterable[str], *, now: float) -> None:
        """The desk's tick: bring the venue's reports in (advance its markets to `now`, or poll)."""
        ...

    def submit(self, *, child_id: int, now: float) -> ChildOrder | None:
        """Send a NEW child order once and record the venue's answer."""
        ...

    def cancel_children(self, children: list[ChildOrder], *, actor: Actor, reason: str) -> None:
        """Inside the caller's transaction, with the rows locked: cancel them (or have them cancelled
        after commit)."""
        ...


_GATEWAYS: dict[str, DeskVenue] = {}


def venue_register(gateway: DeskVenue) -> None:
    _GATEWAYS[gateway.name] = gateway


def gateway_for(venue: str) -> DeskVenue:
    try:
        return _GATEWAYS[venue]
    except KeyError:
        raise UnknownVenue(f"unknown venue {venue!r}; available: {', '.join(venue_names())}") from None


def venue_names() -> tuple[str, ...]:
    return tuple(_GATEWAYS)


def venue_gateways() -> tuple[DeskVenue, ...]:
    return tuple(_GATEWAYS.values())
