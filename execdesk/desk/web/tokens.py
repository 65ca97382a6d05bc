"""/tokens/: a desk user's API tokens — list, create (the token is shown once, on this response only) and
revoke. Thin: each POST calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from execdesk.desk.access.roles import can_view
from execdesk.desk.selectors.api import api_token_list
from execdesk.desk.services.api_tokens import NAME_MAX, api_token_create, api_token_revoke
from execdesk.desk.services.errors import DeskError


def _page(request: HttpRequest, *, new_token: str = "", error: str = "", name: str = "",
          status: int = 200) -> HttpResponse:
    return render(request, "desk/tokens.html", {"tokens": api_token_list(user=request.user), "new_token": new_token,
                                                "error": error, "name": name, "name_max": NAME_MAX}, status=status)


def _desk_user(request: HttpRequest) -> None:
    if not can_view(request.user):
        raise PermissionDenied("your account has no desk role")


@never_cache  # the response that shows a new token must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    _desk_user(request)
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "")
    try:
        _, token = api_token_create(user=request.user, name=name)
    except DeskError as exc:
        return _page(request, error=str(exc), name=name[:NAME_MAX], status=400)
    # Rendered, not redirected: a redirect would have to carry the token through the session or a cookie.
    return _page(request, new_token=token)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    _desk_user(request)
    try:
        row = api_token_revoke(user=request.user, token_id=token_id)
    except DeskError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token “{row.name}” ({row.prefix}…) revoked; clients using it now get 401.")
    return redirect("desk:tokens")
