"""The paper venue of a backtest run, recording what TCA's per-fill evidence needs (docs/tca.md): the mid at
each fill and the mids 1, 10 and 60 s after it (markouts).

* mid at the fill: for an order that fills on arrival, the mid just before it was placed; for a resting
  order, the mid before the market step that filled it. While orders rest the market is advanced in steps
  of at most ``step_s`` (``STEP_S``, the desk's tick), so that mid is at most a second old, as on the desk;
* markouts: the market is stopped exactly at each fill's time + 1, 10 and 60 s, so the mid recorded is
  the mid at that time.
"""

from __future__ import annotations

import heapq

from execdesk.domain.instrument import Instrument
from execdesk.domain.market import Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import OrderReport, OrderRequest
from execdesk.domain.tca_fills import MARKOUT_HORIZONS_S
from execdesk.venues.gateway import Advance, PaperGateway
from execdesk.venues.paper import PaperVenue

STEP_S = 1.0  # the desk's tick: how stale a resting fill's mid may be


class EvidenceGateway(PaperGateway):
    def __init__(self, market: MatchableMarket, instrument: Instrument, venue: PaperVenue | None = None, *,
                 step_s: float = STEP_S) -> None:
        super().__init__(market, instrument, venue)
        self.step_s = step_s
        self.fill_mid: dict[str, float] = {}  # exec id -> the mid at the fill
        self._t = market.ts  # the time the run last advanced to
        self.after: dict[tuple[str, int], float] = {}  # (exec id, horizon) -> mid at fill ts + horizon
        self._due: list[tuple[float, str, int]] = []  # (time, exec id, horizon), a heap

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        mid = self.market.snapshot().mid
        report = super().place(request, now=now)
        self._watch([report], mid)
        return report

    def advance(self, now: float) -> Advance:
        """Advance to ``now``: in steps of at most ``STEP_S`` while orders rest, and stopping at every markout
        time on the way (fills on the way add theirs)."""
        trades: list[Trade] = []
        reports: list[OrderReport] = []
        t = self._t
        while True:
            stop = now
            if self.venue.has_open_orders:
                stop = min(stop, t + self.step_s)
            if self._due:
                stop = min(stop, max(self._due[0][0], t))
            self._step(stop, trades, reports)
            t = stop
            if stop >= now:
                break
        self._t = max(self._t, now)
        return Advance(tuple(trades), tuple(reports))

    def finish(self, until: float) -> None:
        """After the run: advance the market to the last pending markout time (at most ``until``)."""
        while self._due and self._due[0][0] <= until:
            self._step(self._due[0][0], [], [])

    def _step(self, to: float, trades: list[Trade], reports: list[OrderReport]) -> None:
        if to > self._t:
            mid = self.market.snapshot().mid
            moved = super().advance(to)
            trades.extend(moved.trades)
            reports.extend(moved.reports)
            self._watch(moved.reports, mid)
            self._t = to
        seen: float | None = None
        while self._due and self._due[0][0] <= to:
            _, exec_id, horizon = heapq.heappop(self._due)
            seen = self.market.snapshot().mid if seen is None else seen
            self.after[(exec_id, horizon)] = seen

    def _watch(self, reports: list[OrderReport] | tuple[OrderReport, ...], mid: float) -> None:
        for report in reports:
            for fill in report.fills:
                if fill.exec_id in self.fill_mid:
                    continue
                self.fill_mid[fill.exec_id] = mid
                for h in MARKOUT_HORIZONS_S:
                    heapq.heappush(self._due, (fill.ts + h, fill.exec_id, h))
