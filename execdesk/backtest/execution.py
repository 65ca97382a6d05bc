"""One parent order executed by one strategy on one market path, through the desk's own pipeline:

strategy decision → proposal draft → risk gate → paper venue → fills → TCA.

It is the desk's execution step without Django: the same strategy, drafting, risk and TCA code, and the
paper venue's matching. Resting child orders are cancelled after one interval, as the desk does.

A `Pilot` (the "llm" strategy: Claude over TWAP's schedule, execdesk.backtest.llm) replaces the middle
of the step: it is handed the strategy's decision as its baseline and returns the draft and the risk
verdict; everything around it (matching, cancels, fills, TCA) stays the same for every strategy.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from execdesk.advisors.drafts import draft_from_decision
from execdesk.backtest.spec import RunSpec
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import OrderReport, OrderRequest
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskVerdict, evaluate
from execdesk.domain.strategies.base import StepInput, Strategy, StrategyDecision
from execdesk.domain.tca import TCAReport
from execdesk.venues.paper import PaperVenue

_EPS = 1e-9


@dataclass
class Fill:
    ts: float
    qty: float
    price: float
    fee: float
    liquidity: str
    mid: float  # the market's mid when the child order was sent


@dataclass
class Execution:
    """What happened: fills, the market's prints and mids over the window, decisions and blocks."""

    spec: RunSpec
    start_ts: float
    decision_price: float
    arrival_mid: float
    fills: list[Fill] = field(default_factory=list)
    market_volume: float = 0.0
    market_notional: float = 0.0
    mids: list[tuple[float, float]] = field(default_factory=list)  # (ts, mid) at each decision
    decisions: list[dict[str, Any]] = field(default_factory=list)
    schedule: list[tuple[float, float]] = field(default_factory=list)  # (ts, cumulative target)
    blocked: int = 0
    orders: int = 0
    end_ts: float = 0.0
    final_mid: float = 0.0
    tca: TCAReport | None = None
    seen: set[str] = field(default_factory=set)  # exec ids: reports may repeat an order's earlier fills
    placed_mid: dict[str, float] = field(default_factory=dict)  # mid when each child order was sent
    llm: dict[str, Any] | None = None  # the "llm" strategy's advisor figures (execdesk.backtest.llm)

    @property
    def executed(self) -> float:
        return sum(f.qty for f in self.fills)


class Pilot(Protocol):
    """Decides each step in the strategy's place, with the strategy's decision as its baseline."""

    def step(self, *, progress: OrderProgress, market: MarketSnapshot, decision: StrategyDecision,
             volume_since_order: float) -> tuple[ProposalDraft, RiskVerdict]: ...


def execute(spec: RunSpec, market: MatchableMarket, instrument: Instrument, strategy: Strategy, *,
            venue: PaperVenue | None = None, trace: bool = False, pilot: Pilot | None = None) -> Execution:
    order, limits = spec.order, spec.limits
    venue = venue or PaperVenue()
    first = market.snapshot()
    start = market.ts
    deadline = start + order.horizon_s
    stop_at = deadline + order.grace_s
    run = Execution(spec=spec, start_ts=start, decision_price=first.mid, arrival_mid=first.mid)
    resting: dict[str, float] = {}  # order_link_id -> placed at
    sent_at: deque[float] = deque()
    last_order_at: float | None = None
    volume_since_order = 0.0
    min_qty = float(instrument.min_qty)
    t, seq = start, 0
    snap = first
    while True:
        for link, placed in list(resting.items()):
            if placed <= t - order.interval_s + _EPS:
                _absorb(run, venue.cancel(link))
                del resting[link]
        executed = run.executed
        if order.quantity - executed < min_qty - _EPS or t > stop_at + _EPS:
            break
        while sent_at and sent_at[0] <= t - 60:
            sent_at.popleft()
        progress = OrderProgress(symbol=order.symbol, side=order.side, quantity=order.quantity, executed=executed,
                                 decision_price=run.decision_price, started_at=start, deadline=deadline, now=t,
                                 avg_price=None, last_order_at=last_order_at, orders_last_minute=len(sent_at))
        decision = strategy.decide(StepInput(progress=progress, market=snap, interval_s=order.interval_s,
                                             market_volume_since_last=volume_since_order,
                                             max_participation=limits.max_participation))
        if pilot is None:
            draft = draft_from_decision(decision, side=order.side, market=snap, instrument=instrument,
                                        advisor=strategy.name, remaining=progress.remaining, limits=limits,
                                        interval_s=order.interval_s)
            verdict = evaluate(draft, progress=progress, market=snap, instrument=instrument, limits=limits,
                               interval_s=order.interval_s)
        else:
            draft, verdict = pilot.step(progress=progress, market=snap, decision=decision,
                                        volume_since_order=volume_since_order)
        if trace:
            run.mids.append((t, snap.mid))
            run.schedule.append((t, decision.schedule_target))
            run.decisions.append({"ts": t, "action": draft.action.value, "qty": draft.quantity,
                                  "blocked": verdict.blocked, "reason": draft.reasoning,
                                  "risk": verdict.summary if verdict.blocked else ""})
            if pilot is not None:
                run.decisions[-1].update(advisor=draft.advisor, fallback=draft.is_fallback,
                                         fallback_reason=draft.fallback_reason)
        if draft.action.sends_order and verdict.blocked:
            run.blocked += 1
        elif draft.action.sends_order and draft.order_type is not None:
            seq += 1
            link = f"BT{spec.seed}-{seq}"
            request = OrderRequest(order_link_id=link, symbol=order.symbol, side=order.side,
                                   order_type=draft.order_type, qty=instrument.qty(draft.quantity),
                                   price=None if draft.limit_price is None else instrument.price(draft.limit_price),
                                   tif=draft.tif)
            run.placed_mid[link] = snap.mid
            report = venue.place(market, request, instrument, t)
            run.orders += 1
            _absorb(run, report)
            if report.status.is_open:
                resting[link] = t
            last_order_at, volume_since_order = t, 0.0
            sent_at.append(t)
        t_next = t + order.interval_s
        trades = market.advance_to(t_next)
        for trade in trades:
            run.market_volume += trade.qty
            run.market_notional += trade.qty * trade.price
            volume_since_order += trade.qty
        if resting and trades:
            for report in venue.on_trades(market, trades, instrument):
                _absorb(run, report)
                if not report.status.is_open:
                    resting.pop(report.order_link_id, None)
        t = t_next
        snap = market.snapshot()
    for link in resting:
        _absorb(run, venue.cancel(link))
    run.end_ts = max((f.ts for f in run.fills), default=t)
    run.final_mid = snap.mid
    if trace:
        run.mids.append((t, snap.mid))
    return run


def _absorb(run: Execution, report: OrderReport | None) -> None:
    if report is None:
        return
    mid = run.placed_mid.get(report.order_link_id, run.arrival_mid)
    for f in report.fills:
        if f.exec_id in run.seen:
            continue
        run.seen.add(f.exec_id)
        run.fills.append(Fill(ts=f.ts, qty=float(f.qty), price=float(f.price), fee=float(f.fee),
                              liquidity=f.liquidity, mid=mid))


def decimal_str(value: float | Decimal) -> str:
    return format(Decimal(str(value)).normalize(), "f")


__all__ = ["Execution", "Fill", "MarketSnapshot", "Pilot", "execute", "decimal_str"]
