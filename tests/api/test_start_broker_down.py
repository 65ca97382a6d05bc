"""An action committed in the database never answers 5xx because the broker is down: POST start commits the
start, the hand-off of its first step fails (logged), and the tick and sweeper carry on once the broker is back."""

from __future__ import annotations

import socket

import pytest

from execdesk.desk.models import ParentOrder
from execdesk.domain.states import ParentStatus
from tests.broker import publish_to


@pytest.fixture
def broker_down(settings):
    """Point Celery at a Redis port nothing listens on, with tasks really published (not run eagerly)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: connections are refused
    undo = publish_to(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1, socket_timeout=1)
    yield
    undo()


def test_starting_an_order_while_the_broker_is_down_answers_200_and_the_start_is_committed(
        as_alice, make_order, broker_down, django_capture_on_commit_callbacks):
    parent = make_order(start=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_alice.post(f"/api/orders/{parent.pk}/start")
    assert response.status_code == 200, response.content
    assert ParentOrder.objects.get(pk=parent.pk).state == ParentStatus.ACTIVE
