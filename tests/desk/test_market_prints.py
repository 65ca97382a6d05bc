"""The desk's TCA evidence (services/market_prints.py): the market's prints kept over working orders' windows
only, and each fill's mids 1, 10 and 60 s after it, recorded when the market passes those times."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from execdesk.desk.models import ChildOrder, Fill, MarketPrint, ParentOrder
from execdesk.desk.services.market_prints import fill_markouts_record, market_prints_record
from execdesk.desk.services.proposals import proposal_override
from execdesk.desk.services.tca import parent_tca
from execdesk.domain.market import MarketSnapshot, Trade

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(make_order, proposal_for, alice, django_capture_on_commit_callbacks):
    """A working order with one market slice filled through the desk's own path: (parent, fill)."""
    parent = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        proposal_override(proposal_id=proposal_for(parent).pk, user=alice, quantity="0.01", order_type="market",
                          reason="take liquidity now")
    [fill] = Fill.objects.filter(parent=parent)
    return ParentOrder.objects.get(pk=parent.pk), fill


def test_prints_are_kept_only_from_the_earliest_working_order_and_dropped_when_none_works(make_order):
    parent = make_order()
    start = parent.started_at.timestamp()
    kept = market_prints_record("paper", "BTCUSDT", [Trade(start - 5, 65_000.0, 1.0, "buy"),
                                                     Trade(start + 1, 65_010.0, 2.0, "sell")])
    assert kept == 1  # the print before the order started is not needed
    assert list(MarketPrint.objects.values_list("price", "qty")) == [(Decimal("65010"), Decimal("2"))]
    assert market_prints_record("paper", "ETHUSDT", [Trade(start + 1, 3_000.0, 1.0, "buy")]) == 0
    ended = timezone.now()
    ParentOrder.objects.filter(pk=parent.pk).update(status="CANCELLED", ended_at=ended)
    market_prints_record("paper", "BTCUSDT", [Trade(start + 2, 65_020.0, 1.0, "buy")])
    assert MarketPrint.objects.count() == 1  # kept for its last markouts' TCA refresh; nothing new recorded
    ParentOrder.objects.filter(pk=parent.pk).update(ended_at=ended - timedelta(seconds=121))
    market_prints_record("paper", "BTCUSDT", [])
    assert not MarketPrint.objects.exists()


def test_the_report_takes_market_vwap_and_twap_from_the_kept_prints(filled):
    parent, fill = filled
    start, end = parent.started_at.timestamp(), fill.ts.timestamp()
    span = end - start
    market_prints_record("paper", "BTCUSDT", [Trade(start, 64_990.0, 1.0, "buy"),
                                              Trade(start + span / 2, 65_020.0, 3.0, "sell")])
    market = MarketSnapshot(symbol="BTCUSDT", ts=end, mid=65_000.0, best_bid=64_999.5, best_ask=65_000.5,
                            bids=(), asks=(), volume_1h=1_000.0, volatility_1h=0.005)
    report = parent_tca(parent, market)
    assert report.market_vwap == pytest.approx((64_990 + 3 * 65_020) / 4)  # 65,012.5
    assert report.market_twap == pytest.approx((64_990 + 65_020) / 2)  # each price held half the window
    assert report.market_volume == pytest.approx(4.0)
    assert fill.mid == ChildOrder.objects.get(pk=fill.child_id).mid_at_send  # a taker fill: the mid it was sent at


def test_markout_mids_are_recorded_once_when_the_market_passes_each_time(filled):
    parent, fill = filled
    t = fill.ts.timestamp()
    assert fill_markouts_record("paper", "BTCUSDT", now=t + 0.5, mid=65_001.0) == set()  # nothing due yet
    assert fill_markouts_record("paper", "BTCUSDT", now=t + 1.2, mid=65_002.0) == {parent.pk}
    fill_markouts_record("paper", "BTCUSDT", now=t + 2.0, mid=65_003.0)  # 1 s already recorded: kept
    fill_markouts_record("paper", "BTCUSDT", now=t + 20.0, mid=65_004.0)  # 10 s mark passed 10 s ago: too late
    fill_markouts_record("paper", "BTCUSDT", now=t + 61.0, mid=65_005.0)
    fill.refresh_from_db()
    assert (fill.mid_1s, fill.mid_10s, fill.mid_60s) == (Decimal("65002"), None, Decimal("65005"))
