"""How good the churn model is: cross-validation, scores with intervals, calibration.

- :func:`cross_validate` — stratified k-fold out-of-fold probabilities, per-fold scores, the same
  folds for each comparison feature set, and held-out permutation importance.
- **Honest scores** of the out-of-fold predictions, each with a 95% CI: ROC AUC with DeLong's
  interval (:func:`delong_interval`), PR AUC (average precision) and Brier score with a percentile
  bootstrap of customers (:func:`score_intervals`). The ROC AUC itself is
  :func:`cx.outcomes.roc_auc`, the code base's one.
- **Calibration**: a reliability table (:func:`calibration_table`) and the calibration line
  (:func:`calibration_line`), which :func:`recalibrate` applies to probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm, rankdata
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from cx.churn.bootstrap import generator
from cx.churn.logistic import newton_fit
from cx.churn.model import ChurnModel
from cx.metrics import wilson_interval
from cx.outcomes import roc_auc

METRICS = ("roc_auc", "pr_auc", "brier")
METRIC_LABELS = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "brier": "Brier score"}


@dataclass(frozen=True)
class Interval:
    """A number with its 95% confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict:
        return {"value": float(self.value), "ci_low": float(self.ci_low), "ci_high": float(self.ci_high)}

    def includes(self, x: float) -> bool:
        return self.ci_low <= x <= self.ci_high


# --- weighted scores ------------------------------------------------------------------------------


class _Sorted:
    """Predictions sorted once, with their tied blocks, for fast weighted PR AUC and Brier scores."""

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        order = np.argsort(p, kind="mergesort")
        self.p, self.y = p[order], y[order].astype(float)
        self.order = order
        self.starts = np.r_[0, np.flatnonzero(np.diff(self.p)) + 1]

    def pr_brier(self, W: np.ndarray, *, presorted: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Average precision and Brier score for each row of weights ``W``.

        ``W`` is in sorted order (i.i.d. bootstrap weights can be drawn in any order, which saves
        reordering them: the bootstrap's hot loop), or in input order without ``presorted``.
        """
        Ws = W if presorted else W[:, self.order]
        with np.errstate(invalid="ignore", divide="ignore"):
            brier = (Ws @ (self.p - self.y) ** 2) / Ws.sum(axis=1)
            if len(self.starts) == len(self.p):  # no ties: every row is its own block
                cum_pos = np.cumsum(Ws * self.y, axis=1)
                P = cum_pos[:, -1:]
                above = np.cumsum(Ws[:, ::-1], axis=1)[:, ::-1]  # weight scored at or above each row
                tp = P - cum_pos + Ws * self.y
                return (Ws * self.y * tp / np.maximum(above, 1e-300)).sum(axis=1) / P[:, 0], brier
            # block (tied scores) totals from cumulative sums at each block's last row: no per-block loop
            ends = np.r_[self.starts[1:] - 1, len(self.p) - 1]
            cum_pos = np.cumsum(Ws * self.y, axis=1)[:, ends]
            cum_neg = np.cumsum(Ws, axis=1)[:, ends] - cum_pos
            pos = np.diff(cum_pos, axis=1, prepend=0.0)
            neg = np.diff(cum_neg, axis=1, prepend=0.0)
            P, N = cum_pos[:, -1], cum_neg[:, -1]
            tp = P[:, None] - cum_pos + pos  # positives scored at or above each block (descending sweep)
            fp = N[:, None] - cum_neg + neg
            return (pos * tp / np.maximum(tp + fp, 1e-300)).sum(axis=1) / P, brier


def weighted_scores(y, p, W: np.ndarray) -> dict[str, np.ndarray]:
    """ROC AUC, average precision and Brier score of ``p`` for each row of weights ``W`` (ties grouped)."""
    y, p, W = np.asarray(y, dtype=float), np.asarray(p, dtype=float), np.atleast_2d(np.asarray(W, dtype=float))
    ap, brier = _Sorted(y, p).pr_brier(W, presorted=False)
    return {"roc_auc": roc_auc(y, p, W), "pr_auc": ap, "brier": brier}


def delong_interval(y, p, confidence: float = 0.95) -> Interval:
    """ROC AUC with DeLong's variance (DeLong et al. 1988, in Sun & Xu's O(n log n) form).

    The AUC's standard error from its structural components (each positive's share of negatives
    ranked below it, and vice versa); the interval is normal, clipped to [0, 1].
    """
    y, p = np.asarray(y, int), np.asarray(p, float)
    pos, neg = p[y == 1], p[y == 0]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Interval(np.nan, np.nan, np.nan)
    all_ranks = rankdata(np.r_[pos, neg])
    v10 = (all_ranks[:m] - rankdata(pos)) / n
    v01 = 1.0 - (all_ranks[m:] - rankdata(neg)) / m
    auc = roc_auc(y, p)
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)) if m > 1 and n > 1 else np.nan
    z = norm.ppf(0.5 + confidence / 2)
    return Interval(auc, max(0.0, auc - z * se), min(1.0, auc + z * se))


def score_intervals(y, p, *, resamples: int | None = None, random_state=0, chunk: int = 25,
                    budget: float = 2e7) -> dict[str, Interval]:
    """ROC AUC, PR AUC and Brier score of predictions ``p``, each with a 95% CI.

    ROC AUC: DeLong's interval. PR AUC (average precision) and Brier score: percentile bootstrap of
    customers (resampled with replacement); ``resamples`` defaults to as many as fit a budget of
    ``budget`` customer-resamples (between 200 and 1,000). ``random_state``: see
    :func:`cx.churn.bootstrap.generator`.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``brier`` → :class:`Interval`.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if resamples is None:
        resamples = int(np.clip(budget / max(len(y), 1), 200, 1000))
    rng = generator(random_state)
    draws: dict[str, list] = {"pr_auc": [], "brier": []}
    ranked = _Sorted(y, p)
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        n = len(y)
        W = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b)]).astype(float)
        ap, brier = ranked.pr_brier(W)
        draws["pr_auc"].append(ap)
        draws["brier"].append(brier)
        done += b
    point = weighted_scores(y, p, np.ones((1, len(y))))
    out = {"roc_auc": delong_interval(y, p)}
    for metric in ("pr_auc", "brier"):
        values = np.concatenate(draws[metric])
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [2.5, 97.5]) if values.size else (np.nan, np.nan)
        out[metric] = Interval(float(point[metric][0]), float(low), float(high))
    return out


# --- calibration ----------------------------------------------------------------------------------


def calibration_table(y, p, bins: int = 10) -> pd.DataFrame:
    """Reliability of predicted probabilities: quantile bins with observed rates and Wilson CIs.

    Returns
    -------
    DataFrame
        ``bin, n, predicted`` (mean predicted probability), ``observed, ci_low, ci_high``.
    """
    y, p = np.asarray(y, int), np.asarray(p, float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for k in np.unique(which):
        sel = which == k
        n, events = int(sel.sum()), int(y[sel].sum())
        _, low, high = wilson_interval([n], [events])  # percent
        rows.append({"bin": int(k) + 1, "n": n, "predicted": float(p[sel].mean()), "observed": events / n,
                     "ci_low": float(low[0]) / 100, "ci_high": float(high[0]) / 100})
    return pd.DataFrame(rows)


def calibration_line(y, p) -> tuple[float, float]:
    """Calibration intercept and slope: ``logit P(y) = a + b · logit(p)`` (ideal: 0 and 1), unpenalised."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    beta = newton_fit(logit(p)[:, None], np.asarray(y, float), np.inf, tol=1e-10).beta
    return float(beta[1]), float(beta[0])


def recalibrate(p, line: tuple[float, float]) -> np.ndarray:
    """Apply a calibration line to probabilities."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return expit(line[0] + line[1] * logit(p))


# --- scoring many customers -----------------------------------------------------------------------

#: Rows scored at a time (the design matrix of one batch: rows × model columns floats).
SCORE_BATCH = 25_000  # 100,000 held ~200 MB of the pipeline's intermediate matrices at once


def predict_in_batches(model: ChurnModel, X: pd.DataFrame, batch: int = SCORE_BATCH,
                       rows: np.ndarray | None = None) -> np.ndarray:
    """``model.predict_proba(X)[:, 1]``, ``batch`` rows at a time (the same numbers, bounded memory).

    ``rows`` (positions): score only those rows, in that order, without copying them out first.
    """
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    out = np.empty(len(rows))
    for start in range(0, len(rows), batch):
        part = X.iloc[rows[start:start + batch]]
        out[start:start + len(part)] = model.predict_proba(part)[:, 1]
    return out


# --- cross-validation ------------------------------------------------------------------------------


def _fold_seed(random_state, rng: np.random.Generator):
    """The folds' seed: an int (or None) as given, else a draw of the shared generator."""
    return random_state if random_state is None or isinstance(random_state, (int, np.integer)) else int(
        rng.integers(0, 2**31 - 1))


def _input_columns(model: ChurnModel, inputs: Sequence[str]) -> dict[str, np.ndarray]:
    """Each input's model columns (value, missing indicator, levels)."""
    cols = model.columns_["column"].to_numpy()
    return {f: np.flatnonzero(cols == f) for f in inputs if (cols == f).any()}


def _subset_probabilities(model: ChurnModel, Z, Zt, y_train, columns: np.ndarray) -> np.ndarray:
    """Held-out probabilities of the same model restricted to some design columns (same solver, same tolerance)."""
    if columns.size == 0:
        return np.full(len(Zt), y_train.mean())
    beta = newton_fit(Z[:, columns], y_train, model.C, tol=model.tol, max_iter=model.max_iter).beta
    return expit(Zt[:, columns] @ beta[:-1] + beta[-1])


def _importance(model: ChurnModel, Zt, y_test, groups: dict[str, np.ndarray], drops: dict[str, list],
                rng: np.random.Generator, repeats: int, rows: int) -> None:
    """Held-out ROC AUC lost when one input's columns are shuffled together (appended to ``drops``)."""
    pick = rng.choice(len(y_test), min(len(y_test), rows), replace=False)
    Zs, ys = Zt[pick], y_test[pick]
    score = Zs @ model.coef_
    base = roc_auc(ys, score)
    for col, idx in groups.items():
        part = Zs[:, idx] @ model.coef_[idx]
        for _ in range(repeats):
            drops[col].append(base - roc_auc(ys, score - part + part[rng.permutation(len(pick))]))


def cross_validate(model: ChurnModel, X: pd.DataFrame, y, *, n_splits: int = 5,
                   subsets: dict[str, Sequence[str]] | None = None, importance_repeats: int = 3,
                   importance_rows: int = 5_000) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame]:
    """Out-of-fold probabilities, per-fold scores and held-out permutation importance.

    Each fold fits a clone of ``model`` (without its bootstrap); each named subset of inputs is
    fitted on the same folds by the same solver restricted to its inputs' columns (imputation,
    scaling and one-hot work column by column, so this equals refitting the pipeline on the
    subset). Permutation importance is the drop in a fold's held-out ROC AUC when one input is
    shuffled (all its model columns — value, missing indicator, levels — moved together), averaged
    over folds and repeats. Folds and permutations are drawn from ``model.random_state``.

    Returns
    -------
    oof : dict
        ``"All"`` and each subset name → each customer's probability from the model that did not
        see them.
    folds : DataFrame
        ``fold, n, positives, roc_auc, pr_auc, brier`` of the full model.
    importance : DataFrame
        ``column, importance, sd`` (AUC points lost), most important first.
    """
    y = np.asarray(y, int)
    subsets = dict(subsets or {})
    oof = {name: np.zeros(len(y)) for name in ["All", *subsets]}
    folds, drops = [], {c: [] for c in X.columns}
    rng = generator(model.random_state)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=_fold_seed(model.random_state, rng))
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        fitted = clone(model).set_params(resamples=0)
        Z = fitted.fit_design(X.iloc[train], y[train])
        Zt = fitted.design(X.iloc[test])
        oof["All"][test] = expit(Zt @ fitted.coef_ + fitted.intercept_)
        s = weighted_scores(y[test], oof["All"][test], np.ones((1, len(test))))
        folds.append({"fold": k, "n": len(test), "positives": int(y[test].sum()), **{m: float(v[0]) for m, v in s.items()}})
        groups = _input_columns(fitted, X.columns)
        for name, inputs in subsets.items():
            columns = np.concatenate([groups[c] for c in inputs if c in groups] or [np.array([], dtype=int)])
            oof[name][test] = _subset_probabilities(fitted, Z, Zt, y[train], columns)
        if importance_repeats:
            _importance(fitted, Zt, y[test], groups, drops, rng, importance_repeats, importance_rows)
    importance = pd.DataFrame([{"column": c, "importance": float(np.mean(v)) if v else 0.0,
                                "sd": float(np.std(v)) if v else 0.0} for c, v in drops.items()])
    importance = importance.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return oof, pd.DataFrame(folds), importance


__all__ = [
    "Interval",
    "METRICS",
    "METRIC_LABELS",
    "calibration_line",
    "calibration_table",
    "cross_validate",
    "delong_interval",
    "predict_in_batches",
    "recalibrate",
    "score_intervals",
    "weighted_scores",
]
