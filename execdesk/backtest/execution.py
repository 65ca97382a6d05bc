"""One parent order executed by one strategy on one market path, through the step engine
(execdesk.engine) the desk uses too:

strategy decision → proposal draft → risk gate → venue gateway (the paper venue) → fills → TCA.

The engine runs on a simulated clock over the paper venue's gateway; this module records what happened.
Resting child orders are cancelled after one interval, by the engine's rule, as the desk does.

A `Pilot` (the "llm" strategy: Claude over TWAP's schedule, execdesk.backtest.llm) replaces the middle
of the step: it is handed the strategy's decision as its baseline and returns the draft and the risk
verdict; everything around it (matching, cancels, fills, TCA) stays the same for every strategy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from execdesk.backtest.evidence import EvidenceGateway
from execdesk.backtest.spec import RunSpec
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.orders import OrderReport, OrderRequest
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskVerdict
from execdesk.domain.strategies.base import Strategy, StrategyDecision
from execdesk.domain.tca import TCAReport
from execdesk.domain.tca_fills import MARKOUT_HORIZONS_S
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import (
    Decision,
    StepContext,
    decide,
    finish_draft,
    held_to_terms,
    risk_gate,
    schedule_proposer,
    strategy_baseline,
)
from execdesk.engine.loop import DecideFn, OrderPlan, StepEngine
from execdesk.venues.paper import PaperVenue


@dataclass
class Fill:
    ts: float
    qty: float
    price: float
    fee: float
    liquidity: str
    mid: float  # the market's mid at the fill (execdesk.backtest.evidence)
    exec_id: str = ""
    mid_1s: float | None = None  # the mids 1, 10 and 60 s after the fill (markouts)
    mid_10s: float | None = None
    mid_60s: float | None = None


@dataclass(frozen=True)
class SentOrder:
    ts: float
    request: OrderRequest


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
    final_market: MarketSnapshot | None = None  # the market when the run stopped: the remainder's completion cost
    tca: TCAReport | None = None
    seen: set[str] = field(default_factory=set)  # exec ids: reports may repeat an order's earlier fills
    placed_mid: dict[str, float] = field(default_factory=dict)  # mid when each child order was sent
    llm: dict[str, Any] | None = None  # the "llm" strategy's advisor figures (execdesk.backtest.llm)
    children: list[SentOrder] = field(default_factory=list)  # the child orders sent, in order
    params: dict[str, Any] = field(default_factory=dict)  # what the run chose up front (POV's rate and why)
    end_state: str = ""  # COMPLETE, EXPIRED or CANCELLED: how the order's end-time policy ended it
    stopped_at: float = 0.0  # when the engine stopped working the order (its policy's end, or done)

    @property
    def executed(self) -> float:
        return sum(f.qty for f in self.fills)


class Pilot(Protocol):
    """Decides each step in the strategy's place, with the strategy's decision as its baseline."""

    def step(self, *, progress: OrderProgress, market: MarketSnapshot, decision: StrategyDecision,
             volume_since_order: float) -> tuple[ProposalDraft, RiskVerdict]: ...


def execute(spec: RunSpec, market: MatchableMarket, instrument: Instrument, strategy: Strategy, *,
            venue: PaperVenue | None = None, trace: bool = False, pilot: Pilot | None = None) -> Execution:
    """Run the step engine over the paper venue on `market`, on a simulated clock from the market's time."""
    order = spec.order
    gateway = EvidenceGateway(market, instrument, venue, latency_s=order.latency_s)
    first = market.snapshot()
    run = Execution(spec=spec, start_ts=market.ts, decision_price=first.mid, arrival_mid=first.mid)
    plan = OrderPlan(symbol=order.symbol, side=order.side, quantity=order.quantity, horizon_s=order.horizon_s,
                     interval_s=order.interval_s, end_policy=order.end_policy,
                     max_catchup=order.max_catchup, limit_price=order.limit_price)
    engine = StepEngine(gateway=gateway, clock=SimClock(market.ts), plan=plan, instrument=instrument,
                        limits=spec.limits, decide=_decider(strategy, pilot), listener=_Record(run, gateway, trace=trace, piloted=pilot is not None),
                        link_prefix=f"BT{spec.seed}")
    snap = engine.run(run.decision_price)
    run.blocked, run.orders = engine.blocked, engine.orders
    run.end_state = engine.end_state.value if engine.end_state is not None else ""
    run.stopped_at = engine.ended_at if engine.ended_at is not None else engine.clock.now()
    t = engine.clock.now()
    run.end_ts = max((f.ts for f in run.fills), default=t)
    run.final_mid = snap.mid
    run.final_market = snap
    if run.fills:  # the market goes on after the order: the last fills' markouts
        gateway.finish(max(f.ts for f in run.fills) + max(MARKOUT_HORIZONS_S))
    for f in run.fills:
        f.mid_1s, f.mid_10s, f.mid_60s = (gateway.after.get((f.exec_id, h)) for h in MARKOUT_HORIZONS_S)
    if trace:
        run.mids.append((t, snap.mid))
    return run


def _decider(strategy: Strategy, pilot: Pilot | None) -> DecideFn:
    if pilot is None:
        propose = schedule_proposer(strategy.name)
        return lambda ctx: decide(strategy, ctx, propose=propose)

    def with_pilot(ctx: StepContext) -> Decision:
        baseline = strategy_baseline(strategy, ctx)
        draft, verdict = pilot.step(progress=ctx.progress, market=ctx.market, decision=baseline,
                                    volume_since_order=ctx.volume_since_order)
        priced = held_to_terms(finish_draft(draft, baseline, ctx), strategy, ctx)
        if priced is not draft:  # re-priced (or held back) for the parent's limit: the gate judges what is sent
            draft, verdict = priced, risk_gate(priced, ctx)
        return Decision(baseline=baseline, draft=draft, verdict=verdict)

    return with_pilot


class _Record:
    """The engine's listener: the run's fills, the market's prints, and the trace when asked."""

    def __init__(self, run: Execution, gateway: EvidenceGateway, *, trace: bool, piloted: bool) -> None:
        self.run, self.gateway, self.trace, self.piloted = run, gateway, trace, piloted

    def decided(self, now: float, market: MarketSnapshot, decision: Decision) -> None:
        if not self.trace:
            return
        run, draft, verdict = self.run, decision.draft, decision.verdict
        run.mids.append((now, market.mid))
        run.schedule.append((now, decision.baseline.schedule_target))
        run.decisions.append({"ts": now, "action": draft.action.value, "qty": draft.quantity,
                              "blocked": verdict.blocked, "reason": draft.reasoning,
                              "risk": verdict.summary if verdict.blocked else ""})
        if self.piloted:
            run.decisions[-1].update(advisor=draft.advisor, fallback=draft.is_fallback,
                                     fallback_reason=draft.fallback_reason)

    def sending(self, request: OrderRequest, market: MarketSnapshot, now: float) -> None:
        self.run.placed_mid[request.order_link_id] = market.mid
        self.run.children.append(SentOrder(ts=now, request=request))

    def reported(self, report: OrderReport) -> None:
        _absorb(self.run, report, self.gateway.fill_mid)

    def printed(self, trades: list[Trade]) -> None:
        for trade in trades:
            self.run.market_volume += trade.qty
            self.run.market_notional += trade.qty * trade.price


def _absorb(run: Execution, report: OrderReport | None, fill_mid: dict[str, float]) -> None:
    if report is None:
        return
    sent = run.placed_mid.get(report.order_link_id, run.arrival_mid)
    for f in report.fills:
        if f.exec_id in run.seen:
            continue
        run.seen.add(f.exec_id)
        run.fills.append(Fill(ts=f.ts, qty=float(f.qty), price=float(f.price), fee=float(f.fee),
                              liquidity=f.liquidity, mid=fill_mid.get(f.exec_id, sent), exec_id=f.exec_id))


def decimal_str(value: float | Decimal) -> str:
    return format(Decimal(str(value)).normalize(), "f")


__all__ = ["Execution", "Fill", "SentOrder", "MarketSnapshot", "Pilot", "execute", "decimal_str"]
