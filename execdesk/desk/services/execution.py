"""The execution loop: each tick advances the markets, expires proposals and steps working orders."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Min
from django.utils import timezone

from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.advisors.base import Advisor, AdvisorContext
from execdesk.advisors.rules import RulesAdvisor
from execdesk.advisors.schedule import ScheduleAdvisor
from execdesk.desk.access.roles import SYSTEM, Actor
from execdesk.desk.models import AdvisorQuery, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import proposal_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.selectors.steps import parent_orders_due
from execdesk.desk.services.advice import (
    advice_draft,
    advice_gate,
    advice_link,
    advice_prefetch,
    advice_push,
    query_lead_s,
)
from execdesk.desk.services.advice_context import decision_context
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, market_ref
from execdesk.desk.services.child_orders import child_order_cancel_stale, stale_market_lock
from execdesk.desk.services.context import DEFAULT_LIMITS
from execdesk.desk.services.errors import DeskError
from execdesk.desk.services.four_eyes import needs_supervisor
from execdesk.desk.services.gate import risk_gate
from execdesk.desk.services.market import (
    VenueUnavailable,
)
from execdesk.desk.services.order_end import order_ends_at, parent_order_end, parent_orders_end_due
from execdesk.desk.services.proposals import proposal_approve
from execdesk.desk.services.step_due import parent_step_at, parent_step_soon
from execdesk.desk.services.strategy import impact_observe_due, slice_impact_bps
from execdesk.desk.services.trading_gate import desk_halted, desk_state_share_lock
from execdesk.desk.services.venues import gateway_for, venue_gateways
from execdesk.domain.catchup import draft_within_catchup
from execdesk.domain.instrument import Instrument
from execdesk.domain.limit_price import within_parent_limit
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import ChildStatus
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import RiskVerdict
from execdesk.domain.states import ParentStatus
from execdesk.engine.decide import StepContext, finish_draft
from execdesk.engine.pacing import next_step_due

log = logging.getLogger(__name__)
WORKING = [s.value for s in ParentStatus if s.is_working]
AUTO_ACTOR = Actor(label="system:auto-approval", role="system")
OPEN_CHILD = [s.value for s in ChildStatus if s.is_open]


def advisor_for(parent: ParentOrder) -> Advisor:
    """The adaptive strategy is the rules advisor's policy; the other strategies are followed as scheduled."""
    return RulesAdvisor() if parent.advisor == "rules" else ScheduleAdvisor()


def desk_tick(*, now: float | None = None) -> list[int]:
    """Bring every venue's reports in (advance the paper markets, poll the live venues), expire due
    proposals. Returns the ids of the parent orders whose next step is due."""
    now = now or time.time()
    working = ParentOrder.objects.filter(status__in=WORKING)
    for gateway in venue_gateways():
        try:  # one venue at a time (and one market at a time inside it): a failure is logged, never the others'
            gateway.advance(set(working.filter(venue=gateway.name).values_list("symbol", flat=True)), now=now)
        except Exception:  # noqa: BLE001 - rolled back to its own transaction; the next tick tries again
            log.exception("desk tick: venue %s not advanced this tick", gateway.name)
    proposal_expire_due()
    parent_orders_end_due(now=datetime.fromtimestamp(now, tz=UTC))  # on time, however late their steps are
    return parent_orders_due(now=datetime.fromtimestamp(now, tz=UTC))


def proposal_expire_due() -> int:
    expired = 0
    due = Proposal.objects.filter(status=ProposalStatus.PENDING, expires_at__lte=timezone.now()).values_list("pk", flat=True)
    for pk in list(due):
        try:  # one proposal at a time: one that cannot be expired is logged and skipped, never the others
            expired += _proposal_expire(pk)
        except Exception:  # noqa: BLE001 - rolled back to this item's savepoint; the next tick tries again
            log.exception("desk tick: proposal %s not expired this tick", pk)
    return expired


def _proposal_expire(pk: int) -> int:
    parent_id = Proposal.objects.filter(pk=pk).values_list("parent_id", flat=True).first()
    if parent_id is None:
        return 0
    with desk_atomic():
        # The lock order every service keeps (parent, then its proposals): an approval racing this expiry
        # holds the parent and waits for the proposal, so taking the proposal first would deadlock. Only the
        # advisor column is read: the parent's other figures need not be readable to expire its proposal.
        advisor = ParentOrder.objects.select_for_update().filter(pk=parent_id).values_list("advisor", flat=True).get()
        # expires_at again: a four-eyes override restarts the clock between the read above and here
        if Proposal.objects.filter(pk=pk, status=ProposalStatus.PENDING, expires_at__lte=timezone.now()).update(
                status=ProposalStatus.EXPIRED, decided_at=timezone.now(),
                decision_reason="no decision before the proposal's time to live") != 1:
            return 0  # decided meanwhile
        proposal = Proposal.objects.get(pk=pk)
        audit_record(actor=SYSTEM, action="proposal.expired", obj=proposal, parent_order_id=parent_id,
                     payload={"seq": proposal.seq, "expires_at": proposal.expires_at})
        push_order(parent_id, "proposal", proposal_payload(proposal))
        advice_push(parent_id, advisor)
        parent_step_soon(parent_id)  # its replacement is due at once
    return 1


def execution_step(*, parent_id: int) -> Proposal | None:
    """Make the next proposal for a working parent order when one is due; auto-approve per its mode."""
    try:
        live = _live_market(parent_id)
    except VenueUnavailable as exc:  # the step is skipped, the next tick tries again; the trader sees why
        log.warning("order %s: no proposal this step: %s", parent_id, exc)
        push_order(parent_id, "error", {"error": f"no proposal this step: {exc}"})
        return None
    if _end_due(parent_id):
        parent_order_end(parent_id=parent_id)
        return None  # ended now (or a human changed it meanwhile): nothing more to propose
    _cancel_stale(parent_id)  # halted or not
    with desk_atomic():
        # Locks in the desk's order (services/atomic.py): the desk state row shared (a halt waits for this step
        # and withdraws what it makes, or this step sees HALTED), then the order. No market row: the step never
        # holds the row every send of the symbol waits for.
        desk_state_share_lock()
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        if not parent.state.is_working:
            return None
        now = timezone.now()
        if parent.started_at is not None and now < parent.started_at:
            parent_step_at(parent.pk, parent.started_at)
            return None  # a scheduled start still ahead: nothing is proposed before it
        if desk_halted() is not None:
            parent_step_at(parent.pk, None)  # looked at every tick: a resume may come at any moment
            return None  # HALTED: no proposal at all (nor a question to Claude) until the desk resumes
        parent.refresh_from_db()
        if parent.state != ParentStatus.ACTIVE:
            parent_step_at(parent.pk, _working_child_due(parent, now))
            return None  # a child order is working; the next proposal waits for it
        last = Proposal.objects.filter(parent=parent).aggregate(at=Max("created_at"), seq=Max("seq"))
        seq = (last["seq"] or 0) + 1
        due_at = _due_at(parent, last["at"]) or now
        replace_at = _replacement_due(parent, seq - 1)
        if replace_at is not None:
            due_at = min(due_at, replace_at)
        pending = Proposal.objects.filter(parent=parent, status=ProposalStatus.PENDING).first()
        if pending is not None and pending.action != Action.WAIT:
            parent_step_at(parent.pk, max(min(due_at, pending.expires_at), now))
            return None  # an order proposal waits for its human until its TTL
        ask_at = due_at
        if parent.advisor == CLAUDE:
            advice_prefetch(parent, seq=seq, due_at=due_at, now=now)  # asked ahead: the answer is in when due
            ask_at = due_at - timedelta(seconds=query_lead_s(parent))
        if now < due_at:
            parent_step_at(parent.pk, ask_at if now < ask_at else due_at)
            return None
        step = _draft(parent, live, seq=seq, now=now)
        if step is None:
            parent_step_at(parent.pk, None)
            return None  # Claude is inside its lead time; the next tick looks again
        if pending is not None:
            _supersede_wait(pending)
        proposal = _record(parent, step, seq=seq)
        parent.last_step_at = now
        parent.next_step_at = now + timedelta(seconds=_interval_s(parent))
        parent.save(update_fields=["last_step_at", "next_step_at"])
        # In the same transaction (a savepoint of it): the proposal and its automatic approval commit together,
        # under the locks the step already holds, with one audit append — and no autopilot proposal is ever
        # left pending by a worker that died between the two.
        _auto_approve(parent, proposal)
    return proposal


def _end_due(parent_id: int) -> bool:
    """Whether the working order's end-time policy has ended it (read without a lock: parent_order_end
    checks again under its locks)."""
    parent = ParentOrder.objects.filter(pk=parent_id, status__in=WORKING, clock_stopped_at__isnull=True).first()
    if parent is None:
        return False
    end = order_ends_at(parent, timezone.now())
    return end is not None and timezone.now() >= end


def _interval_s(parent: ParentOrder) -> float:
    return max(parent.interval_seconds, DEFAULT_LIMITS.min_order_interval_s)


def _working_child_due(parent: ParentOrder, now: datetime) -> datetime:
    """While a child order works, the order is next looked at when its oldest resting child outlives the
    interval (and is cancelled); a fill or a cancel changes the order's state, which looks at it sooner."""
    oldest = parent.child_orders.filter(status__in=OPEN_CHILD).aggregate(at=Min("created_at"))["at"]
    interval = timedelta(seconds=parent.interval_seconds)
    return max(now, min(oldest + interval, now + interval)) if oldest is not None else now + interval


def _cancel_stale(parent_id: int) -> None:
    """Resting slices that outlived the decision interval are cancelled in a short transaction of their own
    (market row, then the order: the lock order), before the step's: the step reads what it left."""
    with desk_atomic():
        if not stale_market_lock(parent_id):
            return
        parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
        if parent.state.is_working:
            child_order_cancel_stale(parent=parent, older_than_s=parent.interval_seconds)


def _due_at(parent: ParentOrder, last_proposal_at):
    """A proposal is due one interval after the later of the last proposal and the last child order:
    the child order is created when the human approves, and the risk gate's minimum gap between
    orders counts from there — measuring from the proposal would make slow approvals self-blocking.
    None: due now (nothing proposed or sent yet)."""
    last_order_at = parent.child_orders.aggregate(at=Max("created_at"))["at"]
    due = next_step_due(last_proposal_at=_ts(last_proposal_at), last_order_at=_ts(last_order_at),
                        interval_s=parent.interval_seconds, min_order_gap_s=DEFAULT_LIMITS.min_order_interval_s)
    return None if due is None else datetime.fromtimestamp(due, tz=UTC)


def _ts(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def _replacement_due(parent: ParentOrder, last_seq: int):
    """An expired proposal (or one withdrawn: order amended, desk resumed) is replaced at once, not an
    interval after it was made (its TTL may be shorter than the interval); Claude gets its lead time to
    answer the fresh question."""
    expired_at = (Proposal.objects.filter(parent=parent, seq=last_seq,
                                          status__in=[ProposalStatus.EXPIRED, ProposalStatus.SUPERSEDED])
                  .values_list("decided_at", flat=True).first())
    if expired_at is None:
        return None
    due = expired_at + timedelta(seconds=query_lead_s(parent) if parent.advisor == CLAUDE else 0)
    last_order_at = parent.child_orders.aggregate(at=Max("created_at"))["at"]
    if last_order_at is not None:  # the risk gate's minimum gap between orders still holds
        due = max(due, last_order_at + timedelta(seconds=DEFAULT_LIMITS.min_order_interval_s))
    return due


def _supersede_wait(pending: Proposal) -> None:
    Proposal.objects.filter(pk=pending.pk, status=ProposalStatus.PENDING).update(
        status=ProposalStatus.SUPERSEDED, decided_at=timezone.now(), decision_reason="superseded by a fresh proposal")
    pending.refresh_from_db()
    audit_record(actor=SYSTEM, action="proposal.superseded", obj=pending, parent_order_id=pending.parent_id,
                 payload={"seq": pending.seq, "reason": pending.decision_reason})
    push_order(pending.parent_id, "proposal", proposal_payload(pending))


def _live_market(parent_id: int) -> tuple[MarketSnapshot, Instrument] | None:
    """A live venue's market is read before the step's transaction: no network call under a row lock.
    The snapshot says itself when it is stale (the risk gate then refuses aggressive orders)."""
    row = ParentOrder.objects.filter(pk=parent_id, status__in=WORKING).values_list("symbol", "venue").first()
    if row is None:
        return None
    symbol, venue = row
    return gateway_for(venue).step_market(symbol)


@dataclass
class _Step:
    draft: ProposalDraft
    verdict: RiskVerdict
    ctx: AdvisorContext
    snap: MarketSnapshot
    instrument: Instrument
    query: AdvisorQuery | None = None
    latency_ms: float | None = None  # the local advisor's own time (Claude's is on its AdvisorQuery)


def _draft(parent: ParentOrder, live: tuple[MarketSnapshot, Instrument] | None, *, seq: int,
           now) -> _Step | None:
    ctx = decision_context(parent, live)
    snap, instrument, progress = ctx.market, ctx.instrument, ctx.progress
    query, latency_ms = None, None
    if parent.advisor == CLAUDE:
        advice = advice_draft(parent, ctx, seq=seq, now=now)
        if advice is None:
            return None
        draft, query = advice
        latency_ms = query.latency_ms if query is not None else None
    else:
        started = time.perf_counter()
        draft = advisor_for(parent).propose(ctx)
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
    # whoever proposed it, the draft keeps to the order's terms: finish's last cross, the catch-up cap, the
    # parent's limit price
    if ctx.decision is not None:
        draft = finish_draft(draft, ctx.decision, StepContext(
            progress=progress, market=snap, instrument=instrument, limits=ctx.limits, interval_s=ctx.interval_s,
            volume_since_order=ctx.market_volume_since_last, end_policy=ctx.end_policy, max_catchup=ctx.max_catchup))
    draft = draft_within_catchup(draft, cap=ctx.max_slice, max_catchup=ctx.max_catchup, instrument=instrument)
    draft = within_parent_limit(draft, side=progress.side, limit=progress.limit_price, market=snap,
                                instrument=instrument, band_bps=DEFAULT_LIMITS.max_price_deviation_bps)
    impact_observe_due(parent, snap)
    verdict: RiskVerdict = risk_gate(parent, draft, progress=progress, market=snap, instrument=instrument)
    if (refused := advice_gate(ctx, draft, verdict, query)) is not None:
        draft = refused
        verdict = risk_gate(parent, draft, progress=progress, market=snap, instrument=instrument)
    return _Step(draft=draft, verdict=verdict, ctx=ctx, snap=snap, instrument=instrument, query=query,
                 latency_ms=latency_ms)


def _record(parent: ParentOrder, step: _Step, *, seq: int) -> Proposal:
    draft, verdict, snap, instrument = step.draft, step.verdict, step.snap, step.instrument
    qty = instrument.qty(draft.quantity) if draft.quantity > 0 else Decimal("0")
    price = instrument.price(draft.limit_price) if draft.limit_price is not None else None
    proposal = Proposal.objects.create(
        parent=parent, seq=seq, advisor=draft.advisor, action=draft.action, quantity=qty,
        order_type=draft.order_type.value if draft.order_type else "", limit_price=price, tif=draft.tif.value,
        reasoning=draft.reasoning, confidence=draft.confidence, risk_assessment=draft.risk_assessment,
        risk_checks=verdict.to_list(), risk_blocked=verdict.blocked, baseline_qty=Decimal(str(step.ctx.baseline_qty)),
        is_fallback=draft.is_fallback, fallback_reason=draft.fallback_reason, market=snap.to_dict(),
        new_rate=draft.new_rate, expected_impact_bps=draft.expected_impact_bps,
        slice_impact_bps=slice_impact_bps(parent, float(qty), snap), advisor_latency_ms=step.latency_ms,
        expires_at=timezone.now() + timedelta(seconds=parent.proposal_ttl_seconds),
    )
    advice_link(step.query, proposal)
    audit_record(actor=Actor(label=f"advisor:{draft.advisor}", role="advisor"), action="proposal.created",
                 obj=proposal, parent_order_id=parent.pk,
                 payload={"seq": seq, "action": draft.action, "quantity": qty, "order_type": proposal.order_type,
                          "limit_price": price, "tif": proposal.tif, "reasoning": draft.reasoning,
                          "confidence": draft.confidence, "risk": verdict.summary, "risk_blocked": verdict.blocked,
                          "baseline_qty": step.ctx.baseline_qty, "is_fallback": draft.is_fallback,
                          "fallback_reason": draft.fallback_reason, "new_rate": draft.new_rate,
                          "expected_impact_bps": draft.expected_impact_bps,
                          "slice_impact_bps": proposal.slice_impact_bps,
                          "advisor_query": step.query.pk if step.query else None},
                 market_ref=market_ref(proposal.market))
    push_order(parent.pk, "proposal", proposal_payload(proposal))
    advice_push(parent.pk, parent.advisor)
    return proposal


def _auto_approve(parent: ParentOrder, proposal: Proposal) -> None:
    mode = parent.approval_mode
    if mode == "manual" or proposal.risk_blocked or proposal.action == Action.CANCEL:
        return  # stopping the order is always a human's call, whatever the mode
    if needs_supervisor(proposal):
        return  # above the four-eyes threshold a supervisor decides, whatever the mode
    if mode == "auto_within_limits":
        warned = any(not c["passed"] for c in proposal.risk_checks)
        notional = proposal.quantity * (proposal.limit_price or parent.decision_price)
        if warned or notional > parent.auto_cap_notional:
            return
    try:
        proposal_approve(proposal_id=proposal.pk, actor=AUTO_ACTOR)
    except DeskError as exc:  # e.g. the market moved and the re-check blocks it: a human decides
        log.info("auto-approval of proposal %s refused: %s", proposal.pk, exc)


def proposal_auto_decide_pending(*, parent_id: int) -> None:
    """After the approval mode changes: the pending proposal gets what the new mode would have given it."""
    parent = ParentOrder.objects.get(pk=parent_id)
    pending = Proposal.objects.filter(parent_id=parent_id, status=ProposalStatus.PENDING).first()
    if pending is not None and parent.state == ParentStatus.ACTIVE:
        _auto_approve(parent, pending)
