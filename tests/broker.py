"""Point this test process's Celery publishing at another broker (a stopped one, a test's own Redis) and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The app reads Django settings under the CELERY_ namespace: `app.conf.broker_url = x` sets a key the lookup
# never reads (it finds CELERY_BROKER_URL first), so a key settings.py sets is set in both spellings, and the
# result is checked.
_KEYS = ("broker_url", "broker_transport_options", "task_always_eager")


def _set(conf: Any, key: str, value: Any) -> None:
    conf[key] = value
    if f"CELERY_{key.upper()}" in conf:  # set in settings.py: the lookup reads this one
        conf[f"CELERY_{key.upper()}"] = value


def publish_to(url: str, **transport_options: Any) -> Callable[[], None]:
    """Tasks this process sends go to `url`, really published (not run eagerly). Returns the undo.

    kombu keeps connection and producer pools process-wide: both ways, every pool is reset, so no later test
    publishes through a pool bound to the other broker or one closed when it went away."""
    from kombu import pools

    from execdesk.celery import app

    saved = {key: app.conf[key] for key in _KEYS}
    _set(app.conf, "broker_url", url)
    if transport_options:
        _set(app.conf, "broker_transport_options", transport_options)
    _set(app.conf, "task_always_eager", False)
    app._pool = app.amqp._producer_pool = None
    pools.reset()
    target = app.connection_for_write()
    assert (target.hostname, target.port, str(target.virtual_host)) == _where(url), \
        f"Celery still publishes to {target.as_uri()}, not {url}"
    target.release()

    def undo() -> None:
        for key, value in saved.items():
            _set(app.conf, key, value)
        app._pool = app.amqp._producer_pool = None
        pools.reset()

    return undo


def _where(url: str) -> tuple[str | None, int | None, str]:
    from kombu import Connection

    connection = Connection(url)
    try:
        return connection.hostname, connection.port, str(connection.virtual_host)
    finally:
        connection.release()
