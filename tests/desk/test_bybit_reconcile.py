"""Reconciliation matches Bybit's orders and executions to our child orders by orderLinkId, fixes every
difference and audits it; a desk halt cancels every open ExecDesk order on Bybit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import AuditEvent, ChildOrder, Fill
from execdesk.desk.services.desk_state import desk_trading_state_set
from execdesk.desk.services.proposals import proposal_override
from execdesk.desk.services.reconcile import venue_reconcile
from execdesk.domain.orders import OrderRequest, OrderType, Side, TimeInForce

pytestmark = pytest.mark.django_db


def _child(parent, proposal, alice, captured, *, order_type="limit", price=None, qty="0.02"):
    """The human's decision made into a child order; `captured` runs (or withholds) the submit task."""
    with captured(execute=False) as callbacks:
        proposal_override(proposal_id=proposal.pk, user=alice, quantity=qty, order_type=order_type,
                          limit_price=price, tif="GTC", reason="test")
    return ChildOrder.objects.get(parent=parent), callbacks


def _place(link: str, *, price: Decimal | None, qty="0.02", order_type=OrderType.LIMIT):
    """What a worker sends to Bybit: the same request the desk builds, through the real client."""
    return bybit_link.bybit_venue("BTCUSDT").place(OrderRequest(
        order_link_id=link, symbol="BTCUSDT", side=Side.BUY, order_type=order_type, qty=Decimal(qty),
        price=price, tif=TimeInForce.GTC))


def test_an_order_sent_by_a_worker_that_died_before_the_answer_is_adopted(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit")
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    child, _ = _child(parent, proposal_for(parent), alice, django_capture_on_commit_callbacks, price=str(bid))
    # The worker claimed the child and sent it; Bybit accepted it; the worker died before recording it.
    ChildOrder.objects.filter(pk=child.pk).update(send_started_at=timezone.now())
    _place(child.order_link_id, price=bid)
    bybit_desk.trade_through("BTCUSDT", str(bid), "0.01")

    summary = venue_reconcile(trigger="worker start")

    child.refresh_from_db()
    assert summary["adopted"] == [child.order_link_id]
    assert child.status == "partially_filled" and child.filled_qty == Decimal("0.01")
    assert Fill.objects.filter(child=child).count() == 1
    assert AuditEvent.objects.filter(action="reconcile.adopted", object_id=str(child.pk)).exists()
    assert AuditEvent.objects.filter(action="venue.reconciled", payload__trigger="worker start").exists()
    assert len(bybit_desk.venue.orders) == 1


def test_a_claimed_child_bybit_never_received_ends_cancelled_after_the_grace_period(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit")
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    child, _ = _child(parent, proposal_for(parent), alice, django_capture_on_commit_callbacks, price=str(bid))
    ChildOrder.objects.filter(pk=child.pk).update(send_started_at=timezone.now() - timedelta(minutes=5))

    summary = venue_reconcile(trigger="scheduled")

    child.refresh_from_db()
    assert summary["never_sent"] == [child.order_link_id]
    assert child.status == "cancelled" and "never reached Bybit" in child.reject_reason
    parent.refresh_from_db()
    assert parent.status == "ACTIVE", "the quantity returns to the schedule"


def test_a_fill_the_desk_missed_is_recorded_by_reconciliation(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks, settings):
    settings.EXECDESK = {**settings.EXECDESK, "BYBIT_POLL_SECONDS": 3600.0}  # no polling: only reconciliation
    parent = make_order(venue="bybit")
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    child, callbacks = _child(parent, proposal_for(parent), alice, django_capture_on_commit_callbacks,
                              price=str(bid))
    for callback in callbacks:
        callback()
    child.refresh_from_db()
    assert child.status == "submitted"
    bybit_desk.trade_through("BTCUSDT", str(bid), "5")  # the stream message of this fill was lost

    summary = venue_reconcile(trigger="scheduled")

    child.refresh_from_db()
    [fixed] = summary["fixed"]
    assert fixed["order_link_id"] == child.order_link_id and len(fixed["missed_fills"]) == 1
    assert child.status == "filled" and child.filled_qty == Decimal("0.02")
    assert AuditEvent.objects.filter(action="reconcile.fixed", object_id=str(child.pk)).exists()
    assert venue_reconcile(trigger="scheduled")["fixed"] == [], "a second pass finds nothing to fix"


def test_an_orphan_execdesk_order_is_cancelled_and_a_foreign_order_is_left_alone(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit")
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    _child(parent, proposal_for(parent), alice, django_capture_on_commit_callbacks, price=str(bid))
    ChildOrder.objects.filter(parent=parent).update(send_started_at=timezone.now())
    _place("ED999-9-0123456789", price=bid)
    _place("manual-hedge-1", price=bid)

    summary = venue_reconcile(trigger="scheduled")

    assert summary["orphans_cancelled"] == ["ED999-9-0123456789"]
    assert bybit_desk.venue.order("ED999-9-0123456789").status == "Cancelled"
    assert bybit_desk.venue.order("manual-hedge-1").status == "New"
    event = AuditEvent.objects.get(action="venue.reconciled")
    assert event.payload["orphans_cancelled"] == ["ED999-9-0123456789"]


def test_a_desk_halt_cancels_every_open_execdesk_order_on_bybit(
        alice, bob, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit")
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    child, callbacks = _child(parent, proposal_for(parent), alice, django_capture_on_commit_callbacks,
                              price=str(bid))
    for callback in callbacks:
        callback()
    _place("ED999-9-0123456789", price=bid)  # an orphan from an earlier crash
    _place("manual-hedge-1", price=bid)

    with django_capture_on_commit_callbacks(execute=True):
        desk_trading_state_set(user=bob, state="HALTED", reason="exchange incident")

    child.refresh_from_db()
    assert child.status == "cancelled"
    assert bybit_desk.venue.order(child.order_link_id).status == "Cancelled"
    assert bybit_desk.venue.order("ED999-9-0123456789").status == "Cancelled"
    assert bybit_desk.venue.order("manual-hedge-1").status == "New", "orders ExecDesk did not place stay"
    sweep = AuditEvent.objects.get(action="venue.cancel_all")
    assert "ED999-9-0123456789" in sweep.payload["cancelled"]
