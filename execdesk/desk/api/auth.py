"""Who may call the API: an API token (`Authorization: Bearer edk_…`) or the desk's own login session
(CSRF checked on unsafe methods), and then the desk role the operation needs.

The role is checked here, before the request body is read, so an auditor's write is a 403 whatever it
sends; the services check it again (require_trader / require_supervisor, and require_owner for an order that
is not the caller's), so no path skips it. Every check is a function of execdesk/desk/access/roles.py.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from execdesk.desk.access.roles import SUPERVISOR, can_oversee, can_trade, can_view, role_of
from execdesk.desk.api.errors import HOW_TO_AUTHENTICATE
from execdesk.desk.services.api_tokens import TokenRefused, api_token_authenticate
from execdesk.desk.services.audit import audit_access_refused
from execdesk.desk.web.refusal_log import note_refusal

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Need(Enum):
    VIEW = "a desk role (trader, supervisor or auditor)"
    TRADE = "the trader or supervisor role"
    SUPERVISE = "the supervisor role"
    AUDIT = "the auditor or supervisor role"


def _allowed(user, need: Need) -> bool:
    if need is Need.SUPERVISE:
        return role_of(user) == SUPERVISOR
    if need is Need.AUDIT:
        return can_oversee(user)
    return can_trade(user) if need is Need.TRADE else can_view(user)


def admit(request: HttpRequest, user, need: Need):
    """The user if their role suffices; 403 naming the role needed otherwise."""
    if not can_view(user):
        raise _refused(request, user, f"your account ({user.get_username()}) has no desk role; ask a supervisor "
                                      "to give you one")
    if not _allowed(user, need):
        if request.method not in ("GET", "HEAD", "OPTIONS"):  # a refused write is audited (reads are not)
            audit_access_refused(user=user, method=request.method or "", path=request.path, needed=need.value)
        raise _refused(request, user, f"{request.method} {request.path} needs {need.value} (you are {role_of(user)})")
    return user


def _refused(request: HttpRequest, user, message: str) -> AuthorizationError:
    note_refusal(request, message, user)  # the 403's log line names who and why
    return AuthorizationError(message=message)


def caller(request: HttpRequest) -> User:
    """The user an endpoint's authentication admitted (django-ninja sets `request.auth`)."""
    return request.auth  # type: ignore[attr-defined]  # set by ninja at run time; HttpRequest has no such field


def bearer_token(request: HttpRequest) -> str | None:
    """The request's bearer token; None without an Authorization header; 401 for a malformed one."""
    value = request.headers.get("Authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationError(message="the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    if not token:
        raise AuthenticationError(message="the Authorization header has an empty bearer token")
    return token


def token_user(token: str):
    """The active user the token belongs to; 401 naming why it is refused otherwise."""
    try:
        return api_token_authenticate(token=token)
    except TokenRefused as exc:
        raise AuthenticationError(message=str(exc)) from None


class ApiToken(HttpBearer):
    """`Authorization: Bearer <token>`; a present but bad header is a 401 at once (no fallback to the
    session), so a client learns its token is wrong rather than that it is "not logged in"."""

    openapi_description = "An API token: create one on the /tokens/ page or with manage.py desk_token."
    openapi_bearerFormat = "edk_<43 characters>"

    def __init__(self, need: Need) -> None:
        self.need = need
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any | None:
        token = bearer_token(request)
        return None if token is None else self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        return admit(request, token_user(token), self.need)


class DeskSession(SessionAuth):
    """The desk's login session, for the desk's own pages. CSRF is checked only once a session is found,
    so an anonymous request is a 401 (not a CSRF 403)."""

    openapi_description = "The desk's login session (unsafe methods need the X-CSRFToken header)."

    def __init__(self, need: Need) -> None:
        self.need = need
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any | None:
        if not request.user.is_authenticated:
            return None
        try:
            return super().__call__(request)
        except (AuthorizationError, AuthenticationError):
            raise  # the role refusal from `authenticate` (its own message): only the CSRF check's error is CSRF
        except HttpError as exc:
            raise AuthorizationError(message="CSRF check failed: a POST from a logged-in session needs the "
                                             "X-CSRFToken header (or use an API token)") from exc

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        return admit(request, request.user, self.need)


def auth_for(need: Need) -> list:
    return [ApiToken(need), DeskSession(need)]


READ = auth_for(Need.VIEW)
TRADE = auth_for(Need.TRADE)
SUPERVISE = auth_for(Need.SUPERVISE)
AUDIT = auth_for(Need.AUDIT)


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API docs and the OpenAPI schema: for desk users only (a session or a token). The HTML docs send
    an anonymous browser to the login page; the schema answers 401 in the API's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = bearer_token(request)
            user = token_user(token) if token else (request.user if request.user.is_authenticated else None)
            if user is None:
                if not request.path.endswith(".json"):
                    return redirect_to_login(request.get_full_path())
                raise AuthenticationError(message=f"authentication required: {HOW_TO_AUTHENTICATE}")
            admit(request, user, Need.VIEW)
        except HttpError as exc:
            response = JsonResponse({"detail": str(exc)}, status=exc.status_code)
            if exc.status_code == 401:
                response["WWW-Authenticate"] = 'Bearer realm="execdesk"'
            return response
        return view(request, *args, **kwargs)

    return wrapper
