"""The interval formulas: equal to textbook implementations, and 95% intervals cover 93–97% of the time.

Coverage is checked by simulation with fixed seeds (20,000 draws: the Monte-Carlo standard error
of a coverage near 95% is 0.15 points), on realistic shapes of CX data at n >= 100.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cx.metrics import median_rank_bounds, nps_interval, t_interval, wilson_interval

DRAWS = 20_000
Z = stats.norm.ppf(0.975)


def _covers(low, high, truth) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


# --- against textbook implementations --------------------------------------------------------


def test_nps_interval_by_hand():
    value, low, high = nps_interval([200], [90], [50])
    p, d = 0.45, 0.25
    half = 100 * Z * math.sqrt((p + d - (p - d) ** 2) / 200)
    assert value[0] == pytest.approx(20.0)
    assert (low[0], high[0]) == pytest.approx((20 - half, 20 + half))


def test_nps_interval_is_clipped_and_degenerate_when_everyone_agrees():
    value, low, high = nps_interval([5, 3, 0], [5, 0, 0], [0, 3, 0])
    assert value[:2].tolist() == [100.0, -100.0]
    assert (low[0], high[0]) == (100.0, 100.0) and (low[1], high[1]) == (-100.0, -100.0)
    assert np.isnan(value[2])  # an empty cell has no value


@pytest.mark.parametrize("n,k", [(1, 0), (1, 1), (10, 3), (100, 97), (2500, 1300)])
def test_wilson_matches_statsmodels(n, k):
    value, low, high = wilson_interval([n], [k])
    want = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert value[0] == pytest.approx(100 * k / n)
    assert (low[0], high[0]) == pytest.approx((100 * want[0], 100 * want[1]), abs=1e-9)


def test_t_interval_matches_scipy():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 8, 57).astype(float)
    value, low, high = t_interval([x.size], [x.sum()], [(x * x).sum()])
    want = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
    assert value[0] == pytest.approx(x.mean())
    assert (low[0], high[0]) == pytest.approx(want, rel=1e-12)


def test_t_interval_needs_two_values_and_is_exact_for_constants():
    value, low, high = t_interval([1, 3], [4.0, 3 * 0.1], [16.0, 3 * 0.1 * 0.1], constant=[True, True])
    assert value[0] == 4.0 and np.isnan(low[0]) and np.isnan(high[0])
    assert low[1] == high[1] == pytest.approx(0.1)


def test_median_rank_bounds_match_the_textbook_formula():
    n = np.arange(1, 3000)
    low, high = median_rank_bounds(n)
    want_low = np.floor((n + 1 - Z * np.sqrt(n)) / 2).astype(int)
    assert np.array_equal(low, np.maximum(want_low, 0))
    assert np.array_equal(high[n >= 6], (n + 1 - want_low)[n >= 6])
    assert (low[n < 6] == 0).all() and (high[n < 6] == n[n < 6] + 1).all()  # too few values for an interval


def test_median_interval_has_exact_coverage_of_at_least_95_percent():
    n = np.arange(100, 2001)
    low, high = median_rank_bounds(n)
    exact = stats.binom.cdf(high - 1, n, 0.5) - stats.binom.cdf(low - 1, n, 0.5)
    assert exact.min() >= 0.95 and exact.max() <= 0.97


def test_confidence_must_be_a_probability():
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval([10], [5], confidence=1.5)


# --- coverage by simulation ------------------------------------------------------------------


@pytest.mark.parametrize("n", [100, 400])
@pytest.mark.parametrize("promoters,detractors", [(0.5, 0.2), (0.3, 0.3), (0.6, 0.1), (0.2, 0.55)])
def test_nps_interval_coverage(n, promoters, detractors):
    rng = np.random.default_rng(11)
    counts = rng.multinomial(n, [promoters, 1 - promoters - detractors, detractors], size=DRAWS)
    _, low, high = nps_interval(np.full(DRAWS, n), counts[:, 0], counts[:, 2])
    assert 0.93 <= _covers(low, high, 100 * (promoters - detractors)) <= 0.97


@pytest.mark.parametrize("n", [100, 400])
@pytest.mark.parametrize("p", [0.15, 0.5, 0.72])
def test_wilson_interval_coverage(n, p):
    rng = np.random.default_rng(12)
    k = rng.binomial(n, p, size=DRAWS)
    _, low, high = wilson_interval(np.full(DRAWS, n), k)
    assert 0.93 <= _covers(low, high, 100 * p) <= 0.97


@pytest.mark.parametrize("n", [100, 400])
def test_t_interval_coverage_on_an_effort_scale(n):
    rng = np.random.default_rng(13)
    probs = np.array([0.04, 0.06, 0.1, 0.15, 0.25, 0.25, 0.15])  # a skewed 1–7 answer distribution
    x = rng.choice(np.arange(1, 8), p=probs, size=(DRAWS, n)).astype(float)
    _, low, high = t_interval(np.full(DRAWS, n), x.sum(axis=1), (x * x).sum(axis=1))
    assert 0.93 <= _covers(low, high, float(probs @ np.arange(1, 8))) <= 0.97


@pytest.mark.parametrize("n", [100, 400])
def test_t_interval_coverage_on_lifetime_values(n):
    rng = np.random.default_rng(14)
    x = rng.lognormal(6.0, 0.6, size=(DRAWS, n))
    _, low, high = t_interval(np.full(DRAWS, n), x.sum(axis=1), (x * x).sum(axis=1))
    assert 0.93 <= _covers(low, high, math.exp(6.0 + 0.6**2 / 2)) <= 0.97


@pytest.mark.parametrize("n", [100, 101, 400])
def test_median_interval_coverage_on_durations(n):
    rng = np.random.default_rng(15)
    x = np.sort(rng.lognormal(2.0, 0.7, size=(DRAWS, n)), axis=1)  # resolution hours
    lo_rank, hi_rank = median_rank_bounds([n])
    low, high = x[:, lo_rank[0] - 1], x[:, hi_rank[0] - 1]
    assert 0.93 <= _covers(low, high, math.exp(2.0)) <= 0.97
