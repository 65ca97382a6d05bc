"""One unreadable row never stops HALT: an order whose row (or whose child order's row) holds a number the
database driver cannot convert is reported (audit + log) and its pending proposals still withdrawn, while the
desk state commits and every other order's child orders are cancelled — never a 500."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from execdesk.desk.models import AuditEvent, ChildOrder, DeskState, Proposal
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.proposals import proposal_override
from tests.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db


def _resting(alice, parent, proposal, capture) -> ChildOrder:
    below = str(round(float(proposal.market["best_bid"]) * 0.995, 1))  # 50 bps under the bid: it rests
    with capture(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.01", order_type="limit",
                          limit_price=below, reason="rest below the market")
    child = ChildOrder.objects.get(proposal=proposal)
    assert child.status == "submitted"
    return child


def _break(table: str, pk: int) -> None:
    """Make a row the database driver cannot read back. SQLite: what a write without validation left behind
    (issue 13), 1e30 in a decimal(28, 10) column. PostgreSQL refuses that number, but stores an 'infinity'
    timestamp, which psycopg cannot turn into a datetime."""
    column, value = ("quantity", "1e30") if table == "desk_childorder" else ("auto_cap_notional", "1e30")
    if connection.vendor == "postgresql":
        column, value = "created_at", "'infinity'"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {value} WHERE id = %s", [pk])


@pytest.fixture
def desk(alice, make_order, proposal_for, django_capture_on_commit_callbacks):
    """Four working orders: two with a resting child order, one broken row, one with a broken child row
    (each of the broken ones also has a pending proposal)."""
    capture = django_capture_on_commit_callbacks
    sound = [make_order() for _ in range(2)]
    children = [_resting(alice, p, proposal_for(p), capture) for p in sound]
    broken_order = make_order()
    broken_pending = proposal_for(broken_order)
    _break("desk_parentorder", broken_order.pk)
    child_broken = make_order()
    broken_child = _resting(alice, child_broken, proposal_for(child_broken), capture)
    _break("desk_childorder", broken_child.pk)
    return {"children": children, "broken": broken_order.pk, "pending": broken_pending.pk,
            "child_broken": child_broken.pk}


def test_a_halt_goes_through_an_unreadable_order_and_reports_it(bob, desk, caplog):
    with caplog.at_level(logging.ERROR, logger="execdesk.desk.services.desk_state"):
        desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")
    assert DeskState.objects.get().trading_state == "HALTED"
    assert all(ChildOrder.objects.get(pk=c.pk).status == "cancelled" for c in desk["children"])
    assert Proposal.objects.get(pk=desk["pending"]).status == "superseded"
    assert not Proposal.objects.filter(status="pending").exists()
    halt = AuditEvent.objects.get(action="desk.trading_state")
    assert halt.payload["child_orders_cancelled"] == 2
    assert [f["order_id"] for f in halt.payload["orders_failed"]] == [desk["broken"], desk["child_broken"]]
    failed = AuditEvent.objects.filter(action="desk.order_settle_failed").order_by("id")
    assert [e.parent_order_id for e in failed] == [desk["broken"], desk["child_broken"]]
    assert failed[0].payload["proposals_withdrawn"] == [desk["pending"]]
    assert f"order {desk['broken']} could not be settled" in caplog.text


def test_the_halt_endpoint_answers_200_not_500_with_an_unreadable_order(bob, desk):
    halted = Api(token_for(bob)).post("/api/desk/state", {"state": "HALTED", "reason": "exchange incident"})
    assert halted.status_code == 200, halted.content
    assert halted.json()["trading_state"] == "HALTED"
    resumed = Api(token_for(bob)).post("/api/desk/state", {"state": "ACTIVE", "reason": "incident over"})
    assert resumed.status_code == 200 and DeskState.objects.get().trading_state == "ACTIVE"
