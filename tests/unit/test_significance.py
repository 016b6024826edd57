"""Significance tests and BH correction against scipy / statsmodels on fixed inputs."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from cx.metrics import significance as sig


def test_two_proportion_matches_statsmodels():
    cases = [(40, 100, 60, 120), (5, 30, 15, 31), (900, 1000, 850, 1000), (0, 50, 3, 50)]
    for s1, n1, s0, n0 in cases:
        z, p = sig.two_proportion_test(s1, n1, s0, n0)
        z_ref, p_ref = proportions_ztest([s1, s0], [n1, n0])
        assert z == pytest.approx(z_ref, rel=1e-10) and p == pytest.approx(p_ref, rel=1e-10)


def test_two_proportion_degenerate_is_nan():
    z, p = sig.two_proportion_test([0, 10], [0, 10], [5, 10], [10, 10])
    assert np.isnan(z).all() and np.isnan(p).all()


def test_welch_matches_scipy():
    rng = np.random.default_rng(3)
    for _ in range(5):
        a, b = rng.normal(4, 1.2, rng.integers(5, 80)), rng.normal(4.4, 0.7, rng.integers(5, 80))
        t, p = sig.welch_test(len(a), a.sum(), (a**2).sum(), len(b), b.sum(), (b**2).sum())
        ref = stats.ttest_ind(a, b, equal_var=False)
        assert t == pytest.approx(ref.statistic, rel=1e-8) and p == pytest.approx(ref.pvalue, rel=1e-8)


def test_count_rate_matches_binomtest():
    for c1, c0, e1, e0 in [(120, 100, 1, 1), (10, 30, 1, 4), (0, 7, 1, 1)]:
        p = sig.count_rate_test(c1, c0, e1, e0)
        assert p == pytest.approx(stats.binomtest(c1, c1 + c0, e1 / (e1 + e0)).pvalue, rel=1e-12)


def test_nps_difference_matches_multinomial_delta_method():
    # NPS of each group = E[X] for X in {+1 promoter, 0 passive, -1 detractor}: a Welch-type z on X
    g1 = np.r_[np.ones(50), np.zeros(30), -np.ones(20)]
    g0 = np.r_[np.ones(30), np.zeros(30), -np.ones(40)]
    z, p = sig.nps_difference_test(50, 20, 100, 30, 40, 100)
    se = np.sqrt(g1.var() / len(g1) + g0.var() / len(g0))
    assert z == pytest.approx((g1.mean() - g0.mean()) / se, rel=1e-12)
    assert p == pytest.approx(2 * stats.norm.sf(abs((g1.mean() - g0.mean()) / se)), rel=1e-12)


def test_benjamini_hochberg_matches_statsmodels():
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0, 0.01, 5), rng.uniform(0, 1, 40)]
    assert sig.benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1], rel=1e-12)


def test_benjamini_hochberg_skips_nan():
    q = sig.benjamini_hochberg([0.01, np.nan, 0.04, 0.03])
    ref = multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1]
    assert np.isnan(q[1]) and q[[0, 2, 3]] == pytest.approx(ref)


def test_false_discovery_rate_controlled_by_simulation():
    """Under a mix of nulls and real effects, BH at 5% keeps the false discovery proportion near ≤ 5%."""
    rng = np.random.default_rng(11)
    fdp = []
    for _ in range(400):
        null = rng.uniform(size=80)
        real = 2 * stats.norm.sf(np.abs(rng.normal(3.5, 1, 20)))
        q = sig.benjamini_hochberg(np.r_[null, real])
        rejected = q < 0.05
        fdp.append(rejected[:80].sum() / max(rejected.sum(), 1))
    assert np.mean(fdp) < 0.05 * 80 / 100 + 0.01  # BH controls FDR at alpha · m0 / m


def test_interval_difference_test_recovers_symmetric_case():
    z, p = sig.interval_difference_test(10, 8.04, 11.96, 8, 6.04, 9.96)
    assert z == pytest.approx(2 / np.sqrt(2), rel=1e-3)


def test_welch_is_nan_where_it_cannot_test_and_exact_beside_it():
    a, b = np.array([3.0, 4, 6, 7]), np.array([1.0, 2, 2, 5, 6])
    n1, t1, q1 = [1, 5, a.size], [3.0, 10.0, a.sum()], [9.0, 20.0, (a**2).sum()]  # one answer; all 2s vs all 2s
    n0, t0, q0 = [4, 5, b.size], [8.0, 10.0, b.sum()], [20.0, 20.0, (b**2).sum()]
    t, p = sig.welch_test(n1, t1, q1, n0, t0, q0)
    assert np.isnan(t[:2]).all() and np.isnan(p[:2]).all()
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert t[2] == pytest.approx(ref.statistic, rel=1e-12) and p[2] == pytest.approx(ref.pvalue, rel=1e-12)


def test_benjamini_hochberg_of_nothing_testable_is_nan():
    assert np.isnan(sig.benjamini_hochberg([np.nan, np.nan])).all()
    assert sig.benjamini_hochberg([]).shape == (0,)
