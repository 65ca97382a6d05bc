"""Handing work to Celery: the one place services enqueue from (they never import tasks).

Every hand-off happens after the transaction that decided the work commits, and a broker that is down
only costs latency: the failure is logged, never raised to the caller — the work is already recorded in
the database (a NEW child order is its own outbox entry, a working parent order is stepped by every tick)
and the outbox sweeper (services/outbox.py, from beat) re-drives it. So an action committed in the
database never answers 5xx because the broker was down."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def _enqueue(name: str, args: tuple[Any, ...], **options: Any) -> None:
    import execdesk.desk.tasks  # noqa: F401 - registers the tasks (dispatch is the one module that may)
    from execdesk.celery import app

    try:
        app.tasks[name].apply_async(args, **options)
    except Exception:  # noqa: BLE001 - a broker outage must not undo or fail what already committed
        if app.conf.task_always_eager:
            raise  # eager (tests, headless execute): the task ran inline and its error is the caller's
        log.warning("could not enqueue %s%s; left to the outbox sweeper", name, args, exc_info=True)


def _after_commit(name: str, args: tuple[Any, ...], **options: Any) -> None:
    transaction.on_commit(lambda: _enqueue(name, args, **options))


def dispatch_child_send(child_id: int, *, send_by: datetime | None = None) -> None:
    """Send a NEW child order. The message expires at the child's send-by time: a copy the broker redelivers
    later (a worker died holding it) is dropped unrun, and the sweeper expires the child."""
    _after_commit("desk.child_order_submit", (child_id,), expires=send_by)


def dispatch_child_send_now(child_id: int, *, send_by: datetime | None = None) -> None:
    """The sweeper's re-drive (outside any transaction)."""
    _enqueue("desk.child_order_submit", (child_id,), expires=send_by)


def dispatch_child_cancel(child_id: int, reason: str) -> None:
    _after_commit("desk.child_order_cancel", (child_id, reason))


def dispatch_parent_step(parent_id: int) -> None:
    _after_commit("desk.parent_order_step", (parent_id,))


def dispatch_venue_cancel_all(reason: str) -> None:
    _after_commit("desk.venue_cancel_all", (reason,))
