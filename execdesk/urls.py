from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "ExecDesk administration"
admin.site.site_title = "ExecDesk"

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("execdesk.desk.urls")),
]
