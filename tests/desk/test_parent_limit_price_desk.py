"""The parent limit price on the desk: the step's proposal is a limit IOC at or inside it (never a market
order), or a WAIT when the market is beyond it; a trader's override to a market order or a worse price is
refused by the risk gate. `limit_price` in the API and the form, `--limit-price` in `manage.py execute`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import ParentOrder
from execdesk.desk.services.errors import RiskBlocked
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.market import market_snapshot
from execdesk.desk.services.proposals import proposal_override
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db


def _order(make_order, *, side: str, offset_bps: float) -> ParentOrder:
    mid = market_snapshot("BTCUSDT", "paper").mid
    sign = 1 if side == "buy" else -1
    parent = make_order(side=side, quantity="0.5", horizon=600, interval=60,
                        limit_price=str(round(mid * (1 + sign * offset_bps / 1e4), 1)))
    assert parent.limit_price is not None
    return parent


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_a_limit_through_the_market_is_proposed_as_a_limit_ioc_within_it(make_order, side):
    parent = _order(make_order, side=side, offset_bps=20)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.order_type == "limit" and proposal.tif == "IOC"
    assert (proposal.limit_price <= parent.limit_price) if side == "buy" else (proposal.limit_price >= parent.limit_price)
    assert "no fill may be" in proposal.reasoning and not proposal.risk_blocked


def test_a_market_beyond_the_limit_makes_the_step_wait(make_order):
    parent = _order(make_order, side="buy", offset_bps=-30)
    proposal = execution_step(parent_id=parent.pk)
    assert proposal.action == "WAIT" and "above the order's limit" in proposal.reasoning


def test_an_override_to_a_market_order_or_a_worse_price_is_refused(make_order, alice):
    parent = _order(make_order, side="buy", offset_bps=5)
    proposal = execution_step(parent_id=parent.pk)
    with pytest.raises(RiskBlocked, match="parent_limit: a market order could fill above the order's limit"):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.05", order_type="market",
                          reason="just buy it")
    worse = str(parent.limit_price + Decimal("10"))
    with pytest.raises(RiskBlocked, match="parent_limit"):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.05", order_type="limit",
                          limit_price=worse, tif="IOC", reason="pay up")


def test_the_api_and_the_form_carry_the_limit(alice, client):
    api = Api(token_for(alice))
    r = api.post("/api/orders", {**ORDER, "limit_price": "70000.5"})
    assert r.status_code == 201 and r.json()["limit_price"] == "70000.5"
    assert api.post("/api/orders", ORDER).json()["limit_price"] is None
    assert api.post("/api/orders", {**ORDER, "limit_price": "-1"}).status_code == 422
    client.force_login(alice)
    form = {"venue": "paper", "symbol": "BTCUSDT", "side": "sell", "quantity": "0.5", "horizon_seconds": "600",
            "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual", "limit_price": "60000"}
    assert client.post("/orders/new/", form).status_code == 302
    assert ParentOrder.objects.get(side="sell").limit_price == Decimal("60000")


def test_execute_names_a_bad_limit():
    with pytest.raises(CommandError, match="--limit-price abc: limit price 'abc' is not a number"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.1", "--horizon", "60",
                     "--limit-price", "abc")
