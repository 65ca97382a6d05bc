"""One error shape for the whole API: `{"detail": "<what was wrong, in words>"}` (plus `"checks"` when the
risk gate refused). Status codes:

* 400 the body is not JSON;                      * 401 no, unknown or revoked credentials;
* 403 the role may not do it (or CSRF failed);   * 404 no such order, proposal or endpoint;
* 405 the path has no such method;
* 409 the desk refuses it in its current state (illegal transition such as starting a started order, proposal
      no longer pending, risk gate, four-eyes);
* 413 the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (execdesk.desk.web.middleware);
* 422 a value is invalid (schema validation and the services' InvalidInput alike, the desk's limits included);
* 500 anything else, with a reference to the log line and never a stack trace.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from execdesk.desk.api.schemas import ErrorOut
from execdesk.desk.selectors.orders import unreadable_order_detail
from execdesk.desk.services.errors import DeskError, InvalidInput, RiskBlocked
from execdesk.desk.web.refusal_log import note_refusal
from execdesk.domain.states import IllegalTransition

if TYPE_CHECKING:
    from ninja import NinjaAPI

log = logging.getLogger("execdesk.api")

HOW_TO_AUTHENTICATE = ("send 'Authorization: Bearer <token>' (create a token on the desk's /tokens/ page or "
                       "with 'manage.py desk_token USERNAME --name NAME'), or log in to the desk")

# Documented responses of every operation, by kind (the 2xx response is added per operation).
_AUTH = {401: ErrorOut, 403: ErrorOut}
READ = {**_AUTH, 422: ErrorOut}
READ_ONE = {**READ, 404: ErrorOut}
WRITE = {400: ErrorOut, **_AUTH, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}
WRITE_ONE = {**WRITE, 404: ErrorOut}


class StrictJSONParser(Parser):
    """json.loads accepts NaN and Infinity, which are not JSON and not numbers a desk should trade."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return json.loads(request.body, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def install(api: NinjaAPI) -> None:
    def answer(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
        response = api.create_response(request, {"detail": detail, **extra}, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="execdesk"'
        return response

    @api.exception_handler(DeskError)
    def desk_error(request: HttpRequest, exc: DeskError) -> HttpResponse:
        if isinstance(exc, InvalidInput):
            return answer(request, 422, str(exc))
        if isinstance(exc, RiskBlocked):
            return answer(request, 409, str(exc), checks=exc.checks)
        return answer(request, 409, str(exc))

    @api.exception_handler(IllegalTransition)
    def illegal(request: HttpRequest, exc: IllegalTransition) -> HttpResponse:
        return answer(request, 409, str(exc))

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        note_refusal(request, str(exc))  # the 403's log line names who and why
        return answer(request, 403, str(exc) or "permission denied")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return answer(request, 404, str(exc) or f"{request.path} does not exist")

    @api.exception_handler(ObjectDoesNotExist)
    def missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
        return answer(request, 404, str(exc))

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return answer(request, 422, "invalid request: " + "; ".join(_problem(e) for e in exc.errors))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if isinstance(exc, AuthenticationError) and detail == "Unauthorized":
            detail = f"authentication required: {HOW_TO_AUTHENTICATE}"
        elif exc.status_code == 400 and exc.__cause__ is not None:
            detail = f"the request body is not valid JSON: {exc.__cause__}"
        return answer(request, exc.status_code, detail)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # a body sent without Content-Length passes the middleware and is measured only as it is read
        return answer(request, 413, f"the request body is larger than the desk accepts "
                                    f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes)")

    @api.exception_handler(ArithmeticError)
    @api.exception_handler(DataError)
    def unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # an order whose stored figure the database cannot convert (a row written around the desk)
        match = request.resolver_match
        detail = unreadable_order_detail(match.kwargs.get("order_id") if match is not None else None)
        log.error("API %s %s: %s (%s)", request.method, request.path, detail, type(exc).__name__)
        return answer(request, 409, detail)

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        ref = uuid.uuid4().hex[:12]
        log.exception("API %s %s failed (ref %s)", request.method, request.path, ref)
        return answer(request, 500, f"internal error (reference {ref}); the desk logged the details")


def json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method a path does not have with a plain-text 405; answer it in the API's shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith("application/json"):
            return response
        allowed = response.get("Allow", "")
        answer = JsonResponse({"detail": f"{request.method} is not allowed on {request.path}; allowed: {allowed}"},
                              status=405)
        answer["Allow"] = allowed
        return answer

    return wrapper


@csrf_exempt  # an unsafe method on an unknown path is a 404, not a CSRF page
def no_such_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse({"detail": f"no endpoint {request.method} {request.path}; the API is described at "
                                   "/api/docs and /api/openapi.json"}, status=404)


def _problem(error: dict[str, Any]) -> str:
    """One pydantic error in words: which field, what is wrong, and the value received."""
    loc = [str(part) for part in error.get("loc", ())]
    where, path = (loc[0], loc[1:]) if loc else ("request", [])
    if where == "body":
        path = path[1:]  # drop the endpoint's parameter name: the client knows only the body's fields
    kind = error.get("type")
    if kind == "missing" and where == "body" and not path:
        return "a JSON object body is required"
    field = ".".join(path) or f"the {where}"
    if kind == "extra_forbidden":
        return f"{field}: unknown field"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if kind not in ("missing", "value_error") and "input" in error:
        shown = repr(error["input"])
        message += f" (got {shown[:60] + '…' if len(shown) > 60 else shown})"
    return f"{field}: {message}"
