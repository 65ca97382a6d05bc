from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DeskConfig(AppConfig):
    name = "execdesk.desk"
    label = "desk"
    verbose_name = "Execution desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from execdesk.desk.setup_roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
