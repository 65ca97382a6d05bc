"""The login page when django-axes has locked a username out from an address: the same page, saying why
and for how long, with HTTP 429."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def login_locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = (f"Too many failed logins for this username from your address: logging in is blocked for "
               f"{minutes} minute{'s' if minutes != 1 else ''} after the last attempt. Ask a supervisor if you "
               "need access sooner.")
    return render(request, "registration/login.html",
                  {"form": AuthenticationForm(request), "locked_out": message, "next": request.POST.get("next", "")},
                  status=settings.AXES_HTTP_RESPONSE_CODE)  # type: ignore[misc]  # django-axes sets its defaults at runtime
