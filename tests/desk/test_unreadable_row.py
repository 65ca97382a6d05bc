"""One row the database cannot convert (written around the services) never takes the desk down: the overview
lists the other orders and marks that one, and the other orders' pages open."""

from __future__ import annotations

import pytest
from django.db import DataError, connection, transaction

from execdesk.desk.models import ParentOrder

pytestmark = pytest.mark.django_db


def _corrupt(parent: ParentOrder) -> None:
    """SQLite: 1e30 does not fit DecimalField(28, 10) and is stored as a double Django cannot read back.
    PostgreSQL refuses that number outright but stores an 'infinity' timestamp, which psycopg cannot read."""
    column, value = ("started_at", "'infinity'") if connection.vendor == "postgresql" else ("auto_cap_notional", "1e30")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE desk_parentorder SET {column} = {value} WHERE id = %s", [parent.pk])


def test_the_overview_lists_the_others_and_marks_the_unreadable_one(client, alice, make_order):
    good, bad = make_order(start=False), make_order(start=False)
    _corrupt(bad)
    with pytest.raises((ArithmeticError, DataError)), transaction.atomic():  # the row is really unreadable
        ParentOrder.objects.get(pk=bad.pk)
    client.force_login(alice)
    r = client.get("/")
    assert r.status_code == 200
    page = r.content.decode()
    assert f'<tr data-order-id="{good.pk}" data-symbol="BTCUSDT"' in page
    assert f'<tr data-order-id="{bad.pk}" data-status="INITIALIZED" class="unreadable-row">' in page
    assert "Unreadable: a stored figure of this order cannot be read" in page
    assert client.get(f"/orders/{good.pk}/").status_code == 200


def test_the_api_list_leaves_it_out_and_names_it(alice, make_order):
    from tests.api.conftest import Api, token_for

    good, bad = make_order(start=False), make_order(start=False)
    _corrupt(bad)
    r = Api(token_for(alice)).get("/api/orders")
    assert r.status_code == 200
    assert [o["id"] for o in r.json()["items"]] == [good.pk] and r.json()["unreadable"] == [bad.pk]
