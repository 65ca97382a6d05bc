"""HALT is one gate: while the desk is halted no proposal is made (no blocked one with its toast either, and no
question to Claude), no parent order is created or started — through the services, the API (409 naming who
halted, when and why), the pages and `manage.py execute`; the supervisor's resume opens the gate again. REDUCING admits only a new
order that reduces the desk's net position in its symbol."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from execdesk.desk.models import AdvisorQuery, AuditEvent, ParentOrder, Proposal, QueryKind, QueryStatus
from execdesk.desk.services.advice import advisor_query_run
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.execution import execution_step
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_start
from execdesk.desk.services.trading_gate import TradingRefused
from tests.advisors.claude_support import answer_with, claude_env  # noqa: F401  (fixture)
from tests.api.conftest import ORDER, Api, token_for

pytestmark = pytest.mark.django_db

HALTED_BY_BOB = r"the desk is HALTED by bob at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(exchange incident\)"


def _halt(bob) -> None:
    desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")


def test_no_proposal_at_all_is_made_while_the_desk_is_halted(alice, bob, make_order):
    parent = make_order()
    _halt(bob)
    assert execution_step(parent_id=parent.pk) is None
    assert not Proposal.objects.filter(parent=parent).exists()
    assert not AuditEvent.objects.filter(action="proposal.created").exists()
    desk_trading_state_set(user=bob, state="ACTIVE", reason="incident over")
    proposal = execution_step(parent_id=parent.pk)
    assert proposal is not None and not proposal.risk_blocked


def test_a_trader_cannot_create_an_order_while_the_desk_is_halted(alice, bob):
    _halt(bob)
    with pytest.raises(TradingRefused, match="creating a parent order refused: " + HALTED_BY_BOB):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600)
    assert not ParentOrder.objects.exists()


def test_a_trader_cannot_start_an_order_while_the_desk_is_halted(alice, bob, make_order):
    parent = make_order(start=False)
    _halt(bob)
    with pytest.raises(TradingRefused, match=f"starting order {parent.pk} refused: " + HALTED_BY_BOB):
        parent_order_start(parent_id=parent.pk, user=alice)
    parent.refresh_from_db()
    assert parent.status == "INITIALIZED" and parent.started_at is None
    desk_trading_state_set(user=bob, state="ACTIVE", reason="incident over")
    assert parent_order_start(parent_id=parent.pk, user=alice).status == "ACTIVE"


def test_the_api_refuses_create_and_start_with_a_409_naming_the_halt(alice, bob, make_order):
    api = Api(token_for(alice))
    waiting = make_order(start=False)
    _halt(bob)
    created = api.post("/api/orders", ORDER)
    assert created.status_code == 409, created.json()
    assert created.json()["detail"].startswith("creating a parent order refused: the desk is HALTED by bob at ")
    assert "(exchange incident)" in created.json()["detail"]
    started = api.post(f"/api/orders/{waiting.pk}/start")
    assert started.status_code == 409 and "HALTED by bob" in started.json()["detail"]
    assert ParentOrder.objects.count() == 1 and ParentOrder.objects.get().status == "INITIALIZED"


def test_the_pages_show_the_refusal(client, alice, bob, make_order):
    waiting = make_order(start=False)
    _halt(bob)
    client.force_login(alice)
    form = {"venue": "paper", "symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": 600,
            "strategy": "twap", "approval_mode": "manual", "auto_cap_notional": "0", "randomise_pct": "0"}
    page = client.post(reverse("desk:order_create"), form)
    assert page.status_code == 400
    assert "Order not created: creating a parent order refused: the desk is HALTED by bob" in page.content.decode()
    start = client.post(reverse("desk:order_action", args=[waiting.pk, "start"]), HTTP_ACCEPT="application/json")
    assert start.status_code == 409 and "refused: the desk is HALTED by bob" in start.json()["error"]
    assert ParentOrder.objects.count() == 1


def test_the_execute_command_is_refused_naming_the_halt(alice, bob):
    _halt(bob)
    with pytest.raises(CommandError, match="creating a parent order refused: " + HALTED_BY_BOB):
        call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "0.05", "--horizon", "300",
                     "--user", "alice", stdout=StringIO(), stderr=StringIO())
    assert not ParentOrder.objects.exists()


def test_reducing_admits_only_a_new_order_that_reduces_the_net_position(alice, bob, make_order):
    long = make_order(start=False)
    ParentOrder.objects.filter(pk=long.pk).update(executed_qty="0.3")  # the desk is long 0.3 BTC
    desk_trading_state_set(user=bob, state="REDUCING", reason="risk limit reached")
    with pytest.raises(TradingRefused, match=r"the desk is REDUCING .* a buy against a net position of \+0\.3"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.1", horizon_seconds=600)
    sell = parent_order_create(user=alice, symbol="BTCUSDT", side="sell", quantity="0.2", horizon_seconds=600)
    assert parent_order_start(parent_id=sell.pk, user=alice).status == "ACTIVE"


def test_a_question_for_claude_asked_just_before_the_halt_is_not_sent(alice, bob, claude_env, settings):  # noqa: F811
    answer_with(claude_env)
    settings.EXECDESK = {**settings.EXECDESK, "ADVISOR_RUNNER": "celery"}  # the test runs the question itself
    parent = parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=1800,
                                 advisor="anthropic")
    parent_order_start(parent_id=parent.pk, user=alice)
    assert execution_step(parent_id=parent.pk) is None  # asks first
    question = AdvisorQuery.objects.get(parent=parent, kind=QueryKind.DECISION)
    asked = len(claude_env.requests)
    _halt(bob)
    advisor_query_run(query_id=question.pk)
    question.refresh_from_db()
    assert len(claude_env.requests) == asked, "a question was sent to Claude while the desk was halted"
    assert (question.status, question.error_kind, question.use) == (QueryStatus.FAILED, "halted", "stale")
    assert execution_step(parent_id=parent.pk) is None and not Proposal.objects.exists()
