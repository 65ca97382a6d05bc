"""What a replay learns from its warm-up: σ, ADV and the tape's own price impact (Kyle's λ), from the prints
before the order starts only, so nothing after the start leaks into the market the order meets.

* ``sigma_daily``: the standard deviation of the model mid's log returns over ``bucket_s`` buckets,
  scaled to a 24-hour day (√(86 400 / bucket_s)); the model mid (ReplayMarket's touch) carries no bid/ask
  bounce, so short buckets do not inflate it.
* ``adv``: the warm-up's volume scaled to 24 hours.
* ``kyle``: λ from the regression of each bucket's relative mid change on its signed aggressor volume
  (execdesk.domain.kyle_lambda), fraction of price per base unit.
* ``lasting``: the same flow regressed on the mid change from the bucket's start to ``lasting_lag_s``
  after its end: the part of the response still standing then. The replay's permanent coefficient is
  that lasting λ (clipped to [0, λ]); the rest of λ is its transient part, which decays with the
  replay's ``transient_half_life_s``. Without enough warm-up for the lagged fit, all of λ is permanent.

A negative λ (the fit's noise on a short warm-up) is used as 0 and said so: impact against our trades
would pay us for trading.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from execdesk.domain.kyle_lambda import KyleFit, fit_kyle_lambda
from execdesk.market.replay_tape import TradeTape

SECONDS_PER_DAY = 86_400.0

MidFn = Callable[[np.ndarray], np.ndarray]  # model mid at each of the given times (from prints up to them)


@dataclass(frozen=True)
class ReplayCalibration:
    start: float  # the first print
    until: float  # the order's start: nothing after it is used
    prints: int
    sigma_daily: float
    adv: float
    kyle: KyleFit | None
    lasting: KyleFit | None
    permanent_per_unit: float
    transient_per_unit: float

    @property
    def warmup_s(self) -> float:
        return self.until - self.start

    def lines(self, mid: float, symbol: str = "unit") -> list[str]:
        """What the calibration says, for a run's output; ``mid`` turns λ into bps per unit."""
        bps = 1e4
        out = [f"warm-up {self.warmup_s:,.0f} s, {self.prints:,} prints before the order: "
               f"σ_daily {self.sigma_daily:.2%}, ADV {self.adv:,.4g} {symbol}"]
        if self.kyle is None:
            out.append("Kyle λ: not identified (too few buckets or no signed flow in the warm-up): impact off")
        else:
            k = self.kyle
            out.append(f"Kyle λ {k.lambda_per_unit * bps:.4g} bps per {symbol} [95 % {k.low * bps:.3g}, "
                       f"{k.high * bps:.3g}] from {k.buckets} {k.bucket_s:g}-s buckets, R² {k.r2:.3f}"
                       + ("; negative: used as 0" if k.lambda_per_unit < 0 else ""))
        if self.lasting is not None:
            out.append(f"lasting part {self.lasting.lambda_per_unit * bps:.4g} bps per {symbol} "
                       f"[95 % {self.lasting.low * bps:.3g}, {self.lasting.high * bps:.3g}]")
        out.append(f"replay impact: permanent {self.permanent_per_unit * bps:.4g} bps per {symbol}, "
                   f"transient {self.transient_per_unit * bps:.4g} (at mid {mid:,.6g}: "
                   f"{self.permanent_per_unit * mid:.4g} price units per {symbol} for good)")
        return out

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "until": self.until, "prints": self.prints, "sigma_daily": self.sigma_daily,
                "adv": self.adv, "kyle": None if self.kyle is None else self.kyle.to_dict(),
                "lasting": None if self.lasting is None else self.lasting.to_dict(),
                "permanent_per_unit": self.permanent_per_unit, "transient_per_unit": self.transient_per_unit}


def calibrate(tape: TradeTape, until: float, mid_at: MidFn, *, bucket_s: float,
              lasting_lag_s: float) -> ReplayCalibration:
    """Calibrate on the prints at or before ``until`` (``mid_at`` must read only those too)."""
    n = int(np.searchsorted(tape.ts, until, side="right"))
    start = tape.start
    span = until - start
    volume = float(tape.cum_qty[n])
    adv = volume * SECONDS_PER_DAY / max(span, 60.0)
    buckets = int(math.floor(span / bucket_s + 1e-9))
    if buckets < 2:
        return ReplayCalibration(start=start, until=until, prints=n, sigma_daily=0.0, adv=adv, kyle=None,
                                 lasting=None, permanent_per_unit=0.0, transient_per_unit=0.0)
    edges = until - bucket_s * np.arange(buckets, -1, -1)  # aligned on the order's start, oldest first
    log_mid = np.log(mid_at(edges))
    returns = np.expm1(np.diff(log_mid))
    signed = _signed_volume(tape, edges)
    sigma = float(np.std(np.diff(log_mid), ddof=1) * math.sqrt(SECONDS_PER_DAY / bucket_s)) if buckets > 2 else 0.0
    kyle = fit_kyle_lambda(returns, signed, bucket_s=bucket_s)
    lag = int(math.ceil(lasting_lag_s / bucket_s - 1e-9))
    lasting = None
    if kyle is not None and buckets - lag >= 1:
        later = np.expm1(log_mid[1 + lag:] - log_mid[: buckets - lag])
        lasting = fit_kyle_lambda(later, signed[: buckets - lag], bucket_s=bucket_s)
    lam = 0.0 if kyle is None else max(0.0, kyle.lambda_per_unit)
    permanent = lam if lasting is None else min(lam, max(0.0, lasting.lambda_per_unit))
    return ReplayCalibration(start=start, until=until, prints=n, sigma_daily=sigma, adv=adv, kyle=kyle,
                             lasting=lasting, permanent_per_unit=permanent, transient_per_unit=lam - permanent)


def _signed_volume(tape: TradeTape, edges: np.ndarray) -> np.ndarray:
    """Buy minus sell aggressor volume of the prints in each (edge[i], edge[i+1]] bucket."""
    cum = tape.cum_signed_qty[np.searchsorted(tape.ts, edges, side="right")]
    result: np.ndarray = np.diff(cum)
    return result


__all__ = ["ReplayCalibration", "calibrate"]
