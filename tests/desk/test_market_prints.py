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


def test_a_print_with_a_venue_trade_id_is_kept_once_however_often_it_is_delivered(make_order):
    parent = make_order()
    start = parent.started_at.timestamp()
    first = Trade(start + 1, 65_010.0, 0.5, "buy", "bybit-1")
    second = Trade(start + 2, 65_020.0, 1.0, "sell", "bybit-2")
    assert market_prints_record("paper", "BTCUSDT", [first, first, second]) == 2
    assert market_prints_record("paper", "BTCUSDT", [first]) == 0  # a second delivery, a tick later
    assert list(MarketPrint.objects.order_by("ts").values_list("trade_id", flat=True)) == ["bybit-1", "bybit-2"]
    same_without_id = Trade(start + 3, 65_030.0, 1.0, "buy")
    assert market_prints_record("paper", "BTCUSDT", [same_without_id, same_without_id]) == 2  # the simulator's


def test_prints_between_an_ended_orders_end_and_the_next_orders_start_are_not_kept(make_order):
    ended = make_order()
    ParentOrder.objects.filter(pk=ended.pk).update(status="CANCELLED", started_at=timezone.now() - timedelta(seconds=20),
                                                   ended_at=timezone.now() - timedelta(seconds=10))
    end = ParentOrder.objects.get(pk=ended.pk).ended_at.timestamp()
    late = Trade(end - 1, 65_000.0, 1.0, "buy", "late")  # in the ended order's window, delivered after its end
    gap = Trade(end + 1, 65_010.0, 1.0, "buy", "gap")
    assert market_prints_record("paper", "BTCUSDT", [late, gap]) == 1
    working = make_order()
    inside = Trade(working.started_at.timestamp() + 0.5, 65_020.0, 1.0, "buy", "inside")
    assert market_prints_record("paper", "BTCUSDT", [gap, inside]) == 1
    assert list(MarketPrint.objects.order_by("ts").values_list("trade_id", flat=True)) == ["late", "inside"]


def test_the_tick_records_evidence_for_the_symbols_of_orders_ended_a_moment_ago(make_order):
    from execdesk.desk.services.market_prints import KEEP_AFTER_END_S, market_evidence_symbols

    parent = make_order(symbol="ETHUSDT")
    assert market_evidence_symbols("paper") == {"ETHUSDT"}
    ParentOrder.objects.filter(pk=parent.pk).update(status="CANCELLED", ended_at=timezone.now())
    assert market_evidence_symbols("paper") == {"ETHUSDT"}  # its last markouts and prints are still to come
    ParentOrder.objects.filter(pk=parent.pk).update(
        ended_at=timezone.now() - timedelta(seconds=KEEP_AFTER_END_S + 1))
    assert market_evidence_symbols("paper") == set()
