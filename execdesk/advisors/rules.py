"""The offline rules advisor: the adaptive strategy's transparent rules, turned into a proposal.

The decision (and its reason, which cites the figures of the rule that fired) comes from
`AdaptiveStrategy.decide`, the very policy the backtest measures; the reasoning adds the market facts
a trader checks it against. PASSIVE and DECELERATE post a limit at our touch (DECELERATE with the smaller
slice the rule chose), AGGRESSIVE and ACCELERATE cross with a market IOC, WAIT sends nothing; a slice
below the instrument's minimums waits (see `advisors.drafts`).
"""

from __future__ import annotations

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.drafts import draft_from_decision, wait_draft
from execdesk.domain.order_terms import order_terms_shaped
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.strategies.adaptive import AdaptiveConfig, AdaptiveStrategy
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.twap import TWAPConfig

# How sure a fixed rule can be of its call: the most for taking the schedule's own slice, the least for
# a bet on the market's next move (waiting for a pullback, accelerating ahead of funding, slowing down).
CONFIDENCE: dict[Action, float] = {
    Action.AGGRESSIVE: 0.7,
    Action.PASSIVE: 0.65,
    Action.WAIT: 0.6,
    Action.ACCELERATE: 0.6,
    Action.DECELERATE: 0.55,
}
VOLATILITY_STOP_CONFIDENCE = 0.8  # the risk gate would refuse any order anyway


class RulesAdvisor:
    name = "rules"

    def __init__(self, config: AdaptiveConfig | None = None) -> None:
        self.config = config or AdaptiveConfig()

    def propose(self, ctx: AdvisorContext) -> ProposalDraft:
        p, m, lim = ctx.progress, ctx.market, ctx.limits
        facts = (
            f"mid {m.mid:,.1f}, spread {m.spread_bps:.2f} bps, 5-level depth bid {m.bid_depth:.3f} / "
            f"ask {m.ask_depth:.3f} (imbalance {m.imbalance:+.2f}), 1-min volume {m.volume_1m:.3f}, "
            f"1-h vol {m.volatility_1h * 100:.2f} %, funding {m.funding_rate * 100:.4f} % per 8 h, "
            f"open interest {m.oi_change_1h * 100:+.2f} % over 1 h"
        )
        if m.volatility_1h > lim.max_volatility_1h:
            return wait_draft(self.name, f"WAIT: 1-h volatility {m.volatility_1h * 100:.2f} % is above the "
                              f"{lim.max_volatility_1h * 100:.0f} % stop. Market: {facts}.",
                              VOLATILITY_STOP_CONFIDENCE, ctx.interval_s)
        strategy = AdaptiveStrategy(TWAPConfig(horizon_seconds=p.horizon, interval_seconds=ctx.interval_s),
                                    self.config)
        decision = strategy.decide(StepInput(progress=p, market=m, interval_s=ctx.interval_s,
                                             market_volume_since_last=ctx.market_volume_since_last,
                                             max_participation=lim.max_participation))
        decision = order_terms_shaped(decision, strategy=strategy, progress=p, interval_s=ctx.interval_s,
                                      end_policy=ctx.end_policy, max_catchup=ctx.max_catchup,
                                      instrument=ctx.instrument, market=m)
        return draft_from_decision(decision, side=p.side, market=m, instrument=ctx.instrument, advisor=self.name,
                                   remaining=p.remaining, reasoning=f"{decision.action.value}: {decision.reason} Market: {facts}.",
                                   confidence=CONFIDENCE[decision.action], wait_seconds=ctx.interval_s,
                                   limits=lim, interval_s=ctx.interval_s)
