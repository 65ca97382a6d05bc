import json
import math

import pytest

from execdesk.domain.instrument import BTCUSDT
from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import OrderType, Side, TimeInForce
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action, ProposalDraft
from execdesk.domain.risk import HARD, SOFT, RiskLimits, evaluate


def _market(mid: float = 65000.05) -> MarketSnapshot:
    return MarketSnapshot(symbol="BTCUSDT", ts=0.0, mid=mid, best_bid=mid - 0.05, best_ask=mid + 0.05,
                          bids=(Level(mid - 0.05, 5.0),), asks=(Level(mid + 0.05, 5.0),), volume_1m=600.0,
                          volatility_1h=0.01)


def _eval(qty: float = 0.05, price: float | None = None, order_type: OrderType = OrderType.MARKET,
          decision_price: float = 65000.0, side: Side = Side.BUY, market: MarketSnapshot | None = None):
    draft = ProposalDraft(advisor="test", action=Action.AGGRESSIVE if price is None else Action.PASSIVE,
                          quantity=qty, order_type=order_type, limit_price=price, reasoning="r", confidence=0.5,
                          tif=TimeInForce.IOC)
    progress = OrderProgress(symbol="BTCUSDT", side=side, quantity=2.0, executed=0.0, decision_price=decision_price,
                             started_at=0.0, deadline=600.0, now=100.0)
    return evaluate(draft, progress=progress, market=market or _market(), instrument=BTCUSDT, limits=RiskLimits(),
                    interval_s=10.0)


def _check(verdict, code):
    return next(c for c in verdict.checks if c.code == code)


def test_a_limit_far_from_the_decision_price_but_near_the_mid_only_warns():
    verdict = _eval(price=65000.0, order_type=OrderType.LIMIT, decision_price=63000.0)
    assert not verdict.blocked, verdict.summary
    [warning] = verdict.warnings
    assert (warning.code, warning.severity) == ("benchmark_deviation", SOFT)
    assert warning.figures["deviation_bps"] == pytest.approx(317.46, abs=0.01)
    assert "limit 65,000.00 is 317.5 bps from the decision price 63,000.00 (max 100 bps)" in warning.message


def test_a_market_order_is_measured_at_the_touch_it_takes():
    buy = _check(_eval(decision_price=65000.0 / 1.011, side=Side.BUY), "benchmark_deviation")
    assert not buy.passed and buy.figures["price"] == 65000.1 and "touch 65,000.10" in buy.message
    sell = _check(_eval(decision_price=65000.0, side=Side.SELL), "benchmark_deviation")
    assert sell.passed and sell.figures["price"] == 65000.0


def test_the_limit_to_mid_price_band_stays_a_hard_check():
    check = _check(_eval(price=63000.0, order_type=OrderType.LIMIT, decision_price=63000.0), "price_band")
    assert not check.passed and check.severity == HARD


@pytest.mark.parametrize("qty, price", [(math.nan, None), (math.inf, None), (-math.inf, None),
                                        (0.05, math.nan), (0.05, math.inf), (math.nan, math.nan)])
def test_a_non_finite_quantity_or_price_fails_a_hard_check_and_never_raises(qty, price):
    verdict = _eval(qty=qty, price=price, order_type=OrderType.LIMIT if price is not None else OrderType.MARKET)
    check = _check(verdict, "finite_numbers")
    assert verdict.blocked and not check.passed and check.severity == HARD
    assert "is not a finite number" in check.message
    json.dumps(verdict.to_list(), allow_nan=False)  # storable as JSON (PostgreSQL refuses NaN)


def test_an_absurd_quantity_is_blocked_without_raising():
    verdict = _eval(qty=1e30)
    assert verdict.blocked
    assert not _check(verdict, "instrument_minimums").passed


def test_a_broken_mid_blocks_a_limit_order_instead_of_dividing_by_zero():
    verdict = _eval(price=65000.0, order_type=OrderType.LIMIT, market=_market(mid=0.0))
    assert not _check(verdict, "price_band").passed


def test_an_order_action_without_an_order_type_is_blocked():
    draft = ProposalDraft(advisor="test", action=Action.AGGRESSIVE, quantity=0.05, order_type=None,
                          limit_price=None, reasoning="r", confidence=0.5)
    progress = OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=2.0, executed=0.0, decision_price=65000.0,
                             started_at=0.0, deadline=600.0, now=100.0)
    verdict = evaluate(draft, progress=progress, market=_market(), instrument=BTCUSDT, limits=RiskLimits(),
                       interval_s=10.0)
    assert verdict.blocked and not _check(verdict, "order_type").passed
