"""/api/orders: parent orders, their life cycle and their TCA. Each write calls one service."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router
from ninja.responses import Status

from execdesk.desk.api import auth
from execdesk.desk.api.errors import READ, READ_ONE, WRITE, WRITE_ONE
from execdesk.desk.api.schemas import (
    MAX_ID,
    AmendIn,
    ModeIn,
    OrderCreateIn,
    OrderDetailOut,
    OrderFilters,
    OrderOut,
    OrderPage,
    ReasonIn,
    TcaOut,
)
from execdesk.desk.models import ParentOrder
from execdesk.desk.realtime.payloads import dec, progress_payload, ts
from execdesk.desk.selectors import orders as selectors
from execdesk.desk.selectors.api import parent_order_page
from execdesk.desk.services import parent_orders
from execdesk.desk.services.four_eyes import parent_needs_four_eyes, parent_notional
from execdesk.desk.services.parent_approval import parent_order_approve

router = Router(tags=["orders"])

OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="the parent order's id")]


def order_or_404(order_id: int) -> ParentOrder:
    parent = ParentOrder.objects.select_related("created_by", "start_approved_by").filter(pk=order_id).first()
    if parent is None:
        raise Http404(f"parent order {order_id} does not exist")
    return parent


def order_payload(parent: ParentOrder) -> dict[str, Any]:
    return {
        **progress_payload(parent),
        "horizon_seconds": parent.horizon_seconds,
        "interval_seconds": parent.interval_seconds,
        "venue": parent.venue,
        "auto_cap_notional": dec(parent.auto_cap_notional),
        "rate": parent.rate,
        "notes": parent.notes,
        "created_by": parent.created_by.get_username(),
        "created_at": ts(parent.created_at),
        "ended_at": ts(parent.ended_at),
        "pretrade": parent.pretrade or {},
        "notional": dec(parent_notional(parent)),
        "four_eyes_required": parent_needs_four_eyes(parent),
        "start_approved_by": parent.start_approved_by.get_username() if parent.start_approved_by else None,
        "limits_raised": parent.limits_raised or {},
        "urgency": parent.urgency or None,
        "risk_aversion": parent.risk_aversion,
        "pov_rate": parent.pov_rate,
        "min_participation": parent.min_participation,
        "max_participation": parent.max_participation,
    }


@router.post("/orders", auth=auth.TRADE, response={201: OrderOut, **WRITE},
             summary="Create a parent order",
             description="The order is created INITIALIZED with its decision price (the mid now) and its "
                         "pre-trade cost estimate; start it with POST /api/orders/{id}/start. The desk's limits "
                         "(per-order notional, share of the daily volume) refuse a fat finger with a 422 naming "
                         "the limit; a supervisor may raise them for this one order with `raise_limits_reason`.")
def order_create(request: HttpRequest, payload: OrderCreateIn):
    d = payload
    parent = parent_orders.parent_order_create(
        user=auth.caller(request), symbol=d.symbol, side=d.side, quantity=d.quantity, horizon_seconds=d.horizon_seconds,
        interval_seconds=d.interval_seconds, strategy=d.strategy, approval_mode=d.approval_mode, notes=d.notes,
        auto_cap_notional=d.auto_cap_notional or "0", randomise=d.randomise, venue=d.venue, advisor=d.advisor,
        raise_limits_reason=d.raise_limits_reason, urgency=d.urgency, risk_aversion=d.risk_aversion,
        pov_rate=d.pov_rate, min_participation=d.min_participation, max_participation=d.max_participation,
        end_policy=d.end_policy, max_catchup=d.max_catchup, limit_price=d.limit_price, start_at=d.start_at)
    return Status(201, order_payload(order_or_404(parent.pk)))


@router.get("/orders", response={200: OrderPage, **READ}, summary="List parent orders",
            description="Newest first. Filter by status and symbol; page with limit (1–200) and offset. An order "
                        "the database cannot read is listed in `unreadable` instead of failing the page.")
def order_list(request: HttpRequest, filters: Query[OrderFilters]):
    f = filters
    rows, count = parent_order_page(status=f.status, symbol=f.symbol, limit=f.limit, offset=f.offset)
    readable = [p for p in rows if not getattr(p, "unreadable", False)]
    return {"items": [order_payload(p) for p in readable], "count": count, "limit": f.limit, "offset": f.offset,
            "unreadable": [p.pk for p in rows if getattr(p, "unreadable", False)]}


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **READ_ONE},
            summary="Get a parent order with its proposals, child orders, fills, market and plan",
            description="The same state the order page draws.")
def order_get(request: HttpRequest, order_id: OrderId):
    parent = order_or_404(order_id)
    state = selectors.order_state(parent)
    return {**order_payload(parent), "proposals": state["proposals"], "children": state["children"],
            "fills": state["fills"], "market": state["market"], "schedule": state["schedule"],
            "strategy_label": state["strategy_label"], "advisor_record": state["advisor"]}


@router.get("/orders/{order_id}/tca", response={200: TcaOut, **READ_ONE},
            summary="Transaction cost analysis of a parent order",
            description="Implementation shortfall and the full TCA report the order page shows, refreshed on "
                        "every fill by the desk's one TCA function (execdesk.domain.tca); docs/tca.md defines "
                        "every figure.")
def order_tca(request: HttpRequest, order_id: OrderId):
    parent = order_or_404(order_id)
    return {"order_id": parent.pk, "status": parent.status, "symbol": parent.symbol, "side": parent.side,
            "quantity": dec(parent.quantity), "executed": dec(parent.executed_qty),
            "decision_price": dec(parent.decision_price), "avg_price": dec(parent.avg_price),
            "is_bps": None if parent.is_bps is None else round(parent.is_bps, 4), "fees": dec(parent.fees),
            "report": parent.tca or None, "pretrade": parent.pretrade or {}}


def _then(order_id: int) -> dict[str, Any]:
    return order_payload(order_or_404(order_id))


@router.post("/orders/{order_id}/start", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Start a parent order",
             description="INITIALIZED → ACTIVE: the strategy's parameters are frozen and the first decision step "
                         "is queued. No body is needed. Starting an order that has started (active, paused, ...) "
                         "is a 409, as is an order above the four-eyes notional that no supervisor approved.")
def order_start(request: HttpRequest, order_id: OrderId):
    order_or_404(order_id)
    parent_orders.parent_order_start(parent_id=order_id, user=auth.caller(request))
    return _then(order_id)


@router.post("/orders/{order_id}/approve", auth=auth.SUPERVISE, response={200: OrderOut, **WRITE_ONE},
             summary="Approve a parent order above the four-eyes notional (supervisor)",
             description="Four-eyes on the whole order: above EXECDESK_FOUR_EYES_NOTIONAL an order starts only after "
                         "a supervisor other than its creator approves it (audited, with the optional reason). "
                         "409 when the approver created it or it was already approved; 422 when it needs no "
                         "approval or has started.")
def order_approve(request: HttpRequest, order_id: OrderId, payload: ReasonIn | None = None):
    order_or_404(order_id)
    parent_order_approve(parent_id=order_id, user=auth.caller(request), reason=_reason(payload))
    return _then(order_id)


@router.post("/orders/{order_id}/pause", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Pause a parent order",
             description="ACTIVE → PAUSED: pending proposals are superseded and open child orders cancelled. "
                         "The reason is optional and audited.")
def order_pause(request: HttpRequest, order_id: OrderId, payload: ReasonIn | None = None):
    order_or_404(order_id)
    parent_orders.parent_order_pause(parent_id=order_id, user=auth.caller(request), reason=_reason(payload))
    return _then(order_id)


@router.post("/orders/{order_id}/resume", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Resume a paused parent order",
             description="PAUSED → ACTIVE. The reason is optional and audited.")
def order_resume(request: HttpRequest, order_id: OrderId, payload: ReasonIn | None = None):
    order_or_404(order_id)
    parent_orders.parent_order_resume(parent_id=order_id, user=auth.caller(request), reason=_reason(payload))
    return _then(order_id)


@router.post("/orders/{order_id}/cancel", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Cancel a parent order",
             description="→ CANCELLED (final): pending proposals are superseded and open child orders cancelled "
                         "at the venue. The reason is optional and audited.")
def order_cancel(request: HttpRequest, order_id: OrderId, payload: ReasonIn | None = None):
    order_or_404(order_id)
    parent_orders.parent_order_cancel(parent_id=order_id, user=auth.caller(request), reason=_reason(payload))
    return _then(order_id)


def _reason(payload: ReasonIn | None) -> str:
    return payload.reason.strip() if payload is not None else ""


@router.post("/orders/{order_id}/mode", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Change a parent order's approval mode",
             description="manual, auto_within_limits (with auto_cap_notional) or autopilot; a reason is "
                         "required and audited.")
def order_mode(request: HttpRequest, order_id: OrderId, payload: ModeIn):
    order_or_404(order_id)
    parent_orders.parent_order_mode_set(parent_id=order_id, user=auth.caller(request), approval_mode=payload.approval_mode,
                                        auto_cap_notional=payload.auto_cap_notional, reason=payload.reason)
    return _then(order_id)


@router.post("/orders/{order_id}/amend", auth=auth.TRADE, response={200: OrderOut, **WRITE_ONE},
             summary="Amend a parent order's quantity or deadline",
             description="Change the total quantity (not below what is already executed) and/or the deadline; "
                         "a reason is required and audited.")
def order_amend(request: HttpRequest, order_id: OrderId, payload: AmendIn):
    order_or_404(order_id)
    parent_orders.parent_order_amend(parent_id=order_id, user=auth.caller(request), quantity=payload.quantity,
                                     deadline=payload.deadline, reason=payload.reason)
    return _then(order_id)
