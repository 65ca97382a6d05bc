"""In the simulator, as in real markets, working the same order faster costs more in expectation.

Each seed runs both schedules on the same exogenous path, and prices every fill against the mid of an
untouched twin at the same second: the calm market is a martingale, so the expected implementation
shortfall is the expected cost against the twin, and the twin removes the market's noise common to both.
"""

from __future__ import annotations

import math
import statistics

import pytest

from execdesk.domain.orders import Side
from execdesk.market.sim import SimMarket

START = 1_767_225_600.0
T_975 = 2.093  # Student t, 19 degrees of freedom


def cost_vs_twin_bps(seed: int, side: Side, horizon_s: float, qty: float = 10.0, interval_s: float = 15.0) -> float:
    traded, twin = (SimMarket.create("BTCUSDT", seed=seed, start_ts=START, scenario="calm") for _ in range(2))
    slices = int(horizon_s // interval_s)
    paid = filled = 0.0
    for i in range(slices):
        t = START + i * interval_s
        traded.advance_to(t)
        twin.advance_to(t)
        for price, q in traded.take(side, qty / slices):
            paid += side.sign * (price - twin.mid) / twin.mid * q
            filled += q
    assert filled == pytest.approx(qty, rel=0.02)  # slices are rounded to the 0.001 lot
    return paid / filled * 1e4


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_ten_btc_in_five_minutes_costs_more_than_over_an_hour(side: Side) -> None:
    diffs, fast_costs = [], []
    for seed in range(20):
        fast = cost_vs_twin_bps(seed, side, 300.0)
        slow = cost_vs_twin_bps(seed, side, 3600.0)
        diffs.append(fast - slow)
        fast_costs.append(fast)
    mean = statistics.mean(diffs)
    half_width = T_975 * statistics.stdev(diffs) / math.sqrt(len(diffs))

    # the interval of the paired difference lies well above 0 ...
    assert mean - half_width > 1.0
    # ... at the size the market model predicts (docs/tca.md): kappa = 4.30 bps per sqrt(BTC), an impact
    # volume halving every 10 min: 2/3 of the square-root law when fast, near its steady state when slow
    assert 2.0 < mean < 4.0
    assert 7.5 < statistics.mean(fast_costs) < 10.0
