"""The Celery app: the execution loop's worker and beat."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")

app = Celery("execdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["execdesk.desk"])


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(settings.EXECDESK["TICK_SECONDS"], sender.signature("desk.tick"),
                             name="desk tick: advance markets, expire proposals, step orders")
    sender.add_periodic_task(settings.EXECDESK["OUTBOX_SWEEP_SECONDS"], sender.signature("desk.outbox_sweep"),
                             name="outbox sweeper: re-drive unsent child orders, expire those past send-by")
    sender.add_periodic_task(settings.EXECDESK["RECONCILE_SECONDS"], sender.signature("desk.venue_reconcile"),
                             name="reconcile child orders with Bybit by orderLinkId")


@worker_ready.connect
def _reconcile_at_start(sender: object = None, **_: object) -> None:
    """A worker that died may have sent an order without recording Bybit's answer: settle it first."""
    sender_app = getattr(sender, "app", None) or app
    sender_app.send_task("desk.venue_reconcile", kwargs={"trigger": "worker start"})
