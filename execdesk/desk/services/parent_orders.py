"""Parent order life cycle: create, start, pause, resume, cancel."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from execdesk.advisors.anthropic import NAME as CLAUDE
from execdesk.desk.access.roles import Actor, require_owner, require_supervisor, require_trader
from execdesk.desk.dispatch import dispatch_order_step
from execdesk.desk.models import ApprovalMode, ParentOrder, Strategy
from execdesk.desk.realtime.payloads import progress_payload
from execdesk.desk.realtime.push import push_order
from execdesk.desk.services.advice import claude_available, impact_question
from execdesk.desk.services.atomic import desk_atomic
from execdesk.desk.services.audit import audit_record, market_ref, refusals_audited
from execdesk.desk.services.child_orders import child_orders_cancel_open, open_market_lock
from execdesk.desk.services.context import DEFAULT_LIMITS
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.four_eyes import parent_start_check
from execdesk.desk.services.inputs import decimal_input, int_input, quantity_input, utc_datetime_input
from execdesk.desk.services.market import (
    UnknownSymbol,
    VenueUnavailable,
    instrument_for,
)
from execdesk.desk.services.order_limits import auto_cap_input, order_limit_breaches, order_limits_refuse
from execdesk.desk.services.proposal_withdraw import supersede_pending
from execdesk.desk.services.strategy import pretrade_for, strategy_of, strategy_params_for
from execdesk.desk.services.strategy_terms import is_terms_input, pov_terms_input
from execdesk.desk.services.trading_gate import trading_gate_new_order
from execdesk.desk.services.transitions import audit_refused_transition, parent_transition
from execdesk.desk.services.venues import gateway_for, venue_names
from execdesk.domain.catchup import max_catchup_input
from execdesk.domain.end_policy import end_policy_input
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.orders import ChildStatus
from execdesk.domain.states import IllegalTransition, ParentStatus

MIN_HORIZON_S, MAX_HORIZON_S = 30, 7 * 24 * 3600
# "schedule" follows the strategy's own slice; "rules" is the adaptive policy's reasoning advisor;
# "anthropic" asks Claude (needs ANTHROPIC_API_KEY) and falls back to the strategy's slice.
ADVISORS = ("schedule", "rules", "anthropic")


def _validate(symbol: str, side: str, quantity: object, horizon_seconds: int, interval_seconds: int,
              strategy: str, approval_mode: str, venue: str) -> tuple[Decimal, int, int]:
    if venue not in venue_names():
        raise InvalidInput(f"unknown venue {venue!r}; available: {', '.join(venue_names())}")
    try:
        instrument = instrument_for(symbol, venue)
    except (UnknownSymbol, VenueUnavailable) as exc:
        raise InvalidInput(str(exc)) from None
    if side not in ("buy", "sell"):
        raise InvalidInput(f"side must be 'buy' or 'sell', got {side!r}")
    qty = quantity_input("quantity", quantity, instrument)
    if qty < instrument.min_qty:
        raise InvalidInput(f"quantity {qty} is below {symbol}'s minimum {instrument.min_qty}")
    horizon_seconds = int_input("horizon", horizon_seconds, low=MIN_HORIZON_S, high=MAX_HORIZON_S, unit="s")
    # no human to keep up with in autopilot: it may decide every second
    min_interval = settings.EXECDESK["MIN_AUTOPILOT_INTERVAL_SECONDS" if approval_mode == "autopilot"
                                     else "MIN_INTERVAL_SECONDS"]
    interval_seconds = int_input("decision interval", interval_seconds, low=min_interval, high=MAX_HORIZON_S, unit="s")
    if interval_seconds > horizon_seconds:
        raise InvalidInput(f"decision interval must be between {min_interval} s and the horizon "
                           f"({horizon_seconds} s), got {interval_seconds} s")
    if strategy not in Strategy.values:
        raise InvalidInput(f"unknown strategy {strategy!r}; available: {', '.join(Strategy.values)}")
    if approval_mode not in ApprovalMode.values:
        raise InvalidInput(f"unknown approval mode {approval_mode!r}; available: {', '.join(ApprovalMode.values)}")
    return qty, horizon_seconds, interval_seconds


@refusals_audited("parent.create_refused")
def parent_order_create(*, user, symbol: str, side: str, quantity: object, horizon_seconds: int,
                        interval_seconds: int | None = None, strategy: str = Strategy.TWAP,
                        approval_mode: str = ApprovalMode.MANUAL, notes: str = "",
                        auto_cap_notional: object = "0", randomise: object = 0, venue: str = "paper",
                        advisor: str | None = None, raise_limits_reason: str = "", urgency: str | None = None,
                        risk_aversion: object | None = None, pov_rate: object | None = None,
                        min_participation: object | None = None,
                        max_participation: object | None = None,
                        end_policy: str | None = None, max_catchup: object = None,
                        limit_price: object = None, start_at: object = None) -> ParentOrder:
    """A parent order in INITIALIZED with its pre-trade estimate. `venue` "paper" trades the simulated
    market on the paper venue, "bybit" the live Bybit market; `advisor` None takes the strategy's own.
    IS takes an `urgency` (low / medium / high, default medium) or its `risk_aversion` lambda directly; POV
    its `pov_rate` (default 5 %) within `min_participation` and `max_participation` (fractions of the volume).
    `end_policy` (finish, expire, continue; None: finish) is what it does at its deadline; `max_catchup`
    (None: 2) the largest slice as a multiple of the scheduled slice; `limit_price` (None: none) the price a
    buy never fills above and a sell never below; `start_at` (an aware datetime or ISO text; None: when
    started) when its schedule begins if it is started before then.
    The desk's limits (order_limits) refuse a fat finger; a supervisor may raise them for this order only
    by giving `raise_limits_reason` (audited)."""
    require_trader(user, "creating a parent order")
    trading_gate_new_order(what="creating a parent order", symbol=symbol, side=side)
    raise_limits_reason = (raise_limits_reason or "").strip()[:2000]
    if raise_limits_reason:
        require_supervisor(user, "raising the desk's limits for an order")
    default_interval = settings.EXECDESK["LLM_DEFAULT_INTERVAL_SECONDS" if advisor == CLAUDE else "DEFAULT_INTERVAL_SECONDS"]
    interval = default_interval if interval_seconds in (None, "") else interval_seconds  # 0 is refused, not "default"
    qty, horizon_seconds, interval = _validate(symbol, side, quantity, horizon_seconds, interval, strategy,
                                               approval_mode, venue)
    if advisor is None:
        advisor = "rules" if strategy == Strategy.ADAPTIVE else "schedule"
    if advisor not in ADVISORS:
        raise InvalidInput(f"unknown advisor {advisor!r}; available: {', '.join(ADVISORS)}")
    if advisor == CLAUDE and not claude_available():
        raise InvalidInput("the Claude advisor needs ANTHROPIC_API_KEY in the desk's environment; without it "
                           "choose the rules advisor")
    cap = auto_cap_input(auto_cap_notional)
    is_terms = is_terms_input(strategy, urgency, risk_aversion)
    pov_terms = pov_terms_input(strategy, pov_rate, min_participation, max_participation,
                                cap=DEFAULT_LIMITS.max_participation)
    try:
        policy = end_policy_input(end_policy)
        catchup = max_catchup_input(max_catchup)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    limit = None if limit_price in (None, "") else decimal_input("limit price", limit_price)
    if limit is not None and limit <= 0:
        raise InvalidInput(f"limit price must be a positive price, got {limit}")
    begin = _start_at(start_at)
    jitter = decimal_input("randomisation", randomise)
    if not Decimal(0) <= jitter <= Decimal("0.5"):
        raise InvalidInput(f"randomisation must be between 0 and 0.5 (50 %), got {jitter}")
    actor = Actor.of(user)
    try:  # read before the transaction: a network call must not hold the database's write lock
        snap, volumes = _pretrade_market(symbol, venue)
    except VenueUnavailable as exc:
        raise InvalidInput(str(exc)) from None
    with desk_atomic():
        instrument = instrument_for(symbol, venue)
        breaches = order_limit_breaches(instrument=instrument, quantity=qty, price=instrument.price(snap.mid),
                                        hourly_volumes=volumes)
        if not raise_limits_reason:
            order_limits_refuse(breaches)
        raised = {"by": actor.label, "reason": raise_limits_reason,
                  "breaches": [b.to_dict() for b in breaches]} if breaches else {}
        pretrade = pretrade_for(side=side, quantity=float(qty), horizon_s=float(horizon_seconds),
                                interval_s=float(interval), snapshot=snap, symbol=symbol, strategy=strategy,
                                urgency=is_terms.urgency, risk_aversion=is_terms.risk_aversion, pov_terms=pov_terms,
                                participation_cap=DEFAULT_LIMITS.max_participation)
        parent = ParentOrder.objects.create(
            symbol=symbol, side=side, quantity=qty, horizon_seconds=horizon_seconds, interval_seconds=interval,
            strategy=strategy, approval_mode=approval_mode, notes=notes.strip()[:4000], auto_cap_notional=cap,
            advisor=advisor, venue=venue, proposal_ttl_seconds=settings.EXECDESK["PROPOSAL_TTL_SECONDS"],
            decision_price=instrument.price(snap.mid), created_by=user, pretrade=pretrade,
            strategy_params={"randomise": float(jitter)}, limits_raised=raised,
            urgency=is_terms.urgency, risk_aversion=is_terms.risk_aversion,
            **(pov_terms.to_dict() if pov_terms is not None else {}), end_policy=policy.value,
            max_catchup=catchup, limit_price=None if limit is None else instrument.price(limit), start_at=begin,
        )
        audit_record(actor=actor, action="parent.created", obj=parent, parent_order_id=parent.pk,
                     payload={"symbol": symbol, "side": side, "quantity": qty, "horizon_seconds": horizon_seconds,
                              "interval_seconds": interval, "strategy": strategy, "advisor": parent.advisor,
                              "venue": venue,
                              "approval_mode": approval_mode, "decision_price": parent.decision_price,
                              "auto_cap_notional": cap, "proposal_ttl_seconds": parent.proposal_ttl_seconds,
                              "notes": parent.notes, "randomise": jitter, "end_policy": policy.value,
                              "max_catchup": catchup, "limit_price": parent.limit_price,
                              "start_at": begin,
                              **({"urgency": is_terms.urgency or None, "risk_aversion": is_terms.risk_aversion}
                                 if strategy == Strategy.IS else {}),
                              **(pov_terms.to_dict() if pov_terms is not None else {}),
                              "pretrade": _pretrade_summary(pretrade)},
                     market_ref=market_ref(snap.to_dict()))
        if raised:
            audit_record(actor=actor, action="parent.limits_raised", obj=parent, parent_order_id=parent.pk,
                         payload=raised)
        push_order(parent.pk, "progress", progress_payload(parent))
        if advisor == CLAUDE:
            impact_question(parent)
    return parent


def _start_at(value: object) -> datetime | None:
    """A scheduled start: in the future, within the desk's longest horizon."""
    begin = value if isinstance(value, datetime) else utc_datetime_input("start_at", value)
    if begin is None:
        return None
    if timezone.is_naive(begin):
        raise InvalidInput("start_at needs a time zone (times on the desk are UTC)")
    now = timezone.now()
    if begin <= now:
        raise InvalidInput(f"start_at {begin:%Y-%m-%d %H:%M:%S} UTC is not in the future (now {now:%H:%M:%S} UTC): "
                           "leave it blank to start when the order is started")
    if begin > now + timedelta(seconds=MAX_HORIZON_S):
        raise InvalidInput(f"start_at {begin:%Y-%m-%d %H:%M:%S} UTC is more than {MAX_HORIZON_S // 86400} days ahead")
    return begin


def _pretrade_summary(pretrade: dict) -> dict:
    keys = ("expected_cost_bps", "low_bps", "high_bps", "expected_duration_s", "participation", "model",
            "event_widening_bps", "scheduled_line", "error")
    return {k: pretrade[k] for k in keys if k in pretrade}


def _locked(parent_id: int) -> ParentOrder:
    return ParentOrder.objects.select_for_update().get(pk=parent_id)


def _change(parent_id: int, *, user, target: ParentStatus, verb: str, reason: str, stop_work: bool,
            only_from: frozenset[ParentStatus] | None = None) -> ParentOrder:
    require_trader(user, f"{verb} a parent order")
    actor = Actor.of(user)
    try:
        with desk_atomic():
            if stop_work:
                open_market_lock(parent_id)  # the market before the order: the lock order (services/atomic.py)
            parent = _locked(parent_id)
            require_owner(actor, parent, f"have it {verb}")
            if only_from is not None and parent.state not in only_from:
                hint = "; start it instead" if parent.state == ParentStatus.INITIALIZED else ""
                raise InvalidInput(f"order {parent.pk} is {parent.status}: only a "
                                   f"{' or '.join(sorted(only_from))} order can be {verb}{hint}")
            parent_transition(parent, target, actor=actor, reason=reason or verb)
            if stop_work:
                supersede_pending(parent, actor, f"parent order {verb}")
                child_orders_cancel_open(parent, actor=actor, reason=f"parent order {verb}")
            return parent
    except IllegalTransition as exc:
        audit_refused_transition(parent_id, exc, actor=actor, requested=verb)
        raise


def _pretrade_market(symbol: str, venue: str) -> tuple[MarketSnapshot, list[tuple[float, float]]]:
    """The order's market and the last day's hourly volumes, read outside any transaction (a live venue's
    is a network read); a paper market is first advanced to now, its resting orders filled on the way."""
    gateway = gateway_for(venue)
    gateway.advance([symbol], now=time.time())
    return gateway.snapshot(symbol), gateway.hourly_volumes(symbol)


@refusals_audited("parent.start_refused")
def parent_order_start(*, parent_id: int, user) -> ParentOrder:
    require_trader(user, "starting a parent order")
    trading_gate_new_order(what=f"starting order {parent_id}", parent_id=parent_id)
    actor = Actor.of(user)
    row = ParentOrder.objects.filter(pk=parent_id).values_list("symbol", "venue").first()
    market_inputs = None
    if row is not None:  # the market is read before the transaction: no network call under a row lock
        try:
            market_inputs = _pretrade_market(*row)
        except VenueUnavailable as exc:
            raise InvalidInput(f"cannot start: {exc}") from None
    try:
        with desk_atomic():
            parent = _locked(parent_id)
            require_owner(actor, parent, "start it")
            if parent.state != ParentStatus.INITIALIZED:  # a start resets the clock: only once, never a resume
                raise IllegalTransition(parent.state, ParentStatus.ACTIVE)
            parent_start_check(parent)
            parent_transition(parent, ParentStatus.ACTIVE, actor=actor, reason="started")
            now = timezone.now()
            # a scheduled start still ahead: the schedule (and its deadline) begin then; steps wait for it
            parent.started_at = max(now, parent.start_at) if parent.start_at is not None else now
            parent.deadline = parent.started_at + timedelta(seconds=parent.horizon_seconds)
            assert market_inputs is not None  # the row was read above
            snap, volumes = market_inputs
            parent.strategy_params = strategy_params_for(parent, snap, volumes)
            try:
                strategy_of(parent)
            except ValueError as exc:
                raise InvalidInput(f"cannot start the {parent.get_strategy_display()} strategy: {exc}") from None
            parent.save(update_fields=["started_at", "deadline", "strategy_params"])
            audit_record(actor=actor, action="parent.strategy_frozen", obj=parent, parent_order_id=parent.pk,
                         payload={"strategy": parent.strategy, "params": parent.strategy_params})
            push_order(parent.pk, "progress", progress_payload(parent))
    except IllegalTransition as exc:
        audit_refused_transition(parent_id, exc, actor=actor, requested="start")
        raise
    dispatch_order_step(parent_id)  # the first step at once; the tick steps it anyway if this is lost
    return parent


@refusals_audited("parent.pause_refused")
def parent_order_pause(*, parent_id: int, user, reason: str = "") -> ParentOrder:
    return _change(parent_id, user=user, target=ParentStatus.PAUSED, verb="paused", reason=reason, stop_work=True)


@refusals_audited("parent.resume_refused")
def parent_order_resume(*, parent_id: int, user, reason: str = "") -> ParentOrder:
    # INITIALIZED → ACTIVE is a start (deadline, frozen strategy inputs), never a resume
    return _change(parent_id, user=user, target=ParentStatus.ACTIVE, verb="resumed", reason=reason, stop_work=False,
                   only_from=frozenset({ParentStatus.PAUSED, ParentStatus.HALTED}))


@refusals_audited("parent.cancel_refused")
def parent_order_cancel(*, parent_id: int, user, reason: str = "") -> ParentOrder:
    return _change(parent_id, user=user, target=ParentStatus.CANCELLED, verb="cancelled", reason=reason,
                   stop_work=True)


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"a reason is required to {what}")
    return reason[:2000]


def _open_for_change(parent: ParentOrder, what: str) -> None:
    if parent.state.is_terminal:
        raise InvalidInput(f"order {parent.pk} is {parent.status}: {what} is no longer possible")


@refusals_audited("parent.mode_set_refused")
def parent_order_mode_set(*, parent_id: int, user, approval_mode: str, auto_cap_notional: object | None = None,
                          reason: str) -> ParentOrder:
    """Change how proposals are approved, also while the order runs; audited with the reason. Switching to an
    automatic mode lets the waiting proposal be approved by it (within its limits) at once."""
    require_trader(user, "changing an order's approval mode")
    reason = _reason(reason, "change the approval mode")
    if approval_mode not in ApprovalMode.values:
        raise InvalidInput(f"unknown approval mode {approval_mode!r}; available: {', '.join(ApprovalMode.values)}")
    cap = None
    if auto_cap_notional not in (None, ""):
        cap = auto_cap_input(auto_cap_notional)
    actor = Actor.of(user)
    with desk_atomic():
        parent = _locked(parent_id)
        require_owner(actor, parent, "change its approval mode")
        _open_for_change(parent, "changing its approval mode")
        before = {"approval_mode": parent.approval_mode, "auto_cap_notional": parent.auto_cap_notional}
        parent.approval_mode = approval_mode
        if cap is not None:
            parent.auto_cap_notional = cap
        human_min = settings.EXECDESK["MIN_INTERVAL_SECONDS"]
        if approval_mode != ApprovalMode.AUTOPILOT and parent.interval_seconds < human_min:
            raise InvalidInput(f"order {parent.pk} decides every {parent.interval_seconds} s, which only autopilot "
                               f"may do; {approval_mode} needs a decision interval of at least {human_min} s")
        if approval_mode == ApprovalMode.AUTO_WITHIN_LIMITS and parent.auto_cap_notional <= 0:
            raise InvalidInput("auto_within_limits needs an auto cap above 0 USDT (proposals under it are approved)")
        parent.save(update_fields=["approval_mode", "auto_cap_notional"])
        audit_record(actor=actor, action="parent.mode_changed", obj=parent, parent_order_id=parent.pk,
                     payload={"from": before, "to": {"approval_mode": parent.approval_mode,
                                                     "auto_cap_notional": parent.auto_cap_notional},
                              "reason": reason})
        push_order(parent.pk, "progress", progress_payload(parent))
    if approval_mode != ApprovalMode.MANUAL:
        from execdesk.desk.services.execution import proposal_auto_decide_pending

        transaction.on_commit(lambda: proposal_auto_decide_pending(parent_id=parent_id))
    return parent


@refusals_audited("parent.amend_refused")
def parent_order_amend(*, parent_id: int, user, quantity: object | None = None, deadline: datetime | None = None,
                       reason: str) -> ParentOrder:
    """Reduce the quantity (never below what is executed or working) and/or move the deadline (started
    orders). The pending proposal was sized for the old terms: it is withdrawn and a fresh one follows."""
    require_trader(user, "amending a parent order")
    reason = _reason(reason, "amend an order")
    if quantity in (None, "") and deadline is None:
        raise InvalidInput("nothing to amend: give a new quantity, a new deadline or both")
    actor = Actor.of(user)
    with desk_atomic():
        parent = _locked(parent_id)
        require_owner(actor, parent, "amend it")
        _open_for_change(parent, "amending it")
        before = {"quantity": parent.quantity, "deadline": parent.deadline}
        if quantity not in (None, ""):
            parent.quantity = _amended_quantity(parent, quantity)
        if deadline is not None:
            parent.deadline, parent.horizon_seconds = _amended_deadline(parent, deadline)
        parent.save(update_fields=["quantity", "deadline", "horizon_seconds"])
        supersede_pending(parent, actor, "parent order amended")
        audit_record(actor=actor, action="parent.amended", obj=parent, parent_order_id=parent.pk,
                     payload={"from": before, "to": {"quantity": parent.quantity, "deadline": parent.deadline},
                              "horizon_seconds": parent.horizon_seconds, "reason": reason})
        push_order(parent.pk, "progress", progress_payload(parent))
    return parent


def _amended_quantity(parent: ParentOrder, quantity: object) -> Decimal:
    qty = quantity_input("quantity", quantity, instrument_for(parent.symbol, parent.venue))
    if qty >= parent.quantity:
        raise InvalidInput(f"quantity can only go down: {qty} is not below the order's {parent.quantity.normalize():f}")
    working = sum((c.quantity - c.filled_qty for c in parent.child_orders.filter(status__in=_OPEN_CHILD)),
                  Decimal("0"))
    floor = parent.executed_qty + working
    if qty <= floor:
        raise InvalidInput(f"quantity {qty} must stay above what is executed ({parent.executed_qty.normalize():f}) "
                           f"plus working at the venue ({working.normalize():f}); cancel the order to stop it")
    return qty


def _amended_deadline(parent: ParentOrder, deadline: datetime) -> tuple[datetime, int]:
    if parent.started_at is None:
        raise InvalidInput(f"order {parent.pk} has not started: its deadline is set when it starts "
                           f"(horizon {parent.horizon_seconds} s)")
    if timezone.is_naive(deadline):
        raise InvalidInput("the deadline needs a time zone (times on the desk are UTC)")
    earliest = timezone.now() + timedelta(seconds=parent.interval_seconds)
    if deadline < earliest:
        raise InvalidInput(f"the new deadline {deadline:%Y-%m-%d %H:%M:%S} UTC must be at least one decision "
                           f"interval ({parent.interval_seconds} s) from now")
    horizon = round((deadline - parent.started_at).total_seconds())
    if horizon > MAX_HORIZON_S:
        raise InvalidInput(f"the new deadline makes the horizon {horizon} s, above the maximum {MAX_HORIZON_S} s")
    return deadline, horizon


_OPEN_CHILD = [s.value for s in ChildStatus if s.is_open]
