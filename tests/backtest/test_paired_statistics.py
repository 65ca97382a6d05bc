"""The suite's summary statistics: Student-t quantiles and paired-difference intervals."""

from __future__ import annotations

import math
import random

import pytest

from execdesk.backtest.stats import paired_difference, summarise, t_cdf, t_quantile


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
    assert d.high < 0 and d.significant  # 2 bps cheaper, visible despite 50 bps of market noise
    assert d.low < -2 < d.high


def test_paired_difference_of_identical_strategies_is_zero_and_not_significant():
    xs = [1.0, 5.0, -3.0, 2.0]
    d = paired_difference(xs, xs)
    assert d.mean == 0 and not d.significant


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
