"""The desk's own HTTP middleware: oversized bodies refused with 413 before anything reads them, nothing
personal cached, sliding sessions.

A request body above DATA_UPLOAD_MAX_MEMORY_SIZE is refused before anything reads it: the API answers in its
error shape, the pages with a plain page. (Django would raise RequestDataTooBig only when a view or a
middleware reads the body, deep inside code that does not expect it.)"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/"
log = logging.getLogger(__name__)


class UnreadableRowMiddleware:
    """A page or a page's fetch() call that reads an order whose stored figure the database cannot convert
    (a row written around the desk) answers 409 naming the order and the column, never a 500 or a traceback.
    The API answers the same through its own exception handler (api/errors.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from execdesk.desk.selectors.orders import UNREADABLE_ROW, unreadable_order_detail

        if not isinstance(exception, UNREADABLE_ROW):
            return None
        match = request.resolver_match
        order_id = match.kwargs.get("order_id") if match is not None else None
        detail = unreadable_order_detail(order_id)
        log.error("%s %s: %s (%s)", request.method, request.path, detail, type(exception).__name__)
        if request.path.startswith(API_PREFIX) or "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"detail": detail}, status=409)
        return HttpResponse(render_to_string("409.html", {"detail": detail}), status=409)


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return too_large(request, length, limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # a body without a Content-Length (chunked) is only measured as it is read
        if isinstance(exception, RequestDataTooBig):
            return too_large(request, None, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None


def too_large(request: HttpRequest, length: int | None, limit: int) -> HttpResponse:
    size = f"{length:,} bytes" if length is not None else "larger than allowed"
    detail = f"the request body is {size}; the desk accepts at most {limit:,} bytes"
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=413)
    return HttpResponse(render_to_string("413.html", {"detail": detail}), status=413)


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and private, no-cache) on every page a logged-in user sees and on every API
    answer: order books, fills and the audit trail must not stay in a browser's or a proxy's cache. Static
    files never get here (WhiteNoise answers them earlier) and keep their long cache."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response


class SessionIdleMiddleware:
    """Sliding idle timeout: a logged-in request renews the session's expiry (SESSION_COOKIE_AGE, from
    EXECDESK_SESSION_IDLE_SECONDS). Renewed at most once a minute so that a page's requests do not write
    the session row every time."""

    KEY = "_desk_touched"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is not None and user is not None and user.is_authenticated and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= min(60, settings.SESSION_COOKIE_AGE // 10):
                session[self.KEY] = now  # modified: SessionMiddleware saves it with a fresh expiry and cookie
        return response
