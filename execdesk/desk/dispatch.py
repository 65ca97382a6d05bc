"""Work handed to the Celery workers, named for the work, by task name, after the caller's commit.

Services decide work inside their transaction and call these; they never import the tasks module (the
tasks import the services). Enqueued on commit: a rolled-back decision sends nothing, and a worker
never loads a row that is not there yet. The task behind each name is in tasks.py; DeskConfig.ready()
registers it, so its options (expiry, retries) and eager mode (`execute`) apply to what is sent here.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from execdesk.celery import app

ORDER_STEP = "desk.parent_order_step"
CHILD_SEND = "desk.child_order_submit"
CHILD_CANCEL = "desk.child_order_cancel"
VENUE_CANCEL_ALL = "desk.venue_cancel_all"
ADVISOR_QUERY = "desk.advisor_query"


def dispatch_order_step(parent_id: int) -> None:
    """Step the order now (its first step after a start)."""
    _on_commit(ORDER_STEP, parent_id)


def dispatch_child_send(child_id: int) -> None:
    """Send an approved child order to its venue."""
    _on_commit(CHILD_SEND, child_id)


def dispatch_child_cancel(child_id: int, *, reason: str) -> None:
    """Ask the venue to cancel a child order that was sent."""
    _on_commit(CHILD_CANCEL, child_id, reason)


def dispatch_venue_cancel_all(*, reason: str) -> None:
    """Cancel every open desk order on the live venue, orphans included (after a halt)."""
    _on_commit(VENUE_CANCEL_ALL, reason)


def dispatch_advisor_query(query_id: int) -> None:
    """Ask the advisor one question, on the `advisor` queue (a slow answer never holds an execution worker)."""
    _on_commit(ADVISOR_QUERY, query_id, queue="advisor")


def tasks_run_inline() -> bool:
    """True while Celery runs tasks eagerly, in the caller's thread (headless `execute`)."""
    return bool(app.conf.task_always_eager)


def _on_commit(name: str, *args: Any, **options: Any) -> None:
    # Outside a transaction on_commit runs the send at once.
    transaction.on_commit(lambda: app.signature(name, args=args, **options).apply_async())
