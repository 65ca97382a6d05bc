"""Build the domain's view of a parent order (progress, strategy baseline) from the database."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from execdesk.advisors.base import AdvisorContext, PastDecision
from execdesk.advisors.drafts import snap_quantity
from execdesk.desk.models import ParentOrder, Proposal, ProposalStatus
from execdesk.desk.services.schedule_clock import order_schedule_times
from execdesk.desk.services.strategy import strategy_of
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.end_policy import end_policy_input
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.order_terms import order_catchup_cap
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.risk import RiskLimits
from execdesk.engine.decide import StepContext, strategy_baseline
from execdesk.engine.pacing import RATE_WINDOW_S, estimated_volume_since

DEFAULT_LIMITS = RiskLimits(min_order_interval_s=settings.EXECDESK["MIN_ORDER_GAP_SECONDS"],
                            max_orders_per_minute=settings.EXECDESK["MAX_ORDERS_PER_MINUTE"])


def order_progress(parent: ParentOrder, now: float | None = None) -> OrderProgress:
    now_dt = timezone.now()
    now = now if now is not None else now_dt.timestamp()
    last = parent.child_orders.order_by("-created_at").first()
    started, deadline = order_schedule_times(parent, now_dt)  # the clock stood still while halted or paused
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
        orders_last_minute=parent.child_orders.filter(created_at__gte=now_dt - timedelta(seconds=RATE_WINDOW_S)).count(),
        limit_price=float(parent.limit_price) if parent.limit_price is not None else None,
    )


def market_volume_since(market: MarketSnapshot, since: float, now: float) -> float:
    """The market's volume since `since` (our last child order, or the order's start): the engine's
    estimate from the snapshot's rolling volumes."""
    return estimated_volume_since(market, since, now)


def advisor_context(parent: ParentOrder, market: MarketSnapshot, instrument: Instrument,
                    progress: OrderProgress) -> AdvisorContext:
    interval = float(parent.interval_seconds)
    since = progress.last_order_at if progress.last_order_at is not None else progress.started_at
    volume = gateway_for(parent.venue).volume_since(parent.symbol, since, progress.now)
    if volume is None:
        volume = market_volume_since(market, since, progress.now)
    end_policy = end_policy_input(parent.end_policy)
    strategy = strategy_of(parent)
    decision = strategy_baseline(strategy, StepContext(
        progress=progress, market=market, instrument=instrument, limits=DEFAULT_LIMITS, interval_s=interval,
        volume_since_order=volume, end_policy=end_policy, max_catchup=parent.max_catchup))
    max_slice = order_catchup_cap(strategy=strategy, progress=progress, interval_s=interval, end_policy=end_policy,
                                  max_catchup=parent.max_catchup, instrument=instrument, market=market)
    history = tuple(
        PastDecision(action=p.action, quantity=float(p.final_quantity or p.quantity), outcome=p.status,
                     reason=p.decision_reason)
        for p in Proposal.objects.filter(parent=parent).exclude(status=ProposalStatus.PENDING).order_by("-seq")[:5]
    )
    return AdvisorContext(
        progress=progress, market=market, instrument=instrument, limits=DEFAULT_LIMITS, strategy=parent.strategy,
        interval_s=interval, baseline_qty=float(snap_quantity(min(decision.quantity * parent.rate, progress.remaining),
                                                                    remaining=progress.remaining,
                                                                    instrument=instrument)),
        schedule_target=decision.schedule_target, notes=parent.notes, history=history,
        market_volume_since_last=volume, decision=decision, rate=parent.rate, venue=parent.venue,
        end_policy=end_policy, max_catchup=parent.max_catchup, max_slice=max_slice,
    )
