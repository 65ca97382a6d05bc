"""Catch-up control in the step engine, on the simulator and on a replayed tape: after steps nobody answered
(half the horizon without a child order) the backlog is worked off at no more than K × the scheduled slice a
step, and the reasoning says how far behind the order is."""

from __future__ import annotations

import pytest

from execdesk.advisors.drafts import wait_draft
from execdesk.domain.end_policy import EndPolicy
from execdesk.domain.orders import Side
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import Decision, decide, schedule_proposer
from execdesk.engine.loop import OrderPlan, StepEngine
from execdesk.venues.gateway import PaperGateway
from tests.engine.test_end_policy_engine import MARKETS, Record, _market


@pytest.mark.parametrize("kind", MARKETS)
@pytest.mark.parametrize("name", ["twap", "adaptive"])
def test_after_unanswered_steps_the_catch_up_never_exceeds_its_cap(kind, name, tmp_path):
    """Nothing is sent for the first half of the horizon (proposals nobody answered); the backlog is then
    worked off at no more than twice the scheduled slice a step, not swept in one order."""
    market, instrument = _market(kind, tmp_path)
    horizon, interval, quantity = 300.0, 15.0, 1.0
    strategy = build_strategy(name, StrategyInputs(horizon_s=horizon, interval_s=interval))
    propose, start = schedule_proposer(name), market.ts
    slice_qty = quantity / 20

    def unanswered_then_followed(ctx):
        decision = decide(strategy, ctx, propose=propose)
        if ctx.progress.now < start + horizon / 2:
            return Decision(baseline=decision.baseline, draft=_unanswered(), verdict=decision.verdict)
        return decision

    record = Record()
    engine = StepEngine(gateway=PaperGateway(market, instrument), clock=SimClock(start), instrument=instrument,
                        plan=OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=quantity, horizon_s=horizon,
                                       interval_s=interval, end_policy=EndPolicy.EXPIRE),
                        limits=RiskLimits(), decide=unanswered_then_followed, listener=record, link_prefix="C")
    engine.run(market.snapshot().mid)
    sent = [float(req.qty) for _, req, _ in record.sent]
    assert len(sent) >= 5 and max(sent) <= 2 * slice_qty + 1e-9
    behind = [d.baseline.reason for t, d in record.decisions if t >= start + horizon / 2]
    assert any("Behind schedule by" in r and "Catch-up capped at 2×" in r for r in behind)


def _unanswered():
    return wait_draft("test", "nobody answered the proposal", 0.0, None)


def test_an_advisor_proposing_the_whole_backlog_is_held_to_the_cap(tmp_path):
    """An advisor sizes its own slices (Claude): one that proposes everything left at each step is sized down
    to the cap like the strategy, up to finish's last interval, where the end policy crosses the rest."""
    market, instrument = _market("sim", tmp_path)
    horizon, interval, quantity = 300.0, 15.0, 1.0
    strategy = build_strategy("twap", StrategyInputs(horizon_s=horizon, interval_s=interval))
    scheduled = schedule_proposer("twap")

    def greedy(ctx, baseline):
        draft = scheduled(ctx, baseline)
        if draft.order_type is None:
            return draft
        return draft.with_order(quantity=ctx.progress.remaining, order_type=draft.order_type,
                                limit_price=draft.limit_price, tif=draft.tif)

    record, start = Record(), market.ts
    engine = StepEngine(gateway=PaperGateway(market, instrument), clock=SimClock(start), instrument=instrument,
                        plan=OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=quantity, horizon_s=horizon,
                                       interval_s=interval, end_policy=EndPolicy.FINISH),
                        limits=RiskLimits(), decide=lambda ctx: decide(strategy, ctx, propose=greedy),
                        listener=record, link_prefix="G")
    engine.run(market.snapshot().mid)
    early = [float(req.qty) for t, req, _ in record.sent if t < start + horizon - interval]
    assert len(early) >= 10 and max(early) <= 2 * quantity / 20 + 1e-9
    assert engine.end_state is not None
