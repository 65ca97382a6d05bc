"""A form post above the desk's body size limit answers a clean 413 page, not a 500; nothing is written."""

from __future__ import annotations

import pytest

from execdesk.desk.models import ParentOrder

pytestmark = pytest.mark.django_db


def test_a_three_megabyte_form_post_is_a_413_page(client, alice):
    client.force_login(alice)
    r = client.post("/orders/new/", {"symbol": "BTCUSDT", "side": "buy", "quantity": "0.5",
                                     "horizon_seconds": "600", "notes": "x" * 3_000_000})
    assert r.status_code == 413
    assert "413 · Request too large" in r.content.decode() and "Nothing was changed" in r.content.decode()
    assert not ParentOrder.objects.exists()
