"""The "llm" backtest strategy: Claude decides every step of TWAP's schedule, so it is measured against TWAP.

Each step builds the advisor context the desk would (the order's progress, the market snapshot, TWAP's
decision as the baseline sized at the current execution rate, the last decisions and what became of
them), asks Claude (`ClaudeAdvisor.ask`), turns the answer into a proposal or a recorded fallback
(`answer_draft`) and runs the risk gate as every backtest step does. The backtest approves whatever the
gate passes, as the desk's autopilot would; Claude's own order that the gate blocks is replaced by the
baseline (`gate_refusal_draft`), which meets the gate in turn. An approved ACCELERATE / DECELERATE sets
the rate that scales the later baseline slices (and so the fallbacks), as an approval does on the desk.
A CANCEL is a human's call the backtest cannot make: nothing is sent that interval and the decision is
shown to Claude as expired. WAIT's `wait_seconds` is not honoured: the backtest steps every interval.

Every fallback is counted by kind: the API's error kind (timeout, rate_limited, ...), `no_tool_call`,
`invalid` (the answer broke the schema or the order's limits) or `risk_gate`. When every answer falls
back, the run is TWAP's, order for order: a broken advisor costs nothing but the API calls.

The API's part of the figures (`row["llm"]["api"]`: latencies, tokens, cost, cached answers) is the
only part that differs between a first run and a rerun from the response cache (`--llm-cache DIR` or
EXECDESK_LLM_CACHE_DIR): the prompts are pure functions of the simulated path, so a cached rerun sends
no request and reproduces every other figure. Workers build their own advisor (an SDK client does not
cross a process boundary); a suite with "llm" defaults to `LLM_MAX_WORKERS` processes so that parallel
questions stay within the API's rate limits (an explicit `--workers` is honoured).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from execdesk.advisors.anthropic import (
    RISK_GATE,
    ClaudeAdvisor,
    answer_draft,
    fallback_kind,
    gate_refusal_draft,
)
from execdesk.advisors.base import AdvisorContext, PastDecision
from execdesk.advisors.claude_client import ClaudeAnswer
from execdesk.advisors.claude_config import ClaudeConfig
from execdesk.advisors.drafts import snap_quantity
from execdesk.backtest.execution import Execution, execute
from execdesk.backtest.markets import strategy_for
from execdesk.backtest.spec import RunSpec
from execdesk.backtest.stats import percentile
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.matchable import MatchableMarket
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import RiskVerdict, evaluate
from execdesk.domain.strategies.base import StrategyDecision

BASELINE = "twap"  # the schedule Claude decides over, the fallback, and the counterfactual it is paired with
HISTORY_DEPTH = 5  # previous decisions shown to Claude, as the desk shows them
LLM_MAX_WORKERS = 2  # default processes for a suite with "llm": each asks Claude one question at a time
_REASON_CHARS = 300
_CANCEL_OUTCOME = "expired"
_CANCEL_REASON = "stopping the order is a human's call and the backtest has none: nothing was sent"


class LLMUnavailable(ValueError):
    """The "llm" strategy cannot run: the message says what to set."""


def llm_config(cache_dir: str | None = None, env: Mapping[str, str] | None = None) -> ClaudeConfig:
    """The Claude settings from the environment, with `cache_dir` (when given) as the response cache."""
    config = ClaudeConfig.from_env(env)
    if not config.enabled:
        raise LLMUnavailable("strategy 'llm' asks Claude: set ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY_FILE) "
                             "to run it; ANTHROPIC_BASE_URL and EXECDESK_LLM_MODEL are optional")
    return replace(config, cache_dir=Path(cache_dir)) if cache_dir else config


@dataclass
class _Tally:
    """What one run's questions cost and what became of the answers."""

    decisions: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)  # Claude's own proposals (not fallbacks)
    cancels: int = 0
    rate_changes: list[dict[str, float]] = field(default_factory=list)
    calls: int = 0  # answers that came from the API (not the cache), errors included
    cached: int = 0
    attempts: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True

    def count(self, answer: ClaudeAnswer) -> None:
        self.decisions += 1
        if answer.cached:
            self.cached += 1
            return
        self.calls += 1
        self.attempts += answer.attempts
        self.latencies_ms.append(round(answer.latency_ms, 1))
        self.input_tokens += answer.input_tokens
        self.output_tokens += answer.output_tokens
        if answer.cost_usd is not None:
            self.cost_usd += answer.cost_usd
        elif answer.input_tokens or answer.output_tokens:  # billed, at a price we do not know
            self.cost_known = False


class ClaudePilot:
    """Claude in the strategy's seat for one run (execution.Pilot)."""

    def __init__(self, advisor: ClaudeAdvisor, *, spec: RunSpec, instrument: Instrument) -> None:
        self.advisor, self.spec, self.instrument = advisor, spec, instrument
        self.rate = 1.0
        self.history: list[PastDecision] = []  # newest first
        self.tally = _Tally()

    def context(self, progress: OrderProgress, market: MarketSnapshot, decision: StrategyDecision,
                volume_since_order: float) -> AdvisorContext:
        baseline = snap_quantity(min(decision.quantity * self.rate, progress.remaining),
                                 remaining=progress.remaining, instrument=self.instrument)
        return AdvisorContext(progress=progress, market=market, instrument=self.instrument, limits=self.spec.limits,
                              strategy=BASELINE, interval_s=self.spec.order.interval_s, baseline_qty=float(baseline),
                              schedule_target=decision.schedule_target, history=tuple(self.history),
                              market_volume_since_last=volume_since_order, decision=decision, rate=self.rate,
                              venue="paper", end_policy=self.spec.order.end_policy,
                              max_catchup=self.spec.order.max_catchup)

    def step(self, *, progress: OrderProgress, market: MarketSnapshot, decision: StrategyDecision,
             volume_since_order: float) -> tuple[ProposalDraft, RiskVerdict]:
        ctx = self.context(progress, market, decision, volume_since_order)
        answer = self.advisor.ask(ctx)
        self.tally.count(answer)
        draft, reason = answer_draft(answer, ctx)
        kind = fallback_kind(answer) if reason else ""
        verdict = self._gate(draft, ctx)
        if not draft.is_fallback and draft.action.sends_order and verdict.blocked:
            draft, reason = gate_refusal_draft(ctx, verdict.summary)
            kind = RISK_GATE
            verdict = self._gate(draft, ctx)
        if kind:
            self.tally.fallbacks[kind] += 1
        else:
            self.tally.actions[draft.action.value] += 1
        self._remember(draft, verdict, progress)
        return draft, verdict

    def _gate(self, draft: ProposalDraft, ctx: AdvisorContext) -> RiskVerdict:
        return evaluate(draft, progress=ctx.progress, market=ctx.market, instrument=self.instrument,
                        limits=self.spec.limits, interval_s=ctx.interval_s)

    def _remember(self, draft: ProposalDraft, verdict: RiskVerdict, progress: OrderProgress) -> None:
        """What became of the proposal, for the next question's history, and the rate it sets."""
        if draft.action is Action.CANCEL:
            self.tally.cancels += 1
            outcome, reason = _CANCEL_OUTCOME, _CANCEL_REASON
        elif draft.action.sends_order and verdict.blocked:
            outcome, reason = "blocked", verdict.summary[:_REASON_CHARS]
        else:
            outcome, reason = "approved", ""
            if (draft.action in (Action.ACCELERATE, Action.DECELERATE) and draft.new_rate is not None
                    and not draft.is_fallback):
                self.tally.rate_changes.append({"t_s": round(progress.now - progress.started_at, 3),
                                                "from": self.rate, "to": draft.new_rate})
                self.rate = draft.new_rate
        self.history.insert(0, PastDecision(action=draft.action.value, quantity=draft.quantity, outcome=outcome,
                                            reason=reason))
        del self.history[HISTORY_DEPTH:]

    def figures(self, model: str) -> dict[str, Any]:
        """The row's `llm` entry: deterministic decision figures, and the API's cost under `api`."""
        t = self.tally
        fallbacks = sum(t.fallbacks.values())
        return {
            "model": model,
            "baseline": BASELINE,
            "decisions": t.decisions,
            "fallbacks": fallbacks,
            "fallback_rate": round(fallbacks / t.decisions, 4) if t.decisions else None,
            "fallback_kinds": dict(sorted(t.fallbacks.items())),
            "actions": dict(sorted(t.actions.items())),
            "cancels": t.cancels,
            "rate_changes": list(t.rate_changes),
            "final_rate": self.rate,
            "api": {"calls": t.calls, "cached": t.cached, "attempts": t.attempts, "latency_ms": list(t.latencies_ms),
                    "input_tokens": t.input_tokens, "output_tokens": t.output_tokens,
                    "cost_usd": round(t.cost_usd, 6) if t.cost_known else None},
        }


def run_llm(spec: RunSpec, market: MatchableMarket, instrument: Instrument, *, trace: bool = False,
            advisor: ClaudeAdvisor | None = None) -> Execution:
    """One "llm" run; the advisor is built here, inside the worker process, unless one is given."""
    advisor = advisor or ClaudeAdvisor(llm_config(spec.llm_cache))
    baseline = strategy_for(replace(spec, strategy=BASELINE), market, instrument)
    pilot = ClaudePilot(advisor, spec=spec, instrument=instrument)
    run = execute(spec, market, instrument, baseline, trace=trace, pilot=pilot)
    run.llm = pilot.figures(advisor.config.model)
    return run


def llm_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The suite's Claude figures over the rows that have them: fallback rate and kinds, latency p50 / p95
    over the API calls, tokens and cost (None when any run's cost is unknown)."""
    stats = [r["llm"] for r in rows if r.get("llm")]
    decisions = sum(s["decisions"] for s in stats)
    fallbacks = sum(s["fallbacks"] for s in stats)
    kinds: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for s in stats:
        kinds.update(s["fallback_kinds"])
        actions.update(s["actions"])
    latencies = sorted(x for s in stats for x in s["api"]["latency_ms"])
    costs = [s["api"]["cost_usd"] for s in stats]
    return {
        "runs": len(stats),
        "decisions": decisions,
        "fallbacks": fallbacks,
        "fallback_rate": round(fallbacks / decisions, 4) if decisions else None,
        "fallback_kinds": dict(sorted(kinds.items())),
        "actions": dict(sorted(actions.items())),
        "cancels": sum(s["cancels"] for s in stats),
        "rate_changes": sum(len(s["rate_changes"]) for s in stats),
        "api": {
            "calls": sum(s["api"]["calls"] for s in stats),
            "cached": sum(s["api"]["cached"] for s in stats),
            "attempts": sum(s["api"]["attempts"] for s in stats),
            "latency_ms": {"n": len(latencies), "p50": _tenth(percentile(latencies, 50)), "p95": _tenth(percentile(latencies, 95)),
                           "max": latencies[-1] if latencies else None},
            "input_tokens": sum(s["api"]["input_tokens"] for s in stats),
            "output_tokens": sum(s["api"]["output_tokens"] for s in stats),
            "cost_usd": None if any(c is None for c in costs) else round(math.fsum(costs), 6),
        },
    }


def llm_summary_text(summary: Mapping[str, Any]) -> str:
    """One paragraph for the console: how often Claude's answer was used, how fast, at what cost."""
    api, lat = summary["api"], summary["api"]["latency_ms"]
    rate = "–" if summary["fallback_rate"] is None else f"{summary['fallback_rate'] * 100:.1f} %"
    kinds = ", ".join(f"{k} {n}" for k, n in summary["fallback_kinds"].items()) or "none"
    speed = (f"latency p50 {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms over {lat['n']} API calls"
             if lat["n"] else "no API call")
    cost = "unknown (model not priced)" if api["cost_usd"] is None else f"${api['cost_usd']:.4f}"
    return (f"llm (Claude over the TWAP schedule): {summary['decisions']} decisions in {summary['runs']} runs, "
            f"fallbacks {summary['fallbacks']} ({rate}: {kinds}), {summary['rate_changes']} rate changes; "
            f"{speed}, {api['cached']} answers from the cache; tokens {api['input_tokens']:,} in / "
            f"{api['output_tokens']:,} out, cost {cost}")


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
