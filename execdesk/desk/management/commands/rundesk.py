"""`make run`: the whole desk in one process (embedded mode)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrate, create the demo desk and serve it with the Celery worker and beat in-process (embedded mode)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("EXECDESK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("EXECDESK_PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options) -> None:
        if not settings.EMBEDDED:
            raise CommandError("rundesk is the embedded desk; in distributed mode run daphne, "
                               "`celery -A execdesk worker` and `celery -A execdesk beat` (see docker-compose.yml)")
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        from execdesk.desk.embedded.workers import embedded_celery

        call_command("migrate", interactive=False, verbosity=0)
        call_command("desk_demo")
        from channels.routing import get_default_application

        from execdesk.desk.bybit.link import bybit_status

        live, banner = bybit_status()
        venues = f"paper venue on the simulated market{'; ' + banner if live else ''}"
        with embedded_celery():
            self.stdout.write(self.style.SUCCESS(
                f"ExecDesk (embedded: SQLite in {settings.DATA_DIR}; {venues}) "
                f"serving http://{host}:{port}/  — log in at /accounts/login/. Ctrl-C stops."))
            Server(application=get_default_application(), endpoints=build_endpoint_description_strings(host=host, port=port),
                   signal_handlers=True, verbosity=0, websocket_timeout=86400).run()
