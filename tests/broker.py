"""Point this test process's Celery publishing at another broker (a stopped one, a test's own Redis) and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def publish_to(url: str, **transport_options: Any) -> Callable[[], None]:
    """Tasks this process sends go to `url`, really published (not run eagerly). Returns the undo.

    kombu keeps connection and producer pools process-wide: both ways, every pool is reset, so no later test
    publishes through a pool bound to the other broker or one closed when it went away."""
    from kombu import pools

    from execdesk.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager
    app.conf.broker_url = url
    if transport_options:
        app.conf.broker_transport_options = transport_options
    app._pool = app.amqp._producer_pool = None
    pools.reset()
    app.conf.task_always_eager = False

    def undo() -> None:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
        app._pool = app.amqp._producer_pool = None
        pools.reset()

    return undo
