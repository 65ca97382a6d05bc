"""With a latency, the step engine's run ends when its last cancel has landed at the venue."""

from __future__ import annotations

from pathlib import Path

import pytest

from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import OrderReport, OrderRequest, OrderType, Side, TimeInForce
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.domain.strategies.vwap import VolumeCurve
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import Decision, StepContext, decide, risk_gate, schedule_proposer
from execdesk.engine.loop import OrderPlan, StepEngine
from execdesk.market.replay import ReplayMarket, TradeTape
from execdesk.venues.gateway import PaperGateway
from tests.market.synthetic_tape import T0, kyle_rows, write_rows


class Reports:
    def __init__(self) -> None:
        self.reports: list[OrderReport] = []

    def decided(self, now: float, market: MarketSnapshot, decision: Decision) -> None: ...

    def sending(self, request: OrderRequest, market: MarketSnapshot, now: float) -> None: ...

    def reported(self, report: OrderReport) -> None:
        self.reports.append(report)

    def printed(self, trades: list[Trade]) -> None: ...


def run(tape: TradeTape, latency_s: float) -> tuple[float, Reports]:
    """TWAP's slices as post-only buys 20 ticks under the bid: they rest and never fill."""
    market = ReplayMarket(tape, start_ts=T0 + 60)
    gateway = PaperGateway(market, market.instrument, latency_s=latency_s)
    plan = OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=0.3, horizon_s=30.0, interval_s=10.0)
    twap = build_strategy("twap", StrategyInputs(horizon_s=30.0, interval_s=10.0, volume_curve=VolumeCurve.flat()))
    propose = schedule_proposer("twap")

    def passive(ctx: StepContext) -> Decision:
        decision = decide(twap, ctx, propose=propose)
        if decision.draft.order_type is None:
            return decision
        draft = decision.draft.with_order(quantity=decision.draft.quantity, order_type=OrderType.POST_ONLY,
                                          limit_price=ctx.market.best_bid - 2.0, tif=TimeInForce.GTC)
        return Decision(baseline=decision.baseline, draft=draft, verdict=risk_gate(draft, ctx))

    listener = Reports()
    engine = StepEngine(gateway=gateway, clock=SimClock(market.ts), plan=plan, instrument=market.instrument,
                        limits=RiskLimits(), decide=passive, listener=listener, link_prefix="L")
    engine.run(market.mid)
    assert engine.orders >= 3 and engine.executed == 0
    return engine.clock.now(), listener


def test_the_run_ends_when_the_last_cancel_lands(tmp_path: Path) -> None:
    tape = TradeTape.load(write_rows(tmp_path / "t.csv", kyle_rows(lam=2e-5, seconds=200)))
    instant, _ = run(tape, 0.0)
    late, listener = run(tape, 0.5)

    assert late == pytest.approx(instant + 0.5)
    assert listener.reports[-1].status.value == "cancelled"  # the last report is the landed cancel
