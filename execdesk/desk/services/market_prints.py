"""The evidence TCA needs from the market as it advances (docs/tca.md, "Per-fill evidence"):

* the market's public prints over the windows of the orders working on it (`market_prints`), the
  benchmark of the market VWAP and interval TWAP. Bounded: a print is kept only when it falls in the window
  of an order on the venue and symbol (from its start; to its end once it ended), and only while an order
  works or ended within `KEEP_AFTER_END_S` (its last markouts refresh its TCA, which reads them). A print
  with the venue's trade id (Bybit's) is kept once however often it is delivered;
* the mids 1, 10 and 60 s after each fill (`Fill.mid_1s`, `mid_10s`, `mid_60s`), the markouts: the first
  mid the desk sees at or after each time, within `MARKOUT_TOLERANCE_S` of it (a tick that came later than
  that leaves the markout unknown rather than measured at the wrong time).

Called in the tick's market advance, before the fills it brought are applied: the paper venue's under the
market row's lock, with the prints its market made; Bybit's with the prints its public feed buffered since
the last tick (execdesk/market/print_buffer.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from execdesk.desk.models import Fill, MarketPrint, ParentOrder
from execdesk.desk.services.tca import parent_tca_refresh
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.states import ParentStatus
from execdesk.domain.tca_fills import MARKOUT_HORIZONS_S

_WORKING = [s.value for s in ParentStatus if s.is_working] + [ParentStatus.PAUSED.value, ParentStatus.HALTED.value]
MARKOUT_TOLERANCE_S = {1: 2.0, 10: 3.0, 60: 6.0}
KEEP_AFTER_END_S = 120.0  # longer than the last markout (60 s + its tolerance) after an order's last fill
_COLUMN = {1: "mid_1s", 10: "mid_10s", 60: "mid_60s"}


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def market_evidence_record(venue: str, symbol: str, trades: Sequence[Trade], *, now: float,
                           market: MarketSnapshot | None) -> None:
    """Keep the prints the orders' windows need, record the markout mids that fell due by `now` (none without
    a trustworthy `market`), and refresh the TCA of the ENDED orders whose fills got one or whose window got
    prints (a live feed's prints reach the desk a tick late; parents locked after the market, the desk's lock
    order). A working order's report takes its markouts and prints in at its next refresh (every fill, and
    its end): refreshing hundreds of working orders on every tick, inside the tick's transaction, would hold
    the market row and their rows for seconds at desk scale (docs/benchmarks.md)."""
    _, printed = _prints_store(venue, symbol, trades)
    marked = fill_markouts_record(venue, symbol, now=now, mid=market.mid) if market is not None else set()
    ended = ParentOrder.objects.filter(pk__in=marked | printed).exclude(status__in=_WORKING).values_list("pk", flat=True)
    for parent_id in sorted(ended):
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        parent_tca_refresh(parent, market)


def market_prints_record(venue: str, symbol: str, trades: Sequence[Trade]) -> int:
    """Store the `trades` that fall in the window of an order working on the market or ended within
    `KEEP_AFTER_END_S` (their last markouts refresh their TCA, which reads the prints of their window), each
    print with a trade id once; drop the prints no such order needs. Returns how many were stored."""
    return _prints_store(venue, symbol, trades)[0]


def market_evidence_symbols(venue: str) -> set[str]:
    """The symbols of `venue` whose evidence the tick must record: an order works on it or ended within
    `KEEP_AFTER_END_S` (its last markouts and prints are still to come)."""
    return set(_orders(venue).filter(Q(status__in=_WORKING) | Q(ended_at__gte=_recent()))
               .values_list("symbol", flat=True).distinct())


@dataclass(frozen=True)
class _Window:
    parent_id: int
    start: float
    end: float | None  # None while the order works
    working: bool

    def holds(self, ts: float) -> bool:
        return ts >= self.start and (self.end is None or ts <= self.end)


def _orders(venue: str, symbol: str | None = None):
    orders = ParentOrder.objects.filter(venue=venue, started_at__isnull=False)
    return orders if symbol is None else orders.filter(symbol=symbol)


def _recent() -> datetime:
    return timezone.now() - timedelta(seconds=KEEP_AFTER_END_S)


def _windows(venue: str, symbol: str) -> list[_Window]:
    rows = _orders(venue, symbol).filter(Q(status__in=_WORKING) | Q(ended_at__gte=_recent())).values_list(
        "pk", "started_at", "ended_at", "status")
    windows = []
    for pk, started, ended, status in rows:
        working = status in _WORKING
        end = None if working or ended is None else ended.timestamp()
        windows.append(_Window(pk, started.timestamp(), end, working))
    return windows


def _prints_store(venue: str, symbol: str, trades: Sequence[Trade]) -> tuple[int, set[int]]:
    """(how many prints were stored, the ended orders whose window got one)."""
    windows = _windows(venue, symbol)
    kept = MarketPrint.objects.filter(venue=venue, symbol=symbol)
    if not windows:
        kept.delete()
        return 0, set()
    kept.filter(ts__lt=_dt(min(w.start for w in windows))).delete()
    open_from = min((w.start for w in windows if w.working), default=math.inf)
    ended = [w for w in windows if not w.working]  # few: those ended within KEEP_AFTER_END_S
    needed = [t for t in trades if t.ts >= open_from or any(w.holds(t.ts) for w in ended)]
    with_id = [t.ts for t in needed if t.trade_id]
    # the ids already kept over the batch's time span (a range of the window index, not a list of ids)
    seen = set(kept.filter(ts__gte=_dt(min(with_id)), ts__lte=_dt(max(with_id))).exclude(trade_id="")
               .values_list("trade_id", flat=True)) if with_id else set()
    rows: list[MarketPrint] = []
    printed: set[int] = set()
    for t in needed:
        if t.trade_id:
            if t.trade_id in seen:
                continue  # delivered before (a reconnection's REST backfill overlaps the stream)
            seen.add(t.trade_id)
        rows.append(MarketPrint(venue=venue, symbol=symbol, ts=_dt(t.ts), price=Decimal(repr(t.price)),
                                qty=Decimal(repr(t.qty)), side=t.side[:4], trade_id=t.trade_id))
        printed.update(w.parent_id for w in ended if w.holds(t.ts))
    # Two ticks storing the same print at once (distributed workers): the unique (venue, symbol, trade_id)
    # keeps the first and the second insert skips it.
    MarketPrint.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows), printed


def fill_markouts_record(venue: str, symbol: str, *, now: float, mid: float) -> set[int]:
    """Set each fill's mid `h` seconds after it to `mid` when `now` is at most the tolerance past that time;
    returns the parent orders of the fills that got one."""
    price = Decimal(repr(mid))
    parents: set[int] = set()
    for h in MARKOUT_HORIZONS_S:
        column = _COLUMN[h]
        due = Fill.objects.filter(parent__venue=venue, parent__symbol=symbol, **{f"{column}__isnull": True},
                                  ts__lte=_dt(now - h), ts__gte=_dt(now - h) - timedelta(seconds=MARKOUT_TOLERANCE_S[h]))
        ids = list(due.values_list("pk", "parent_id"))
        if ids:
            Fill.objects.filter(pk__in=[pk for pk, _ in ids]).update(**{column: price})
            parents.update(parent for _, parent in ids)
    return parents
