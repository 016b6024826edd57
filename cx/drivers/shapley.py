"""Relative importance: the Shapley split of R² between drivers (general dominance), with bootstrap intervals.

A linear model's R² is shared fairly between correlated drivers by averaging each driver's gain
in R² over every order in which the drivers could enter the model (Shapley value; Budescu's
*general dominance* in dominance analysis). The importances are non-negative for R², and they sum
to the full model's R² exactly. A driver can be a group of columns (a channel coded as indicator
columns), which makes its importance independent of the reference level left out.

Everything works on the covariance matrix of ``[y, x₁…xₖ]``: the R² of every subset of drivers is
``c' C⁻¹ c / var(y)`` for that subset's block, solved in batches of equal size, so 2¹⁴ subsets
take well under a second, and a bootstrap replicate costs one weighted covariance.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

MAX_DRIVERS = 15


@functools.lru_cache(maxsize=16)
def _plan(groups: tuple[tuple[int, ...], ...]):
    """For each subset (bit mask) of the driver groups: its column indices, batched by size."""
    p = len(groups)
    batches: dict[int, tuple[list[int], list[list[int]]]] = {}
    for mask in range(1, 1 << p):
        cols = [c for j in range(p) if mask >> j & 1 for c in groups[j]]
        masks, idx = batches.setdefault(len(cols), ([], []))
        masks.append(mask)
        idx.append(cols)
    return [(np.array(m), np.array(i)) for m, i in batches.values()]


@functools.lru_cache(maxsize=16)
def _weights(p: int):
    """For each driver j: the masks without j and their Shapley weights |S|!(p−|S|−1)!/p!."""
    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) if s < p else 0.0
                       for s in size])
    out = []
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        out.append((without, without | (1 << j), weight[without]))
    return out


def subset_r2(cov: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """R² of the least-squares fit of ``y`` on every subset of the driver groups.

    Parameters
    ----------
    cov : ndarray, shape (k + 1, k + 1)
        Covariance matrix of ``[y, x₁…xₖ]`` (y first).
    groups : sequence of sequences of int
        Each driver's columns, as indices into ``x`` (0-based).

    Returns
    -------
    ndarray, shape (2**p,)
        ``r2[mask]`` for each subset, ``mask`` bit j set when driver j is in; ``r2[0] = 0``.
    """
    groups = tuple(tuple(int(c) for c in g) for g in groups)
    if len(groups) > MAX_DRIVERS:
        raise ValueError(f"at most {MAX_DRIVERS} drivers can be split exactly (got {len(groups)})")
    var_y = cov[0, 0]
    cxx, cxy = cov[1:, 1:], cov[1:, 0]
    ridge = 1e-10 * max(float(np.max(np.diag(cxx), initial=0.0)), 1e-300)  # guards constant columns only
    r2 = np.zeros(1 << len(groups))
    if var_y <= 0:
        return r2
    for masks, idx in _plan(groups):
        k = idx.shape[1]
        a = cxx[idx[:, :, None], idx[:, None, :]] + ridge * np.eye(k)
        b = cxy[idx]
        solution = np.linalg.solve(a, b[:, :, None])[:, :, 0]
        r2[masks] = np.einsum("mk,mk->m", b, solution) / var_y
    return np.clip(r2, 0.0, 1.0)


def shapley_values(r2: np.ndarray) -> np.ndarray:
    """Each driver's Shapley share of the full R², from the R² of every subset (they sum to ``r2[-1]``)."""
    p = int(round(math.log2(len(r2))))
    return np.array([np.sum(w * (r2[with_j] - r2[without])) for without, with_j, w in _weights(p)])


def weighted_cov(z: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Covariance matrix of the columns of ``z`` with frequency weights (a bootstrap resample)."""
    if weights is None:
        weights = np.ones(len(z))
    total = weights.sum()
    mean = weights @ z / total
    # raw second moments minus the outer product of the means: one product, no centred copy (callers
    # centre ``z`` once beforehand, so there is no cancellation to fear)
    return z.T @ (z * weights[:, None]) / total - np.outer(mean, mean)


def importance(z: np.ndarray, groups: Sequence[Sequence[int]], *, n_boot: int = 200, seed: int = 0,
               confidence: float = 0.95, clusters: np.ndarray | None = None) -> dict[str, np.ndarray | float]:
    """Shapley importances of the driver groups for ``z[:, 0]`` with percentile bootstrap intervals.

    Parameters
    ----------
    z : ndarray, shape (n, k + 1)
        The outcome first, then the driver columns (no missing values).
    groups : sequence of sequences of int
        Each driver's columns, as indices into ``z[:, 1:]``.
    n_boot : int
        Bootstrap resamples of the rows (0: no intervals).
    seed : int
        Seed of the resampling (same seed, same intervals).
    confidence : float
        Coverage of the intervals.
    clusters : array-like, optional
        One label per row (a customer id): the bootstrap resamples whole clusters, so that several
        answers of one customer do not count as independent evidence.

    Returns
    -------
    dict
        ``r2`` (full model), ``importance`` (one per group, summing to ``r2``), ``ci_low``,
        ``ci_high`` (per group), ``r2_low``, ``r2_high``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> y = x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=500)
    >>> out = importance(np.column_stack([y, x]), [[0], [1]], n_boot=0)
    >>> bool(abs(out["importance"].sum() - out["r2"]) < 1e-12), bool(out["importance"][0] > out["importance"][1])
    (True, True)
    """
    z = np.asarray(z, dtype="float64")
    z = z - z.mean(axis=0)  # centred once: the bootstrap's weighted moments stay exact
    full = subset_r2(weighted_cov(z), groups)
    point = shapley_values(full)
    out: dict[str, np.ndarray | float] = {"r2": float(full[-1]), "importance": point}
    nan = np.full(len(point), np.nan)
    out.update(ci_low=nan, ci_high=nan, r2_low=np.nan, r2_high=np.nan)
    if n_boot > 0 and len(z) > 1:
        rng = np.random.default_rng(seed)
        if clusters is None:
            members, n_clusters = np.arange(len(z)), len(z)
        else:
            _, members = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
            n_clusters = int(members.max()) + 1
        draws = np.empty((n_boot, len(point)))
        r2s = np.empty(n_boot)
        with threadpool_limits(1):  # thin products: on shared cores one BLAS thread is several times faster
            for b in range(n_boot):
                picked = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
                counts = picked[members].astype("float64")
                r2 = subset_r2(weighted_cov(z, counts), groups)
                draws[b], r2s[b] = shapley_values(r2), r2[-1]
        tail = 100 * (1 - confidence) / 2
        out.update(ci_low=np.percentile(draws, tail, axis=0), ci_high=np.percentile(draws, 100 - tail, axis=0),
                   r2_low=float(np.percentile(r2s, tail)), r2_high=float(np.percentile(r2s, 100 - tail)))
    return out


__all__ = ["MAX_DRIVERS", "importance", "shapley_values", "subset_r2", "weighted_cov"]
