"""Parent orders on Bybit run through the same services as on the paper venue: the market, the instrument
rules and the orders go through the real pybit client to the loopback Bybit server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import AuditEvent, ChildOrder, Fill
from execdesk.desk.services.errors import InvalidInput
from execdesk.desk.services.parent_orders import parent_order_create
from execdesk.desk.services.proposals import proposal_approve, proposal_override

pytestmark = pytest.mark.django_db

CREATE = "/v5/order/create"


def test_a_bybit_order_takes_its_decision_price_and_rules_from_bybit(alice, bybit_desk, make_order):
    parent = make_order(venue="bybit", start=False)
    mid = bybit_desk.venue.mid("linear", "BTCUSDT")
    assert parent.venue == "bybit"
    assert parent.decision_price == mid
    created = AuditEvent.objects.get(action="parent.created", parent_order_id=parent.pk)
    assert created.payload["venue"] == "bybit"
    with pytest.raises(InvalidInput, match="not a multiple of|step"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.0005", horizon_seconds=600,
                            venue="bybit")


def test_bybit_is_refused_with_the_reason_when_it_is_not_configured(alice, monkeypatch):
    for name in ("EXECDESK_BYBIT_API_KEY", "EXECDESK_BYBIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    bybit_link.link_reset()
    with pytest.raises(InvalidInput, match="Bybit is not configured: set EXECDESK_BYBIT_API_KEY"):
        parent_order_create(user=alice, symbol="BTCUSDT", side="buy", quantity="0.5", horizon_seconds=600,
                            venue="bybit")


def test_a_symbol_bybit_does_not_list_is_refused_by_name(alice, bybit_desk):
    with pytest.raises(InvalidInput, match="DOGEUSDT"):
        parent_order_create(user=alice, symbol="DOGEUSDT", side="buy", quantity="1", horizon_seconds=600,
                            venue="bybit")


def test_an_approved_market_slice_becomes_one_bybit_order_with_its_fills_and_fees(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit", quantity="0.5")
    proposal = proposal_for(parent)
    assert proposal.market["source"] == "bybit"
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.05", order_type="market",
                          reason="take it now")
    child = ChildOrder.objects.get(parent=parent)
    on_bybit = bybit_desk.venue.order(child.order_link_id)
    assert on_bybit is not None, "the child order reached Bybit under its orderLinkId"
    assert len(bybit_desk.requests_to(CREATE)) == 1
    assert child.status == "filled" and child.filled_qty == Decimal("0.05")
    fills = list(Fill.objects.filter(child=child))
    assert fills and sum(f.qty for f in fills) == Decimal("0.05")
    assert all(f.fee > 0 and f.fee_currency == "USDT" and f.liquidity == "taker" for f in fills)
    sent = AuditEvent.objects.get(action="child.sent", object_id=str(child.pk))
    assert sent.payload["venue"] == "bybit" and "TESTNET" in sent.payload["environment"].upper()
    parent.refresh_from_db()
    assert parent.executed_qty == Decimal("0.05") and parent.is_bps is not None


def test_a_resting_slice_fills_later_and_is_recorded_once_from_the_stream_and_from_polling(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    from execdesk.desk.services.live_orders import live_fill_arrived, live_poll_due

    parent = make_order(venue="bybit", quantity="0.5")
    proposal = proposal_for(parent)
    bid = bybit_desk.venue.books[("linear", "BTCUSDT")].best_bid()
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="limit",
                          limit_price=str(bid), tif="GTC", reason="rest at the bid")
    child = ChildOrder.objects.get(parent=parent)
    assert child.status == "submitted"
    bybit_desk.trade_through("BTCUSDT", str(bid), "5")
    [fill] = bybit_link.bybit_venue("BTCUSDT").executions(child.order_link_id)
    assert live_poll_due() == 1  # REST polling (the stream was down) records the execution
    live_fill_arrived(fill)  # then the private stream's message arrives
    live_fill_arrived(fill)  # twice (a reconnect replays it)
    child.refresh_from_db()
    assert Fill.objects.filter(exec_id=fill.exec_id).count() == 1
    assert child.status == "filled" and child.filled_qty == Decimal("0.02")
    assert AuditEvent.objects.filter(action="fill.recorded", payload__exec_id=fill.exec_id).count() == 1


def test_a_post_only_that_would_cross_is_repriced_at_the_touch_and_the_child_follows_it(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit", quantity="0.5")
    proposal = proposal_for(parent)
    book = bybit_desk.venue.books[("linear", "BTCUSDT")]
    ask, bid = book.best_ask(), book.best_bid()
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="post_only",
                          limit_price=str(ask), tif="GTC", reason="join passively")
    child = ChildOrder.objects.get(parent=parent)
    assert child.order_link_id.endswith("-r1") and child.price == bid and child.status == "submitted"
    repriced = AuditEvent.objects.get(action="child.repriced", object_id=str(child.pk))
    assert Decimal(repriced.payload["from_price"]) == ask


def test_an_order_whose_answer_is_lost_is_looked_up_and_never_sent_twice(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit", quantity="0.5")
    proposal = proposal_for(parent)
    bybit_desk.inject("lost_response", CREATE)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.05", order_type="market",
                          reason="take it now")
    child = ChildOrder.objects.get(parent=parent)
    assert [o.order_link_id for o in bybit_desk.venue.orders] == [child.order_link_id]
    assert child.status == "filled" and child.filled_qty == Decimal("0.05")


def test_bybits_rejection_is_shown_with_bybits_message(
        alice, bybit_desk, make_order, proposal_for, django_capture_on_commit_callbacks):
    parent = make_order(venue="bybit", quantity="0.5")
    proposal = proposal_for(parent)
    bybit_desk.venue.balances["USDT"] = Decimal("1")
    with django_capture_on_commit_callbacks(execute=True):
        proposal_approve(proposal_id=proposal.pk, user=alice)
    child = ChildOrder.objects.get(parent=parent)
    assert child.status == "rejected"
    assert "110007" in child.reject_reason or "balance" in child.reject_reason.lower()
