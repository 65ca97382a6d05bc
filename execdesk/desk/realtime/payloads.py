"""JSON shapes of desk objects, shared by the page, the pushes and (later) the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from execdesk.desk.models import ChildOrder, Fill, ParentOrder, Proposal
from execdesk.desk.services.four_eyes import (
    awaiting_second,
    four_eyes_threshold,
    needs_supervisor,
    proposal_notional,
)


def dec(value: Decimal | int | None) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def ts(value) -> float | None:
    return None if value is None else value.timestamp()


def progress_payload(parent: ParentOrder) -> dict[str, Any]:
    now = timezone.now()
    time_left = max((parent.deadline - now).total_seconds(), 0.0) if parent.deadline else float(parent.horizon_seconds)
    return {
        "id": parent.pk,
        "status": parent.status,
        "symbol": parent.symbol,
        "side": parent.side,
        "quantity": dec(parent.quantity),
        "executed": dec(parent.executed_qty),
        "remaining": dec(parent.remaining_qty),
        "progress_pct": round(parent.progress_pct, 2),
        "avg_price": dec(parent.avg_price),
        "decision_price": dec(parent.decision_price),
        "is_bps": None if parent.is_bps is None else round(parent.is_bps, 2),
        "fees": dec(parent.fees),
        "time_left_s": round(time_left, 1),
        "started_at": ts(parent.started_at),
        "deadline": ts(parent.deadline),
        "approval_mode": parent.approval_mode,
        "auto_cap_notional": dec(parent.auto_cap_notional),
        "pending_proposals": parent.proposals.filter(status="pending").count(),
        "strategy": parent.strategy,
        "advisor": parent.advisor,
        "end_policy": parent.end_policy,
        "max_catchup": parent.max_catchup,
        "limit_price": dec(parent.limit_price),
        "start_at": ts(parent.start_at),
        "tca": {k: (parent.tca or {}).get(k) for k in TCA_FIELDS},
    }


# The TCA figures the dashboard shows live (execdesk.domain.tca.TCAReport; definitions in docs/tca.md).
TCA_FIELDS = ("is_bps", "is_delay_bps", "is_timing_bps", "is_execution_bps", "is_fees_bps", "is_opportunity_bps",
              "is_completion_bps", "decision_slippage_bps", "arrival_slippage_bps", "vwap_slippage_bps",
              "twap_slippage_bps", "participation", "fill_rate", "passive_share", "spread_captured_bps",
              "markout_1s_bps", "markout_10s_bps", "markout_60s_bps", "fees_bps", "twap_is_bps", "vs_twap_bps",
              "twap_method")


def proposal_payload(p: Proposal) -> dict[str, Any]:
    return {
        "id": p.pk,
        "order_id": p.parent_id,
        "seq": p.seq,
        "advisor": p.advisor,
        "action": p.action,
        "quantity": dec(p.quantity),
        "order_type": p.order_type,
        "limit_price": dec(p.limit_price),
        "tif": p.tif,
        "reasoning": p.reasoning,
        "confidence": round(p.confidence, 3),
        "risk_assessment": p.risk_assessment,
        "risk_checks": p.risk_checks,
        "risk_blocked": p.risk_blocked,
        "is_fallback": p.is_fallback,
        "fallback_reason": p.fallback_reason,
        "new_rate": p.new_rate,
        "baseline_qty": dec(p.baseline_qty),
        "expected_impact_bps": p.expected_impact_bps,
        "status": p.status,
        "created_at": ts(p.created_at),
        "expires_at": ts(p.expires_at),
        "decided_by": p.decided_by.get_username() if p.decided_by else None,
        "decision_reason": p.decision_reason,
        "final_quantity": dec(p.final_quantity),
        "final_order_type": p.final_order_type,
        "final_limit_price": dec(p.final_limit_price),
        "final_tif": p.final_tif,
        "slice_impact_bps": p.slice_impact_bps,
        "advisor_latency_ms": p.advisor_latency_ms,
        # four-eyes: above the desk's threshold a supervisor approves; an override waits for another person
        "notional": dec(proposal_notional(p)),
        "four_eyes_threshold": dec(four_eyes_threshold()),
        "needs_supervisor": needs_supervisor(p),
        "awaiting_second": awaiting_second(p),
        "overridden_by": p.overridden_by.get_username() if p.overridden_by else None,
        "override_reason": p.override_reason,
        "mid": p.market.get("mid"),
        "spread_bps": p.market.get("spread_bps"),
    }


def order_context_payload(parent: ParentOrder) -> dict[str, Any]:
    """An order in one line, as the approval queue shows it beside each of its proposals."""
    return {
        "id": parent.pk,
        "symbol": parent.symbol,
        "side": parent.side,
        "status": parent.status,
        "strategy": parent.get_strategy_display(),
        "approval_mode": parent.approval_mode,
        "quantity": dec(parent.quantity),
        "executed": dec(parent.executed_qty),
        "progress_pct": round(parent.progress_pct, 2),
        "created_by": parent.created_by.get_username(),
    }


def queue_row_payload(p: Proposal) -> dict[str, Any]:
    """A row of the approval queue: the proposal as the order page gets it, and its order's context."""
    return {**proposal_payload(p), "order": order_context_payload(p.parent)}


def child_payload(c: ChildOrder) -> dict[str, Any]:
    impact = None
    if c.avg_price is not None and c.mid_at_send:
        sign = 1 if c.side == "buy" else -1
        impact = round(float(sign * (c.avg_price - c.mid_at_send) / c.mid_at_send * 10_000), 2)
    return {
        "id": c.pk,
        "order_id": c.parent_id,
        "order_link_id": c.order_link_id,
        "side": c.side,
        "order_type": c.order_type,
        "tif": c.tif,
        "quantity": dec(c.quantity),
        "price": dec(c.price),
        "status": c.status,
        "filled_qty": dec(c.filled_qty),
        "avg_price": dec(c.avg_price),
        "impact_bps": impact,
        "reject_reason": c.reject_reason,
        "created_at": ts(c.created_at),
        "reasoning": c.proposal.reasoning if c.proposal_id else "",
        "action": c.proposal.action if c.proposal_id else "",
    }


def fill_payload(f: Fill) -> dict[str, Any]:
    return {
        "exec_id": f.exec_id,
        "order_link_id": f.child.order_link_id,
        "qty": dec(f.qty),
        "price": dec(f.price),
        "fee": dec(f.fee),
        "fee_currency": f.fee_currency,
        "liquidity": f.liquidity,
        "ts": ts(f.ts),
    }
