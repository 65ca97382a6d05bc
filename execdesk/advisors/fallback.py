"""The baseline a Claude answer falls back to: the parent order's strategy's own slice, marked as such.

It carries the current execution rate (an approved ACCELERATE / DECELERATE scales the strategy's slice
until it is changed again): the loop goes on with the last valid decision while Claude is unavailable.
The proposal says which advisor was asked, that this is a fallback, and why.
"""

from __future__ import annotations

from dataclasses import replace

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.drafts import draft_from_decision, wait_draft
from execdesk.domain.proposals import Action, ProposalDraft

FALLBACK_CONFIDENCE = 0.5  # the schedule, not a view on the market


def fallback_draft(ctx: AdvisorContext, reason: str, *, advisor: str) -> ProposalDraft:
    decision = ctx.decision
    if decision is None:
        draft = wait_draft(advisor, f"Fallback: WAIT, no strategy decision to fall back on. {reason}",
                           0.0, ctx.interval_s)
        return replace(draft, is_fallback=True, fallback_reason=reason)
    rate_note = ""
    if decision.action is not Action.WAIT and ctx.rate != 1.0:
        scaled = min(decision.quantity * ctx.rate, ctx.progress.remaining)
        rate_note = f" Sized at the current rate {ctx.rate:g}x the schedule: {decision.quantity:.6g} -> {scaled:.6g}."
        decision = replace(decision, quantity=scaled)
    reasoning = (f"Fallback to the {ctx.strategy.upper()} baseline because {reason}. "
                 f"{decision.action.value}: {decision.reason}{rate_note}")
    draft = draft_from_decision(decision, side=ctx.progress.side, market=ctx.market, instrument=ctx.instrument,
                                advisor=advisor, remaining=ctx.progress.remaining, reasoning=reasoning,
                                confidence=FALLBACK_CONFIDENCE, wait_seconds=ctx.interval_s, limits=ctx.limits,
                                interval_s=ctx.interval_s)
    return replace(draft, is_fallback=True, fallback_reason=reason)
