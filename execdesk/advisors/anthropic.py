"""The Claude execution advisor: forced tool use, strict validation, the baseline when anything fails.

`ClaudeAdvisor.propose` is the synchronous path (backtest, headless runs): ask, validate, fall back. The
desk runs the two halves apart so that the question never holds up the execution loop: a worker asks
(`ask`), the step turns the stored answer into a proposal (`answer_draft`) or, when no answer is in,
proposes the baseline. Either way an invalid answer is not repaired: the reasons are kept and the
strategy's baseline is proposed instead, marked as a fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.claude_client import ClaudeAnswer, ClaudeClient
from execdesk.advisors.claude_config import ClaudeConfig
from execdesk.advisors.fallback import fallback_draft
from execdesk.advisors.prompt import SYSTEM_PROMPT, decision_prompt, impact_prompt
from execdesk.advisors.schema import DECISION_TOOL_SPEC, IMPACT_TOOL_SPEC
from execdesk.advisors.validate import InvalidAnswer, decision_draft, parse_decision, parse_impact
from execdesk.domain.impact import LLM_MULTIPLIER_MAX, LLM_MULTIPLIER_MIN
from execdesk.domain.proposals import ProposalDraft

NAME = "anthropic"

# Why a proposal is a fallback, recorded where that is decided (never read back from a reason's wording):
# these, or the API error kind of the answer (timeout, rate_limited, overloaded, no_tool_call, ...).
INVALID, RISK_GATE, LATE, MARKET_MOVED = "invalid", "risk_gate", "late", "market_moved"
_LABELS = {INVALID: "invalid answer", RISK_GATE: "risk gate", LATE: "late answer", MARKET_MOVED: "market moved"}


def fallback_kind(answer: ClaudeAnswer) -> str:
    """The kind of fallback an answer that `answer_draft` refused makes."""
    return answer.error_kind or INVALID


def fallback_label(kind: str) -> str:
    return _LABELS.get(kind, kind.replace("_", " "))


def failure_reason(answer: ClaudeAnswer) -> str:
    """Why an answer that carries no tool call cannot be used, in the trader's words."""
    if answer.error_kind == "no_tool_call":
        said = f' (it wrote: "{answer.text[:160]}")' if answer.text else ""
        return f"Claude answered without calling the decision tool{said}"
    return f"Claude did not answer: {answer.error}"


def answer_draft(answer: ClaudeAnswer, ctx: AdvisorContext) -> tuple[ProposalDraft, str]:
    """The proposal for an answer and, when it is a fallback, the reason ("" when Claude's own)."""
    if not answer.ok:
        reason = failure_reason(answer)
        return fallback_draft(ctx, reason, advisor=NAME), reason
    try:
        draft = decision_draft(parse_decision(answer.tool_input), ctx, advisor=NAME)
    except InvalidAnswer as exc:
        reason = f"Claude's answer was invalid: {exc}"
        return fallback_draft(ctx, reason, advisor=NAME), reason
    return draft, ""


def gate_refusal_draft(ctx: AdvisorContext, blocked_by: str) -> tuple[ProposalDraft, str]:
    """Claude's proposal failed a hard risk check: the baseline instead (it meets the gate in turn)."""
    reason = f"Claude's proposal failed the risk gate ({blocked_by})"
    return fallback_draft(ctx, reason, advisor=NAME), reason


@dataclass(frozen=True)
class ImpactView:
    multiplier: float | None  # as Claude proposed it; None when no usable answer
    applied: float | None  # clamped to [0.5, 2.0]
    reasoning: str
    error: str
    answer: ClaudeAnswer


class ClaudeAdvisor:
    name = NAME

    def __init__(self, config: ClaudeConfig | None = None, *, client: ClaudeClient | None = None) -> None:
        self.config = config or ClaudeConfig.from_env()
        self.client = client or ClaudeClient(self.config)

    def ask(self, ctx: AdvisorContext) -> ClaudeAnswer:
        return self.client.ask(system=SYSTEM_PROMPT, prompt=decision_prompt(ctx), tool=DECISION_TOOL_SPEC)

    def propose(self, ctx: AdvisorContext) -> ProposalDraft:
        draft, _ = answer_draft(self.ask(ctx), ctx)
        return draft

    def impact(self, *, symbol: str, side: str, quantity: float, horizon_s: float, market_text: str,
               base_bps: float, base_model: str, notes: str) -> ImpactView:
        answer = self.client.ask(system=SYSTEM_PROMPT, tool=IMPACT_TOOL_SPEC,
                                 prompt=impact_prompt(symbol=symbol, side=side, quantity=quantity, horizon_s=horizon_s,
                                                      market_text=market_text, base_bps=base_bps,
                                                      base_model=base_model, notes=notes))
        if not answer.ok:
            return ImpactView(None, None, "", failure_reason(answer), answer)
        try:
            view = parse_impact(answer.tool_input)
        except InvalidAnswer as exc:
            return ImpactView(None, None, "", f"Claude's impact answer was invalid: {exc}", answer)
        if not math.isfinite(view.multiplier) or view.multiplier <= 0:
            return ImpactView(None, None, "", f"Claude's impact multiplier {view.multiplier!r} is not a positive "
                              "finite number", answer)
        applied = min(max(view.multiplier, LLM_MULTIPLIER_MIN), LLM_MULTIPLIER_MAX)
        return ImpactView(view.multiplier, applied, view.reasoning, "", answer)
