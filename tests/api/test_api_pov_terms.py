"""POV's rate and participation bounds through the API: kept on the order; bad terms a 4xx naming them."""

from __future__ import annotations

import pytest

from execdesk.desk.models import ParentOrder
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_a_bounded_pov_is_created_with_its_terms(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "strategy": "pov", "pov_rate": 0.03, "min_participation": 0.02,
                                      "max_participation": 0.06})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["pov_rate"], body["min_participation"], body["max_participation"]) == (0.03, 0.02, 0.06)
    assert body["pretrade"]["expected_duration_s"] > 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"min_participation": 0.06, "max_participation": 0.02}, "min_participation (0.06) must not exceed"),
    ({"pov_rate": 0.01, "min_participation": 0.02}, "pov_rate (0.01) must be within [min_participation 0.02"),
    ({"pov_rate": 0}, "pov_rate must be within (0, 1], got 0.0"),
    ({"pov_rate": 1.01}, "pov_rate must be within (0, 1], got 1.01"),
    ({"max_participation": 0.3}, "max_participation (0.3) is above the desk's participation cap"),
    ({"strategy": "vwap", "pov_rate": 0.05}, "pov_rate applies to the POV strategy only"),
])
def test_bad_terms_are_a_4xx_naming_the_problem(as_alice, changes, message):
    r = as_alice.post("/api/orders", {**ORDER, "strategy": "pov", **changes})
    assert r.status_code in (400, 422), r.json()
    assert message in str(r.json()["detail"])
    assert not ParentOrder.objects.exists()
