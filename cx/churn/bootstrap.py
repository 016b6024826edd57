"""Bootstrap refits and the odds ratios' intervals.

Customers are resampled with Poisson(1) weights and the model is refitted on each resample by
:func:`cx.churn.logistic.chord_refit`, to the same convergence as the full fit (the imputation
medians and scaling SDs are held at their full-data values). :func:`odds_ratio_table` turns the
fitted coefficients and the refits into odds ratios with 95% percentile intervals.

Every random draw of the churn model comes from :func:`generator`: an int (or None) seeds a new
``numpy`` generator — the same int gives the same draws — and a ``numpy.random.Generator`` is used
as it is, so a caller can inject its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cx.churn.logistic import MAX_ITER, TOL, chord_refit


def generator(random_state=None) -> np.random.Generator:
    """The generator for ``random_state``: a Generator as is; an int, a SeedSequence or None seeds a new one.

    A legacy ``RandomState`` (scikit-learn style) seeds a new Generator from its next draw.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)


def bootstrap_refits(Z: np.ndarray, y, beta: np.ndarray, C: float, *, resamples: int = 200, random_state=None,
                     weights: np.ndarray | None = None, chunk: int = 50, tol: float = TOL,
                     max_iter: int = MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients refitted on bootstrap resamples of customers.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        The fitted model's design matrix.
    y : array of 0/1
    beta : ndarray of shape (p + 1,)
        The full-data solution (coefficients, then intercept): the refits start there.
    C : float
        The model's inverse penalty.
    resamples : int
        How many refits.
    random_state : int, Generator or None
        Source of the Poisson(1) case weights (see :func:`generator`).
    weights : ndarray of shape (n, resamples), optional
        Case weights to use instead of drawing them (a test can pass unit weights: every refit is
        then the full fit).
    chunk : int
        Refits solved together (one matrix product per iteration).

    Returns
    -------
    draws : ndarray of shape (resamples, p + 1)
        Coefficients, then the intercept, of each refit.
    converged : ndarray of bool, shape (resamples,)
    """
    n = len(Z)
    rng = generator(random_state) if weights is None else None
    draws, converged = [], []
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        W = rng.poisson(1.0, size=(n, b)).astype(float) if weights is None else np.asarray(weights)[:, done:done + b]
        B, ok = chord_refit(Z, y, beta, C, W, tol=tol, max_iter=max_iter)
        draws.append(B)
        converged.append(ok)
        done += b
    if not draws:
        return np.empty((0, len(beta))), np.empty(0, dtype=bool)
    return np.vstack(draws), np.concatenate(converged)


def _terms(columns: pd.DataFrame, labels: dict[str, str]) -> list[dict]:
    """Model columns grouped into reported terms.

    Missing-value indicators of features missing for exactly the same customers are one term
    (their coefficients summed); every other column is its own term.
    """
    terms: list[dict] = []
    by_pattern: dict = {}
    for k, row in columns.iterrows():
        label = labels.get(row.column, row.column)
        if row.kind != "missing vs present":
            name = f"{label}: {row.level} vs {row.reference}" if row.kind == "level" else label
            terms.append({"idx": [k], "mult": [1.0], "column": row.column, "kind": row.kind, "name": name,
                          "sd": row.scale if row.kind == "per SD" else np.nan})
            continue
        term = by_pattern.get(row.pattern)
        if term is None:
            term = {"idx": [], "mult": [], "column": row.column, "kind": row.kind, "members": [], "sd": np.nan}
            by_pattern[row.pattern] = term
            terms.append(term)
        term["idx"].append(k)
        term["mult"].append(1.0 / row.scale)
        term["members"].append(label)
    for term in terms:
        if "members" in term:
            term["name"] = _missing_name(term["members"])
    return terms


def _missing_name(members: list[str]) -> str:
    if "Mean experience index" in members and len(members) > 2:
        return "No scored interaction (every experience measure missing)"
    if len(members) > 2:
        return f"{members[0]}: missing (and {len(members) - 1} more, same customers)"
    return " & ".join(members) + ": missing"


def odds_ratio_table(model, draws: np.ndarray | None = None, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Odds ratios with 95% bootstrap percentile CIs.

    Numbers: per standard deviation; missing-value indicators: missing vs present (indicators of
    features missing for exactly the same customers are one term, their coefficients summed);
    categories: the level vs the reference level.

    Parameters
    ----------
    model : ChurnModel
        Fitted; its ``bootstrap_coef_`` (the refits that converged) are the draws by default.
    draws : ndarray of shape (resamples, n_columns + 1), optional
        Bootstrap coefficients to use instead.
    labels : dict, optional
        Feature → label for people.

    Returns
    -------
    DataFrame
        ``feature`` (label), ``column``, ``kind``, ``value``, ``ci_low``, ``ci_high``, ``sd`` (of
        the feature, in its own units, for "per SD" rows), strongest evidence (|log OR| over its
        bootstrap SE) first.
    """
    if draws is None:
        draws = model.bootstrap_coef_[model.bootstrap_converged_]
    terms = _terms(model.columns_.reset_index(drop=True), labels or {})
    n_coef = len(model.coef_)
    log_or = np.array([model.coef_[t["idx"]] @ np.asarray(t["mult"]) for t in terms])
    boot = np.column_stack([draws[:, :n_coef][:, t["idx"]] @ np.asarray(t["mult"]) for t in terms])
    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
    table = pd.DataFrame({
        "feature": [t["name"] for t in terms], "column": [t["column"] for t in terms],
        "kind": [t["kind"] for t in terms], "value": np.exp(log_or), "ci_low": np.exp(low), "ci_high": np.exp(high),
        "sd": [t["sd"] for t in terms],
    })
    # strongest evidence first: the estimate's distance from "no effect" in bootstrap standard errors
    se = np.maximum(boot.std(axis=0), 1e-12)
    return table.iloc[np.argsort(-np.abs(log_or) / se, kind="stable")].reset_index(drop=True)


__all__ = ["bootstrap_refits", "generator", "odds_ratio_table"]
