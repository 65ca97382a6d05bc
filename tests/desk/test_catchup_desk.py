"""On the desk a backlog of unanswered proposals never snowballs: after five intervals nobody answered, TWAP
proposes twice its slice (the default cap), not six slices, and the proposal says how far behind the order is.
The cap is `max_catchup` in the API and the form, `--max-catchup` in `manage.py execute`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import AuditEvent, ParentOrder, ProposalStatus
from execdesk.desk.services.execution import execution_step
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db

QTY, HORIZON_S, INTERVAL_S = "1.2", 600, 60  # TWAP: 10 slices of 0.12 BTC, one a minute




def _behind_proposal(make_order, clock, **kw):
    parent = make_order(quantity=QTY, horizon=HORIZON_S, interval=INTERVAL_S, **kw)
    for _ in range(5):  # a proposal an interval, each expiring unanswered
        proposal = execution_step(parent_id=parent.pk)
        assert proposal is not None
        clock.advance(INTERVAL_S)
        clock.tick()  # the worker's beat: expires what nobody answered
        assert ParentOrder.objects.get(pk=parent.pk).proposals.get(pk=proposal.pk).status == ProposalStatus.EXPIRED
    clock.advance(1)
    clock.tick()
    return parent, execution_step(parent_id=parent.pk)


def test_after_five_unanswered_intervals_twap_proposes_twice_its_slice_and_says_it_is_behind(clock, make_order):
    parent, proposal = _behind_proposal(make_order, clock)
    assert parent.max_catchup == 2.0
    assert proposal.quantity == Decimal("0.24") and proposal.baseline_qty == Decimal("0.24")
    assert "Behind schedule by 0.72 (6.0 scheduled slices of 0.12, 60.0 % of the order)" in proposal.reasoning
    assert "Catch-up capped at 2× the scheduled slice: 0.24 instead of 0.72" in proposal.reasoning


def test_an_order_with_a_cap_of_one_proposes_its_slice(clock, make_order):
    _, proposal = _behind_proposal(make_order, clock, max_catchup="1")
    assert proposal.quantity == Decimal("0.12")


def test_the_api_and_the_audit_carry_the_cap(alice):
    api = Api(token_for(alice))
    r = api.post("/api/orders", {**ORDER, "max_catchup": 3})
    assert r.status_code == 201 and r.json()["max_catchup"] == 3.0
    created = AuditEvent.objects.get(parent_order_id=r.json()["id"], action="parent.created")
    assert created.payload["max_catchup"] == 3.0
    assert api.post("/api/orders", ORDER).json()["max_catchup"] == 2.0
    bad = api.post("/api/orders", {**ORDER, "max_catchup": 0.5})
    assert bad.status_code == 422 and "max_catchup" in bad.content.decode()


def test_the_form_carries_the_cap(client, alice):
    client.force_login(alice)
    form = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": "600",
            "interval_seconds": "10", "strategy": "twap", "approval_mode": "manual", "max_catchup": "1.5"}
    assert client.post("/orders/new/", form).status_code == 302
    assert ParentOrder.objects.get().max_catchup == 1.5


def test_execute_names_a_bad_cap():
    with pytest.raises(CommandError, match=r"--max-catchup 0\.5: max_catchup must be a number from 1 to 100"):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.1", "--horizon", "60",
                     "--max-catchup", "0.5")
    with pytest.raises(CommandError, match="max_catchup must be a number from 1 to 100"):
        call_command("backtest", "--max-catchup", "0")
