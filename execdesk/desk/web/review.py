"""The audit review: find orders, read one order's timeline, take the trail away as CSV or JSON.
For auditors and supervisors; read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from functools import wraps
from itertools import islice

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from execdesk.desk.access.roles import can_oversee, role_of
from execdesk.desk.audit.export import audit_csv, audit_json, audit_rows
from execdesk.desk.models import ParentOrder
from execdesk.desk.selectors.audit import OUTCOMES, order_timeline, outcome_counts, review_orders
from execdesk.desk.selectors.orders import readable_rows
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.web.forms_review import ExportForm, ReviewFilterForm, form_errors

PAGE_SIZE = 50
_EXPORTS = {
    "csv": (audit_csv, "text/csv; charset=utf-8"),
    "json": (audit_json, "application/json"),
}


def review_view(view):
    """Login required, and the auditor or supervisor role."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not can_oversee(request.user):
            raise PermissionDenied("the audit review needs the auditor or supervisor role "
                                   f"(you are {role_of(request.user)})")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@review_view
def review_list(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET)
    context = {"form": form, "outcomes": OUTCOMES, "page": None, "error": ""}
    if not form.is_valid():
        context["error"] = form_errors(form)
        return render(request, "review/list.html", context, status=400)
    try:
        orders = review_orders(form.filters())
    except InvalidInput as exc:
        context["error"] = str(exc)
        return render(request, "review/list.html", context, status=400)
    paginator = Paginator(orders, PAGE_SIZE)
    context["page"] = page = paginator.get_page(form.cleaned_data["page"] or 1)
    # an order whose stored figure cannot be read is listed and marked (as on the overview), never a 500
    page.object_list = readable_rows(orders, limit=PAGE_SIZE, offset=(page.number - 1) * PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    return render(request, "review/list.html", context)


@require_GET
@review_view
def review_order(request: HttpRequest, order_id: int) -> HttpResponse:
    parent = get_object_or_404(ParentOrder.objects.select_related("created_by"), pk=order_id)
    page = request.GET.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        return HttpResponseBadRequest(f"page must be a whole number from 1, got {page!r}\n",
                                      content_type="text/plain; charset=utf-8")
    return render(request, "review/order.html", {"order": parent, "timeline": order_timeline(parent, page=int(page)),
                                                  "counts": outcome_counts(parent)})


@require_GET
@review_view
def review_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in _EXPORTS:
        raise Http404(f"no {fmt!r} export; choose {' or '.join(_EXPORTS)}")
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _bad_request(form_errors(form))
    d = form.cleaned_data
    try:
        rows = audit_rows(parent_id=d["order"], since=d["since"], until=d["until"])
    except InvalidInput as exc:
        return _bad_request(str(exc))
    render_rows, content_type = _EXPORTS[fmt]
    response = StreamingHttpResponse(_streamed(request, render_rows(rows)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{_filename(d, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


def _streamed(request: HttpRequest, parts: Iterator[str]) -> Iterator[str] | AsyncIterator[str]:
    """Under ASGI (Daphne) Django would read a sync iterator to the end before sending a byte: hand it an
    async one that pulls the rows in batches on the request's database thread instead."""
    return _batches(parts) if isinstance(request, ASGIRequest) else parts


async def _batches(parts: Iterator[str], size: int = 500) -> AsyncIterator[str]:
    take = sync_to_async(lambda: "".join(islice(parts, size)), thread_sensitive=True)
    while chunk := await take():
        yield chunk


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(f"Bad export request: {message}\n", content_type="text/plain; charset=utf-8")


def _filename(d: dict, fmt: str) -> str:
    parts = ["audit"]
    if d["order"] is not None:
        parts.append(f"order-{d['order']}")
    if d["since"] is not None or d["until"] is not None:
        parts.append(f"{_stamp(d['since'], 'start')}-to-{_stamp(d['until'], 'now')}")
    return "_".join(parts) + f".{fmt}"


def _stamp(when: datetime | None, default: str) -> str:
    return when.strftime("%Y%m%dT%H%M") if when is not None else default
