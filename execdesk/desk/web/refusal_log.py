"""Expected refusals (PermissionDenied: a role or an owner check said no) are logged as one WARNING line
saying who asked for what and why it was refused, without a traceback: they are the desk working, not
failing. Anything else Django logs (a 500's traceback included) passes unchanged.

Django logs a PermissionDenied raised by a view with its traceback; a refusal answered by the desk's own
handlers (the API's, a page's fetch() call) only as "Forbidden: /path". The handlers note the refusal on the
request (`note_refusal`) so that line names who and why too."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied

_NOTE = "_desk_refusal"


def note_refusal(request: Any, reason: str, user: Any = None) -> None:
    """Keep a refusal the desk answers itself on the request, for the line Django logs for its 403; `user`:
    who was refused when the request does not say (a token the API admitted)."""
    setattr(request, _NOTE, (reason or "permission denied", user))


class ExpectedRefusalFilter(logging.Filter):
    """On the django.request logger: a 403 for a refusal becomes one line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if getattr(record, "status_code", None) != 403 or request is None:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            reason, user = str(exc) or "permission denied", None
        elif exc is None and hasattr(request, _NOTE):
            reason, user = getattr(request, _NOTE)
        else:
            return True
        record.msg, record.args = "Forbidden: %s %s by %s: %s", (
            request.method, request.get_full_path(), _who(request, user), reason)
        record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.WARNING, "WARNING"
        return True


def _who(request: Any, user: Any) -> str:
    from execdesk.desk.access.roles import role_of

    candidates: tuple[Any, ...] = (user, getattr(request, "auth", None), getattr(request, "user", None))
    for candidate in candidates:
        if getattr(candidate, "is_authenticated", False):
            return f"{candidate.get_username()} ({role_of(candidate)})"
    return "anonymous"
