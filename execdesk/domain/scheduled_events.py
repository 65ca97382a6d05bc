"""Scheduled market events: a calendar the pre-trade band reads.

Desks know when scheduled news lands (CPI and FOMC releases, Bybit's funding every 8 h, token unlocks);
they do not know which way the price goes. A :class:`ScheduledEvent` carries its time, the symbols it
moves (none: every symbol), its typical absolute move in bps (taken as the root mean square of a move
either way) and where that figure comes from. :func:`events_in_window` finds the events inside an order's
window and weights each by the share of the order still to trade at its time
(:func:`execdesk.domain.pretrade_band.share_to_trade`, the weighting of the jump prior): an event when
half the order is left moves the cost by half the event's move. The band adds each weighted move's square
to its variance (:func:`execdesk.domain.pretrade_band.pretrade_band`); an event outside the window
changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from execdesk.domain.pretrade_band import share_to_trade

MAX_MOVE_BPS = 5_000.0  # 50 %: a log-return move beyond this is not a typical move but a typo
MIN_EVERY_S = 60.0  # a recurring event more often than once a minute is market noise, not an event


@dataclass(frozen=True)
class ScheduledEvent:
    """One scheduled event: ``at_ts`` (Unix seconds, UTC), the ``symbols`` it moves (empty: all), its
    typical absolute move ``move_bps`` (RMS, direction unknown), a ``name`` and the ``source`` of the move.
    With ``every_s`` it recurs: ``at_ts`` is its first time, then every ``every_s`` seconds (Bybit's
    funding: 8 h)."""

    at_ts: float
    move_bps: float
    name: str
    symbols: tuple[str, ...] = ()
    source: str = ""
    every_s: float | None = None

    def __post_init__(self) -> None:
        for field in ("at_ts", "move_bps"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"ScheduledEvent.{field} must be a finite number, got {value!r}")
        if not 0 <= self.move_bps <= MAX_MOVE_BPS:
            raise ValueError(f"ScheduledEvent.move_bps must be within [0, {MAX_MOVE_BPS:g}] bps, "
                             f"got {self.move_bps!r}")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"ScheduledEvent.name must not be empty, got {self.name!r}")
        symbols = (self.symbols,) if isinstance(self.symbols, str) else tuple(self.symbols)
        if not all(isinstance(s, str) and s.strip() for s in symbols):
            raise ValueError(f"ScheduledEvent.symbols must be symbol names (empty: every symbol), got {symbols!r}")
        object.__setattr__(self, "symbols", tuple(s.strip().upper() for s in symbols))
        every = self.every_s
        if every is not None and (isinstance(every, bool) or not isinstance(every, int | float)
                                  or not math.isfinite(every) or every < MIN_EVERY_S):
            raise ValueError(f"ScheduledEvent.every_s must be at least {MIN_EVERY_S:g} s and finite, or None "
                             f"(once), got {every!r}")

    def occurrences(self, start_ts: float, end_ts: float) -> list[float]:
        """Its times within ``[start_ts, end_ts)``."""
        if self.every_s is None:
            return [self.at_ts] if start_ts <= self.at_ts < end_ts else []
        first = max(0, math.ceil((start_ts - self.at_ts) / self.every_s))
        out = []
        at = self.at_ts + first * self.every_s
        while at < end_ts:
            out.append(at)
            first += 1
            at = self.at_ts + first * self.every_s
        return out

    def applies_to(self, symbol: str) -> bool:
        return not self.symbols or symbol.upper() in self.symbols

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "at_ts": self.at_ts, "at": _utc(self.at_ts).isoformat(),
                "move_bps": self.move_bps, "symbols": list(self.symbols), "source": self.source,
                "every_s": self.every_s}


@dataclass(frozen=True)
class EventRisk:
    """An event inside the order's window: ``offset_s`` after the start, ``share`` of the order still to
    trade then; ``risk_bps`` = move x share, what it adds to the cost's standard deviation alone."""

    event: ScheduledEvent
    offset_s: float
    share: float

    @property
    def risk_bps(self) -> float:
        return self.event.move_bps * self.share

    def to_dict(self) -> dict[str, Any]:
        return {**self.event.to_dict(), "offset_s": round(self.offset_s, 3), "share": round(self.share, 6),
                "risk_bps": round(self.risk_bps, 4)}


def events_in_window(events: Iterable[ScheduledEvent], *, symbol: str, start_ts: float, duration_s: float,
                     n_slices: int) -> tuple[EventRisk, ...]:
    """The events for ``symbol`` that land while some of the order is still to trade, in time order (a
    recurring event once per time it lands, each with ``at_ts`` set to that time)."""
    if not math.isfinite(start_ts):
        raise ValueError(f"start_ts must be finite, got {start_ts!r}")
    out = []
    for event in events:
        if not isinstance(event, ScheduledEvent):
            raise ValueError(f"events must be ScheduledEvent objects, got {event!r}")
        if not event.applies_to(symbol):
            continue
        for at in event.occurrences(start_ts, start_ts + duration_s):
            share = share_to_trade(at - start_ts, duration_s, n_slices)
            if share > 0:
                out.append(EventRisk(replace(event, at_ts=at), at - start_ts, share))
    return tuple(sorted(out, key=lambda e: (e.event.at_ts, e.event.name)))


def events_line(risks: tuple[EventRisk, ...], *, start_ts: float, widened_bps: float) -> str:
    """One line for the pre-trade panel: ``scheduled: CPI at 13:30 UTC, typical ±150 bps (75 % of the order
    still to trade): band widened by 61.2 bps``; empty without events."""
    if not risks:
        return ""
    day = _utc(start_ts).date()
    parts = []
    for r in risks:
        at = _utc(r.event.at_ts)
        when = at.strftime("%H:%M UTC") if at.date() == day else at.strftime("%d %b %H:%M UTC")
        parts.append(f"{r.event.name} at {when}, typical ±{r.event.move_bps:.0f} bps "
                     f"({r.share:.0%} of the order still to trade)")
    return f"scheduled: {'; '.join(parts)}: band widened by {widened_bps:.1f} bps"


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
