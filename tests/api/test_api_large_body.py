"""A request body above the desk's size limit is a 413 in the API's error shape, not a 500; nothing is written."""

from __future__ import annotations

import json

import pytest

from execdesk.desk.models import ParentOrder
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_a_three_megabyte_body_is_413_with_a_detail(as_alice):
    body = json.dumps({**ORDER, "notes": "x" * 3_000_000})
    r = as_alice.post("/api/orders", raw=body)
    assert r.status_code == 413
    assert "the desk accepts at most 2,621,440 bytes" in r.json()["detail"]
    assert not ParentOrder.objects.exists()
