"""A replay calibrates σ, ADV and its impact on the warm-up before the order only: Kyle's λ from the tape."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from execdesk.domain.kyle_lambda import fit_kyle_lambda
from execdesk.market.replay import ReplayMarket, ReplayParams, TradeTape
from tests.market.synthetic_tape import T0, kyle_rows, write_rows


@pytest.mark.parametrize(("lam", "seed"), [(2e-5, 7), (2e-5, 8), (5e-6, 9)])
def test_the_kyle_fit_recovers_the_lambda_the_tape_was_made_with(tmp_path: Path, lam: float, seed: int) -> None:
    tape = TradeTape.load(write_rows(tmp_path / "k.csv", kyle_rows(lam=lam, seconds=7300, seed=seed)))
    market = ReplayMarket(tape, start_ts=T0 + 7200)

    fit = market.calibration.kyle
    assert fit is not None and fit.buckets == 1438  # 1440 five-second buckets, one lost to the lagged flow
    assert fit.contains(lam)
    assert fit.high - fit.low < lam  # and the band is narrow enough to say something
    assert market.permanent_impact_per_unit + market.transient_impact_per_unit == pytest.approx(
        fit.lambda_per_unit
    )


def test_a_minute_of_warm_up_still_fits_lambda_with_a_wide_band(tmp_path: Path) -> None:
    tape = TradeTape.load(write_rows(tmp_path / "k.csv", kyle_rows(lam=2e-5, seconds=400)))
    market = ReplayMarket(tape, start_ts=T0 + 60)

    cal = market.calibration
    assert cal.warmup_s == pytest.approx(60 - (tape.start - T0))
    assert cal.kyle is not None and cal.kyle.contains(2e-5)
    assert cal.lasting is None  # 30 s later than a bucket needs more than a minute of buckets
    assert market.permanent_impact_per_unit == pytest.approx(cal.kyle.lambda_per_unit)
    assert market.transient_impact_per_unit == 0.0
    lines = cal.lines(market.mid, "BTC")
    assert lines[1].startswith("Kyle λ 0.") and "from 10 5-s buckets" in lines[1]


def test_prints_after_the_order_starts_change_no_calibration(tmp_path: Path) -> None:
    rows = kyle_rows(lam=2e-5, seconds=600, seed=3)
    start = T0 + 300
    other = [(t, "Buy", 4.0, p + 500.0) if t > start else (t, side, q, p) for t, side, q, p in rows]
    assert other != rows
    one = ReplayMarket(TradeTape.load(write_rows(tmp_path / "a.csv", rows)), start_ts=start)
    two = ReplayMarket(TradeTape.load(write_rows(tmp_path / "b.csv", other)), start_ts=start)

    assert one.calibration.to_dict() == two.calibration.to_dict()
    assert (one.calibration.sigma_daily, one.calibration.adv) == (two.calibration.sigma_daily, two.calibration.adv)
    assert one.permanent_impact_per_unit == two.permanent_impact_per_unit


def test_sigma_and_adv_by_hand(tmp_path: Path) -> None:
    # buckets of 30 s ending at the start (+90): edges +0, +30, +60, +90. Touch at each edge from the last
    # buy (ask) and last sell (bid), one tick apart: mids 100.05, 101.05, 100.55, 102.05.
    rows = [(0.0, "Sell", 1.0, 100.0), (0.5, "Buy", 1.0, 100.1), (29.0, "Sell", 2.0, 101.0),
            (29.5, "Buy", 2.0, 101.1), (59.0, "Sell", 3.0, 100.5), (59.5, "Buy", 3.0, 100.6),
            (89.0, "Sell", 4.0, 102.0), (89.5, "Buy", 4.0, 102.1), (200.0, "Buy", 9.0, 150.0)]
    rows = [(T0 + t, side, q, p) for t, side, q, p in rows]
    tape = TradeTape.load(write_rows(tmp_path / "h.csv", rows))
    market = ReplayMarket(tape, start_ts=T0 + 90, params=ReplayParams(lambda_bucket_s=30.0))

    log_mids = np.log([100.05, 101.05, 100.55, 102.05])
    assert market.calibration.sigma_daily == pytest.approx(np.std(np.diff(log_mids), ddof=1) * math.sqrt(2880))
    assert market.calibration.adv == pytest.approx(20.0 * 86_400 / 90)  # the +200 print is after the start
    assert market.calibration.kyle is None  # three buckets: nothing to fit
    assert market.permanent_impact_per_unit == 0.0


def test_a_negative_lambda_is_used_as_zero(tmp_path: Path) -> None:
    tape = TradeTape.load(write_rows(tmp_path / "n.csv", kyle_rows(lam=-2e-5, seconds=700)))
    market = ReplayMarket(tape, start_ts=T0 + 600)

    assert market.calibration.kyle is not None and market.calibration.kyle.high < 0
    assert (market.permanent_impact_per_unit, market.transient_impact_per_unit) == (0.0, 0.0)
    assert market.calibration.lines(market.mid)[1].endswith("negative: used as 0")


def test_the_kyle_regression_by_hand() -> None:
    # y = 0.1 + 2 Q + 1 Q₋₁ exactly: λ = 3, no residual
    q = np.array([1.0, 0.0, -1.0, 2.0, 1.0, -2.0, 0.5])
    y = np.concatenate(([0.0], 0.1 + 2 * q[1:] + q[:-1]))
    fit = fit_kyle_lambda(y, q, bucket_s=5.0)
    assert fit is not None
    assert fit.lambda_per_unit == pytest.approx(3.0)
    assert fit.std_error == pytest.approx(0.0, abs=1e-9)
    assert fit.r2 == pytest.approx(1.0)
    assert fit_kyle_lambda(y[:5], q[:5], bucket_s=5.0) is None  # four usable buckets
    with pytest.raises(ValueError, match="finite"):
        fit_kyle_lambda(np.array([math.nan] * 7), q, bucket_s=5.0)


def test_a_restored_replay_keeps_the_calibration_of_its_start(tmp_path: Path) -> None:
    tape = TradeTape.load(write_rows(tmp_path / "k.csv", kyle_rows(lam=2e-5, seconds=600)))
    market = ReplayMarket(tape, start_ts=T0 + 300)
    market.advance_to(T0 + 400)
    state = json.loads(json.dumps(market.to_state()))

    restored = ReplayMarket.from_state(state, tape=tape)
    assert restored.calibration == market.calibration

    old = {k: v for k, v in state.items() if k != "calibrated_until"}  # version 1 before the warm-up fit
    old["params"] = {**state["params"], "permanent_gamma": 0.314}
    assert ReplayMarket.from_state(old, tape=tape).calibration.until == T0 + 400
