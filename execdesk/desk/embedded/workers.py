"""Embedded mode: the Celery worker and beat as threads of the web process, on the memory broker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from execdesk.celery import app

log = logging.getLogger(__name__)


@contextlib.contextmanager
def embedded_celery() -> Iterator[None]:
    if not settings.EMBEDDED:
        raise RuntimeError("the embedded worker runs only in embedded mode; start `celery worker` and `celery beat`")
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    with start_worker(app, pool="threads", concurrency=settings.EXECDESK["EMBEDDED_WORKER_THREADS"],
                      perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        beat = EmbeddedService(app, thread=True, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME)
        beat.start()
        log.info("embedded celery worker and beat started")
        try:
            yield
        finally:
            beat.stop()
