"""The admin site under the desk's permission model: who may open it is roles.can_use_admin (not
`is_staff`), and each desk model's page follows roles.may_see. It has no login form of its own."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from execdesk.desk.access.roles import can_use_admin, role_of


class DeskAdminSite(admin.AdminSite):
    site_header = "ExecDesk administration"
    site_title = "ExecDesk"

    def has_permission(self, request: HttpRequest) -> bool:
        return can_use_admin(request.user)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The desk's own login page (throttled and audited); a logged-in user without admin access
        gets a 403 that says why, not a second login form."""
        if request.user.is_authenticated:
            if can_use_admin(request.user):
                return super().login(request, extra_context)
            raise PermissionDenied(f"the admin is for supervisors and auditors (you are {role_of(request.user)}); "
                                   "a supervisor can grant a trader access")
        return redirect_to_login(request.GET.get("next") or request.get_full_path())
