"""Human (and auto-mode) decisions on proposals: approve, reject, override. Each happens once."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from execdesk.desk.access.roles import Actor, require_owner, require_trader, username
from execdesk.desk.dispatch import dispatch_child_send
from execdesk.desk.models import ChildOrder, ParentOrder, Proposal, ProposalStatus
from execdesk.desk.realtime.payloads import child_payload, proposal_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.advice import advice_push
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, audit_record_now, refusals_audited
from execdesk.desk.services.child_orders import child_orders_cancel_open
from execdesk.desk.services.context import order_progress
from execdesk.desk.services.errors import InvalidInput, ProposalNotPending, RiskBlocked
from execdesk.desk.services.four_eyes import four_eyes_check, four_eyes_threshold, notional
from execdesk.desk.services.gate import risk_gate
from execdesk.desk.services.inputs import decimal_input, quantity_input
from execdesk.desk.services.market import instrument_for, market_load, market_snapshot
from execdesk.desk.services.order_limits import price_collar_check
from execdesk.desk.services.step_due import parent_step_soon
from execdesk.desk.services.transitions import parent_transition
from execdesk.desk.services.venues import gateway_for
from execdesk.domain.orders import OrderType, TimeInForce
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import HARD
from execdesk.domain.states import ParentStatus


def order_link_id(proposal: Proposal) -> str:
    """Deterministic per proposal (a retry re-sends the same id, which the venue deduplicates);
    Bybit allows 36 chars of [A-Za-z0-9_-]."""
    digest = hashlib.sha256(f"{proposal.pk}:{proposal.parent_id}:{proposal.seq}:{proposal.created_at.isoformat()}"
                            .encode()).hexdigest()[:10]
    return f"ED{proposal.parent_id}-{proposal.seq}-{digest}"[:36]


def _lock_pending(proposal_id: int, verb: str) -> tuple[Proposal, ParentOrder]:
    parent_id = _parent_id(proposal_id)
    if parent_id is None:
        raise InvalidInput(f"proposal {proposal_id} does not exist")
    # the parent, then its proposal: the lock order of every service (services/atomic.py), so an approval
    # and the order's step never wait on each other in a circle
    parent = ParentOrder.objects.select_for_update().get(pk=parent_id)
    proposal = Proposal.objects.select_for_update().select_related("parent").get(pk=proposal_id)
    if proposal.status != ProposalStatus.PENDING:
        who = f" by {proposal.decided_by.get_username()}" if proposal.decided_by else ""
        raise ProposalNotPending(f"proposal #{proposal.seq} of order {parent.pk} is already {proposal.status}{who}; "
                                 f"cannot {verb} it")
    if proposal.expires_at <= timezone.now():
        raise ProposalNotPending(f"proposal #{proposal.seq} expired at {proposal.expires_at:%H:%M:%S} UTC; "
                                 "a fresh one follows")
    if parent.state != ParentStatus.ACTIVE:
        raise ProposalNotPending(f"order {parent.pk} is {parent.status}; its proposals cannot be acted on")
    return proposal, parent


def _recheck(proposal: Proposal, parent: ParentOrder, draft: ProposalDraft) -> list[dict]:
    """The market moved since the proposal was made: check again with what is true now."""
    snap = market_snapshot(parent.symbol, parent.venue)
    verdict = risk_gate(parent, draft, progress=order_progress(parent), market=snap,
                        instrument=instrument_for(parent.symbol, parent.venue))
    if verdict.blocked:
        raise RiskBlocked(f"risk gate blocks it: {verdict.summary}", verdict.to_list())
    return verdict.to_list()


def _draft_of(proposal: Proposal) -> ProposalDraft:
    return ProposalDraft(
        advisor=proposal.advisor, action=Action(proposal.action), quantity=float(proposal.quantity),
        order_type=OrderType(proposal.order_type) if proposal.order_type else None,
        limit_price=float(proposal.limit_price) if proposal.limit_price is not None else None,
        reasoning=proposal.reasoning, confidence=proposal.confidence, tif=TimeInForce(proposal.tif),
    )


def _decide(proposal: Proposal, *, status: str, actor: Actor, reason: str, **final: object) -> None:
    # conditional update: whoever changes the PENDING row first wins, the other gets zero rows
    changed = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PENDING).update(
        status=status, decided_at=timezone.now(), decided_by=actor.user, decision_reason=reason, **final)
    if changed != 1:
        raise ProposalNotPending(f"proposal #{proposal.seq} was decided by someone else just now")
    proposal.refresh_from_db()
    parent_step_soon(proposal.parent_id)  # a decided proposal may make the order's next step due sooner


def _act(proposal: Proposal, parent: ParentOrder, actor: Actor) -> ChildOrder | None:
    action = Action(proposal.action)
    if action == Action.CANCEL and proposal.status != ProposalStatus.OVERRIDDEN:
        parent_transition(parent, ParentStatus.CANCELLED, actor=actor, reason=f"advisor CANCEL approved by {actor.label}")
        child_orders_cancel_open(parent, actor=actor, reason="parent order cancelled")
        return None
    if proposal.new_rate is not None and action in (Action.ACCELERATE, Action.DECELERATE):
        _rate_change(parent, proposal, actor)
    if not action.sends_order and not proposal.final_order_type:
        return None
    # The child order is the outbox entry: recorded NEW with its send-by time in the approval's transaction,
    # handed to a worker after commit, re-driven by the sweeper if that hand-off or its worker is lost.
    child = ChildOrder.objects.create(
        parent=parent, proposal=proposal, order_link_id=order_link_id(proposal), venue=parent.venue,
        symbol=parent.symbol, side=parent.side, order_type=proposal.final_order_type,
        tif=proposal.final_tif or "GTC", quantity=proposal.final_quantity, price=proposal.final_limit_price,
        send_by=timezone.now() + timedelta(seconds=settings.EXECDESK["SEND_BY_SECONDS"]),
    )
    audit_record(actor=actor, action="child.created", obj=child, parent_order_id=parent.pk,
                 payload={"order_link_id": child.order_link_id, "proposal_seq": proposal.seq, "proposal": proposal.pk,
                          "venue": child.venue, "symbol": child.symbol, "side": child.side,
                          "order_type": child.order_type, "tif": child.tif, "quantity": child.quantity,
                          "price": child.price, "send_by": child.send_by})
    parent_transition(parent, ParentStatus.EXECUTING, actor=actor, reason=f"child {child.order_link_id} placed")
    push_order(parent.pk, "child", child_payload(child))
    dispatch_child_send(child.pk, send_by=child.send_by)
    return child


def _rate_change(parent: ParentOrder, proposal: Proposal, actor: Actor) -> None:
    """An approved (or overridden) ACCELERATE / DECELERATE sets the order's execution rate: the strategy's
    slices, and the advisor's fallbacks, are scaled by it until it changes again."""
    before = parent.rate
    parent.rate = float(proposal.new_rate)  # type: ignore[arg-type]
    parent.save(update_fields=["rate"])
    audit_record(actor=actor, action="parent.rate_changed", obj=parent, parent_order_id=parent.pk,
                 payload={"from": before, "to": parent.rate, "proposal_seq": proposal.seq,
                          "advisor": proposal.advisor, "action": proposal.action})


def _final_terms(proposal: Proposal) -> dict[str, object]:
    if not Action(proposal.action).sends_order:
        return {}
    return {"final_quantity": proposal.quantity, "final_order_type": proposal.order_type,
            "final_limit_price": proposal.limit_price, "final_tif": proposal.tif}


@refusals_audited("proposal.approve_refused")
def proposal_approve(*, proposal_id: int, user=None, actor: Actor | None = None) -> Proposal:
    """Approve a pending proposal, or the override waiting on it (four-eyes), exactly once."""
    if actor is None:
        require_trader(user, "approving a proposal")
        actor = Actor.of(user)
    with desk_atomic():
        _cancel_market_lock(proposal_id)
        proposal, parent = _lock_pending(proposal_id, "approve")
        require_owner(actor, parent, "approve its proposals")
        if proposal.overridden_by_id is not None:
            return _approve_override(proposal, parent, actor)
        if proposal.risk_blocked:
            failed = "; ".join(f"{c['code']}: {c['message']}" for c in proposal.risk_checks
                               if not c["passed"] and c["severity"] == HARD)
            raise RiskBlocked(f"proposal #{proposal.seq} breaks a hard limit ({failed}); override it with compliant "
                              "terms or reject it", proposal.risk_checks)
        four_eyes_check(proposal, actor)
        checks = _recheck(proposal, parent, _draft_of(proposal)) if Action(proposal.action).sends_order else []
        _decide(proposal, status=ProposalStatus.APPROVED, actor=actor, reason="", **_final_terms(proposal))
        audit_record(actor=actor, action="proposal.approved", obj=proposal, parent_order_id=parent.pk,
                     payload={"seq": proposal.seq, "action": proposal.action, "quantity": proposal.quantity,
                              "order_type": proposal.order_type, "limit_price": proposal.limit_price,
                              "checks_at_approval": checks})
        _act(proposal, parent, actor)
        push_order(parent.pk, "proposal", proposal_payload(proposal))
        advice_push(parent.pk, parent.advisor)
        return proposal


def _approve_override(proposal: Proposal, parent: ParentOrder, actor: Actor) -> Proposal:
    """The second pair of eyes on an override above the threshold: a supervisor who did not write it."""
    four_eyes_check(proposal, actor)
    draft = _override_draft(proposal, proposal.final_quantity, OrderType(proposal.final_order_type),
                            proposal.final_limit_price, TimeInForce(proposal.final_tif or "GTC"))
    checks = _recheck(proposal, parent, draft)
    _decide(proposal, status=ProposalStatus.OVERRIDDEN, actor=actor, reason=proposal.override_reason,
            override_checks=checks)
    audit_record(actor=actor, action="proposal.override_approved", obj=proposal, parent_order_id=parent.pk,
                 payload={"seq": proposal.seq, "overridden_by": username(proposal.overridden_by),
                          "override_reason": proposal.override_reason,
                          "override": {"quantity": proposal.final_quantity, "order_type": proposal.final_order_type,
                                       "limit_price": proposal.final_limit_price, "tif": proposal.final_tif},
                          "checks_at_approval": checks})
    _act(proposal, parent, actor)
    push_order(parent.pk, "proposal", proposal_payload(proposal))
    advice_push(parent.pk, parent.advisor)
    return proposal


@refusals_audited("proposal.reject_refused")
def proposal_reject(*, proposal_id: int, user, reason: str) -> Proposal:
    require_trader(user, "rejecting a proposal")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to reject a proposal")
    actor = Actor.of(user)
    with desk_atomic():
        proposal, parent = _lock_pending(proposal_id, "reject")
        require_owner(actor, parent, "reject its proposals")
        _decide(proposal, status=ProposalStatus.REJECTED, actor=actor, reason=reason[:2000])
        audit_record(actor=actor, action="proposal.rejected", obj=proposal, parent_order_id=parent.pk,
                     payload={"seq": proposal.seq, "action": proposal.action, "reason": proposal.decision_reason})
        push_order(parent.pk, "proposal", proposal_payload(proposal))
        advice_push(parent.pk, parent.advisor)
        return proposal


def _override_terms(parent: ParentOrder, quantity: object, order_type: str, limit_price: object,
                    tif: str) -> tuple[Decimal, OrderType, Decimal | None, TimeInForce]:
    instrument = instrument_for(parent.symbol, parent.venue)
    qty = quantity_input("override quantity", quantity, instrument)
    try:
        otype = OrderType(order_type)
    except ValueError:
        raise InvalidInput(f"order type must be one of {', '.join(t.value for t in OrderType)}, "
                           f"got {order_type!r}") from None
    try:
        time_in_force = TimeInForce(tif or ("IOC" if otype == OrderType.MARKET else "GTC"))
    except ValueError:
        raise InvalidInput(f"time in force must be GTC or IOC, got {tif!r}") from None
    price = None
    if otype != OrderType.MARKET:
        if limit_price in (None, ""):
            raise InvalidInput(f"a {otype.value} order needs a limit price")
        price = decimal_input("limit price", limit_price)
        if price <= 0:
            raise InvalidInput(f"limit price must be positive, got {price}")
        if instrument.price(price) != price:
            raise InvalidInput(f"limit price {price} is not on the {instrument.tick_size} tick")
        price_collar_check("limit price", price, mid=market_snapshot(parent.symbol, parent.venue).mid,
                           quote=instrument.quote_asset)
    return qty, otype, price, time_in_force


def _override_draft(proposal: Proposal, qty: Decimal, otype: OrderType, price: Decimal | None,
                    tif: TimeInForce) -> ProposalDraft:
    action = Action.AGGRESSIVE if otype == OrderType.MARKET else Action.PASSIVE
    return replace(_draft_of(proposal), action=action).with_order(
        quantity=float(qty), order_type=otype, limit_price=float(price) if price is not None else None, tif=tif)


@refusals_audited("proposal.override_refused", recorded_by_service=(RiskBlocked,))
def proposal_override(*, proposal_id: int, user, quantity: object, order_type: str, limit_price: object = None,
                      tif: str = "", reason: str) -> Proposal:
    """Replace a proposal's terms (reason required; the risk gate re-checks them). Above the desk's four-eyes
    threshold the override waits, still pending, for a supervisor other than its author."""
    require_trader(user, "overriding a proposal")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required to override a proposal")
    actor = Actor.of(user)
    try:
        with desk_atomic():
            proposal, parent = _lock_pending(proposal_id, "override")
            require_owner(actor, parent, "override its proposals")
            qty, otype, price, time_in_force = _override_terms(parent, quantity, order_type, limit_price, tif)
            checks = _recheck(proposal, parent, _override_draft(proposal, qty, otype, price, time_in_force))
            terms = {"final_quantity": qty, "final_order_type": otype.value, "final_limit_price": price,
                     "final_tif": time_in_force.value}
            value = notional(qty, price, proposal)
            if value > four_eyes_threshold():
                return _override_submit(proposal, parent, actor, reason, terms, checks, value)
            _decide(proposal, status=ProposalStatus.OVERRIDDEN, actor=actor, reason=reason[:2000],
                    override_checks=checks, **terms)
            audit_record(actor=actor, action="proposal.overridden", obj=proposal, parent_order_id=parent.pk,
                         payload={"seq": proposal.seq, "reason": proposal.decision_reason,
                                  "proposed": {"action": proposal.action, "quantity": proposal.quantity,
                                               "order_type": proposal.order_type, "limit_price": proposal.limit_price},
                                  "override": {"quantity": qty, "order_type": otype.value, "limit_price": price,
                                               "tif": time_in_force.value},
                                  "checks": checks})
            _act(proposal, parent, actor)
            push_order(parent.pk, "proposal", proposal_payload(proposal))
            advice_push(parent.pk, parent.advisor)
            return proposal
    except RiskBlocked as exc:
        audit_record_now(actor=actor, action="proposal.override_refused", object_type="proposal",
                         object_id=str(proposal_id), parent_order_id=_parent_id(proposal_id),
                         payload={"reason": reason, "error": str(exc), "checks": exc.checks,
                                  "requested": {"quantity": str(quantity), "order_type": order_type,
                                                "limit_price": str(limit_price), "tif": tif}})
        raise


def _override_submit(proposal: Proposal, parent: ParentOrder, actor: Actor, reason: str, terms: dict,
                     checks: list[dict], value: Decimal) -> Proposal:
    """Record the override on the still-pending proposal; its time to live restarts with the new terms."""
    now = timezone.now()
    changed = Proposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PENDING).update(
        overridden_by=actor.user, overridden_at=now, override_reason=reason[:2000], override_checks=checks,
        expires_at=now + timedelta(seconds=parent.proposal_ttl_seconds), **terms)
    if changed != 1:
        raise ProposalNotPending(f"proposal #{proposal.seq} was decided by someone else just now")
    proposal.refresh_from_db()
    parent_step_soon(proposal.parent_id)  # a decided proposal may make the order's next step due sooner
    audit_record(actor=actor, action="proposal.override_submitted", obj=proposal, parent_order_id=parent.pk,
                 payload={"seq": proposal.seq, "reason": proposal.override_reason, "notional": value,
                          "four_eyes_threshold": four_eyes_threshold(),
                          "proposed": {"action": proposal.action, "quantity": proposal.quantity,
                                       "order_type": proposal.order_type, "limit_price": proposal.limit_price},
                          "override": {k.removeprefix("final_"): v for k, v in terms.items()},
                          "checks": checks})
    push_order(parent.pk, "proposal", proposal_payload(proposal))
    return proposal


def _cancel_market_lock(proposal_id: int) -> None:
    """An approved CANCEL cancels the order's resting slices; on an in-process venue (paper) they live in its
    market row: lock it before the order (the lock order of services/atomic.py). Other approvals lock no market."""
    row = (Proposal.objects.filter(pk=proposal_id, action=Action.CANCEL)
           .values_list("parent__venue", "parent__symbol").first())
    if row is not None and gateway_for(row[0]).fills_on_advance:
        market_load(row[1])


def _parent_id(proposal_id: int) -> int | None:
    return Proposal.objects.filter(pk=proposal_id).values_list("parent_id", flat=True).first()
