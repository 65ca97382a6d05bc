"""One step's decision: the strategy's baseline → the advisor's draft → the risk gate's verdict.

The strategy is always asked first (its decision is the advisor's baseline and the fallback); the advisor
(a `Proposer`) turns it into a proposal draft; the one risk gate (`execdesk.domain.risk.evaluate`, with
what the caller knows of the desk: its trading state, net position, the order's IS) judges it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from execdesk.advisors.drafts import draft_from_decision
from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP, draft_within_catchup
from execdesk.domain.end_policy import DEFAULT_END_POLICY, EndPolicy
from execdesk.domain.instrument import Instrument
from execdesk.domain.limit_price import within_parent_limit
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.order_terms import finish_crosses_now, order_catchup_cap, order_terms_shaped
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskLimits, RiskVerdict, evaluate
from execdesk.domain.strategies.base import StepInput, Strategy, StrategyDecision


@dataclass(frozen=True)
class StepContext:
    progress: OrderProgress
    market: MarketSnapshot
    instrument: Instrument
    limits: RiskLimits
    interval_s: float
    volume_since_order: float
    end_policy: EndPolicy = DEFAULT_END_POLICY
    max_catchup: float = DEFAULT_MAX_CATCHUP  # the largest slice, as a multiple of the scheduled slice


@dataclass(frozen=True)
class Decision:
    baseline: StrategyDecision
    draft: ProposalDraft
    verdict: RiskVerdict


# (step context, the strategy's decision) → the proposal draft
Proposer = Callable[[StepContext, StrategyDecision], ProposalDraft]
# (draft, step context) → the risk gate's verdict
Gate = Callable[[ProposalDraft, StepContext], RiskVerdict]


def strategy_baseline(strategy: Strategy, ctx: StepContext) -> StrategyDecision:
    """The strategy's decision under the order's terms: its catch-up capped, and as its end policy has it
    near and past the deadline (execdesk.domain.order_terms)."""
    decision = strategy.decide(StepInput(progress=ctx.progress, market=ctx.market, interval_s=ctx.interval_s,
                                         market_volume_since_last=ctx.volume_since_order,
                                         max_participation=ctx.limits.max_participation))
    return order_terms_shaped(decision, strategy=strategy, progress=ctx.progress, interval_s=ctx.interval_s,
                              end_policy=ctx.end_policy, max_catchup=ctx.max_catchup, instrument=ctx.instrument,
                              market=ctx.market)


def schedule_proposer(advisor: str) -> Proposer:
    """The strategy's own slice, as scheduled (sized to the participation and notional caps)."""

    def propose(ctx: StepContext, baseline: StrategyDecision) -> ProposalDraft:
        return draft_from_decision(baseline, side=ctx.progress.side, market=ctx.market, instrument=ctx.instrument,
                                   advisor=advisor, remaining=ctx.progress.remaining, limits=ctx.limits,
                                   interval_s=ctx.interval_s)

    return propose


def risk_gate(draft: ProposalDraft, ctx: StepContext) -> RiskVerdict:
    """The risk gate with nothing known of a desk around the order (a backtest)."""
    return evaluate(draft, progress=ctx.progress, market=ctx.market, instrument=ctx.instrument, limits=ctx.limits,
                    interval_s=ctx.interval_s)


def priced_within_limit(draft: ProposalDraft, ctx: StepContext) -> ProposalDraft:
    """The draft priced so that no fill can be beyond the parent's limit price (domain.limit_price)."""
    return within_parent_limit(draft, side=ctx.progress.side, limit=ctx.progress.limit_price, market=ctx.market,
                               instrument=ctx.instrument, band_bps=ctx.limits.max_price_deviation_bps)


def finish_draft(draft: ProposalDraft, baseline: StrategyDecision, ctx: StepContext) -> ProposalDraft:
    """In finish's last stretch an advisor's order becomes the policy's cross of what remains (the baseline,
    which end_shaped made so), sized to the gate's limits; a WAIT stays the advisor's call."""
    if not (draft.action.sends_order and finish_crosses_now(ctx.end_policy, ctx.progress, ctx.interval_s)):
        return draft
    crossed = draft_from_decision(baseline, side=ctx.progress.side, market=ctx.market, instrument=ctx.instrument,
                                  advisor=draft.advisor, remaining=ctx.progress.remaining, limits=ctx.limits,
                                  interval_s=ctx.interval_s)
    if crossed.quantity <= draft.quantity and crossed.order_type == draft.order_type:
        return draft
    return replace(crossed, reasoning=f"{crossed.reasoning} (The advisor proposed {draft.action.value} "
                                      f"{draft.quantity:g}: end policy finish crosses what remains.)",
                   is_fallback=draft.is_fallback, fallback_reason=draft.fallback_reason)


def held_to_terms(draft: ProposalDraft, strategy: Strategy, ctx: StepContext) -> ProposalDraft:
    """Whoever proposed it, the draft keeps to the order's terms: the catch-up cap, the parent limit price."""
    cap = order_catchup_cap(strategy=strategy, progress=ctx.progress, interval_s=ctx.interval_s,
                            end_policy=ctx.end_policy, max_catchup=ctx.max_catchup, instrument=ctx.instrument,
                            market=ctx.market)
    draft = draft_within_catchup(draft, cap=cap, max_catchup=ctx.max_catchup, instrument=ctx.instrument)
    return priced_within_limit(draft, ctx)


def decide(strategy: Strategy, ctx: StepContext, *, propose: Proposer, gate: Gate = risk_gate) -> Decision:
    baseline = strategy_baseline(strategy, ctx)
    draft = held_to_terms(finish_draft(propose(ctx, baseline), baseline, ctx), strategy, ctx)
    return Decision(baseline=baseline, draft=draft, verdict=gate(draft, ctx))
