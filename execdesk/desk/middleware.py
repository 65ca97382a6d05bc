"""A request body above DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 before anything reads it: the API
answers in its error shape, the pages with a plain page. (Django would raise RequestDataTooBig only when a
view or a middleware reads the body, deep inside code that does not expect it.)"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

API_PREFIX = "/api/"


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
