"""Summary statistics for backtests: means with their intervals, paired differences, and the
Holm–Bonferroni correction across the suite's cells.

Every mean is given with its 95 % Student-t interval, mean ± t(0.975, n−1) · sd / √n (a t interval, not
a bootstrap: with 10–20 seeds per cell the t interval is the textbook choice and needs no resampling).

Strategies are compared on the same market paths (same side, scenario and seed), so the comparison uses
the paired differences d_i = cost_i(strategy) − cost_i(baseline): the market's own noise, common to both,
cancels, and the interval is the t interval of mean(d). Its two-sided p-value, 2 · (1 − F_t(|t|, n−1))
with t = mean(d) / (sd(d) / √n), feeds `holm`: a suite prints dozens of such comparisons, and a 95 %
interval excluding 0 in one of 64 cells is expected by chance alone. The Student-t distribution is
computed here (no SciPy) from the regularised incomplete beta function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
ALPHA = 0.05  # the family-wise error rate the Holm–Bonferroni verdicts control


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    std: float | None  # sample standard deviation (n − 1)
    low: float | None = None  # 95 % t interval of the mean (None below two values)
    high: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {"n": self.n, "mean": _round(self.mean), "std": _round(self.std), "ci95_low": _round(self.low),
                "ci95_high": _round(self.high)}


@dataclass(frozen=True)
class PairedDifference:
    n: int
    mean: float | None  # mean of strategy − baseline: negative means cheaper than the baseline
    low: float | None  # 95 % confidence interval of that mean
    high: float | None
    p_value: float | None = None  # two-sided paired t test of mean = 0

    @property
    def excludes_zero(self) -> bool:
        """The uncorrected interval excludes 0; the suite's verdict is `holm`'s, not this."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, float | int | bool | None]:
        return {"n": self.n, "mean": _round(self.mean), "ci95_low": _round(self.low),
                "ci95_high": _round(self.high), "ci95_excludes_0": self.excludes_zero,
                "p": self.p_value}


def summarise(values: Sequence[float | None], *, confidence: float = CONFIDENCE) -> Summary:
    """n, mean, sample standard deviation and the t interval of the mean; missing and non-finite values
    are left out."""
    xs = [v for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return Summary(0, None, None)
    mean = math.fsum(xs) / len(xs)
    if len(xs) < 2:
        return Summary(1, mean, None)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    half = t_quantile(0.5 + confidence / 2, len(xs) - 1) * std / math.sqrt(len(xs))
    return Summary(len(xs), mean, std, mean - half, mean + half)


def paired_difference(values: Sequence[float | None], baseline: Sequence[float | None],
                      *, confidence: float = 0.95) -> PairedDifference:
    """Mean of the pairwise differences with its t-interval; pairs with a missing side are dropped."""
    if len(values) != len(baseline):
        raise ValueError(f"paired samples must have the same length, got {len(values)} and {len(baseline)}")
    diffs = [v - b for v, b in zip(values, baseline, strict=True)
             if v is not None and b is not None and math.isfinite(v) and math.isfinite(b)]
    s = summarise(diffs, confidence=confidence)
    if s.n < 2 or s.std is None or s.mean is None:
        return PairedDifference(s.n, s.mean, None, None)
    return PairedDifference(s.n, s.mean, s.low, s.high, t_test_p(s.mean, s.std, s.n))


def t_test_p(mean: float, std: float, n: int) -> float:
    """Two-sided p-value of the one-sample t test of a zero mean (n ≥ 2). Zero spread: p is 1 for a zero
    mean (identical samples) and 0 for any other (a constant, certain difference)."""
    if n < 2:
        raise ValueError(f"a t test needs at least 2 values, got {n}")
    if std == 0:
        return 1.0 if mean == 0 else 0.0
    t = abs(mean) / (std / math.sqrt(n))
    return max(0.0, min(1.0, 2 * (1 - t_cdf(t, n - 1))))  # clamped: the CDF is computed to ~1e-15


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values, in the order given (None, an untested cell, stays None and does
    not count in the family).

    With the m p-values sorted ascending, p(1) ≤ … ≤ p(m), the adjusted value of the i-th is
    max over j ≤ i of min(1, (m − j + 1) · p(j)): rejecting every hypothesis whose adjusted p is at most α
    keeps the probability of one or more false rejections in the whole family at most α, whatever the
    dependence between the tests (Holm 1979).
    """
    tested = [(p, i) for i, p in enumerate(p_values) if p is not None]
    for p, i in tested:
        if not (math.isfinite(p) and 0 <= p <= 1):
            raise ValueError(f"p-values must be within [0, 1], got {p!r} at position {i}")
    m = len(tested)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(tested)):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


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
