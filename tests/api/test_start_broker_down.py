"""An action committed in the database never answers 5xx because the broker is down: POST start commits the
start, the hand-off of its first step fails (logged), and the tick and sweeper carry on once the broker is back."""

from __future__ import annotations

import socket

import pytest

from execdesk.desk.models import ParentOrder
from execdesk.domain.states import ParentStatus


@pytest.fixture
def broker_down(settings):
    """Point Celery at a Redis port nothing listens on, with tasks really published (not run eagerly)."""
    from execdesk.celery import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: connections are refused
    saved = app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.conf.broker_transport_options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    app._pool = app.amqp._producer_pool = None  # connections and producers for the URL above
    app.conf.task_always_eager = False
    yield
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.broker_url, app.conf.broker_transport_options, app._pool, app.amqp._producer_pool = saved


def test_starting_an_order_while_the_broker_is_down_answers_200_and_the_start_is_committed(
        as_alice, make_order, broker_down, django_capture_on_commit_callbacks):
    parent = make_order(start=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_alice.post(f"/api/orders/{parent.pk}/start")
    assert response.status_code == 200, response.content
    assert ParentOrder.objects.get(pk=parent.pk).state == ParentStatus.ACTIVE
