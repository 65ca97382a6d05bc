"""`verify_audit` cross-checks the desk's tables against the trail: a fill, child order, proposal or parent
order changed, inserted or deleted by raw SQL (the audit table untouched) is named — table, id, field,
what the trail recorded and what the row says now."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.desk.audit.crosscheck import audit_crosscheck
from execdesk.desk.models import ChildOrder, Fill, ParentOrder, Proposal
from tests.desk.audit_chain import build_chain, sql_delete_row, sql_update, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(alice, make_order, proposal_for, django_capture_on_commit_callbacks) -> dict:
    parent = make_order()
    proposals = build_chain(parent, trader=alice, proposal_for=proposal_for,
                            capture=django_capture_on_commit_callbacks)
    fill = Fill.objects.get(parent=parent)
    return {"parent": ParentOrder.objects.get(pk=parent.pk), "fill": fill, "child": fill.child, **proposals}



def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def test_the_trail_and_the_tables_agree_after_every_kind_of_decision(order):
    result = audit_crosscheck()
    assert result.ok, [m.describe() for m in result.mismatches]
    assert result.checked == {"fill": 1, "childorder": 1, "proposal": 4, "parentorder": 1}


def test_a_fill_price_changed_by_raw_sql_is_named(order):
    fill = order["fill"]
    sql_update(Fill, fill.pk, price=Decimal("1.5"))
    status, out = verify()
    assert status == 1
    assert f"fill #{fill.pk} price: recorded {_fmt(fill.price)} (event #" in out and ", current 1.5" in out


def test_a_fill_quantity_changed_shows_in_the_fill_its_child_and_its_parent(order):
    fill, child, parent = order["fill"], order["child"], order["parent"]
    for model, pk, column in ((Fill, fill.pk, "qty"), (ChildOrder, child.pk, "filled_qty"),
                              (ParentOrder, parent.pk, "executed_qty")):
        sql_update(model, pk, **{column: fill.qty * 2})
    out = verify()[1]
    doubled = _fmt(fill.qty * 2)
    assert f"fill #{fill.pk} qty: recorded {_fmt(fill.qty)}" in out and f"current {doubled}" in out
    assert f"childorder #{child.pk} filled_qty: recorded {_fmt(fill.qty)}" in out
    assert f"parentorder #{parent.pk} executed_qty: recorded {_fmt(fill.qty)}" in out


def test_a_child_order_price_and_status_changed_are_named(order):
    child = order["child"]
    sql_update(ChildOrder, child.pk, price=Decimal("12345"), status="cancelled")
    out = verify()[1]
    assert f"childorder #{child.pk} price: recorded None (event #" in out and "current 12345" in out
    assert f"childorder #{child.pk} status: recorded {child.status} (event #" in out and "current cancelled" in out


def test_a_proposal_decision_and_terms_changed_are_named(order):
    rejected, approved = order["rejected"], order["approved"]
    sql_update(Proposal, rejected.pk, status="approved")
    sql_update(Proposal, approved.pk, quantity=approved.quantity + 1)
    out = verify()[1]
    assert f"proposal #{rejected.pk} status: recorded rejected (event #" in out and "current approved" in out
    assert (f"proposal #{approved.pk} quantity: recorded {_fmt(approved.quantity)} (event #" in out
            and f"current {_fmt(approved.quantity + 1)}" in out)


def test_parent_totals_changed_are_named(order):
    parent = order["parent"]
    sql_update(ParentOrder, parent.pk, avg_price=Decimal("1"), fees=Decimal("0"), quantity=Decimal("7"))
    out = verify()[1]
    assert f"parentorder #{parent.pk} avg_price: recorded {_fmt(parent.avg_price)} (event #" in out
    assert f"parentorder #{parent.pk} fees: recorded {_fmt(parent.fees)}" in out
    assert f"parentorder #{parent.pk} quantity: recorded {_fmt(parent.quantity)}" in out and "current 7" in out


def test_a_fill_inserted_or_deleted_past_the_desk_is_named(order):
    fill = order["fill"]
    extra = Fill.objects.create(child=fill.child, parent=fill.parent, exec_id="forged-1", qty=fill.qty,
                                price=fill.price, fee=fill.fee, fee_currency="USDT", liquidity="taker", ts=fill.ts)
    out = verify()[1]
    assert f"fill #{extra.pk}: in the table but not in the audit trail — inserted past the desk" in out
    sql_delete_row(Fill, extra.pk)
    sql_delete_row(Fill, fill.pk)
    status, out = verify()
    assert status == 1 and f"fill #{fill.pk}: recorded in the trail (event #" in out and "the row is gone" in out
