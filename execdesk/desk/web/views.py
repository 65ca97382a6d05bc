"""Pages and form/fetch endpoints of the desk. Thin: they parse, call one service, and answer."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from execdesk.desk.access.roles import SUPERVISOR, can_view, may_act_on, require_trader, role_of
from execdesk.desk.models import ParentOrder, Proposal
from execdesk.desk.realtime.payloads import progress_payload, proposal_payload
from execdesk.desk.selectors import orders as selectors
from execdesk.desk.selectors.queue import queue_state
from execdesk.desk.services import desk_state, parent_approval, parent_orders, proposals
from execdesk.desk.services.errors import DeskError, InvalidInput
from execdesk.desk.services.four_eyes import four_eyes_threshold, parent_needs_four_eyes, parent_notional
from execdesk.desk.services.inputs import utc_datetime_input
from execdesk.desk.services.order_limits import desk_limits
from execdesk.desk.web.forms import OverrideForm, ParentOrderForm, RejectForm
from execdesk.desk.web.refusal_log import note_refusal
from execdesk.domain.states import IllegalTransition


def desk_view(view):
    """Login required, and a desk role; answers JSON errors to fetch() callers."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied("your account has no desk role")
        try:
            return view(request, *args, **kwargs)
        except (DeskError, IllegalTransition) as exc:
            if _wants_json(request):
                return JsonResponse({"error": str(exc), "checks": getattr(exc, "checks", [])}, status=409)
            messages.error(request, str(exc))
            return redirect(request.META.get("HTTP_REFERER") or "desk:home")
        except PermissionDenied as exc:
            if _wants_json(request):
                note_refusal(request, str(exc))  # the 403's log line names who and why
                return JsonResponse({"error": str(exc) or "permission denied"}, status=403)
            raise

    return wrapper


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _form_errors(form) -> str:
    return "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())


def _home(request: HttpRequest, form: ParentOrderForm, *, status: int = 200) -> HttpResponse:
    """The desk overview, filtered by the GET parameters; a filter the desk does not know is a 400 naming it."""
    try:
        overview = selectors.desk_overview(request.GET, user=request.user)
    except InvalidInput as exc:
        messages.error(request, f"Filters not applied: {exc}")
        overview, status = selectors.desk_overview({}, user=request.user), 400
    return render(request, "desk/home.html", {**overview, "form": form, "desk_limits": desk_limits(),
                                              "queue": queue_state(user=request.user)}, status=status)


def _is_supervisor(request: HttpRequest) -> bool:
    return role_of(request.user) == SUPERVISOR


@require_GET
@desk_view
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, ParentOrderForm(supervisor=_is_supervisor(request)))


@require_POST
@desk_view
def order_create(request: HttpRequest) -> HttpResponse:
    require_trader(request.user, "creating a parent order")
    form = ParentOrderForm(request.POST, supervisor=_is_supervisor(request))
    if not form.is_valid():
        messages.error(request, f"Order not created: {_form_errors(form)}")
        return _home(request, form, status=400)
    d = form.cleaned_data
    try:
        parent = parent_orders.parent_order_create(
            user=request.user, symbol=d["symbol"], side=d["side"], quantity=d["quantity"],
            horizon_seconds=d["horizon_seconds"], interval_seconds=d["interval_seconds"], strategy=d["strategy"],
            approval_mode=d["approval_mode"], notes=d["notes"], auto_cap_notional=d["auto_cap_notional"] or 0,
            randomise=(d["randomise_pct"] or 0) / 100, venue=d["venue"], advisor=d["advisor"] or None,
            raise_limits_reason=d.get("raise_limits_reason", ""), urgency=d["urgency"] or None,
            risk_aversion=d["risk_aversion"] or None, pov_rate=d["pov_rate"] or None,
            min_participation=d["min_participation"] or None, max_participation=d["max_participation"] or None,
            end_policy=d["end_policy"] or None, max_catchup=d["max_catchup"], limit_price=d["limit_price"],
            start_at=d["start_at"] or None)
    except (DeskError, PermissionDenied) as exc:
        form.add_error(None, str(exc))
        messages.error(request, f"Order not created: {exc}")
        return _home(request, form, status=400)
    messages.success(request, f"Parent order #{parent.pk} created at decision price {parent.decision_price}.")
    return redirect("desk:order", order_id=parent.pk)


@require_POST
@desk_view
def trading_state_set(request: HttpRequest) -> HttpResponse:
    row = desk_state.desk_trading_state_set(user=request.user, state=request.POST.get("state", ""),
                                            reason=request.POST.get("reason", ""))
    if _wants_json(request):
        return JsonResponse(desk_state.desk_state_payload(row))
    messages.success(request, f"Desk trading state is now {row.trading_state}.")
    return redirect("desk:home")


@require_GET
@desk_view
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    parent = get_object_or_404(ParentOrder.objects.select_related("created_by"), pk=order_id)
    # the buttons follow the same rule as the services: another trader's order is shown read-only
    return render(request, "desk/order.html", {"order": parent, "state": selectors.order_state(parent),
                                               "impact": selectors.impact_report(parent.symbol),
                                               "four_eyes": _four_eyes(parent, request.user),
                                               "may_act": may_act_on(request.user, parent)})


def _four_eyes(parent: ParentOrder, user) -> dict:
    """What the order page says about four-eyes on the whole order, and whether this user may approve it."""
    needed = parent_needs_four_eyes(parent)
    return {"needed": needed, "notional": parent_notional(parent), "threshold": four_eyes_threshold(),
            "approved_by": parent.start_approved_by, "approved_at": parent.start_approved_at,
            "can_approve": (needed and parent.start_approved_by_id is None and parent.status == "INITIALIZED"
                            and role_of(user) == SUPERVISOR and parent.created_by_id != user.pk)}


@require_POST
@desk_view
def order_approve(request: HttpRequest, order_id: int) -> HttpResponse:
    get_object_or_404(ParentOrder, pk=order_id)
    parent = parent_approval.parent_order_approve(parent_id=order_id, user=request.user,
                                                  reason=request.POST.get("reason", ""))
    return _json_or_back(request, parent, f"Order #{order_id} approved (four-eyes); it can start now.")


@require_GET
@desk_view
def order_state(request: HttpRequest, order_id: int) -> HttpResponse:
    parent = get_object_or_404(ParentOrder, pk=order_id)
    return JsonResponse(selectors.order_state(parent))


_ORDER_ACTIONS = {
    "start": lambda pk, user, reason: parent_orders.parent_order_start(parent_id=pk, user=user),
    "pause": lambda pk, user, reason: parent_orders.parent_order_pause(parent_id=pk, user=user, reason=reason),
    "resume": lambda pk, user, reason: parent_orders.parent_order_resume(parent_id=pk, user=user, reason=reason),
    "cancel": lambda pk, user, reason: parent_orders.parent_order_cancel(parent_id=pk, user=user, reason=reason),
}


@require_POST
@desk_view
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    get_object_or_404(ParentOrder, pk=order_id)
    parent = _ORDER_ACTIONS[action](order_id, request.user, request.POST.get("reason", "").strip()[:500])
    if _wants_json(request):
        return JsonResponse({"status": parent.status})
    messages.success(request, f"Order #{order_id} is now {parent.status}.")
    return redirect("desk:order", order_id=order_id)


def _json_or_back(request: HttpRequest, parent: ParentOrder, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(progress_payload(parent))
    messages.success(request, message)
    return redirect("desk:order", order_id=parent.pk)


@require_POST
@desk_view
def order_mode(request: HttpRequest, order_id: int) -> HttpResponse:
    get_object_or_404(ParentOrder, pk=order_id)
    parent = parent_orders.parent_order_mode_set(
        parent_id=order_id, user=request.user, approval_mode=request.POST.get("approval_mode", ""),
        auto_cap_notional=request.POST.get("auto_cap_notional") or None, reason=request.POST.get("reason", ""))
    return _json_or_back(request, parent, f"Order #{order_id} approval mode is now {parent.get_approval_mode_display()}.")


@require_POST
@desk_view
def order_amend(request: HttpRequest, order_id: int) -> HttpResponse:
    get_object_or_404(ParentOrder, pk=order_id)
    parent = parent_orders.parent_order_amend(
        parent_id=order_id, user=request.user, quantity=request.POST.get("quantity") or None,
        deadline=utc_datetime_input("deadline", request.POST.get("deadline", "")), reason=request.POST.get("reason", ""))
    return _json_or_back(request, parent, f"Order #{order_id} amended.")


@require_POST
@desk_view
def proposal_action(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    proposal = get_object_or_404(Proposal, pk=proposal_id)
    user = request.user
    if action == "approve":
        proposal = proposals.proposal_approve(proposal_id=proposal_id, user=user)
    elif action == "reject":
        require_trader(user, "rejecting a proposal")
        form = RejectForm(request.POST)
        if not form.is_valid():
            raise InvalidInput("a reason is required to reject a proposal")
        proposal = proposals.proposal_reject(proposal_id=proposal_id, user=user, reason=form.cleaned_data["reason"])
    else:
        require_trader(user, "overriding a proposal")
        override = OverrideForm(request.POST)
        if not override.is_valid():
            raise InvalidInput(f"override refused: {_form_errors(override)}")
        d = override.cleaned_data
        proposal = proposals.proposal_override(proposal_id=proposal_id, user=user, quantity=d["quantity"],
                                               order_type=d["order_type"], limit_price=d["limit_price"],
                                               tif=d["tif"], reason=d["reason"])
    if _wants_json(request):
        return JsonResponse(proposal_payload(proposal))
    messages.success(request, f"Proposal #{proposal.seq} {proposal.status}.")
    return redirect("desk:order", order_id=proposal.parent_id)
