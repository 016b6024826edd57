"""95% intervals from sufficient statistics: pure, vectorised, no database.

Each function takes per-cell counts or sums (numpy arrays or anything array-like) and returns the
value with its interval. The metric registry (:mod:`cx.metrics.registry`) calls them on the
statistics one query returned; the tests check their coverage by simulation.

The normal quantile comes from the standard library (``statistics.NormalDist``), the Student t
quantile from ``scipy.special`` (what ``scipy.stats.t.ppf`` calls), imported when first needed: a
``cx metrics`` run does not pay for ``scipy.stats``, and one on a proportion or NPS not for scipy.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def normal_quantile(confidence: float) -> float:
    """The two-sided standard normal quantile ``z`` for ``confidence`` (1.96 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)  # Wichura's AS241, as scipy's ndtri: no scipy import


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype="float64") for v in values]


def nps_interval(n, promoters, detractors, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPS in points with a normal interval from the trinomial variance.

    Parameters
    ----------
    n, promoters, detractors : array-like
        Responses, answers of 9–10 and answers of 0–6 per cell.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    value, low, high : ndarray
        Points (−100…100); the interval is clipped to that range. NaN where ``n`` is 0.

    Examples
    --------
    >>> value, low, high = nps_interval([100], [50], [20])
    >>> float(value[0]), round(float(low[0]), 1), round(float(high[0]), 1)
    (30.0, 14.7, 45.3)
    """
    n, promoters, detractors = _arrays(n, promoters, detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = promoters / n, detractors / n
        value = 100.0 * (p - d)
        variance = np.maximum(p + d - (p - d) ** 2, 0.0) / n
        half = 100.0 * normal_quantile(confidence) * np.sqrt(variance)
    return value, np.clip(value - half, -100.0, 100.0), np.clip(value + half, -100.0, 100.0)


def wilson_interval(n, successes, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A proportion in percent with its Wilson score interval.

    Parameters
    ----------
    n, successes : array-like
        Trials and successes per cell.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    value, low, high : ndarray
        Percent (0…100); NaN where ``n`` is 0.

    Examples
    --------
    >>> value, low, high = wilson_interval([10], [10])
    >>> float(value[0]), round(float(low[0]), 1), round(float(high[0]), 1)
    (100.0, 72.2, 100.0)
    """
    n, successes = _arrays(n, successes)
    z = normal_quantile(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denominator = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denominator
        half = z * np.sqrt(np.maximum(p * (1.0 - p) / n + z * z / (4.0 * n * n), 0.0)) / denominator
    return 100.0 * p, 100.0 * np.clip(centre - half, 0.0, 1.0), 100.0 * np.clip(centre + half, 0.0, 1.0)


def t_interval(n, total, squares, confidence: float = 0.95, constant=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mean with its Student t interval, from count, sum and sum of squares.

    Parameters
    ----------
    n, total, squares : array-like
        Count, sum and sum of squared values per cell.
    confidence : float
        Coverage of the interval.
    constant : array-like of bool, optional
        Cells whose values are all equal (min = max): their variance is exactly 0, whatever the
        rounding of ``squares − total² / n``.

    Returns
    -------
    value, low, high : ndarray
        The mean and its interval; the interval is NaN where ``n`` < 2.

    Examples
    --------
    >>> value, low, high = t_interval([4], [10.0], [30.0])
    >>> float(value[0]), round(float(low[0]), 3), round(float(high[0]), 3)
    (2.5, 0.446, 4.554)
    """
    from scipy.special import stdtrit  # Student t quantile: what scipy.stats.t.ppf computes

    n, total, squares = _arrays(n, total, squares)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.maximum((squares - total * mean) / (n - 1.0), 0.0)
        if constant is not None:
            variance = np.where(np.asarray(constant, dtype=bool), 0.0, variance)
        half = stdtrit(n - 1.0, 0.5 + confidence / 2.0) * np.sqrt(variance / n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half


def median_rank_bounds(n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of the order statistics that bound the distribution-free median interval.

    The lower rank is the largest ``r`` with ``r <= (n + 1 - z√n) / 2`` (the normal approximation
    to ``Binomial(n, 1/2)`` with a continuity correction) and the upper rank is ``n + 1 - r``;
    ``[x(r), x(n+1-r)]`` covers the median with probability ``P(r <= B <= n - r)``, between 95.0%
    and 96.9% for every n from 100 to 3000. :func:`cx.db.dialects.rank_at_most` makes the same
    choice in SQL without square roots. Below n = 6 there is no such rank: the bounds are 0 and
    ``n + 1`` and the interval is missing.

    Examples
    --------
    >>> low, high = median_rank_bounds([100, 101])
    >>> low.tolist(), high.tolist()
    ([40, 41], [61, 61])
    """
    n = np.asarray(n, dtype="int64")
    z2 = normal_quantile(confidence) ** 2

    def ok(rank):
        gap = n + 1 - 2 * rank
        return (rank >= 1) & (gap >= 0) & (gap.astype("float64") ** 2 >= z2 * n)

    low = np.floor((n + 1 - np.sqrt(z2 * n)) / 2).astype("int64")
    low = np.where(ok(low + 1), low + 1, low)  # settle float rounding at the boundary the way SQL does
    low = np.where(ok(low), low, low - 1)
    low = np.where(ok(low), low, 0)
    return low, np.where(low >= 1, n + 1 - low, n + 1)


__all__ = ["median_rank_bounds", "normal_quantile", "nps_interval", "t_interval", "wilson_interval"]
