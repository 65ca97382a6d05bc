"""HTTP hardening the desk adds to every response: nothing personal is cached, and sessions slide."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


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
