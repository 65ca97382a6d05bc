"""Celery tasks: load by id, call one service, own the retry policy."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from execdesk.desk.realtime.push import push_batch
from execdesk.desk.selectors.steps import parent_orders_due_within
from execdesk.desk.services.advice import advisor_query_run
from execdesk.desk.services.child_orders import child_order_submit
from execdesk.desk.services.execution import desk_tick, execution_step
from execdesk.desk.services.live_orders import live_child_cancel
from execdesk.desk.services.outbox import outbox_sweep
from execdesk.desk.services.reconcile import venue_cancel_all, venue_reconcile
from execdesk.desk.services.step_due import parent_next_step, parent_steps_queued


# Expiries: a tick, a step or a sweep that waited longer than this is stale — the next one (beat) replaces it.
# A send's message expires at its child's send-by time (execdesk.desk.dispatch).
@shared_task(name="desk.tick", ignore_result=True, expires=5)
def desk_tick_task() -> None:
    with push_batch():  # every task sends what it pushed in one event-loop hop at its end, not one per event
        desk_tick()
    now = timezone.now()
    # Each step due before the next tick is queued for its due time, not run at the next tick: the step lag
    # is the queue's, not the tick's period. A step that finds itself not due yet does nothing.
    queued = []
    for parent_id, at in parent_orders_due_within(now=now, seconds=settings.EXECDESK["TICK_SECONDS"]):
        parent_order_step.apply_async((parent_id,), eta=at if at is not None and at > now else None)
        if at is not None:
            queued.append((parent_id, at))
    parent_steps_queued(queued)


@shared_task(name="desk.outbox_sweep", ignore_result=True, expires=5)
def outbox_sweep_task() -> None:
    with push_batch():
        outbox_sweep()


@shared_task(name="desk.parent_order_step", ignore_result=True, expires=10)
def parent_order_step(parent_id: int) -> None:
    with push_batch():
        execution_step(parent_id=parent_id)
    # A next step due before the next tick is queued now, for its time: a step that found itself a few
    # milliseconds early (its slice was approved after its proposal) must not wait a whole tick.
    if parent_order_step.app.conf.task_always_eager:
        return  # run in-process (execute, tests): the caller drives the clock and the steps
    at, now = parent_next_step(parent_id), timezone.now()
    if at is not None and at < now + timedelta(seconds=settings.EXECDESK["TICK_SECONDS"]):
        parent_order_step.apply_async((parent_id,), eta=max(at, now))
        parent_steps_queued([(parent_id, at)])


@shared_task(name="desk.child_order_submit", ignore_result=True, bind=True,
             autoretry_for=(OperationalError,), retry_backoff=1, max_retries=5)
def child_order_submit_task(self, child_id: int) -> None:
    # Safe to retry and to redeliver: the service sends a NEW child once, under its row lock, and never after its
    # send-by time; the venue deduplicates by orderLinkId.
    with push_batch():
        child_order_submit(child_id=child_id)


@shared_task(name="desk.child_order_cancel", ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=1, max_retries=5)
def child_order_cancel_task(child_id: int, reason: str) -> None:
    # Safe to retry: cancelling an order that is already closed changes nothing.
    with push_batch():
        live_child_cancel(child_id=child_id, reason=reason)


@shared_task(name="desk.venue_reconcile", ignore_result=True, expires=30)
def venue_reconcile_task(trigger: str = "scheduled") -> None:
    with push_batch():
        venue_reconcile(trigger=trigger)


@shared_task(name="desk.venue_cancel_all", ignore_result=True)
def venue_cancel_all_task(reason: str) -> None:
    venue_cancel_all(reason=reason)


@shared_task(name="desk.advisor_query", ignore_result=True, acks_late=False)
def advisor_query_task(query_id: int) -> None:
    # Runs on the `advisor` queue so a slow Claude never holds a worker the execution loop needs. Not
    # acked late: a question lost with its worker is not asked twice; the step falls back after the lead.
    advisor_query_run(query_id=query_id)
