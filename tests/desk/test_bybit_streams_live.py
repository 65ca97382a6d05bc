"""The desk on Bybit with its streams live, as embedded mode runs it: proposals decide on the public
feed's snapshot, a resting child's fill arrives through the private stream (polling off) and is recorded
once, and a feed that falls silent makes the risk gate refuse aggressive orders."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from execdesk.desk.bybit import link as bybit_link
from execdesk.desk.models import ChildOrder, Fill
from execdesk.desk.services.live_orders import live_poll_due
from execdesk.desk.services.proposals import proposal_override
from execdesk.domain.proposals import Action

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, what: str, timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _pending(parent):
    return parent.proposals.filter(status="pending").order_by("-seq").first()


def test_a_resting_fill_arrives_through_the_private_stream_and_is_recorded_once(alice, bybit_live_desk,
                                                                                make_order):
    rest, ws = bybit_live_desk
    parent = make_order(venue="bybit", quantity="0.5")  # the start's first step runs at commit
    proposal = _wait(lambda: _pending(parent), "the first proposal")
    snapshot = bybit_link.link().store.get("BTCUSDT")
    assert snapshot is not None and snapshot.source == "bybit", "the feed publishes the market in-process"
    _wait(lambda: bybit_link.link().private_stream and bybit_link.link().private_stream[0].connected,
          "the private stream")
    bid = rest.venue.books[("linear", "BTCUSDT")].best_bid()
    proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="limit",
                      limit_price=str(bid), tif="GTC", reason="rest at the bid")
    child = ChildOrder.objects.get(parent=parent)
    assert child.status == "submitted"

    rest.trade_through("BTCUSDT", str(bid), "5")

    child = _wait(lambda: ChildOrder.objects.filter(pk=child.pk, status="filled").first(), "the streamed fill")
    [fill] = Fill.objects.filter(child=child)
    assert fill.qty == Decimal("0.02") and fill.fee > 0 and fill.fee_currency == "USDT"
    assert live_poll_due(force=True) == 0, "nothing left open to poll"
    assert Fill.objects.filter(child=child).count() == 1


def test_a_silent_feed_makes_the_gate_refuse_aggressive_orders(alice, bybit_live_desk, make_order):
    rest, ws = bybit_live_desk
    parent = make_order(venue="bybit", quantity="0.5")
    proposal = _wait(lambda: _pending(parent), "the first proposal")
    _wait(lambda: bybit_link.link().store.get("BTCUSDT") is not None, "the feed's first snapshot")
    ws.silence("BTCUSDT", category="linear")

    stale = _wait(lambda: (s := bybit_link.bybit_snapshot("BTCUSDT")).stale and s, "the stale mark", 10)
    assert stale.extra.get("stale_reason")

    from execdesk.desk.services.errors import RiskBlocked

    with pytest.raises(RiskBlocked, match="stale"):
        proposal_override(proposal_id=proposal.pk, user=alice, quantity="0.02", order_type="market",
                          reason="take it now")
    assert not ChildOrder.objects.filter(parent=parent).exists()
    assert proposal.action != Action.CANCEL
