"""POV's target rate within min and max participation: every child's share of the volume since our last
child stays within the bounds, the rate steers towards the reference schedule, and bad terms are refused
naming the problem. Shares follow the risk gate: ours / (ours + market's), so q = r / (1 - r) x m."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execdesk.domain.market import Level, MarketSnapshot
from execdesk.domain.orders import Side
from execdesk.domain.progress import OrderProgress
from execdesk.domain.strategies.base import StepInput
from execdesk.domain.strategies.pov import POVTerms, pov_expected_duration_s, pov_rate_now
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy

START = 1_767_225_600.0


def _progress(executed: float, now: float, qty: float = 10.0) -> OrderProgress:
    return OrderProgress(symbol="BTCUSDT", side=Side.BUY, quantity=qty, executed=executed, decision_price=65000.0,
                         started_at=START, deadline=START + 600, now=now)


def _step(progress: OrderProgress, since_last: float, cap: float = 0.20) -> StepInput:
    market = MarketSnapshot(symbol="BTCUSDT", ts=progress.now, mid=65000.05, best_bid=65000.0, best_ask=65000.1,
                            bids=(Level(65000.0, 1.0),), asks=(Level(65000.1, 1.0),), volume_1m=30.0)
    return StepInput(progress=progress, market=market, interval_s=60.0, market_volume_since_last=since_last,
                     max_participation=cap)


def _pov(rate=0.05, low=0.02, high=0.10):
    return build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60, pov_rate=rate, min_participation=low,
                                                max_participation=high))


# 10 BTC over 600 s in 60 s intervals: the band is one interval's even share, 1 BTC. Half-way (t = 300 s) the
# flat reference schedule wants 5 done.
def test_on_schedule_pov_trades_its_target_rate():
    strategy = _pov()
    progress = _progress(executed=5.0, now=START + 300)
    assert strategy.target(progress) == pytest.approx(5.0)
    decision = strategy.decide(_step(progress, since_last=19.0))
    assert decision.quantity == pytest.approx(1.0)  # 5 % of 20: 0.05 / 0.95 x 19
    assert "target 5 %" in decision.reason and "at the target rate" in decision.reason


def test_behind_by_more_than_the_band_pov_trades_its_max():
    decision = _pov().decide(_step(_progress(executed=3.5, now=START + 300), since_last=9.0))
    assert decision.quantity == pytest.approx(1.0)  # 10 % of 10: 0.1 / 0.9 x 9
    assert "behind the reference schedule by 1.5" in decision.reason


def test_ahead_by_more_than_the_band_pov_trades_its_min():
    decision = _pov().decide(_step(_progress(executed=6.5, now=START + 300), since_last=49.0))
    assert decision.quantity == pytest.approx(1.0)  # 2 % of 50: 0.02 / 0.98 x 49
    assert "ahead of the reference schedule by 1.5" in decision.reason


def test_within_the_band_the_target_rate_holds():
    decision = _pov().decide(_step(_progress(executed=4.2, now=START + 300), since_last=19.0))
    assert decision.quantity == pytest.approx(1.0)  # 0.8 behind, less than the 1.0 band: still 5 %


def test_after_the_deadline_pov_trades_its_max_not_the_cap():
    late = _progress(executed=8.0, now=START + 601)
    assert _pov().decide(_step(late, since_last=9.0, cap=0.20)).quantity == pytest.approx(1.0)  # 10 %, not 20 %
    # without a max, as before: the risk gate's cap
    plain = build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60, pov_rate=0.05))
    assert plain.decide(_step(late, since_last=4.0, cap=0.20)).quantity == pytest.approx(1.0)  # 20 % of 5


def test_a_tighter_risk_cap_wins_over_the_max():
    decision = _pov().decide(_step(_progress(executed=0.0, now=START + 300), since_last=11.5, cap=0.08))
    assert decision.quantity == pytest.approx(1.0)  # 8 % of 12.5: 0.08 / 0.92 x 11.5


def test_without_bounds_pov_trades_its_rate_whatever_the_schedule():
    plain = build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60, pov_rate=0.05))
    for executed in (0.0, 6.0, 9.5):
        assert plain.decide(_step(_progress(executed, START + 300), since_last=19.0)).quantity == \
            pytest.approx(min(1.0, 10.0 - executed))


def test_rate_now_names_why():
    terms = POVTerms(0.05, 0.02, 0.10)
    assert pov_rate_now(_progress(0.0, START + 300), terms, reference_target=6.0, band=1.0, cap=0.2)[0] == 0.10
    assert pov_rate_now(_progress(8.0, START + 300), terms, reference_target=6.0, band=1.0, cap=0.2)[0] == 0.02
    assert pov_rate_now(_progress(6.5, START + 300), terms, reference_target=6.0, band=1.0, cap=0.2) == \
        (0.05, "at the target rate")


@pytest.mark.parametrize(("terms", "message"), [
    ((0.05, 0.10, 0.02), r"min_participation \(0.1\) must not exceed max_participation \(0.02\)"),
    ((0.01, 0.02, 0.10), r"pov_rate \(0.01\) must be within \[min_participation 0.02, max_participation 0.1\]"),
    ((0.20, 0.02, 0.10), r"pov_rate \(0.2\) must be within \[min_participation 0.02, max_participation 0.1\]"),
    ((0.0, None, None), r"pov_rate must be within \(0, 1\], got 0.0"),
    ((-0.1, None, None), r"pov_rate must be within \(0, 1\], got -0.1"),
    ((1.5, None, None), r"pov_rate must be within \(0, 1\], got 1.5"),
    ((0.05, 0.0, 0.10), r"min_participation must be within \(0, 1\], got 0.0"),
    ((0.05, 0.02, 1.2), r"max_participation must be within \(0, 1\], got 1.2"),
    ((0.05, math.nan, None), r"min_participation must be within \(0, 1\], got nan"),
])
def test_bad_terms_are_refused_naming_the_problem(terms, message):
    with pytest.raises(ValueError, match=message):
        POVTerms(*terms)
    with pytest.raises(ValueError, match=message):
        StrategyInputs(horizon_s=600, interval_s=60, pov_rate=terms[0], min_participation=terms[1],
                       max_participation=terms[2])


# 10 BTC while the market prints 1 BTC/s, horizon 3,600 s, risk cap 10 %.
@pytest.mark.parametrize(("terms", "seconds", "rate"), [
    ((0.05, None, None), 190.0, 0.05),  # 0.05 / 0.95 BTC/s: 10 / 0.0526316
    ((0.001, None, None), 3600 + (10 - 3600 * 0.001 / 0.999) / (0.1 / 0.9), 0.001),  # the rest at the cap
    ((0.005, 0.001, 0.01), 3600.0, 10 / 3610),  # steered to the rate that finishes at the horizon
    ((0.03, 0.02, 0.05), 10 / (0.02 / 0.98), 0.02),  # that rate is below the min: at the min
    ((0.001, 0.0005, 0.001), 10 / (0.001 / 0.999), 0.001),  # above the max: at the max, and after it too
])
def test_the_expected_duration_is_the_one_the_rate_implies(terms, seconds, rate):
    got_seconds, got_rate = pov_expected_duration_s(10.0, POVTerms(*terms), 1.0, 3600.0, cap=0.10)
    assert (got_seconds, got_rate) == (pytest.approx(seconds), pytest.approx(rate))


def test_a_silent_market_never_finishes():
    assert pov_expected_duration_s(1.0, POVTerms(0.05), 0.0, 600.0, cap=0.1) == (math.inf, 0.05)


@st.composite
def _case(draw):
    low = draw(st.floats(0.001, 0.5))
    high = draw(st.floats(low, 1.0))
    rate = draw(st.floats(low, high))
    qty = draw(st.floats(0.01, 100.0))
    executed = draw(st.floats(0.0, qty))
    now = START + draw(st.floats(0.0, 900.0))
    volume = draw(st.floats(0.0, 1000.0))
    cap = draw(st.floats(0.01, 1.0))
    return POVTerms(rate, low, high), _progress(executed, now, qty), volume, cap


@settings(max_examples=300, deadline=None)
@given(case=_case())
def test_every_child_is_within_the_bounds_of_the_volume_since_the_last(case):
    terms, progress, volume, cap = case
    strategy = build_strategy("pov", StrategyInputs(horizon_s=600, interval_s=60, pov_rate=terms.rate,
                                                    min_participation=terms.min_participation,
                                                    max_participation=terms.max_participation))
    q = strategy.decide(_step(progress, since_last=volume, cap=cap)).quantity
    assert q <= progress.remaining
    if q == 0:
        return
    share = q / (q + volume)
    assert share <= min(terms.high, cap) * (1 + 1e-12)
    if q < progress.remaining * (1 - 1e-12):  # a child below the min is only ever the last piece
        assert share >= min(terms.low, cap) * (1 - 1e-9)
