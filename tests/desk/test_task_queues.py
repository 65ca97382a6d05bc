"""Sends never wait behind the order steps: the venue-bound work (sends, cancels, the tick, the sweeper) goes to
the `priority` queue and a worker, which consumes both queues, takes it first even when hundreds of steps are
queued ahead of it on a real Redis broker with the desk's transport options."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings
from kombu import Connection

from execdesk.celery import app
from tests.broker import publish_to
from tests.conftest import need, reachable

REDIS_URL = os.environ.get("EXECDESK_REDIS_URL", "redis://127.0.0.1:6379/13")
TEST_DB = 15  # apart from the broker, results, channel layer and the other Redis tests' databases


def _url() -> str:
    parsed = urlparse(REDIS_URL)
    auth = f":{parsed.password}@" if parsed.password else ""
    return f"redis://{auth}{parsed.hostname or '127.0.0.1'}:{parsed.port or 6379}/{TEST_DB}"


@pytest.fixture
def redis_broker():
    need(reachable(REDIS_URL, 6379), f"the queue-order test needs a Redis server at {REDIS_URL}")
    url = _url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS} if not settings.EMBEDDED else {
        "queue_order_strategy": "priority", "socket_connect_timeout": 2, "socket_timeout": 2}
    undo = publish_to(url, **options)
    yield url, options
    undo()
    client.flushdb()
    client.close()


def test_every_venue_bound_task_is_routed_to_the_priority_queue_and_steps_are_not():
    route = app.amqp.router.route
    for name in ("desk.child_order_submit", "desk.child_order_cancel", "desk.venue_cancel_all", "desk.tick",
                 "desk.outbox_sweep", "desk.venue_reconcile"):
        assert route({}, name)["queue"].name == "priority", name
    assert route({}, "desk.parent_order_step")["queue"].name == "celery"
    assert route({"queue": "advisor"}, "desk.advisor_query")["queue"].name == "advisor"
    # a worker started without -Q consumes the queues declared, in that order: the priority queue first
    assert [queue.name for queue in app.conf.task_queues] == ["priority", "celery"]


def test_a_send_queued_behind_200_steps_is_taken_first(redis_broker):
    url, options = redis_broker
    for parent_id in range(200):
        app.send_task("desk.parent_order_step", args=(parent_id,))
    app.send_task("desk.child_order_submit", args=(4242,))
    assert redis.Redis.from_url(url).llen("celery") == 200

    taken: list[tuple[str, tuple[int, ...]]] = []
    with Connection(url, transport_options=options) as connection:
        # the worker's consumer: the queues it consumes, in its order, one message reserved at a time
        consumer = connection.Consumer(list(app.conf.task_queues), accept=["json"],
                                       callbacks=[lambda body, message: (taken.append(
                                           (message.headers["task"], tuple(body[0]))), message.ack())])
        consumer.qos(prefetch_count=1)
        with consumer:
            for _ in range(3):
                connection.drain_events(timeout=2)
    assert taken[0] == ("desk.child_order_submit", (4242,)), taken
    assert [name for name, _ in taken[1:]] == ["desk.parent_order_step"] * 2
