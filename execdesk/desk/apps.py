from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DeskConfig(AppConfig):
    name = "execdesk.desk"
    label = "desk"
    verbose_name = "Execution desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The Celery app first (the shared tasks bind to it), then the tasks dispatch.py sends by name,
        # registered in every process so their options and eager mode apply. `import execdesk` loads
        # neither: the pure domain must not pay for them.
        import execdesk.celery  # noqa: F401
        from execdesk.desk import tasks  # noqa: F401
        from execdesk.desk.access import signals_auth  # noqa: F401  (audit logins; close a socket whose login ended)
        from execdesk.desk.access.setup_roles import ensure_roles
        from execdesk.desk.bybit import link as bybit_link
        from execdesk.desk.bybit.streams import private_stream_start

        # the link starts the private stream when an order first needs Bybit (embedded mode); the stream
        # drives the live-order services, which use the link, so the link is handed the starter here
        bybit_link.private_stream_starter_install(private_stream_start)

        post_migrate.connect(ensure_roles, sender=self)

        # Refuse to start any process (web, worker, beat, commands) on an unsafe or malformed Bybit setting,
        # mainnet without EXECDESK_ALLOW_MAINNET=1 above all: better no desk than one trading real money
        # by accident.
        from execdesk.bybit.config import BybitConfig
        from execdesk.desk.services import venue_bybit, venue_paper  # noqa: F401

        BybitConfig.from_env()
        # the venue gateways register themselves (execdesk.desk.services.venues)

        # A malformed Claude setting (timeout, retries, price, unreadable key file) stops every process too.
        from execdesk.desk.services.advice import claude_config

        claude_config()
