"""The step loop over a venue gateway, for a venue whose fills happen as its market advances (the paper
venue on the simulator or on a replayed tape): the backtest drives it on a simulated clock.

Each step, at the clock's time: cancel the child orders that outlived one interval → stop when the order
is done or its end-time policy ends it (`execdesk.domain.end_policy`) → decide (strategy → advisor → risk
gate) → send what the risk gate lets through → advance the clock one interval (never past the policy's end,
so the order stops on time), the venue's market with it, and apply its reports. The run ends COMPLETE,
EXPIRED (finish or expire with a remainder) or CANCELLED (continue, stopped one horizon past the deadline
by the unattended run, which stands in for the trader).

The desk runs the same rules (`execdesk.engine.pacing`, `execdesk.engine.decide`) through its services,
one transaction per step, with a human (or its autopilot) between the proposal and the send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP
from execdesk.domain.end_policy import DEFAULT_END_POLICY, EndPolicy, unattended_stop_at
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import OrderReport, OrderRequest, Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.risk import RiskLimits
from execdesk.domain.states import ParentStatus
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import Decision, StepContext
from execdesk.engine.pacing import EPS, RateWindow, VolumeSinceOrder, outlived
from execdesk.venues.gateway import ExecutionClient


@dataclass(frozen=True)
class OrderPlan:
    """The parent order the loop executes."""

    symbol: str
    side: Side
    quantity: float
    horizon_s: float
    interval_s: float
    end_policy: EndPolicy = DEFAULT_END_POLICY
    max_catchup: float = DEFAULT_MAX_CATCHUP  # the largest slice, as a multiple of the scheduled slice
    limit_price: float | None = None  # don't buy above / sell below (domain.limit_price)


class Listener(Protocol):
    """What the loop tells its driver (the backtest's record of the run)."""

    def decided(self, now: float, market: MarketSnapshot, decision: Decision) -> None: ...

    def sending(self, request: OrderRequest, market: MarketSnapshot, now: float) -> None: ...

    def reported(self, report: OrderReport) -> None:
        """Every report, in order; a report may repeat fills already reported (identify them by exec id)."""
        ...

    def printed(self, trades: list[Trade]) -> None: ...


DecideFn = Callable[[StepContext], Decision]


@runtime_checkable
class Latent(Protocol):
    """A gateway whose orders and cancels take time to reach the venue (the backtest's paper gateway)."""

    def pending_until(self) -> float | None:
        """When the last message still travelling lands; None when none is."""
        ...


class StepEngine:
    def __init__(self, *, gateway: ExecutionClient, clock: SimClock, plan: OrderPlan, instrument: Instrument,
                 limits: RiskLimits, decide: DecideFn, listener: Listener, link_prefix: str) -> None:
        if not gateway.fills_on_advance:
            raise ValueError(f"the {gateway.name} venue's fills do not follow a clock the engine drives")
        self.gateway, self.clock, self.plan = gateway, clock, plan
        self.instrument, self.limits, self.decide = instrument, limits, decide
        self.listener, self.link_prefix = listener, link_prefix
        self.resting: dict[str, float] = {}  # order_link_id -> placed at
        self.rate = RateWindow()
        self.volume = VolumeSinceOrder()
        self.executed = 0.0
        self.blocked = 0
        self.orders = 0
        self._seen: set[str] = set()
        self._seq = 0
        self._last_order_at: float | None = None
        self.end_state: ParentStatus | None = None  # COMPLETE, EXPIRED or CANCELLED once run() returns
        self.ended_at: float | None = None

    def run(self, decision_price: float) -> MarketSnapshot:
        """Execute the plan; returns the market at the end."""
        plan, start = self.plan, self.clock.now()
        deadline = start + plan.horizon_s
        stop_at = unattended_stop_at(plan.end_policy, deadline=deadline, interval_s=plan.interval_s,
                                     horizon_s=plan.horizon_s)
        min_qty = float(self.instrument.min_qty)
        snap = self.gateway.snapshot(plan.symbol)
        while True:
            t = self.clock.now()
            self._cancel_outlived(t)
            if plan.quantity - self.executed < min_qty - EPS:
                self.end_state = ParentStatus.COMPLETE
                break
            if t >= stop_at - EPS:
                self.end_state = (ParentStatus.CANCELLED if plan.end_policy is EndPolicy.CONTINUE
                                  else ParentStatus.EXPIRED)
                break
            progress = OrderProgress(symbol=plan.symbol, side=plan.side, quantity=plan.quantity,
                                     executed=self.executed, decision_price=decision_price, started_at=start,
                                     deadline=deadline, now=t, avg_price=None, last_order_at=self._last_order_at,
                                     orders_last_minute=self.rate.count(t), limit_price=plan.limit_price)
            ctx = StepContext(progress=progress, market=snap, instrument=self.instrument, limits=self.limits,
                              interval_s=plan.interval_s, volume_since_order=self.volume.volume,
                              end_policy=plan.end_policy, max_catchup=plan.max_catchup)
            decision = self.decide(ctx)
            self.listener.decided(t, snap, decision)
            self._act(decision, snap, t)
            self._advance(min(t + plan.interval_s, stop_at))
            snap = self.gateway.snapshot(plan.symbol)
        self.ended_at = self.clock.now()
        for link in list(self.resting):
            self._apply(self.gateway.cancel(link))
        self.resting.clear()
        landing = self.gateway.pending_until() if isinstance(self.gateway, Latent) else None
        if landing is not None and landing > self.clock.now():  # fills until the last cancel lands count
            self._advance(landing)
            snap = self.gateway.snapshot(plan.symbol)
        return snap

    def _cancel_outlived(self, now: float) -> None:
        for link in outlived(self.resting.items(), now=now, interval_s=self.plan.interval_s):
            self._apply(self.gateway.cancel(link))
            self.resting.pop(link, None)

    def _act(self, decision: Decision, snap: MarketSnapshot, now: float) -> None:
        draft = decision.draft
        if not draft.action.sends_order:
            return
        if decision.verdict.blocked:
            self.blocked += 1
            return
        if draft.order_type is None:
            return
        self._seq += 1
        request = OrderRequest(order_link_id=f"{self.link_prefix}-{self._seq}", symbol=self.plan.symbol,
                               side=self.plan.side, order_type=draft.order_type,
                               qty=self.instrument.qty(draft.quantity),
                               price=None if draft.limit_price is None else self.instrument.price(draft.limit_price),
                               tif=draft.tif)
        self.listener.sending(request, snap, now)
        report = self.gateway.place(request, now=now)
        self.orders += 1
        self._apply(report)
        if report.status.is_open:
            self.resting[request.order_link_id] = now
        self._last_order_at = now
        self.volume.order_sent()
        self.rate.sent(now)

    def _advance(self, to: float) -> None:
        self.clock.advance_to(to)
        moved = self.gateway.advance(to)
        trades = list(moved.trades)
        self.volume.prints(trades)
        self.listener.printed(trades)
        for report in moved.reports:
            self._apply(report)
            if not report.status.is_open:
                self.resting.pop(report.order_link_id, None)

    def _apply(self, report: OrderReport | None) -> None:
        if report is None:
            return
        for fill in report.fills:
            if fill.exec_id not in self._seen:
                self._seen.add(fill.exec_id)
                self.executed += float(fill.qty)
        self.listener.reported(report)
