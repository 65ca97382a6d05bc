"""The suite's summary statistics: Student-t quantiles, intervals of means and paired differences, the paired
t test's p-value and the Holm–Bonferroni correction, pinned with hand-computed examples."""

from __future__ import annotations

import math
import random

import pytest

from execdesk.backtest.stats import holm, paired_difference, summarise, t_cdf, t_quantile, t_test_p


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (4, 2.7764), (19, 2.0930), (30, 2.0423), (1000, 1.9623)])
def test_t_quantile_matches_published_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-4)


def test_t_quantile_is_symmetric_and_inverts_the_cdf():
    for df in (2, 7, 50):
        for p in (0.6, 0.9, 0.99):
            q = t_quantile(p, df)
            assert t_quantile(1 - p, df) == pytest.approx(-q, abs=1e-9)
            assert t_cdf(q, df) == pytest.approx(p, abs=1e-9)


def test_bad_quantile_arguments_name_the_problem():
    with pytest.raises(ValueError, match="p must be within"):
        t_quantile(1.0, 5)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_quantile(0.9, 0)


def test_paired_difference_removes_the_common_market_noise():
    rng = random.Random(3)
    market = [rng.gauss(0, 50) for _ in range(20)]  # the path's own noise, shared by both strategies
    base = [m + rng.gauss(0, 1) for m in market]
    better = [m - 2 + rng.gauss(0, 1) for m in market]
    d = paired_difference(better, base)
    assert d.n == 20
    assert d.high < 0 and d.excludes_zero  # 2 bps cheaper, visible despite 50 bps of market noise
    assert d.low < -2 < d.high


def test_paired_difference_of_identical_strategies_is_zero_and_not_significant():
    xs = [1.0, 5.0, -3.0, 2.0]
    d = paired_difference(xs, xs)
    assert d.mean == 0 and not d.excludes_zero and d.p_value == 1.0


def test_pairs_with_a_missing_value_are_dropped_and_lengths_must_match():
    d = paired_difference([1.0, None, 3.0], [0.0, 1.0, None])
    assert d.n == 1 and d.low is None
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1.0], [1.0, 2.0])


def test_summary_ignores_missing_and_non_finite_values():
    s = summarise([1.0, 3.0, math.nan, math.inf])
    assert (s.n, s.mean) == (2, 2.0)
    assert s.std == pytest.approx(math.sqrt(2))
    assert summarise([]).mean is None


def test_paired_interval_and_p_value_by_hand():
    # d = (3-1, 5-2, 4-2, 6-3) = (2, 3, 2, 3): mean 2.5, sd = sqrt(4 * 0.25 / 3) = 0.57735, se = sd / 2 = 0.288675;
    # t(0.975, 3) = 3.182446 from the tables, so the interval is 2.5 ± 0.918693.
    d = paired_difference([3.0, 5.0, 4.0, 6.0], [1.0, 2.0, 2.0, 3.0])
    assert (d.n, d.mean) == (4, 2.5)
    assert d.low == pytest.approx(1.581307, abs=1e-6) and d.high == pytest.approx(3.418693, abs=1e-6)
    # t = 2.5 / 0.288675 = 8.660254 = 5 sqrt(3). For 3 degrees of freedom the t CDF has a closed form,
    # F(t) = 1/2 + (1/pi) (t / (sqrt3 (1 + t^2/3)) + atan(t / sqrt3)) = 1/2 + (5/26 + atan 5) / pi,
    # so p = 2 (1 - F) = 1 - 2 (0.192308 + 1.373401) / pi = 0.0032390.
    assert d.p_value == pytest.approx(0.0032390, abs=1e-7)


def test_t_test_of_a_constant_difference():
    assert t_test_p(0.0, 0.0, 5) == 1.0  # identical samples: nothing to see
    assert t_test_p(1.5, 0.0, 5) == 0.0  # the same non-zero difference on every path: certain
    with pytest.raises(ValueError, match="at least 2 values"):
        t_test_p(1.0, 1.0, 1)


def test_the_mean_carries_its_t_interval():
    # (1, 2, 3, 6): mean 3, sd = sqrt((4 + 1 + 0 + 9) / 3) = 2.160247; half-width 3.182446 * 2.160247 / 2 = 3.437435
    s = summarise([1.0, 2.0, 3.0, 6.0])
    assert s.low == pytest.approx(3 - 3.437435, abs=1e-6) and s.high == pytest.approx(3 + 3.437435, abs=1e-6)
    assert summarise([4.0]).low is None  # one value: a mean but no interval


def test_holm_by_hand():
    # m = 4. Sorted: 0.005 x 4 = 0.02; 0.01 x 3 = 0.03; 0.03 x 2 = 0.06; 0.04 x 1 = 0.04, lifted to 0.06 (an
    # adjusted p never falls below the one before it). At alpha 0.05 the first and last hypotheses are rejected,
    # though 0.03 and 0.04 alone are below 0.05, and Bonferroni (x 4) would keep only 0.005.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_skips_untested_cells():
    # None is not a test: m = 2, so 0.01 x 2 = 0.02 and 0.5 x 1 = 0.5; 0.7 x 2 caps at 1.
    assert holm([0.01, None, 0.5]) == [pytest.approx(0.02), None, pytest.approx(0.5)]
    assert holm([0.7, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_holm_refuses_what_is_not_a_probability():
    with pytest.raises(ValueError, match=r"within \[0, 1\], got 1.5 at position 1"):
        holm([0.1, 1.5])
