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


# --- repeated respondents: cluster-robust intervals -------------------------------------------


def _wide_survey(rng, draws: int, respondents: int, answers, sd_person: float = 0.9):
    """Ratings 1–5 of a wide survey: a person effect shared by all of a respondent's answers.

    ``answers`` per respondent (an int, or an array of per-respondent counts). Returns the ratings
    (draws × respondents × max answers, NaN where not answered) and the counts.
    """
    k = np.broadcast_to(np.asarray(answers), (respondents,))
    width = int(k.max())
    person = rng.normal(0, sd_person, (draws, respondents, 1))
    ratings = np.clip(np.round(3.8 + person + rng.normal(0, 0.8, (draws, respondents, width))), 1, 5)
    answered = np.arange(width)[None, None, :] < k[None, :, None]
    return np.where(answered, ratings, np.nan), k


def _sums(scores: np.ndarray):
    """Per-draw n, total and the cluster sums from per-answer scores (draws × respondents × answers, NaN = none)."""
    answered = ~np.isnan(scores)
    n_i = answered.sum(axis=2).astype(float)
    s_i = np.nansum(scores, axis=2)
    clusters = (n_i > 0).sum(axis=1).astype(float)
    return (n_i.sum(axis=1), s_i.sum(axis=1), np.nansum(scores**2, axis=(1, 2)),
            (clusters, (n_i**2).sum(axis=1), (s_i**2).sum(axis=1), (s_i * n_i).sum(axis=1)))


@pytest.mark.parametrize("answers", [14, "varied"])
def test_cluster_robust_intervals_cover_with_repeated_respondents(answers):
    """Wide survey, 150 respondents each rating up to 14 questions: the naive interval misses, the robust covers."""
    rng = np.random.default_rng(21)
    respondents, draws = 150, 4_000
    k = 14 if answers == 14 else rng.integers(1, 15, respondents)
    ratings, _ = _wide_survey(rng, draws, respondents, k)
    sd = math.sqrt(0.9**2 + 0.8**2)
    truth_share = stats.norm.sf(-0.3 / sd)  # P(3.8 + person + noise ≥ 3.5), before rounding to 1–5
    top = np.where(np.isnan(ratings), np.nan, (ratings >= 4).astype(float))
    n, successes, _, clusters = _sums(top)
    _, low, high = wilson_interval(n, successes, clusters=clusters)
    _, naive_low, naive_high = wilson_interval(n, successes)
    assert 0.93 <= _covers(low, high, 100 * truth_share) <= 0.97
    assert _covers(naive_low, naive_high, 100 * truth_share) < 0.85
    if answers == 14:  # a wide survey: the naive interval is far too narrow
        assert np.median((high - low) / (naive_high - naive_low)) > 1.6
    # the mean rating (t interval, G − 1 degrees of freedom): truth by a large simulation of the same process
    big, _ = _wide_survey(np.random.default_rng(99), 1, 400_000, 1)
    truth_mean = float(np.nanmean(big))
    n, total, squares, clusters = _sums(ratings)
    _, low, high = t_interval(n, total, squares, clusters=clusters)
    assert 0.93 <= _covers(low, high, truth_mean) <= 0.97
    # NPS-style scores (+1 / 0 / −1) from the same ratings: 5 = promoter, 1–3 = detractor
    scores = np.where(np.isnan(ratings), np.nan, (ratings == 5).astype(float) - (ratings <= 3).astype(float))
    promoters = np.nansum(ratings == 5, axis=(1, 2)) * 1.0
    detractors = np.nansum(ratings <= 3, axis=(1, 2)) * 1.0
    n, _, _, clusters = _sums(scores)
    truth_nps = 100 * float(np.nanmean((big == 5).astype(float) - (big <= 3).astype(float)))
    _, low, high = nps_interval(n, promoters, detractors, clusters=clusters)
    assert 0.93 <= _covers(low, high, truth_nps) <= 0.97


def test_cluster_variance_matches_statsmodels_and_is_the_textbook_one_without_repeats():
    import pandas as pd
    import statsmodels.api as sm

    from cx.metrics.intervals import cluster_variance

    rng = np.random.default_rng(5)
    ids = rng.integers(0, 40, 300)
    x = (rng.random(300) < 0.3 + 0.01 * ids).astype(float)
    fit = sm.OLS(x, np.ones(300)).fit(cov_type="cluster", cov_kwds={"groups": ids})
    frame = pd.DataFrame({"id": ids, "x": x}).groupby("id")["x"].agg(["size", "sum"])
    v = cluster_variance([300], [x.sum()], [len(frame)], [(frame["size"] ** 2).sum()], [(frame["sum"] ** 2).sum()],
                         [(frame["sum"] * frame["size"]).sum()])
    assert v[0] == pytest.approx(fit.bse[0] ** 2, rel=1e-12)
    # one answer per customer: the robust and the textbook intervals agree (no repeats, no change)
    assert wilson_interval([300], [90], clusters=([300], [300], [90], [90]))[1] == pytest.approx(
        wilson_interval([300], [90])[1], rel=1e-12)
    # one customer answering several times: nothing to measure the spread between customers by
    assert np.isnan(wilson_interval([5], [2], clusters=([1], [25], [4], [10]))[1][0])
