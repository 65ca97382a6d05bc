"""Each adaptive rule fires on its signal, with a reason that cites the figures it used.

The standard case: buy 1.0 over 600 s in 60 s slices, 125 s in: three slices (0.3) are due, 0.2 is
done, so the order is on schedule with the 0.1 slice due now. The market is calm and deep.
"""

import math

import pytest

from execdesk.domain.market import Level, MarketSnapshot, Trade
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.adaptive import AdaptiveConfig, AdaptiveStrategy
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.twap import TWAPConfig

START = 1_767_225_600.0
DECISION = 65_000.0


def _market(*, spread_bps: float = 0.5, mid: float = DECISION, bid_qty: float = 2.0, ask_qty: float = 2.0,
            volume_1m: float = 60.0, vol: float = 0.01, funding: float = 0.0001, oi: float = 0.0,
            trades: tuple[float, ...] = ()) -> MarketSnapshot:
    half = mid * spread_bps / 2e4
    return MarketSnapshot(symbol="BTCUSDT", ts=START, mid=mid, best_bid=mid - half, best_ask=mid + half,
                          bids=tuple(Level(mid - half - i, bid_qty / 5) for i in range(5)),
                          asks=tuple(Level(mid + half + i, ask_qty / 5) for i in range(5)),
                          last_trades=tuple(Trade(START, p, 0.01, "buy") for p in trades),
                          volume_1m=volume_1m, volatility_1h=vol, funding_rate=funding, oi_change_1h=oi)


def _decide(market: MarketSnapshot | None = None, *, executed: float = 0.2, elapsed: float = 125.0,
            side: Side = Side.BUY, horizon: float = 600.0, config: AdaptiveConfig | None = None):
    progress = OrderProgress(symbol="BTCUSDT", side=side, quantity=1.0, executed=executed, decision_price=DECISION,
                             started_at=START, deadline=START + horizon, now=START + elapsed)
    strategy = AdaptiveStrategy(TWAPConfig(horizon, 60.0), config)
    return strategy.decide(StepInput(progress=progress, market=market or _market(), interval_s=60.0))


def test_a_calm_balanced_market_on_schedule_posts_the_slice_due_at_the_touch():
    d = _decide()
    assert (d.action, d.quantity) == (Action.PASSIVE, pytest.approx(0.1))
    assert d.schedule_target == pytest.approx(0.3)
    assert "the book leans neither way beyond ±0.3 (depth imbalance +0.00)" in d.reason and "on schedule" in d.reason


def test_the_final_interval_crosses_with_everything_left_even_in_a_silent_market():
    d = _decide(_market(volume_1m=0.0, spread_bps=15.0), executed=0.5, elapsed=545.0)
    assert (d.action, d.quantity) == (Action.AGGRESSIVE, 0.5)
    assert "Final interval: 55 s left with 0.5 to go" in d.reason


def test_a_wide_spread_posts_instead_of_crossing():
    d = _decide(_market(spread_bps=15.0))
    assert (d.action, d.quantity) == (Action.PASSIVE, pytest.approx(0.1))
    assert "Spread 15.00 bps is wider than 10 bps" in d.reason


def test_a_wide_spread_with_nothing_due_waits():
    d = _decide(_market(spread_bps=15.0), executed=0.35)
    assert (d.action, d.quantity) == (Action.WAIT, 0.0)
    assert "wider than 10 bps and nothing is due" in d.reason


def test_high_funding_while_buying_waits_for_the_post_funding_pullback():
    d = _decide(_market(funding=0.0006))
    assert d.action is Action.WAIT
    assert "Funding 0.0600 % per 8 h is above 0.05 % while buying" in d.reason and "pullback" in d.reason


def test_high_funding_does_not_hold_back_a_buy_that_is_behind():
    d = _decide(_market(funding=0.0006), executed=0.0)
    assert d.action is Action.ACCELERATE
    assert "overdue" in d.reason


def test_negative_funding_while_buying_accelerates_by_one_even_slice():
    d = _decide(_market(funding=-0.0004))
    assert (d.action, d.quantity) == (Action.ACCELERATE, pytest.approx(0.2))
    assert "Funding -0.0400 % per 8 h is below -0.03 %" in d.reason


def test_sells_mirror_buys_on_funding():
    high = _decide(_market(funding=0.0006), side=Side.SELL)
    assert high.action is Action.ACCELERATE and "long squeeze" in high.reason
    low = _decide(_market(funding=-0.0004), side=Side.SELL)
    assert low.action is Action.WAIT and "bounce" in low.reason


def test_an_acceleration_never_takes_the_order_more_than_the_allowed_share_ahead():
    d = _decide(_market(funding=-0.0004), executed=0.35)  # 5 % ahead of the 0.3 due; 10 % allowed
    assert (d.action, d.quantity) == (Action.ACCELERATE, pytest.approx(0.05))
    at_limit = _decide(_market(funding=-0.0004), executed=0.4)
    assert at_limit.action is Action.WAIT and "ahead" in at_limit.reason


def test_falling_open_interest_while_the_price_moves_reduces_aggression():
    d = _decide(_market(oi=-0.02, mid=DECISION * 1.0015))
    assert (d.action, d.quantity) == (Action.DECELERATE, pytest.approx(0.05))
    assert "Open interest is falling (-2.00 % over 1 h) while the price moves (+15.0 bps" in d.reason
    still = _decide(_market(oi=-0.02, mid=DECISION * 1.0005))  # the price has barely moved
    assert still.action is Action.PASSIVE


def test_a_volatile_hour_reduces_aggression_unless_behind():
    d = _decide(_market(vol=0.04))
    assert (d.action, d.quantity) == (Action.DECELERATE, pytest.approx(0.05))
    assert "1-h volatility 4.00 % vs 3 %" in d.reason
    assert _decide(_market(vol=0.04), executed=0.0).action is Action.ACCELERATE


def test_jumpy_last_trades_reduce_aggression():
    d = _decide(_market(trades=(DECISION, DECISION * 1.002, DECISION * 0.9995)))
    assert d.action is Action.DECELERATE
    assert "last trades span 25.0 bps vs 15 bps" in d.reason


def test_rising_open_interest_with_the_price_moving_our_way_executes_steadily():
    d = _decide(_market(oi=0.02, mid=DECISION * 1.0015))
    assert (d.action, d.quantity) == (Action.AGGRESSIVE, pytest.approx(0.1))
    assert "trend is continuing" in d.reason and "Open interest is rising (+2.00 % over 1 h)" in d.reason
    # the same rise is not "our way" for a sale: no reason to hurry
    assert _decide(_market(oi=0.02, mid=DECISION * 1.0015), side=Side.SELL).action is Action.PASSIVE


def test_behind_schedule_accelerates_with_the_backlog_plus_a_slice():
    d = _decide(executed=0.0)  # 0.2 overdue, 0.1 due now
    assert (d.action, d.quantity) == (Action.ACCELERATE, pytest.approx(0.4))
    assert "More than 5 % of the order is overdue" in d.reason and "20.0 % of the order overdue" in d.reason


def test_the_slice_due_at_a_slice_start_is_not_counted_as_being_behind():
    d = _decide(executed=0.0, elapsed=0.0, horizon=300.0)  # 5 slices: the first 20 % is due now
    assert (d.action, d.quantity) == (Action.PASSIVE, pytest.approx(0.2))


def test_ahead_of_schedule_waits():
    d = _decide(executed=0.36)
    assert (d.action, d.quantity) == (Action.WAIT, 0.0)
    assert "6.0 % of the order ahead" in d.reason


def test_depth_leaning_against_a_buyer_takes_liquidity_and_posts_for_a_seller():
    book = _market(bid_qty=3.0, ask_qty=1.0)  # imbalance +0.50: buyers dominate
    buy = _decide(book)
    assert (buy.action, buy.quantity) == (Action.AGGRESSIVE, pytest.approx(0.1))
    assert "leans against us (depth imbalance +0.50" in buy.reason
    sell = _decide(book, side=Side.SELL)
    assert sell.action is Action.PASSIVE and "leans our way" in sell.reason


def test_the_participation_cap_trims_the_slice_and_says_so():
    d = _decide(_market(volume_1m=0.06))  # 0.06 expected over the next 60 s
    assert d.action is Action.PASSIVE
    assert d.quantity == pytest.approx(0.1 / 0.9 * 0.06)
    assert d.quantity / (d.quantity + 0.06) <= 0.10
    assert "10 % participation cap on the 0.06 market volume expected over the next 60 s" in d.reason


def test_a_silent_market_makes_the_cap_wait():
    d = _decide(_market(volume_1m=0.0))
    assert (d.action, d.quantity) == (Action.WAIT, 0.0)
    assert "allows nothing now" in d.reason


def test_a_complete_order_or_one_not_started_waits():
    assert _decide(executed=1.0).action is Action.WAIT
    early = _decide(elapsed=-30.0, executed=0.0)
    assert early.action is Action.WAIT and "starts in 30 s" in early.reason


@pytest.mark.parametrize("field, value, message", [
    ("wide_spread_bps", 0.0, "wide_spread_bps must be positive, got 0.0"),
    ("funding_low", 0.0001, "funding_low must be negative, got 0.0001"),
    ("imbalance", 1.5, r"imbalance must be within \(0, 1\], got 1.5"),
    ("decelerate_factor", 1.0, r"decelerate_factor must be within \(0, 1\), got 1.0"),
    ("oi_change", math.nan, "oi_change must be finite, got nan"),
])
def test_bad_thresholds_are_refused_naming_the_field_and_value(field, value, message):
    with pytest.raises(ValueError, match=message):
        AdaptiveConfig(**{field: value})
