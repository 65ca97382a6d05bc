"""An order whose stored figure the database cannot convert (a row written around the desk) never makes a 500:
the review list marks it as the overview does, and its own page and endpoints answer 409 naming the order and
the column, with no traceback; cancelling it is a clear 409 too."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db


def _break(parent_id: int) -> str:
    """SQLite: a figure that does not fit decimal(28, 10); PostgreSQL stores an 'infinity' timestamp, which
    psycopg cannot read back. Returns the broken column."""
    column, value = ("started_at", "'infinity'") if connection.vendor == "postgresql" else (
        "auto_cap_notional", "'999999999999999999999999999999.9999999999'")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE desk_parentorder SET {column} = {value} WHERE id = %s", [parent_id])
    return column


def _clear(r, column: str, order_id: int) -> str:
    text = r.content.decode()
    assert r.status_code == 409, (r.status_code, text[:300])
    assert f"order {order_id} cannot be read from the database: {column}" in text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_the_review_list_marks_the_unreadable_order_and_lists_the_others(client, make_order, who, request):
    good, bad = make_order(), make_order()
    _break(bad.pk)
    client.force_login(request.getfixturevalue(who))
    r = client.get("/review/")
    assert r.status_code == 200
    page = r.content.decode()
    assert f'<tr data-order-id="{bad.pk}" class="unreadable-row">' in page
    assert f'href="/review/orders/{good.pk}/"' in page


def test_the_order_page_and_its_fetch_calls_answer_409_naming_the_column(client, alice, make_order):
    bad = make_order()
    column = _break(bad.pk)
    client.force_login(alice)
    _clear(client.get(f"/orders/{bad.pk}/"), column, bad.pk)
    _clear(client.post(f"/orders/{bad.pk}/pause/", HTTP_ACCEPT="application/json"), column, bad.pk)
    _clear(client.post(f"/orders/{bad.pk}/cancel/", HTTP_ACCEPT="application/json"), column, bad.pk)


@pytest.mark.parametrize("method, path", [("get", "/api/orders/{pk}"), ("get", "/api/orders/{pk}/tca"),
                                          ("post", "/api/orders/{pk}/pause"), ("post", "/api/orders/{pk}/cancel")])
def test_the_api_answers_409_naming_the_order_and_the_column(alice, make_order, method, path):
    bad = make_order()
    column = _break(bad.pk)
    api = Api(token_for(alice))
    r = api.get(path.format(pk=bad.pk)) if method == "get" else api.post(path.format(pk=bad.pk), {"reason": "stop"})
    assert "a supervisor can HALT" in _clear(r, column, bad.pk)
    assert r.json()["detail"].startswith(f"order {bad.pk} cannot be read")
