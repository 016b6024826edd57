"""Empirical Bayes by group: independent computations of the fits, and coverage checked by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cx.teams.shrinkage import (
    fit_beta_prior,
    pooled_variance,
    rank_intervals,
    reml_tau2,
    shrink_means,
    shrink_proportions,
)

# --- independent computations ---------------------------------------------------------------------


def _reml_by_matrices(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """The restricted log-likelihood written the textbook way: V, X, P = V⁻¹ − V⁻¹X(XᵀV⁻¹X)⁻¹XᵀV⁻¹."""
    V = np.diag(v + tau2)
    X = np.ones((y.size, 1))
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    P = Vi - Vi @ X @ np.linalg.inv(XtViX) @ X.T @ Vi
    return -0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + y @ P @ y)


def test_reml_tau2_is_the_maximum_of_the_restricted_likelihood():
    rng = np.random.default_rng(3)
    n = rng.integers(5, 200, 25)
    theta = rng.normal(0, 4, 25)
    y = rng.normal(theta, 20 / np.sqrt(n))
    v = 400 / n
    tau2 = reml_tau2(y, v)
    grid = np.linspace(0, 60, 6001)
    best = grid[np.argmax([_reml_by_matrices(t, y, v) for t in grid])]
    assert tau2 == pytest.approx(best, abs=0.02)
    assert 2 < tau2 < 60


def test_reml_tau2_is_zero_when_groups_do_not_differ():
    y = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    assert reml_tau2(y, np.full(5, 4.0)) == 0.0


def test_shrunk_means_are_the_normal_posterior_means():
    y = np.array([100.0, 10.0, -20.0, 5.0, 30.0])
    v = np.array([2500.0, 25.0, 40.0, 30.0, 400.0])
    s = shrink_means(y, v)
    w = 1 / (v + s.tau2)
    mu = np.sum(w * y) / np.sum(w)
    posterior_mean = (y / v + mu / s.tau2) / (1 / v + 1 / s.tau2)
    assert s.overall == pytest.approx(mu)
    assert s.shrunk == pytest.approx(posterior_mean)
    # the noisiest group moves most, and every shrunk value lies between its raw value and the mean
    moved = np.abs(s.shrunk - y) / np.abs(y - mu)
    assert np.argmax(moved) == 0
    assert np.all((s.shrunk - mu) * (y - mu) >= 0) and np.all(np.abs(s.shrunk - mu) <= np.abs(y - mu))


def test_beta_prior_is_the_maximum_of_the_beta_binomial_likelihood():
    rng = np.random.default_rng(5)
    n = rng.integers(3, 150, 30)
    k = rng.binomial(n, rng.beta(8, 4, 30))
    a, b = fit_beta_prior(k, n)
    mean, conc = np.meshgrid(np.linspace(0.5, 0.85, 141), np.geomspace(2, 400, 241), indexing="ij")
    ll = stats.betabinom.logpmf(k[None, None, :], n[None, None, :], (mean * conc)[..., None],
                                ((1 - mean) * conc)[..., None]).sum(axis=2)
    i, j = np.unravel_index(np.argmax(ll), ll.shape)
    assert a / (a + b) == pytest.approx(mean[i, j], abs=0.003)
    assert np.log(a + b) == pytest.approx(np.log(conc[i, j]), abs=0.05)


def test_shrunk_shares_are_beta_posterior_means_and_four_of_four_is_not_best():
    k, n = np.array([4, 700, 300, 55]), np.array([4, 1000, 500, 100])
    s = shrink_proportions(k, n)
    assert s.shrunk == pytest.approx((s.a + k) / (s.a + s.b + n))
    assert s.raw[0] == 1.0 and s.shrunk[0] < s.shrunk[1]
    assert s.low == pytest.approx(stats.beta.ppf(0.025, s.a + k, s.b + n - k))
    assert np.all(s.low <= s.shrunk) and np.all(s.shrunk <= s.high)


def test_a_single_group_keeps_its_own_score_and_uncertainty():
    s = shrink_proportions([3], [10])
    assert s.low[0] == pytest.approx(stats.beta.ppf(0.025, 3.5, 7.5)) and s.high[0] > 0.55  # Jeffreys interval
    m = shrink_means([4.0], [0.25])
    assert m.shrunk[0] == 4.0 and m.low[0] == pytest.approx(4.0 - 1.959964 * 0.5, abs=1e-5)


def test_pooled_variance_matches_numpy_on_the_answers():
    rng = np.random.default_rng(1)
    groups = [rng.normal(i, 2, size) for i, size in enumerate([5, 40, 12, 1])]
    n = np.array([g.size for g in groups])
    total = np.array([g.sum() for g in groups])
    squares = np.array([(g**2).sum() for g in groups])
    expected = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n.sum() - len(groups))
    assert pooled_variance(n, total, squares) == pytest.approx(expected)


def test_rank_intervals_from_clearly_separated_groups_are_exact():
    s = shrink_means(np.array([10.0, 0.0, -10.0]), np.full(3, 0.01))
    rank, low, high = rank_intervals(s, higher_is_better=True)
    assert rank.tolist() == low.tolist() == high.tolist() == [1, 2, 3]
    rank, low, high = rank_intervals(s, higher_is_better=False)
    assert rank.tolist() == [3, 2, 1]


def test_rank_intervals_are_reproducible_and_invariant_to_group_order():
    rng = np.random.default_rng(2)
    y, v = rng.normal(0, 3, 12), rng.uniform(1, 20, 12)
    first = rank_intervals(shrink_means(y, v), random_state=4)
    again = rank_intervals(shrink_means(y, v), random_state=4)
    assert all((a == b).all() for a, b in zip(first, again))
    order = rng.permutation(12)
    shuffled = rank_intervals(shrink_means(y[order], v[order]), draws=20000, random_state=9)
    wide = rank_intervals(shrink_means(y, v), draws=20000, random_state=9)
    assert np.abs(shuffled[1] - wide[1][order]).max() <= 1 and np.abs(shuffled[2] - wide[2][order]).max() <= 1


# --- coverage by simulation -----------------------------------------------------------------------

SIMULATIONS = 300


def _true_ranks(theta: np.ndarray) -> np.ndarray:
    return stats.rankdata(-theta, method="ordinal")


def _normal_world(rng, n):
    theta = rng.normal(-15, 12, n.size)  # NPS-like agent levels, answers with sd 75
    return theta, shrink_means(rng.normal(theta, 75 / np.sqrt(n)), 75**2 / n)


def _beta_world(rng, n):
    p = rng.beta(12, 6, n.size)  # CSAT-like shares
    return p, shrink_proportions(rng.binomial(n, p), n)


@pytest.mark.parametrize("world", [_normal_world, _beta_world], ids=["normal", "beta-binomial"])
def test_intervals_and_rank_intervals_cover_at_the_stated_rate(world):
    rng = np.random.default_rng(11)
    covered, ranked = [], []
    for sim in range(SIMULATIONS):
        n = rng.integers(4, 300, 30)  # 30 agents, from a handful of answers to hundreds
        truth, s = world(rng, n)
        covered.append(np.mean((s.low <= truth) & (truth <= s.high)))
        _, low, high = rank_intervals(s, draws=1000, random_state=sim)
        true_rank = _true_ranks(truth)
        ranked.append(np.mean((low <= true_rank) & (true_rank <= high)))
    assert 0.93 <= np.mean(covered) <= 0.97
    assert 0.93 <= np.mean(ranked) <= 0.99


def test_shrinkage_beats_raw_scores_on_error():
    rng = np.random.default_rng(13)
    raw_error, shrunk_error = 0.0, 0.0
    for _ in range(100):
        n = rng.integers(4, 100, 25)
        p = rng.beta(12, 6, 25)
        s = shrink_proportions(rng.binomial(n, p), n)
        raw_error += np.sum((s.raw - p) ** 2)
        shrunk_error += np.sum((s.shrunk - p) ** 2)
    assert shrunk_error < 0.8 * raw_error
