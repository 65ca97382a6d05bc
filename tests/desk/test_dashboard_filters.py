"""The overview's filters (status incl. the working / open / done groups, symbol, side, trader incl. "mine",
free text) filter on the server from GET parameters, so a reload, a shared link and the live re-fetch show the
same view; a value the desk does not know is refused with a 400 that names it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.parent_orders import parent_order_cancel
from tests.desk.dashboard_html import listed_ids

pytestmark = pytest.mark.django_db


def _listed(client, **params) -> set[int]:
    page = client.get(reverse("desk:home"), params)
    assert page.status_code == 200, page.content.decode()[:500]
    return listed_ids(page.content.decode())


def test_status_filter_groups_working_open_and_done(client, alice, make_order):
    working = make_order()
    waiting = make_order(start=False)
    done = make_order()
    parent_order_cancel(parent_id=done.pk, user=alice, reason="test")
    client.force_login(alice)
    assert _listed(client, status="working") == {working.pk}
    assert _listed(client, status="open") == {working.pk, waiting.pk}
    assert _listed(client, status="done") == {done.pk}
    assert _listed(client, status="INITIALIZED") == {waiting.pk}
    assert _listed(client) == {working.pk, waiting.pk, done.pk}


def test_symbol_side_and_text_filters(client, alice, make_order):
    btc = make_order(symbol="BTCUSDT", side="buy")
    eth = make_order(symbol="ETHUSDT", side="sell", quantity="2")
    ParentOrder.objects.filter(pk=eth.pk).update(notes="rebalance for the Friday fund flow")
    client.force_login(alice)
    assert _listed(client, symbol="ETHUSDT") == {eth.pk}
    assert _listed(client, side="buy") == {btc.pk}
    assert _listed(client, q="friday") == {eth.pk}
    assert _listed(client, q=f"#{btc.pk}") == {btc.pk}
    assert _listed(client, symbol="BTCUSDT", side="sell") == set()


def test_trader_filter_mine_and_by_name(client, alice, bob, make_order):
    mine = make_order(user=alice)
    theirs = make_order(user=bob)
    client.force_login(alice)
    assert _listed(client, trader="mine") == {mine.pk}
    assert _listed(client, trader="bob") == {theirs.pk}
    page = client.get(reverse("desk:home")).content.decode()
    assert '<option value="mine">mine (alice)</option>' in page and '<option value="bob">bob</option>' in page


def test_the_form_shows_the_filters_in_force_and_an_empty_result_says_so(client, alice, make_order):
    make_order()
    client.force_login(alice)
    page = client.get(reverse("desk:home"), {"status": "done", "side": "sell"}).content.decode()
    assert '<option value="done" selected>' in page and '<option value="sell" selected>' in page
    assert "No parent order matches the filters." in page
    assert 'id="filters-clear"' in page and 'id="filters-clear" hidden' not in page


@pytest.mark.parametrize(("params", "named"), [
    ({"status": "SLEEPING"}, "unknown status filter &#x27;SLEEPING&#x27;"),
    ({"side": "short"}, "side filter must be buy or sell"),
    ({"symbol": "BTC/USDT"}, "symbol filter must be letters and digits"),
])
def test_an_unknown_filter_value_is_refused_with_400_naming_it(client, alice, make_order, params, named):
    make_order()
    client.force_login(alice)
    page = client.get(reverse("desk:home"), params)
    assert page.status_code == 400
    assert named in page.content.decode()
