"""The schedule advisor: proposes exactly what the parent order's strategy decided (TWAP, VWAP, IS, POV).

It adds no judgement of its own, which is the point: the trader supervises the strategy itself, and the
proposal's reasoning is the strategy's own explanation of its slice.
"""

from __future__ import annotations

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.drafts import draft_from_decision, wait_draft
from execdesk.domain.proposals import ProposalDraft

CONFIDENCE = 0.7  # a schedule is followed, not forecast: the same confidence for every slice


class ScheduleAdvisor:
    name = "schedule"

    def propose(self, ctx: AdvisorContext) -> ProposalDraft:
        p, m = ctx.progress, ctx.market
        if ctx.decision is None:
            return wait_draft(self.name, "No strategy decision was given: nothing to follow.", 0.0, ctx.interval_s)
        facts = (f"mid {m.mid:,.1f}, spread {m.spread_bps:.2f} bps, 1-min volume {m.volume_1m:.3f}, "
                 f"1-h vol {m.volatility_1h * 100:.2f} %")
        reasoning = (f"{ctx.decision.action.value} ({ctx.strategy.upper()} schedule): {ctx.decision.reason} "
                     f"Market: {facts}.")
        return draft_from_decision(ctx.decision, side=p.side, market=m, instrument=ctx.instrument,
                                   advisor=self.name, remaining=p.remaining, reasoning=reasoning,
                                   confidence=CONFIDENCE, wait_seconds=ctx.interval_s, limits=ctx.limits,
                                   interval_s=ctx.interval_s)
