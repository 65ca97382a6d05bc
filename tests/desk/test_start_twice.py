"""The order page's Start on an order that has started is refused (it would reset the clock), and audited."""

from __future__ import annotations

import pytest

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.domain.states import IllegalTransition

pytestmark = pytest.mark.django_db


def test_start_on_an_active_order_is_refused_and_keeps_its_clock(client, alice, make_order):
    parent = make_order()
    client.force_login(alice)
    r = client.post(f"/orders/{parent.pk}/start/", HTTP_ACCEPT="application/json")
    assert r.status_code == 409 and "ACTIVE → ACTIVE" in r.json()["error"]
    after = ParentOrder.objects.get(pk=parent.pk)
    assert (after.started_at, after.deadline) == (parent.started_at, parent.deadline)
    assert AuditEvent.objects.filter(action="parent.transition_refused", parent_order_id=parent.pk).exists()


def test_the_service_refuses_it_for_every_caller(alice, make_order):
    from execdesk.desk.services.parent_orders import parent_order_start

    parent = make_order()
    with pytest.raises(IllegalTransition):
        parent_order_start(parent_id=parent.pk, user=alice)
