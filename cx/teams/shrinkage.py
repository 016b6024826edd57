"""Empirical Bayes for many small groups: scores pulled toward the overall level as far as their n warrants.

An agent with four ratings, all perfect, is not the best agent: four ratings say little. Each
group's raw score is combined with what all groups together say about how much groups differ
(the prior, estimated from the data): a group with many answers keeps its own score, a group with
few is pulled toward the overall level. Two models, both fitted from per-group sufficient
statistics only:

* :func:`shrink_proportions` — shares (CSAT top-two-box, FCR): beta-binomial. Each group's true
  share is drawn from Beta(a, b); (a, b) by maximum marginal likelihood; each group's posterior is
  Beta(a + successes, b + failures).
* :func:`shrink_means` — means, NPS and medians: normal-normal. Each raw estimate ``y`` has a known
  sampling variance ``v``; true values are drawn from N(μ, τ²); τ² by REML (restricted maximum
  likelihood); each group's posterior mean is μ + (1 − B)(y − μ) with B = v / (v + τ²), and its
  variance (1 − B)v + B²·Var(μ̂) (the second term carries the uncertainty of μ̂).

:func:`rank_intervals` simulates the ranks from the posteriors: "rank 1–3 of 25" is the range
that holds the group's true rank with the stated probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from cx.metrics.intervals import normal_quantile

#: the largest prior concentration a + b (beyond it the groups do not differ: every share is the overall one)
MAX_CONCENTRATION = 1e7


@dataclass(frozen=True)
class Shrunk:
    """Posterior summaries per group, and the fitted prior.

    Attributes
    ----------
    raw, shrunk, low, high : ndarray
        Raw estimate, posterior mean and the equal-tailed credible interval per group.
    overall : float
        The prior mean (the level scores are pulled toward).
    spread : float
        The prior standard deviation of true group values (τ; for shares √(μ(1 − μ)/(a + b + 1))).
    weight : ndarray
        How much of each group's own data its shrunk score keeps (0 = all prior, 1 = all own data).
    a, b, tau2 : float
        The fitted prior: Beta(a, b) for shares, τ² for means (NaN for the other model).
    variance, posterior
        Normal posterior variances, or the Beta posterior parameters; :meth:`draws` samples either.
    """

    raw: np.ndarray
    shrunk: np.ndarray
    low: np.ndarray
    high: np.ndarray
    overall: float
    spread: float
    weight: np.ndarray
    a: float = float("nan")
    b: float = float("nan")
    tau2: float = float("nan")
    variance: np.ndarray | None = None  # normal posteriors
    posterior: tuple[np.ndarray, np.ndarray] | None = None  # beta posteriors: (a + successes, b + failures)

    def draws(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Posterior samples of every group's true value, shape (size, groups)."""
        if self.posterior is not None:
            return rng.beta(*self.posterior, (size, self.raw.size))
        return rng.normal(self.shrunk, np.sqrt(self.variance), (size, self.raw.size))


# --- shares: beta-binomial ----------------------------------------------------------------------


def _beta_binomial_loglik(params: np.ndarray, successes: np.ndarray, n: np.ndarray) -> float:
    mean, concentration = special.expit(params[0]), np.exp(params[1])
    a, b = mean * concentration, (1 - mean) * concentration
    # the binomial coefficient does not depend on (a, b): left out
    ll = special.betaln(a + successes, b + n - successes) - special.betaln(a, b)
    return float(ll.sum())


def fit_beta_prior(successes, n) -> tuple[float, float]:
    """Beta(a, b) prior of group shares by maximum marginal (beta-binomial) likelihood.

    Examples
    --------
    >>> a, b = fit_beta_prior([5, 50, 20, 1], [10, 100, 40, 10])
    >>> round(a / (a + b), 2)
    0.47
    """
    successes, n = np.asarray(successes, dtype="float64"), np.asarray(n, dtype="float64")
    if successes.size < 2:  # one group: nothing to learn how groups differ from, so a vague (Jeffreys) prior
        return 0.5, 0.5
    pooled = np.clip(successes.sum() / n.sum(), 1e-6, 1 - 1e-6)
    if np.all(successes == 0) or np.all(successes == n):
        return pooled * MAX_CONCENTRATION, (1 - pooled) * MAX_CONCENTRATION
    start = np.array([special.logit(pooled), np.log(10.0)])
    bounds = [(-15.0, 15.0), (np.log(1e-2), np.log(MAX_CONCENTRATION))]
    fit = optimize.minimize(lambda p: -_beta_binomial_loglik(p, successes, n), start, method="L-BFGS-B",
                            bounds=bounds)
    mean, concentration = special.expit(fit.x[0]), np.exp(fit.x[1])
    return float(mean * concentration), float((1 - mean) * concentration)


def shrink_proportions(successes, n, confidence: float = 0.95) -> Shrunk:
    """Shares shrunk toward the overall share (beta-binomial empirical Bayes), on the 0–1 scale.

    Parameters
    ----------
    successes, n : array-like
        Per group: answers that count as a success (e.g. CSAT 4–5) and answers.
    confidence : float
        Coverage of the credible intervals.

    Examples
    --------
    >>> s = shrink_proportions([4, 600, 350], [4, 1000, 700])
    >>> bool(s.raw[0] == 1.0 and s.shrunk[0] < 0.8)  # four out of four is not 100%
    True
    """
    successes, n = np.asarray(successes, dtype="float64"), np.asarray(n, dtype="float64")
    a, b = fit_beta_prior(successes, n)
    post_a, post_b = a + successes, b + n - successes
    tail = (1 - confidence) / 2
    mean = a / (a + b)
    return Shrunk(
        raw=successes / n, shrunk=post_a / (post_a + post_b),
        low=stats.beta.ppf(tail, post_a, post_b), high=stats.beta.ppf(1 - tail, post_a, post_b),
        overall=float(mean), spread=float(np.sqrt(mean * (1 - mean) / (a + b + 1))),
        weight=n / (n + a + b), a=a, b=b, posterior=(post_a, post_b),
    )


# --- means: normal-normal -----------------------------------------------------------------------


def _restricted_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    return float(-0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2)))


def reml_tau2(y, v) -> float:
    """Between-group variance τ² by restricted maximum likelihood (0 when groups do not differ).

    ``y`` are the raw group estimates, ``v`` their sampling variances.
    """
    y, v = np.asarray(y, dtype="float64"), np.asarray(v, dtype="float64")
    if y.size < 2:
        return 0.0
    upper = 10.0 * (np.var(y) + np.max(v)) + 1e-12
    # the restricted likelihood can have its maximum at 0; search on a grid first, then refine
    grid = np.concatenate([[0.0], np.geomspace(upper * 1e-9, upper, 60)])
    values = np.array([_restricted_loglik(t, y, v) for t in grid])
    best = int(np.argmax(values))
    if best == 0 and values[0] >= values[1]:
        lo, hi = 0.0, grid[1]
    else:
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    fit = optimize.minimize_scalar(lambda t: -_restricted_loglik(t, y, v), bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-12 * upper})
    tau2 = float(fit.x)
    return 0.0 if _restricted_loglik(0.0, y, v) >= _restricted_loglik(tau2, y, v) else tau2


def shrink_means(y, v, confidence: float = 0.95, bounds: tuple[float, float] | None = None) -> Shrunk:
    """Estimates shrunk toward their precision-weighted mean (normal-normal empirical Bayes, REML τ²).

    Parameters
    ----------
    y, v : array-like
        Per group: the raw estimate and its sampling variance.
    confidence : float
        Coverage of the intervals.
    bounds : (low, high), optional
        The metric's range (NPS −100…100): intervals are clipped to it.

    Examples
    --------
    >>> s = shrink_means([100.0, 10.0, -20.0, 5.0], [2500.0, 25.0, 25.0, 25.0])
    >>> bool(s.shrunk[0] < 50)  # the noisy +100 is pulled far toward the others
    True
    """
    y, v = np.asarray(y, dtype="float64"), np.asarray(v, dtype="float64")
    tau2 = reml_tau2(y, v)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    var_mu = 1.0 / float(np.sum(w))
    shrink = v / (v + tau2) if tau2 > 0 else np.ones_like(v)
    mean = mu + (1 - shrink) * (y - mu)
    variance = (1 - shrink) * v + shrink**2 * var_mu
    z = normal_quantile(confidence)
    low, high = mean - z * np.sqrt(variance), mean + z * np.sqrt(variance)
    if bounds is not None:
        low, high = np.clip(low, *bounds), np.clip(high, *bounds)
    return Shrunk(raw=y, shrunk=mean, low=low, high=high, overall=mu, spread=float(np.sqrt(tau2)),
                  weight=1 - shrink, tau2=tau2, variance=variance)


def pooled_variance(n, total, squares) -> float:
    """The within-group variance of single answers, pooled over groups (from counts, sums, sums of squares)."""
    n, total, squares = (np.asarray(x, dtype="float64") for x in (n, total, squares))
    within = np.sum(squares - total**2 / n)
    dof = np.sum(n) - n.size
    if dof <= 0:  # one answer per group: the spread of all answers
        dof, within = np.sum(n) - 1, np.sum(squares) - np.sum(total) ** 2 / np.sum(n)
    return float(max(within, 0.0) / max(dof, 1.0))


# --- ranks ----------------------------------------------------------------------------------------


def rank_intervals(shrunk: Shrunk, higher_is_better: bool = True, confidence: float = 0.95, draws: int = 4000,
                   random_state: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks from posterior draws: the most likely rank and an interval per group (1 = best).

    Returns ``(rank, rank_low, rank_high)``: the median simulated rank and the equal-tailed interval
    that holds the true rank with probability ``confidence``.
    """
    rng = np.random.default_rng(random_state)
    sample = shrunk.draws(draws, rng)
    order = -sample if higher_is_better else sample
    ranks = stats.rankdata(order, axis=1, method="ordinal")
    tail = (1 - confidence) / 2
    low = np.quantile(ranks, tail, axis=0, method="inverted_cdf")
    high = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf")
    middle = np.quantile(ranks, 0.5, axis=0, method="inverted_cdf")
    return middle.astype("int64"), low.astype("int64"), high.astype("int64")


__all__ = [
    "MAX_CONCENTRATION",
    "Shrunk",
    "fit_beta_prior",
    "pooled_variance",
    "rank_intervals",
    "reml_tau2",
    "shrink_means",
    "shrink_proportions",
]
