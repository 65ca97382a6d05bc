"""Fed the simulator's own child orders, the calibrator recovers the simulator's true impact parameters.

Market orders of random size and side, spaced 1-10 minutes apart, each with its markout 30 s later; our
impact volume before each child is what our earlier fills left, decayed with the market's half-life (what
the desk knows of its own fills). The regressors use the market's snapshot (its measured volatility and
volume), as the desk does.
"""

from __future__ import annotations

import math
import random

from execdesk.domain.impact_calibration import ImpactCalibrator, ImpactObservation
from execdesk.domain.orders import Side
from execdesk.market.sim import SIM_PRESETS, SimMarket

START = 1_767_225_600.0
BTC = SIM_PRESETS["BTCUSDT"][1]
MARKOUT_S = 30.0


def child_markouts(seed: int, n: int) -> list[ImpactObservation]:
    rng = random.Random(seed)
    market = SimMarket.create("BTCUSDT", seed=seed, start_ts=START)
    impact, since, t = 0.0, START, START
    out = []
    for _ in range(n):
        t += rng.choice([60, 120, 300, 600])
        market.advance_to(t)
        before = market.snapshot()
        impact_before = impact * 0.5 ** ((t - since) / BTC.impact_half_life_s)
        side = rng.choice([Side.BUY, Side.SELL])
        fills = market.take(side, round(rng.uniform(0.1, 8.0), 3))
        qty = sum(q for _, q in fills)
        impact, since = impact_before + side.sign * qty, t
        t += MARKOUT_S
        market.advance_to(t)
        out.append(ImpactObservation(side=side, quantity=qty, price=sum(p * q for p, q in fills) / qty,
                                     mid_before=before.mid, mid_after=market.mid, markout_s=MARKOUT_S,
                                     volatility_1h=before.volatility_1h, adv=before.volume_1h * 24,
                                     spread_bps=before.spread_bps, impact_before=impact_before))
    return out


def test_the_calibrator_recovers_the_simulators_y_and_gamma_within_their_error_bands() -> None:
    calibrator = ImpactCalibrator(window=1000)
    for seed in range(10, 20):
        for obs in child_markouts(seed, 100):
            calibrator.observe(obs)
    fit = calibrator.fit()
    true_gamma = BTC.permanent_impact_per_unit * (BTC.trade_rate_per_s * BTC.trade_size_mean * 86_400) / (
        BTC.vol_per_hour * math.sqrt(24))  # 0.05 bps per BTC in the AC form: 1.32

    assert fit.n == 1000 and fit.y_stderr is not None and fit.gamma_stderr is not None
    assert abs(fit.y - BTC.impact_y) < 3 * fit.y_stderr
    assert fit.y_stderr < 0.15  # identified: within 15 % of Y = 1
    assert abs(fit.gamma - true_gamma) < 3 * fit.gamma_stderr or (fit.gamma == 0 and true_gamma < 3 * fit.gamma_stderr)
    assert fit.r_squared is not None and fit.r_squared > 0.1
    report = calibrator.predicted_vs_realised()
    assert report.ratio is not None and 0.8 < report.ratio < 1.25
