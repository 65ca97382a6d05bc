"""IS urgency on the desk: set at creation (form, API, service), its frontier shown, its lambda frozen at start
and the plan the one the closed form gives for that lambda."""

from __future__ import annotations

import pytest
from django.urls import reverse

from execdesk.desk.models import AuditEvent, ParentOrder
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.strategy import strategy_of
from execdesk.domain.strategies.is_urgency import ISInputs, urgency_risk_aversion

pytestmark = pytest.mark.django_db

IS_ORDER = {"symbol": "BTCUSDT", "side": "buy", "quantity": "2.0", "horizon_seconds": 1800, "interval_seconds": 60}


def _create(alice, **kw) -> ParentOrder:
    return parent_order_create(user=alice, strategy="is", **{**IS_ORDER, **kw})


def test_creation_shows_the_frontier_with_the_chosen_point_and_its_slices(alice):
    parent = _create(alice, urgency="high")
    plan = parent.pretrade["is_plan"]
    assert parent.urgency == "high" and plan["urgency"] == "high"
    notional = 2.0 * plan["inputs"]["mid"]
    assert plan["risk_aversion"] == pytest.approx(urgency_risk_aversion("high", notional))
    assert plan["chosen"] == plan["levels"]["high"]
    assert len(plan["frontier"]) == 28 and len(plan["schedule"]) == 30
    assert sum(s["qty"] for s in plan["schedule"]) == pytest.approx(2.0)
    assert plan["schedule"][0]["qty"] > plan["schedule"][-1]["qty"]
    created = AuditEvent.objects.get(action="parent.created", parent_order_id=parent.pk)
    assert created.payload["urgency"] == "high" and created.payload["risk_aversion"] is None


def test_the_frozen_lambda_gives_the_closed_form_plan_and_high_front_loads_more(alice):
    first = {}
    for urgency in ("low", "high"):
        parent = _create(alice, urgency=urgency)
        parent_order_start(parent_id=parent.pk, user=alice)
        parent.refresh_from_db()
        p = parent.strategy_params
        mid = float(parent.decision_price)  # the paper market has not moved between creation and start
        assert p["urgency"] == urgency
        assert p["risk_aversion"] == pytest.approx(urgency_risk_aversion(urgency, 2.0 * mid), rel=1e-3)
        expected = ISInputs(quantity=2.0, mid=mid, horizon_s=1800, interval_s=60, sigma=p["sigma"], eta=p["eta"],
                            gamma=p["gamma"], epsilon=p["epsilon"]).plan(p["risk_aversion"])
        schedule = strategy_of(parent).schedule(2.0, 0.0)
        assert [s.quantity for s in schedule] == pytest.approx(expected.trades, rel=1e-9)
        assert p["kappa_t"] == pytest.approx(expected.kappa * 1800)
        first[urgency] = schedule[0].quantity
    assert first["high"] > first["low"] > 2.0 / 30 * 0.99


def test_a_risk_aversion_given_directly_is_the_plans_lambda(alice):
    parent = _create(alice, risk_aversion="0.00001")
    assert parent.urgency == "" and parent.risk_aversion == pytest.approx(1e-5)
    assert parent.pretrade["is_plan"]["urgency"] == "custom"
    parent_order_start(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.strategy_params["risk_aversion"] == pytest.approx(1e-5)
    assert strategy_of(parent).config.lam == pytest.approx(1e-5)


def test_without_urgency_an_is_order_is_medium(alice):
    parent = _create(alice)
    assert parent.pretrade["is_plan"]["urgency"] == "medium"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strategy": "twap", "urgency": "high"}, "urgency applies to the IS strategy only, not to 'twap'"),
    ({"strategy": "pov", "risk_aversion": "0.001"}, "risk aversion applies to the IS strategy only"),
    ({"urgency": "urgent"}, "urgency must be one of low, medium, high, got 'urgent'"),
    ({"urgency": "low", "risk_aversion": "0.001"}, "give either an urgency or a risk aversion, not both"),
    ({"risk_aversion": "-0.5"}, "risk_aversion must be a finite number >= 0"),
    ({"risk_aversion": "1e-5"}, "risk aversion '1e-5' is not a plain decimal"),
])
def test_bad_urgency_input_is_refused_naming_it(alice, kwargs, message):
    kwargs = {"strategy": "is", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        parent_order_create(user=alice, **IS_ORDER, **kwargs)
    assert not ParentOrder.objects.exists()


def test_the_form_creates_an_is_order_with_its_urgency_and_the_page_draws_the_frontier(client, alice):
    client.force_login(alice)
    form = {**IS_ORDER, "strategy": "is", "approval_mode": "manual", "venue": "paper", "urgency": "low"}
    response = client.post(reverse("desk:order_create"), form)
    assert response.status_code == 302, response.content[:500]
    parent = ParentOrder.objects.get()
    assert parent.urgency == "low"
    page = client.get(reverse("desk:order", kwargs={"order_id": parent.pk})).content.decode()
    assert 'id="is-frontier"' in page and 'id="is-frontier-chosen"' in page and 'id="is-plan-schedule"' in page
    assert "low ·" in page


def test_the_form_refuses_urgency_on_twap_with_a_400_naming_it(client, alice):
    client.force_login(alice)
    form = {**IS_ORDER, "strategy": "twap", "approval_mode": "manual", "venue": "paper", "urgency": "high"}
    response = client.post(reverse("desk:order_create"), form)
    assert response.status_code == 400
    assert "urgency applies to the IS strategy only" in response.content.decode()
    assert not ParentOrder.objects.exists()
