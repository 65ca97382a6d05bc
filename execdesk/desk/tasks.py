"""Celery tasks: load by id, call one service, own the retry policy."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from execdesk.desk.services.child_orders import child_order_submit
from execdesk.desk.services.execution import desk_tick, execution_step


@shared_task(name="desk.tick", ignore_result=True, expires=5)
def desk_tick_task() -> None:
    for parent_id in desk_tick():
        parent_order_step.delay(parent_id)


@shared_task(name="desk.parent_order_step", ignore_result=True, expires=10)
def parent_order_step(parent_id: int) -> None:
    execution_step(parent_id=parent_id)


@shared_task(name="desk.child_order_submit", ignore_result=True, bind=True,
             autoretry_for=(OperationalError,), retry_backoff=1, max_retries=5)
def child_order_submit_task(self, child_id: int) -> None:
    # Safe to retry: the service only sends a NEW child, and the venue deduplicates by orderLinkId.
    child_order_submit(child_id=child_id)
