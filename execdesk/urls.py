from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from execdesk.desk.api import api

# Only the auth views a desk needs: no self-service password reset by e-mail.
auth_urls = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("accounts/", include(auth_urls)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("execdesk.desk.urls")),
]
