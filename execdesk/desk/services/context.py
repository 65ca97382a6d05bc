"""Build the domain's view of a parent order (progress, strategy baseline) from the database."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from execdesk.advisors.base import AdvisorContext, PastDecision
from execdesk.desk.models import ParentOrder, Proposal, ProposalStatus
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.twap import TWAPConfig, twap_slice, twap_target

DEFAULT_LIMITS = RiskLimits()


def order_progress(parent: ParentOrder, now: float | None = None) -> OrderProgress:
    now_dt = timezone.now()
    now = now if now is not None else now_dt.timestamp()
    last = parent.child_orders.order_by("-created_at").first()
    started = parent.started_at or now_dt
    deadline = parent.deadline or started + timedelta(seconds=parent.horizon_seconds)
    return OrderProgress(
        symbol=parent.symbol,
        side=Side(parent.side),
        quantity=float(parent.quantity),
        executed=float(parent.executed_qty),
        decision_price=float(parent.decision_price),
        started_at=started.timestamp(),
        deadline=deadline.timestamp(),
        now=now,
        avg_price=float(parent.avg_price) if parent.avg_price is not None else None,
        last_order_at=last.created_at.timestamp() if last else None,
        orders_last_minute=parent.child_orders.filter(created_at__gte=now_dt - timedelta(seconds=60)).count(),
    )


def strategy_config(parent: ParentOrder) -> TWAPConfig:
    return TWAPConfig(horizon_seconds=parent.horizon_seconds, interval_seconds=parent.interval_seconds)


def advisor_context(parent: ParentOrder, market: MarketSnapshot, instrument: Instrument,
                    progress: OrderProgress) -> AdvisorContext:
    config = strategy_config(parent)
    baseline = float(instrument.qty(twap_slice(progress, config)))
    history = tuple(
        PastDecision(action=p.action, quantity=float(p.final_quantity or p.quantity), outcome=p.status,
                     reason=p.decision_reason)
        for p in Proposal.objects.filter(parent=parent).exclude(status=ProposalStatus.PENDING).order_by("-seq")[:5]
    )
    return AdvisorContext(
        progress=progress, market=market, instrument=instrument, limits=DEFAULT_LIMITS, strategy=parent.strategy,
        interval_s=float(parent.interval_seconds), baseline_qty=baseline,
        schedule_target=twap_target(progress.quantity, config, progress.now - progress.started_at),
        notes=parent.notes, history=history,
    )
