"""Is a change real? Two-sample tests from sufficient statistics, and the Benjamini–Hochberg correction.

Every test takes the per-cell statistics a metric query already returns (counts, sums, sums of
squares, interval bounds), so no row leaves the database to decide significance. All functions are
vectorised over numpy arrays and return two-sided p-values.

Where a library does the job it does it: the Poisson rate comparison is ``scipy.stats.binomtest``.
Welch's test and the Benjamini–Hochberg correction are ``scipy.stats.ttest_ind_from_stats`` and
``scipy.stats.false_discovery_control`` written out step for step on ``scipy.special`` (the tests
check them equal to scipy's to the last bit): importing scipy.stats costs `cx alerts` most of a
second of its start. What scipy has no function for from these statistics (the pooled
two-proportion z-test, the NPS difference, medians known by their intervals) is a z-test of a few
lines, checked against statsmodels and the delta method in the tests. scipy is imported inside the
functions: importing this module (as every ``cx metrics`` run does) costs nothing.
"""

from __future__ import annotations

import numpy as np


def _arr(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype="float64") for v in values]


def _two_sided(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr  # the normal CDF: 2 · ndtr(−|z|) is scipy.stats.norm.sf(|z|) · 2

    return 2.0 * ndtr(-np.abs(z))


def two_proportion_test(s1, n1, s0, n0) -> tuple[np.ndarray, np.ndarray]:
    """Pooled two-proportion z-test (as ``statsmodels.stats.proportion.proportions_ztest``).

    Returns ``(z, p)``; NaN where a group is empty or both proportions are 0 or 1.
    """
    s1, n1, s0, n0 = _arr(s1, n1, s0, n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (s1 + s0) / (n1 + n0)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
        z = (s1 / n1 - s0 / n0) / se
    z = np.where((n1 > 0) & (n0 > 0) & (se > 0), z, np.nan)
    return z, _two_sided(z)


def nps_difference_test(promoters1, detractors1, n1, promoters0, detractors0, n0) -> tuple[np.ndarray, np.ndarray]:
    """z-test of the difference of two NPS values with the trinomial variance of each.

    Var(NPS) = (p + d − (p − d)²) / n with p, d the promoter and detractor shares.
    """
    a1, b1, n1, a0, b0, n0 = _arr(promoters1, detractors1, n1, promoters0, detractors0, n0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, d1, p0, d0 = a1 / n1, b1 / n1, a0 / n0, b0 / n0
        var = (p1 + d1 - (p1 - d1) ** 2) / n1 + (p0 + d0 - (p0 - d0) ** 2) / n0
        z = ((p1 - d1) - (p0 - d0)) / np.sqrt(var)
    z = np.where((n1 > 0) & (n0 > 0) & (var > 0), z, np.nan)
    return z, _two_sided(z)


def student_sf(t, df):
    """Student's t survival function, as ``scipy.stats.t.sf`` computes it (``stdtr(df, −t)``)."""
    from scipy.special import stdtr

    return stdtr(df, -np.asarray(t, dtype="float64"))


def _welch_from_stats(mean1, std1, nobs1, mean2, std2, nobs2) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``, step for step (scipy 1.17)."""
    vn1, vn2 = std1**2 / nobs1, std2**2 / nobs2
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (vn1 + vn2) ** 2 / (vn1**2 / (nobs1 - 1) + vn2**2 / (nobs2 - 1))
        df = np.where(np.isnan(df), 1.0, df)  # both variances zero: any df will do
        t = np.divide(mean1 - mean2, np.sqrt(vn1 + vn2))
    return t, 2 * student_sf(np.abs(t), df)


def welch_test(n1, total1, squares1, n0, total0, squares0) -> tuple[np.ndarray, np.ndarray]:
    """Welch's unequal-variance t-test from counts, sums and sums of squares.

    The means and sample standard deviations go to Welch's test as
    ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)`` computes it. Returns ``(t, p)``; NaN
    where a group has fewer than two values or both have no spread.
    """
    n1, t1, q1, n0, t0, q0 = _arr(n1, total1, squares1, n0, total0, squares0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = t1 / n1, t0 / n0
        v1 = np.maximum(q1 - n1 * m1**2, 0) / (n1 - 1)
        v0 = np.maximum(q0 - n0 * m0**2, 0) / (n0 - 1)
        ok = (n1 > 1) & (n0 > 1) & (v1 / n1 + v0 / n0 > 0)
        # degenerate cells get harmless stand-ins (n = 2, unit spread) and are masked below
        t, p = _welch_from_stats(np.where(ok, m1, 0.0), np.sqrt(np.where(ok, v1, 1.0)), np.where(ok, n1, 2.0),
                                 np.where(ok, m0, 0.0), np.sqrt(np.where(ok, v0, 1.0)), np.where(ok, n0, 2.0))
    return np.where(ok, t, np.nan), np.where(ok, p, np.nan)


def count_rate_test(c1, c0, exposure1=1.0, exposure0=1.0) -> np.ndarray:
    """Exact conditional test that two Poisson counts share a rate (a binomial test on c1 | c1 + c0).

    Each cell is ``scipy.stats.binomtest(c1, c1 + c0, exposure1 / (exposure1 + exposure0))``.
    """
    from scipy.stats import binomtest

    c1, c0, e1, e0 = _arr(c1, c0, exposure1, exposure0)
    c1, c0, e1, e0 = np.broadcast_arrays(c1, c0, e1, e0)
    out = np.full(c1.shape, np.nan)
    for index in np.ndindex(c1.shape):
        total = int(c1[index] + c0[index])
        if total > 0:
            out[index] = binomtest(int(c1[index]), total, e1[index] / (e1[index] + e0[index])).pvalue
    return out


def interval_difference_test(value1, low1, high1, value0, low0, high0, confidence: float = 0.95):
    """Approximate z-test for statistics known only by an estimate and a (possibly asymmetric) interval.

    Used for medians (response and resolution times), whose distribution-free intervals come from
    order statistics: the standard error of each is taken as the interval width / (2 z). Returns
    ``(z, p)``; NaN where an interval is missing or has zero width on both sides.
    """
    from cx.metrics.intervals import normal_quantile

    v1, l1, h1, v0, l0, h0 = _arr(value1, low1, high1, value0, low0, high0)
    zq = normal_quantile(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(((h1 - l1) / (2 * zq)) ** 2 + ((h0 - l0) / (2 * zq)) ** 2)
        z = (v1 - v0) / se
    z = np.where(np.isfinite(se) & (se > 0), z, np.nan)
    return z, _two_sided(z)


def _false_discovery_control(ps: np.ndarray) -> np.ndarray:
    """``scipy.stats.false_discovery_control(ps, method="bh")`` of a 1-d array, step for step (scipy 1.17)."""
    if not np.all((ps >= 0) & (ps <= 1)):
        raise ValueError("`ps` must include only numbers between 0 and 1.")
    if ps.size <= 1:
        return ps
    order = np.argsort(ps, kind="stable")
    adjusted = ps[order] * (ps.size / np.arange(1, ps.size + 1, dtype=ps.dtype))
    np.minimum.accumulate(adjusted[::-1], out=adjusted[::-1])  # step-up: never above a later q
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return np.clip(out, 0.0, 1.0)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), as ``scipy.stats.false_discovery_control``.

    NaN p-values (cells that could not be tested) stay NaN and do not count in the family size.
    """
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        out[valid] = _false_discovery_control(p[valid])
    return out


__all__ = ["benjamini_hochberg", "count_rate_test", "interval_difference_test", "nps_difference_test",
           "student_sf", "two_proportion_test", "welch_test"]
