"""The advisor's record on one order: what it cost, how fast and how reliable it was, and what humans made
of it. Shown on the order page, pushed when an answer lands, kept in the order's TCA and its export.

* latency p50 / p95 of the answers that reached the API (cached answers excluded), attempts included;
* tokens in / out and their cost in USD (None when a model's price is unknown: never a made-up figure);
* fallback rate (fallback proposals / the advisor's proposals) with the reasons grouped by kind;
* adaptation frequency: execution-rate changes humans accepted (approved or overridden ACCELERATE /
  DECELERATE);
* approval / rejection / override / expiry rates per advisor (Claude's own and its fallbacks apart);
* value added: the order's IS against the market-TWAP counterfactual (live), positive = better.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from execdesk.advisors.anthropic import fallback_label
from execdesk.backtest.stats import percentile
from execdesk.desk.models import AdvisorQuery, ParentOrder, Proposal, ProposalStatus, QueryKind, QueryStatus

DECIDED = (ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.OVERRIDDEN, ProposalStatus.EXPIRED)


def _fallback_label(query: AdvisorQuery | None) -> str:
    """The kind the step recorded on the question it fell back from (its API error when none was)."""
    kind = (query.fallback_kind or query.error_kind) if query is not None else ""
    return fallback_label(kind) if kind else "other"


def advisor_metrics(parent_id: int) -> dict[str, Any]:
    parent = ParentOrder.objects.get(pk=parent_id)
    queries = list(AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.DECISION))
    impact = AdvisorQuery.objects.filter(parent=parent, kind=QueryKind.IMPACT).order_by("-started_at").first()
    every = queries + ([impact] if impact else [])
    latencies = [q.latency_ms for q in queries if q.latency_ms is not None and not q.cached
                 and q.status != QueryStatus.RUNNING]
    costs = [q.cost_usd for q in every if q.status != QueryStatus.RUNNING]
    proposals = list(Proposal.objects.filter(parent=parent).prefetch_related("advisor_queries"))
    claude = [p for p in proposals if p.advisor == "anthropic"]
    fallbacks = [p for p in claude if p.is_fallback]
    kinds = Counter(_fallback_label(next(iter(p.advisor_queries.all()), None)) for p in fallbacks)
    last = max(queries, key=lambda q: q.started_at, default=None)
    tca = parent.tca or {}
    twap_is, is_bps = tca.get("twap_is_bps"), tca.get("is_bps", parent.is_bps)
    return {
        "advisor": parent.advisor,
        "model": last.model if last else (impact.model if impact else ""),
        "queries": len(queries),
        "answered": sum(q.status == QueryStatus.ANSWERED for q in queries),
        "failed": sum(q.status == QueryStatus.FAILED for q in queries),
        "running": sum(q.status == QueryStatus.RUNNING for q in queries),
        "cached": sum(q.cached for q in queries),
        "latency_p50_ms": _round(percentile(latencies, 50)),
        "latency_p95_ms": _round(percentile(latencies, 95)),
        "input_tokens": sum(q.input_tokens for q in every),
        "output_tokens": sum(q.output_tokens for q in every),
        "cost_usd": None if any(c is None for c in costs) else float(sum((c for c in costs if c is not None), Decimal(0))),
        "cost_known": not any(c is None for c in costs),
        "proposals": len(claude),
        "fallbacks": len(fallbacks),
        "fallback_rate": len(fallbacks) / len(claude) if claude else None,
        "fallback_reasons": dict(kinds.most_common()),
        "adaptations": sum(1 for p in proposals if p.new_rate is not None
                           and p.status in (ProposalStatus.APPROVED, ProposalStatus.OVERRIDDEN)),
        "rate": parent.rate,
        "outcomes": outcome_rates(proposals),
        "value_added_bps": None if twap_is is None or is_bps is None else round(twap_is - is_bps, 4),
        "value_added_method": "market TWAP counterfactual minus the order's IS (positive = better than TWAP)",
        "last_query": _last(last),
        "impact": (parent.pretrade or {}).get("llm_adjustment"),
    }


def outcome_rates(proposals: list[Proposal]) -> dict[str, dict[str, Any]]:
    """Per advisor label: how many proposals were decided and the share approved / rejected / overridden /
    expired. Claude's fallbacks are their own label: a human's view of the baseline is not a view of Claude."""
    groups: dict[str, Counter] = {}
    for p in proposals:
        if p.status not in DECIDED:
            continue
        label = f"{p.advisor} (fallback)" if p.is_fallback else p.advisor
        groups.setdefault(label, Counter())[p.status] += 1
    out = {}
    for label, counts in sorted(groups.items()):
        total = sum(counts.values())
        out[label] = {"decided": total, **{f"{s.value}_rate": counts[s] / total for s in DECIDED}}
    return out


def _last(query: AdvisorQuery | None) -> dict[str, Any] | None:
    if query is None:
        return None
    return {"id": query.pk, "seq": query.seq, "status": query.status, "use": query.use,
            "started_at": query.started_at.isoformat(),
            "latency_ms": _round(query.latency_ms), "error": query.error, "use_reason": query.use_reason}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
