"""Summary statistics for backtests: mean, standard deviation and paired-difference confidence intervals.

Strategies are compared on the same market paths (same scenario and seed), so the comparison uses the
paired differences d_i = cost_i(strategy) − cost_i(baseline): the market's own noise, common to both,
cancels, and the interval is mean(d) ± t(0.975, n−1) · sd(d) / √n. The Student-t quantile is computed
here (no SciPy) by inverting the regularised incomplete beta function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    std: float | None  # sample standard deviation (n − 1)

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "mean": _round(self.mean), "std": _round(self.std)}


@dataclass(frozen=True)
class PairedDifference:
    n: int
    mean: float | None  # mean of strategy − baseline: negative means cheaper than the baseline
    low: float | None  # 95 % confidence interval of that mean
    high: float | None

    @property
    def significant(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, float | int | bool | None]:
        return {"n": self.n, "mean": _round(self.mean), "ci95_low": _round(self.low),
                "ci95_high": _round(self.high), "significant": self.significant}


def summarise(values: Sequence[float]) -> Summary:
    xs = [v for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return Summary(0, None, None)
    mean = math.fsum(xs) / len(xs)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
    return Summary(len(xs), mean, std)


def paired_difference(values: Sequence[float | None], baseline: Sequence[float | None],
                      *, confidence: float = 0.95) -> PairedDifference:
    """Mean of the pairwise differences with its t-interval; pairs with a missing side are dropped."""
    if len(values) != len(baseline):
        raise ValueError(f"paired samples must have the same length, got {len(values)} and {len(baseline)}")
    diffs = [v - b for v, b in zip(values, baseline, strict=True)
             if v is not None and b is not None and math.isfinite(v) and math.isfinite(b)]
    s = summarise(diffs)
    if s.n < 2 or s.std is None or s.mean is None:
        return PairedDifference(s.n, s.mean, None, None)
    half = t_quantile(0.5 + confidence / 2, s.n - 1) * s.std / math.sqrt(s.n)
    return PairedDifference(s.n, s.mean, s.mean - half, s.mean + half)


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (bisection on the exact CDF)."""
    if not 0 < p < 1:
        raise ValueError(f"p must be within (0, 1), got {p}")
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def t_cdf(t: float, df: int) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) by its continued fraction (Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1 - _betainc(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * f / a


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) of the values, linear between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
