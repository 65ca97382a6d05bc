"""django.contrib.admin with the desk's admin site (site.py) as its default site. Kept apart from
site.py: INSTALLED_APPS loads this module before the models exist."""

from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    default_site = "execdesk.desk.admin_site.site.DeskAdminSite"
