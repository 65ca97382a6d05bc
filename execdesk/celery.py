"""The Celery app: the execution loop's worker and beat."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")

app = Celery("execdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["execdesk.desk"])


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(settings.EXECDESK["TICK_SECONDS"], sender.signature("desk.tick"),
                             name="desk tick: advance markets, expire proposals, step orders")
