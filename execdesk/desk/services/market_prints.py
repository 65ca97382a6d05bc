"""The evidence TCA needs from the market as it advances (docs/tca.md, "Per-fill evidence"):

* the market's public prints over the windows of the orders working on it (`market_prints`), the
  benchmark of the market VWAP and interval TWAP. Bounded: prints are kept only while an order works on
  the venue and symbol, and only from the earliest working order's start; when an order ends its final
  TCA is stored, and its prints are dropped once its last markouts are in (`KEEP_AFTER_END_S`);
* the mids 1, 10 and 60 s after each fill (`Fill.mid_1s`, `mid_10s`, `mid_60s`), the markouts: the first
  mid the desk sees at or after each time, within `MARKOUT_TOLERANCE_S` of it (a tick that came later than
  that leaves the markout unknown rather than measured at the wrong time).

Called in the tick's market advance, under the market row's lock, before the fills it brought are applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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
                           market: MarketSnapshot) -> None:
    """Keep the prints the working orders need, record the markout mids that fell due by `now`, and refresh
    the TCA of the ENDED orders whose fills got one (parents locked after the market, the desk's lock order).
    A working order's report takes its markouts in at its next refresh (every fill, and its end): refreshing
    hundreds of working orders on every tick, inside the tick's transaction, would hold the market row and
    their rows for seconds at desk scale (docs/benchmarks.md)."""
    market_prints_record(venue, symbol, trades)
    marked = fill_markouts_record(venue, symbol, now=now, mid=market.mid)
    ended = ParentOrder.objects.filter(pk__in=marked).exclude(status__in=_WORKING).values_list("pk", flat=True)
    for parent_id in sorted(ended):
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        parent_tca_refresh(parent, market)


def market_prints_record(venue: str, symbol: str, trades: Sequence[Trade]) -> int:
    """Store `trades` when an order is working on the market, and drop the prints no order needs: those before
    the earliest start of the orders working or ended within `KEEP_AFTER_END_S` (their last markouts refresh
    their TCA, which reads the prints of their window)."""
    orders = ParentOrder.objects.filter(venue=venue, symbol=symbol, started_at__isnull=False)
    working = [s for s in orders.filter(status__in=_WORKING).values_list("started_at", flat=True) if s is not None]
    recent = [s for s in orders.filter(ended_at__gte=timezone.now() - timedelta(seconds=KEEP_AFTER_END_S))
              .values_list("started_at", flat=True) if s is not None]
    kept = MarketPrint.objects.filter(venue=venue, symbol=symbol)
    if not working and not recent:
        kept.delete()
        return 0
    kept.filter(ts__lt=min(working + recent)).delete()
    if not working:
        return 0
    since = min(working).timestamp()
    rows = [MarketPrint(venue=venue, symbol=symbol, ts=_dt(t.ts), price=Decimal(repr(t.price)),
                        qty=Decimal(repr(t.qty)), side=t.side[:4]) for t in trades if t.ts >= since]
    MarketPrint.objects.bulk_create(rows)
    return len(rows)


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
