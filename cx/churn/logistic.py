"""L2-penalised logistic regression solved to convergence: the full fit and the bootstrap refits alike.

The churn model minimises, over coefficients ``β`` and an unpenalised intercept,

    Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + ‖β‖² / (2C),     η = Zβ + intercept,

scikit-learn's ``LogisticRegression(C=C)`` objective (divided by ``C``) on the standardised design
matrix ``Z``; ``C = inf`` is the unpenalised fit (the calibration line).
Both the point estimate and every bootstrap refit are solved here, to the same stopping rule
(the largest Newton step under ``tol``), so an odds ratio and its bootstrap interval describe the
same estimator. Why not scikit-learn's solver: its default tolerance judges the *mean* loss, so on
tens of thousands of customers it stops while the coefficients are still off by more than their
own standard error, and a printed odds ratio fell outside its bootstrap interval ("0.392
(0.383–0.388)", issue 12); when its Cholesky step meets collinear features it falls back to
L-BFGS silently (the fallback's warning is a ``UserWarning``).

- :func:`newton_fit` — Newton's method with a backtracking line search, from a start point;
  reports the iterations and whether it converged.
- :func:`chord_refit` — many refits at once (one column of case weights each), started at the
  full-data solution with the full-data Hessian (a chord method: the resampled Hessian differs by
  O(1/√n), so a few matrix products converge); columns that do not converge fall back to
  :func:`newton_fit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.special import expit

#: Stop when no coefficient moves by more than this (standardised units: far below any standard error).
TOL = 1e-6
MAX_ITER = 100
_CHORD_ITER = 40


@dataclass(frozen=True)
class LogisticFit:
    """The solution of one fit: ``beta`` holds the coefficients, then the intercept."""

    beta: np.ndarray
    n_iter: int
    converged: bool


def _design(Z: np.ndarray, C: float) -> tuple[np.ndarray, np.ndarray]:
    """``Z`` with an intercept column, and the penalty ``1/C`` of each column (the intercept's is 0)."""
    Z = np.asarray(Z, dtype=float)
    return np.column_stack([Z, np.ones(len(Z))]), np.r_[np.full(Z.shape[1], 1.0 / C), 0.0]


def _objective(Z1: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, penalty: np.ndarray) -> float:
    eta = Z1 @ beta
    return float(np.sum(w * (np.logaddexp(0.0, eta) - y * eta)) + 0.5 * np.sum(penalty * beta * beta))


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``H⁻¹ g`` for a symmetric positive definite ``H`` (least squares if rounding spoils the factorisation)."""
    try:
        return scipy.linalg.cho_solve(scipy.linalg.cho_factor(H, check_finite=False), g, check_finite=False)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(H, g, rcond=None)[0]


def _start(y: np.ndarray, w: np.ndarray, n_columns: int) -> np.ndarray:
    """Zero coefficients and the intercept at the (weighted) log-odds of the outcome."""
    rate = float(np.clip(np.sum(w * y) / max(np.sum(w), 1e-300), 1e-6, 1 - 1e-6))
    return np.r_[np.zeros(n_columns), np.log(rate / (1 - rate))]


def newton_fit(Z: np.ndarray, y, C: float, *, weights=None, start: np.ndarray | None = None, tol: float = TOL,
               max_iter: int = MAX_ITER) -> LogisticFit:
    """Minimise the penalised log-likelihood by Newton's method with a backtracking line search.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        Design matrix (no intercept column).
    y : array of 0/1
    C : float
        Inverse penalty strength (``inf``: no penalty).
    weights : array of shape (n,), optional
        Case weights (bootstrap counts); default 1.
    start : ndarray of shape (p + 1,), optional
        Coefficients then intercept to start from; default zeros and the base rate's log-odds.
    tol : float
        Converged when the largest step is below this.
    max_iter : int
        Newton iterations at most.

    Returns
    -------
    LogisticFit
    """
    Z1, penalty = _design(Z, C)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = _start(y, w, Z1.shape[1] - 1) if start is None else np.array(start, dtype=float)
    value = _objective(Z1, y, w, beta, penalty)
    for iteration in range(1, max_iter + 1):
        p = expit(Z1 @ beta)
        gradient = Z1.T @ (w * (p - y)) + penalty * beta
        hessian = (Z1 * (w * p * (1 - p))[:, None]).T @ Z1 + np.diag(penalty)
        step = _solve(hessian, gradient)
        size = 1.0
        while size > 1e-10:
            trial = beta - size * step
            trial_value = _objective(Z1, y, w, trial, penalty)
            if trial_value <= value - 1e-4 * size * float(gradient @ step):
                break
            size /= 2
        else:  # no decrease left: rounding, at the optimum (a tiny step) or stuck (a large one)
            return LogisticFit(beta, iteration, bool(np.abs(step).max() < np.sqrt(tol)))
        beta, value = trial, trial_value
        if np.abs(size * step).max() < tol:
            return LogisticFit(beta, iteration, True)
    return LogisticFit(beta, max_iter, False)


def chord_refit(Z: np.ndarray, y, beta: np.ndarray, C: float, W: np.ndarray, *, tol: float = TOL,
                max_iter: int = MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """Refit the model once per column of case weights ``W``, all columns at once.

    Chord iterations ``B ← B − H₀⁻¹ ∇f(B)`` start at the full-data solution ``beta`` with its
    Hessian ``H₀``; a column whose step is not under ``tol`` after a few dozen iterations (a
    resample far from the data, e.g. a rare category drawn many times) is finished by
    :func:`newton_fit` from where it stands.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
    y : array of 0/1
    beta : ndarray of shape (p + 1,)
        The full-data solution (coefficients, then intercept).
    C : float
    W : ndarray of shape (n, b)
        One column of case weights per refit.

    Returns
    -------
    B : ndarray of shape (b, p + 1)
        Coefficients then intercept of each refit.
    converged : ndarray of bool, shape (b,)
    """
    Z1, penalty = _design(Z, C)
    y = np.asarray(y, dtype=float)
    W = np.asarray(W, dtype=float)
    p = expit(Z1 @ beta)
    H_inv = np.linalg.pinv((Z1 * (p * (1 - p))[:, None]).T @ Z1 + np.diag(penalty))
    B = np.repeat(np.asarray(beta, dtype=float)[:, None], W.shape[1], axis=1)
    steps = np.full(W.shape[1], np.inf)
    active = np.arange(W.shape[1])  # columns still moving: the others are done
    for _ in range(min(_CHORD_ITER, max_iter)):
        if not active.size:
            break
        Ba = B[:, active]
        E = Z1 @ Ba
        expit(E, out=E)  # in place: the n × b products are the cost of a refit
        E -= y[:, None]
        E *= W[:, active]
        S = H_inv @ (Z1.T @ E + penalty[:, None] * Ba)
        B[:, active] = Ba - S
        steps[active] = np.abs(S).max(axis=0)
        active = active[~(steps[active] < tol)]
    converged = np.isfinite(steps) & (steps < tol) & np.isfinite(B).all(axis=0)
    for j in np.flatnonzero(~converged):
        start = B[:, j] if np.isfinite(B[:, j]).all() else beta
        fit = newton_fit(Z, y, C, weights=W[:, j], start=start, tol=tol, max_iter=max_iter)
        B[:, j], converged[j] = fit.beta, fit.converged
    return B.T, converged


__all__ = ["LogisticFit", "MAX_ITER", "TOL", "chord_refit", "newton_fit"]
