"""`verify_audit` compares every column that matters to money, ownership or authority with what the trail
recorded — not only quantities, prices and statuses: a raw-SQL edit of an order's side, decision price or
owner, a forged four-eyes approval, a child order's side or venue, a proposal's decider, a fill's time… is
named (table, id, field, recorded vs current), and the desk's own changes still match."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execdesk.desk.audit.crosscheck import audit_crosscheck
from execdesk.desk.models import ChildOrder, Fill, ParentOrder, Proposal
from execdesk.desk.services.parent_orders import parent_order_create, parent_order_mode_set
from tests.desk.audit_chain import build_chain, sql_update, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(alice, make_order, proposal_for, django_capture_on_commit_callbacks) -> dict:
    parent = make_order()
    proposals = build_chain(parent, trader=alice, proposal_for=proposal_for,
                            capture=django_capture_on_commit_callbacks)
    fill = Fill.objects.get(parent=parent)
    return {"parent": ParentOrder.objects.get(pk=parent.pk), "fill": fill, "child": fill.child, **proposals}



def named(out: str, table: str, pk: int, field: str, recorded: object, current: object) -> bool:
    return f"{table} #{pk} {field}: recorded {recorded} (event #" in out and f"current {current}" in out


def test_an_orders_side_decision_price_and_owner_changed_are_named(order, bob):
    parent, alice_id = order["parent"], order["parent"].created_by_id
    forged_price = parent.decision_price + 5000
    sql_update(ParentOrder, parent.pk, side="sell", decision_price=forged_price, created_by=bob.pk)
    status, out = verify()
    assert status == 1
    assert named(out, "parentorder", parent.pk, "side", "buy", "sell")
    assert named(out, "parentorder", parent.pk, "decision_price", f"{parent.decision_price.normalize():f}",
                 f"{forged_price.normalize():f}")
    assert named(out, "parentorder", parent.pk, "created_by", alice_id, bob.pk)


def test_a_forged_four_eyes_approval_is_named(order, bob):
    parent = order["parent"]
    sql_update(ParentOrder, parent.pk, start_approved_by=bob.pk, start_approved_at=timezone.now())
    status, out = verify()
    assert status == 1
    assert named(out, "parentorder", parent.pk, "start_approved_by", None, bob.pk)
    assert f"parentorder #{parent.pk} start_approved_at: recorded None (event #" in out


def test_an_orders_mode_cap_venue_symbol_strategy_and_limits_changed_are_named(order):
    parent = order["parent"]
    sql_update(ParentOrder, parent.pk, approval_mode="autopilot", auto_cap_notional=Decimal("9999999"),
               venue="bybit", symbol="ETHUSDT", strategy="vwap", limits_raised={"by": "alice", "reason": "x"},
               rate=4.0, proposal_ttl_seconds=3600)
    out = verify()[1]
    assert named(out, "parentorder", parent.pk, "approval_mode", "manual", "autopilot")
    assert named(out, "parentorder", parent.pk, "auto_cap_notional", "0", "9999999")
    assert named(out, "parentorder", parent.pk, "venue", "paper", "bybit")
    assert named(out, "parentorder", parent.pk, "symbol", "BTCUSDT", "ETHUSDT")
    assert named(out, "parentorder", parent.pk, "strategy", "twap", "vwap")
    assert named(out, "parentorder", parent.pk, "limits_raised", "{}", '{"by": "alice", "reason": "x"}')
    assert f"parentorder #{parent.pk} rate: recorded 1.0 (event #" in out
    assert f"parentorder #{parent.pk} proposal_ttl_seconds: recorded " in out


def test_a_child_orders_side_venue_type_and_time_in_force_changed_are_named(order):
    child = order["child"]
    sql_update(ChildOrder, child.pk, side="sell", venue="bybit", order_type="limit", tif="GTC", symbol="ETHUSDT")
    out = verify()[1]
    assert named(out, "childorder", child.pk, "side", "buy", "sell")
    assert named(out, "childorder", child.pk, "venue", "paper", "bybit")
    assert named(out, "childorder", child.pk, "order_type", "market", "limit")
    assert named(out, "childorder", child.pk, "tif", child.tif, "GTC")
    assert named(out, "childorder", child.pk, "symbol", "BTCUSDT", "ETHUSDT")


def test_a_proposals_decider_and_authority_changed_are_named(order, bob):
    rejected, overridden = (Proposal.objects.get(pk=order[name].pk) for name in ("rejected", "overridden"))
    sql_update(Proposal, rejected.pk, decided_by=bob.pk)
    sql_update(Proposal, overridden.pk, risk_blocked=not overridden.risk_blocked, final_order_type="limit",
               action="cancel")
    out = verify()[1]
    assert named(out, "proposal", rejected.pk, "decided_by", rejected.decided_by_id, bob.pk)
    assert named(out, "proposal", overridden.pk, "risk_blocked", overridden.risk_blocked,
                 not overridden.risk_blocked)
    assert named(out, "proposal", overridden.pk, "final_order_type", "market", "limit")
    assert named(out, "proposal", overridden.pk, "action", overridden.action, "cancel")


def test_a_fills_time_liquidity_and_fee_currency_changed_are_named(order):
    fill = order["fill"]
    sql_update(Fill, fill.pk, ts=fill.ts - timedelta(hours=1), liquidity="maker", fee_currency="BTC")
    status, out = verify()
    assert status == 1
    assert f"fill #{fill.pk} ts: recorded " in out
    assert named(out, "fill", fill.pk, "liquidity", fill.liquidity, "maker")
    assert named(out, "fill", fill.pk, "fee_currency", fill.fee_currency, "BTC")


def test_the_desks_own_approval_limit_raise_and_mode_change_match_the_trail(alice, bob, make_order):
    make_order(quantity="5", approver=bob)  # above four-eyes: bob approves it, alice starts it
    raised = parent_order_create(user=bob, symbol="BTCUSDT", side="sell", quantity="40", horizon_seconds=600,
                                 raise_limits_reason="client block")
    parent_order_mode_set(parent_id=raised.pk, user=bob, approval_mode="auto_within_limits",
                          auto_cap_notional="5000", reason="quiet market")
    result = audit_crosscheck()
    assert result.ok, [m.describe() for m in result.mismatches]
    assert ParentOrder.objects.exclude(start_approved_by=None).count() == 1
