"""IS urgency through the API: the pre-trade answer carries the frontier; bad input is a 4xx naming it."""

from __future__ import annotations

import pytest

from execdesk.desk.models import ParentOrder
from tests.api.conftest import ORDER

pytestmark = pytest.mark.django_db


def test_an_is_order_with_urgency_answers_with_its_frontier_and_schedule(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "strategy": "is", "urgency": "high"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["urgency"] == "high" and body["risk_aversion"] is None
    plan = body["pretrade"]["is_plan"]
    assert plan["urgency"] == "high" and plan["chosen"] == plan["levels"]["high"]
    assert len(plan["schedule"]) == 60 and plan["schedule"][0]["x_even"] > 1
    assert {"risk_aversion", "expected_cost_bps", "sd_bps", "kappa_t"} <= set(plan["frontier"][0])


def test_a_risk_aversion_given_directly_is_kept(as_alice):
    r = as_alice.post("/api/orders", {**ORDER, "strategy": "is", "risk_aversion": 2e-5})
    assert r.status_code == 201, r.json()
    assert r.json()["risk_aversion"] == pytest.approx(2e-5)
    assert r.json()["pretrade"]["is_plan"]["risk_aversion"] == pytest.approx(2e-5)


@pytest.mark.parametrize(("changes", "message"), [
    ({"strategy": "vwap", "urgency": "low"}, "urgency applies to the IS strategy only"),
    ({"strategy": "is", "urgency": "low", "risk_aversion": 1e-5}, "give either an urgency or a risk aversion"),
    ({"strategy": "is", "urgency": "asap"}, "urgency"),
    ({"strategy": "is", "risk_aversion": -1}, "risk_aversion"),
])
def test_bad_urgency_is_a_4xx_naming_it(as_alice, changes, message):
    r = as_alice.post("/api/orders", {**ORDER, **changes})
    assert r.status_code in (400, 422), r.json()
    assert message in str(r.json()["detail"])
    assert not ParentOrder.objects.exists()
