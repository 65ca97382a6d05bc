"""What is due, one rule for the desk and the backtest (execdesk.engine.pacing)."""

from __future__ import annotations

from execdesk.domain.market import Trade
from execdesk.engine.pacing import RateWindow, VolumeSinceOrder, next_step_due, outlived


def test_an_order_placed_exactly_one_interval_ago_has_outlived_it() -> None:
    placed = [("a", 100.0), ("b", 110.0), ("c", 114.9)]
    assert outlived(placed, now=115.0, interval_s=15.0) == ["a"]
    assert outlived(placed, now=125.0, interval_s=15.0) == ["a", "b"]


def test_the_next_step_is_one_interval_after_the_later_of_proposal_and_order() -> None:
    assert next_step_due(last_proposal_at=None, last_order_at=None, interval_s=30, min_order_gap_s=2) is None
    assert next_step_due(last_proposal_at=100.0, last_order_at=None, interval_s=30, min_order_gap_s=2) == 130.0
    # a slow approval: the order came 20 s after its proposal, the next step waits a whole interval after it
    assert next_step_due(last_proposal_at=100.0, last_order_at=120.0, interval_s=30, min_order_gap_s=2) == 150.0
    # never sooner than the risk gate's minimum gap between orders
    assert next_step_due(last_proposal_at=100.0, last_order_at=100.0, interval_s=1, min_order_gap_s=2) == 102.0


def test_orders_count_towards_the_rate_for_one_minute_inclusive() -> None:
    rate = RateWindow()
    for ts in (0.0, 15.0, 30.0, 45.0):
        rate.sent(ts)
    assert rate.count(60.0) == 4  # the order sent 60 s ago still counts (the desk's `created_at >= now - 60`)
    assert rate.count(60.5) == 3
    assert rate.count(200.0) == 0


def test_the_volume_since_our_order_counts_the_prints_after_it() -> None:
    volume = VolumeSinceOrder()
    volume.prints([Trade(ts=1.0, price=100.0, qty=0.5, side="buy"), Trade(ts=2.0, price=100.0, qty=0.25, side="sell")])
    assert volume.volume == 0.75
    volume.order_sent()
    volume.prints([Trade(ts=3.0, price=100.0, qty=1.0, side="buy")])
    assert volume.volume == 1.0


def test_the_prints_and_the_simulators_volume_count_agree_as_the_strategies_see_them() -> None:
    from execdesk.engine.pacing import volume_figure
    from execdesk.market.sim import SimMarket

    market = SimMarket.create("BTCUSDT", seed=7, start_ts=1_767_619_800.0)
    for _ in range(40):
        since = market.ts
        volume = VolumeSinceOrder()
        volume.prints(market.advance_to(since + 15))
        assert volume.volume == volume_figure(market.volume_between(since, market.ts))
