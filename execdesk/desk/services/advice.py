"""The Claude advisor on the desk: ask ahead, never wait past the lead, fall back with the reason shown.

A question for step N is asked `lead` seconds before the step is due (lead = the configured timeout, at
most half the decision interval), by a worker outside any transaction. When the step comes, it uses
what is in: a tool call is validated against the order *now* and becomes Claude's proposal or a
recorded fallback; an error becomes a fallback naming it; a question still running past its lead is
left behind ("late") and the baseline, sized at the current rate, is proposed. The execution loop, the
other orders and the fills never wait for Claude: the question runs in its own worker thread or task.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from execdesk.advisors.anthropic import (
    LATE,
    MARKET_MOVED,
    RISK_GATE,
    ClaudeAdvisor,
    answer_draft,
    fallback_kind,
    gate_refusal_draft,
)
from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.advisors.base import AdvisorContext
from execdesk.advisors.claude_client import ClaudeAnswer
from execdesk.advisors.claude_config import ClaudeConfig
from execdesk.advisors.fallback import fallback_draft
from execdesk.desk.access.roles import Actor
from execdesk.desk.dispatch import dispatch_advisor_query, tasks_run_inline
from execdesk.desk.models import AdvisorQuery, ParentOrder, Proposal, QueryKind, QueryStatus
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record
from execdesk.desk.services.trading_gate import desk_halted
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskVerdict

log = logging.getLogger(__name__)
ADVISOR_ACTOR = Actor(label=f"advisor:{CLAUDE}", role="advisor")
STALE_AFTER_MIN_S = 20.0  # an answer older than this (and than two leads) is about another market
STALE_MOVE_BPS = 10.0  # ... and so is one whose mid has moved more than this since the question


@lru_cache(maxsize=1)
def claude_config() -> ClaudeConfig:
    """From the environment, once per process (`claude_config.cache_clear()` re-reads it)."""
    return ClaudeConfig.from_env()


def claude_available() -> bool:
    return claude_config().enabled


def query_lead_s(parent: ParentOrder) -> float:
    return min(claude_config().timeout_s, parent.interval_seconds / 2)


def _open_query(parent: ParentOrder, seq: int) -> AdvisorQuery | None:
    """The newest decision question for step `seq` that no step has used yet."""
    return (AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.DECISION, seq=seq, use="")
            .order_by("-started_at").first())


def advice_prefetch(parent: ParentOrder, *, seq: int, due_at: datetime, now: datetime) -> None:
    """Ask for step `seq` when it is due within the lead. Call inside the step's desk transaction."""
    if now < due_at - timedelta(seconds=query_lead_s(parent)) or _open_query(parent, seq) is not None:
        return
    if AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.DECISION, status=QueryStatus.RUNNING).exists():
        return  # a question for an earlier step is still out: one at a time per order
    query = AdvisorQuery.objects.create(parent=parent, kind=QueryKind.DECISION, seq=seq, started_at=now,
                                        model=claude_config().model)
    transaction.on_commit(lambda: advisor_dispatch(query.pk))


def impact_question(parent: ParentOrder) -> None:
    """Ask for the impact multiplier of a new order's pre-trade estimate. Inside the creating transaction."""
    query = AdvisorQuery.objects.create(parent=parent, kind=QueryKind.IMPACT, seq=0, started_at=timezone.now(),
                                        model=claude_config().model)
    transaction.on_commit(lambda: advisor_dispatch(query.pk))


def advice_draft(parent: ParentOrder, ctx: AdvisorContext, *, seq: int,
                 now: datetime) -> tuple[ProposalDraft, AdvisorQuery | None] | None:
    """The draft for a due step, or None to wait (the question is inside its lead). Inside the step's
    transaction; the query row is marked with the use made of it."""
    query = _open_query(parent, seq)
    lead = query_lead_s(parent)
    if query is not None and query.status != QueryStatus.RUNNING and query.finished_at is not None:
        age = (now - query.finished_at).total_seconds()
        if age > max(2 * lead, STALE_AFTER_MIN_S):
            _mark(query, "stale", f"answered {age:.0f} s before the step: about another market")
            query = None
    if query is None:
        advice_prefetch(parent, seq=seq, due_at=now, now=now)
        return None
    if query.status == QueryStatus.RUNNING:
        waited = (now - query.started_at).total_seconds()
        if waited < lead:
            return None
        reason = (f"Claude had not answered {waited:.1f} s after the question (lead {lead:g} s); "
                  "the loop does not wait")
        _mark(query, "late", reason, LATE)
        return fallback_draft(ctx, reason, advisor=CLAUDE), query
    if query.mid and query.status == QueryStatus.ANSWERED:
        moved = abs(ctx.market.mid - query.mid) / query.mid * 1e4
        if moved > STALE_MOVE_BPS:
            reason = (f"the market moved {moved:.1f} bps since Claude was asked (mid {query.mid:,.2f} -> "
                      f"{ctx.market.mid:,.2f}; limit {STALE_MOVE_BPS:g} bps): its answer is about another market")
            _mark(query, "stale", reason, MARKET_MOVED)
            return fallback_draft(ctx, reason, advisor=CLAUDE), query
    answer = answer_of(query)
    draft, reason = answer_draft(answer, ctx)
    _mark(query, "fallback" if reason else "proposal", reason, fallback_kind(answer) if reason else "")
    return draft, query


def advice_gate(ctx: AdvisorContext, draft: ProposalDraft, verdict: RiskVerdict,
                query: AdvisorQuery | None) -> ProposalDraft | None:
    """Claude's own order that the risk gate blocks is not proposed: the baseline is, with the reason."""
    if draft.advisor != CLAUDE or draft.is_fallback or not draft.action.sends_order or not verdict.blocked:
        return None
    fallback, reason = gate_refusal_draft(ctx, verdict.summary)
    if query is not None:
        _mark(query, "fallback", reason, RISK_GATE)
    return fallback


def advice_push(parent_id: int, advisor: str) -> None:
    """The advisor panel's figures change when a step uses an answer and when a human decides: push them."""
    if advisor == CLAUDE:
        from execdesk.desk.selectors.advisor import advisor_metrics

        push_order(parent_id, "advisor", advisor_metrics(parent_id))


def advice_link(query: AdvisorQuery | None, proposal: Proposal) -> None:
    if query is not None:
        AdvisorQuery.objects.filter(pk=query.pk).update(proposal=proposal)


def _mark(query: AdvisorQuery, use: str, reason: str, kind: str = "") -> None:
    query.use, query.use_reason, query.fallback_kind = use, reason, kind
    AdvisorQuery.objects.filter(pk=query.pk).update(use=use, use_reason=reason, fallback_kind=kind)


def answer_of(query: AdvisorQuery) -> ClaudeAnswer:
    return ClaudeAnswer(tool_input=query.tool_input, text=query.text, error_kind=query.error_kind,
                        error=query.error, latency_ms=query.latency_ms or 0.0, model=query.model)


# --- asking, off the step -------------------------------------------------------------------------

_POOL: ThreadPoolExecutor | None = None


def advisor_dispatch(query_id: int) -> None:
    """Run the question off the caller's thread: an in-process pool (embedded mode) or the `advisor`
    Celery queue (distributed mode), per EXECDESK_ADVISOR_RUNNER."""
    # eager Celery (headless `execute`) would ask inline, inside the step: the pool keeps it off the loop
    if settings.EXECDESK["ADVISOR_RUNNER"] == "celery" and not tasks_run_inline():
        dispatch_advisor_query(query_id)
        return
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=settings.EXECDESK["ADVISOR_THREADS"], thread_name_prefix="advisor")
    _POOL.submit(_run_in_thread, query_id)


def _run_in_thread(query_id: int) -> None:
    close_old_connections()
    try:
        advisor_query_run(query_id=query_id)
    except Exception:  # a thread has nobody to raise to: the query stays RUNNING and the step goes on
        log.exception("advisor query %s failed", query_id)
    finally:
        close_old_connections()


def advisor_query_run(*, query_id: int, advisor: ClaudeAdvisor | None = None) -> AdvisorQuery:
    """Ask Claude the question of one query row and record the answer (or why there is none)."""
    from execdesk.desk.services.advice_context import decision_context, impact_inputs

    query = AdvisorQuery.objects.select_related("parent").get(pk=query_id)
    if query.status != QueryStatus.RUNNING:
        return query
    if query.kind == QueryKind.DECISION and desk_halted() is not None:
        # asked just before a halt: not sent (no proposal may follow it); the step asks afresh after the resume
        with desk_atomic():
            AdvisorQuery.objects.filter(pk=query.pk, status=QueryStatus.RUNNING).update(
                status=QueryStatus.FAILED, finished_at=timezone.now(), error_kind="halted",
                error="not asked: the desk is HALTED", use="stale", use_reason="the desk halted before it was asked")
        query.refresh_from_db()
        return query
    advisor = advisor or ClaudeAdvisor(claude_config())
    impact = None
    mid = None
    if query.kind == QueryKind.DECISION:
        ctx = decision_context(query.parent)
        mid = ctx.market.mid
        answer = advisor.ask(ctx)
    else:
        impact = advisor.impact(**impact_inputs(query.parent))
        answer = impact.answer
    with desk_atomic():
        status = QueryStatus.ANSWERED if answer.ok else QueryStatus.FAILED
        cost = None if answer.cost_usd is None else Decimal(str(round(answer.cost_usd, 6)))
        updated = AdvisorQuery.objects.filter(pk=query.pk, status=QueryStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), latency_ms=answer.latency_ms, attempts=answer.attempts,
            input_tokens=answer.input_tokens, output_tokens=answer.output_tokens, cost_usd=cost,
            cached=answer.cached, tool_input=_jsonable(answer.tool_input), text=answer.text,
            error_kind=answer.error_kind, error=answer.error, model=answer.model or query.model,
            prompt_hash=answer.prompt_hash, mid=mid)
        query.refresh_from_db()
        if updated:
            audit_record(actor=ADVISOR_ACTOR, action=f"advisor.{query.kind}.{status}", obj=query,
                         parent_order_id=query.parent_id, payload=_audit_payload(query))
            if impact is not None:
                from execdesk.desk.services.advice_impact import impact_apply

                impact_apply(query.parent_id, impact)
    if updated:
        from execdesk.desk.selectors.advisor import advisor_metrics

        push_order(query.parent_id, "advisor", advisor_metrics(query.parent_id))
    return query


def _jsonable(value: object) -> object:
    """The tool input as JSON can hold it: non-finite numbers become strings (kept, visibly wrong)."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _audit_payload(query: AdvisorQuery) -> dict:
    return {"seq": query.seq, "model": query.model, "latency_ms": round(query.latency_ms or 0.0, 1),
            "attempts": query.attempts, "input_tokens": query.input_tokens, "output_tokens": query.output_tokens,
            "cost_usd": query.cost_usd, "cached": query.cached, "prompt_hash": query.prompt_hash,
            "tool_input": query.tool_input, "error_kind": query.error_kind, "error": query.error}
