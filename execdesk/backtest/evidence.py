"""The paper venue of a backtest run, recording what TCA's per-fill evidence needs (docs/tca.md): the mid at
each fill and the mids 1, 10 and 60 s after it (markouts) — without changing how the run's market is
advanced (the desk/backtest parity test holds the two to the same steps).

* mid at the fill: for an order that fills on arrival, the mid just before it was placed; for a resting
  order, the last mid before the fill, at most ``LOOKBACK_S`` (the desk's 1 s tick) earlier, as the desk
  records it before its tick's advance;
* markouts: the mid exactly 1, 10 and 60 s after each fill.

Both are read from a fork of the market taken before each advance (its saved state, restored), stepped to
each time needed while the real market advances in the run's own step; the fork does not see our own
passive fills within that step. A market that cannot be forked gives the mid before the step as the mid at a
resting fill, and no markouts inside the run (after it, the market is stepped to the last markouts).
"""

from __future__ import annotations

import heapq
from typing import Any

from execdesk.domain.instrument import Instrument
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import OrderReport, OrderRequest
from execdesk.domain.tca_fills import MARKOUT_HORIZONS_S
from execdesk.venues.gateway import Advance, PaperGateway
from execdesk.venues.paper import PaperVenue

LOOKBACK_S = 1.0  # the desk's tick: how stale a resting fill's mid may be


class EvidenceGateway(PaperGateway):
    def __init__(self, market: MatchableMarket, instrument: Instrument, venue: PaperVenue | None = None, *,
                 latency_s: float = 0.0) -> None:
        super().__init__(market, instrument, venue, latency_s=latency_s)
        self.fill_mid: dict[str, float] = {}  # exec id -> the mid at the fill
        self.after: dict[tuple[str, int], float] = {}  # (exec id, horizon) -> mid at fill ts + horizon
        self._due: list[tuple[float, str, int]] = []  # (time, exec id, horizon), a heap

    def place(self, request: OrderRequest, *, now: float) -> OrderReport:
        mid = self.market.snapshot().mid
        report = super().place(request, now=now)
        for fill in self._new_fills([report]):
            self.fill_mid[fill[0]] = mid
        return report

    def advance(self, now: float) -> Advance:
        resting = self.venue.has_open_orders
        fork = _fork(self.market) if resting or (self._due and self._due[0][0] <= now) else None
        before = self.market.snapshot().mid if resting else None
        moved = super().advance(now)
        events: list[tuple[float, int, str, int]] = []  # (time, kind 0 = mid at fill / 1 = markout, exec, h)
        for exec_id, ts in self._new_fills(moved.reports):
            if fork is None:
                self.fill_mid[exec_id] = before if before is not None else self.market.snapshot().mid
            else:
                events.append((ts - LOOKBACK_S, 0, exec_id, 0))
        if fork is not None:
            while self._due and self._due[0][0] <= now:
                t, exec_id, h = heapq.heappop(self._due)
                events.append((t, 1, exec_id, h))
            for t, kind, exec_id, h in sorted(events):
                fork.advance_to(max(t, fork.ts))
                if kind == 0:
                    self.fill_mid[exec_id] = fork.snapshot().mid
                else:
                    self.after[(exec_id, h)] = fork.snapshot().mid
        return moved

    def finish(self, until: float) -> None:
        """After the run (no order left): step the market to each pending markout time up to ``until``."""
        while self._due and self._due[0][0] <= until:
            t, exec_id, h = heapq.heappop(self._due)
            if t > self.market.ts:
                super().advance(t)
            self.after[(exec_id, h)] = self.market.snapshot().mid

    def _new_fills(self, reports: list[OrderReport] | tuple[OrderReport, ...]) -> list[tuple[str, float]]:
        """The fills not seen before, as (exec id, ts); their markout times join the heap."""
        new: list[tuple[str, float]] = []
        for report in reports:
            for fill in report.fills:
                if fill.exec_id in self.fill_mid or any(e == fill.exec_id for e, _ in new):
                    continue
                new.append((fill.exec_id, fill.ts))
                for h in MARKOUT_HORIZONS_S:
                    heapq.heappush(self._due, (fill.ts + h, fill.exec_id, h))
        return new


def _fork(market: MatchableMarket) -> Any:
    """An independent copy of the market from its saved state; None when it has none."""
    save, load = getattr(market, "to_state", None), getattr(type(market), "from_state", None)
    if save is None or load is None:
        return None
    tape = getattr(market, "tape", None)
    try:
        return load(save(), tape=tape) if tape is not None else load(save())
    except (TypeError, ValueError, KeyError):
        return None
