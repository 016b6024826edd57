"""Which experiences relate to customers leaving, how sure we are, and who is at risk now.

A deliberately simple model a statistician would sign: a scikit-learn :class:`~sklearn.pipeline.Pipeline`
(median imputation with missing-value indicators, standardisation, one-hot encoding, L2 logistic
regression) evaluated by stratified k-fold cross-validation, with an interval on every number.

- **Features** come from :func:`cx.churn_features.churn_features` (built in SQL, cut off before the
  outcome so that nothing from the future leaks in; columns that restate the outcome excluded).
- **Honest scores**: ROC AUC, PR AUC (average precision) and Brier score of the *out-of-fold*
  predictions, each with a 95% CI: DeLong's for the ROC AUC, a percentile bootstrap of customers
  (Poisson weights) for the other two.
- **Calibration**: a reliability table of out-of-fold predictions (deciles, Wilson CIs) and the
  calibration intercept and slope; the at-risk list uses probabilities recalibrated by that line.
- **Drivers**: odds ratios per standard deviation with bootstrap CIs (each resample refitted),
  permutation importance on held-out folds, and a comparison of feature sets fitted the same way.
- **What-if**: move a driver for a segment or channel and see the predicted change in churn and in
  lifetime value at risk, with an interval from the bootstrap refits — association, not an experiment.
- **Guard rails**: :class:`ChurnModelError` instead of a model when there is one class, too few
  positives or no usable feature; warnings when the AUC's interval includes 0.5.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from cx.churn.features import (
    CATEGORICAL_FEATURES,
    CHANNEL_PREFIX,
    RECOVERY_LEVELS,
    TOUCHPOINT_PREFIX,
    CutoffRule,
    FeatureTable,
    churn_features,
    moments,
    restating_columns,
)
from cx.db.source import Source
from cx.metrics import wilson_interval
from cx.schema import IncidentRules
from cx.scope import Scope

#: Why C = 1 (and not a cross-validated C): on standardised features the penalty ½‖β‖² is tiny next
#: to a log-likelihood summed over hundreds or thousands of customers, so the odds ratios stay those
#: of the plain maximum-likelihood model a statistician would read — yet the fit stays finite and
#: stable when features are collinear (worst, end and mean index move together) or a class is
#: perfectly separated. Tuning C by inner CV would cost ~10x the fits and buy no interpretability.
DEFAULT_C = 1.0
CAVEAT = ("This is association, not a controlled experiment: customers whose resolution was faster or whose "
          "incident was recovered may differ in other ways the model does not see. Treat the change as the size "
          "of the opportunity if the relation were causal, not as a forecast.")
MAX_LEVELS = 15
METRICS = ("roc_auc", "pr_auc", "brier")
METRIC_LABELS = {"roc_auc": "ROC AUC", "pr_auc": "PR AUC", "brier": "Brier score"}


class ChurnModelError(ValueError):
    """No model is fitted: the data cannot support one (the message says why, for people)."""


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


# --- the estimator -------------------------------------------------------------------------------


def _categories(values: pd.Series, column: str) -> list[str]:
    """Levels, the reference (most frequent, or "clean" for recovery) first."""
    counts = values.value_counts()
    levels = [str(v) for v in counts.index]
    if column == "recovery":
        levels = [lv for lv in RECOVERY_LEVELS if lv in levels] + [lv for lv in levels if lv not in RECOVERY_LEVELS]
    return levels


class ChurnModel:
    """Logistic regression on experience features, as a scikit-learn Pipeline.

    ``impute (median, + missing-value indicators) → standardise`` for numbers,
    ``one-hot (reference level dropped)`` for categories, then L2 logistic regression with
    ``C`` (see :data:`DEFAULT_C` for why it is fixed).

    Parameters
    ----------
    C : float
        Inverse regularisation strength (on standardised features).
    max_iter : int
        Newton iterations of the solver.

    Attributes
    ----------
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted pipeline (``prepare`` then ``model``).
    numeric_, categorical_ : list of str
        Input columns of each kind.
    columns_ : DataFrame
        One row per model column: ``column`` (input feature), ``kind`` ("per SD", "missing vs
        present" or "level"), ``level``, ``reference``, ``scale`` (the SD that column was divided by).
    coef_ : ndarray of shape (n_columns,)
    intercept_ : float

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"worst_index": rng.normal(50, 15, 500)})
    >>> y = (rng.random(500) < 1 / (1 + np.exp(0.05 * (X.worst_index - 50)))).astype(int)
    >>> model = ChurnModel().fit(X, y)
    >>> bool(model.coef_[0] < 0)
    True
    """

    def __init__(self, C: float = DEFAULT_C, max_iter: int = 100) -> None:
        self.C = C
        self.max_iter = max_iter

    def _pipeline(self, X: pd.DataFrame) -> Pipeline:
        numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
        categorical = [c for c in X.columns if c not in numeric]
        self.numeric_, self.categorical_ = numeric, categorical
        steps = []
        if numeric:
            steps.append(("num", Pipeline([
                # the median through a callable: the same number as strategy="median", 4x faster
                ("impute", SimpleImputer(strategy=np.median, add_indicator=True)),
                ("scale", StandardScaler()),
            ]), numeric))
        if categorical:
            cats = [_categories(X[c], c) for c in categorical]
            steps.append(("cat", OneHotEncoder(categories=cats, drop="first", handle_unknown="ignore",
                                               sparse_output=False), categorical))
        prepare = ColumnTransformer(steps, verbose_feature_names_out=False)
        # newton-cholesky: exact to the last digit in ~5 iterations when customers far outnumber columns
        model = LogisticRegression(C=self.C, solver="newton-cholesky", max_iter=self.max_iter)
        return Pipeline([("prepare", prepare), ("model", model)])

    def fit(self, X: pd.DataFrame, y) -> ChurnModel:
        """Fit on features ``X`` (numbers and text categories) and a 0/1 outcome ``y``; returns self."""
        self._fit(X, y)
        return self

    def _fit(self, X: pd.DataFrame, y) -> np.ndarray:
        """Fit the pipeline step by step (as ``Pipeline.fit`` does) and return the design matrix."""
        y = np.asarray(y, dtype=int)
        self.missing_patterns_ = {c: hash(X[c].isna().to_numpy().tobytes()) for c in X.columns}
        self.pipeline_ = self._pipeline(X)
        prepare, model = self.pipeline_.named_steps["prepare"], self.pipeline_.named_steps["model"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            Z = np.asarray(prepare.fit_transform(X, y), dtype=float)
            model.fit(Z, y)
        self.coef_ = model.coef_[0].copy()
        self.intercept_ = float(model.intercept_[0])
        self.columns_ = self._describe_columns()
        return Z

    def _describe_columns(self) -> pd.DataFrame:
        prepare = self.pipeline_.named_steps["prepare"]
        rows = []
        if self.numeric_:
            num = prepare.named_transformers_["num"]
            names = num.get_feature_names_out(self.numeric_)
            scales = num.named_steps["scale"].scale_
            for name, scale in zip(names, scales):
                missing = name.startswith("missingindicator_")
                column = name[len("missingindicator_"):] if missing else name
                rows.append({"column": column, "kind": "missing vs present" if missing else "per SD", "level": None,
                             "reference": None, "scale": float(scale),
                             "pattern": self.missing_patterns_.get(column) if missing else None})
        if self.categorical_:
            enc = prepare.named_transformers_["cat"]
            for col, levels, drop in zip(self.categorical_, enc.categories_, enc.drop_idx_):
                for k, level in enumerate(levels):
                    if drop is not None and k == drop:
                        continue
                    rows.append({"column": col, "kind": "level", "level": str(level),
                                 "reference": str(levels[drop]) if drop is not None else None, "scale": 1.0,
                                 "pattern": None})
        return pd.DataFrame(rows, columns=["column", "kind", "level", "reference", "scale", "pattern"])

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The model's design matrix (imputed, scaled, one-hot) for ``X``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return np.asarray(self.pipeline_.named_steps["prepare"].transform(X), dtype=float)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of the outcome."""
        return self.transform(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities, shape (n, 2): column 1 is the outcome's."""
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])


def model_frame(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The model's input: numbers as floats, categories as text (rare ones pooled, gaps a level)."""
    out = {}
    for col in columns:
        values = frame[col]
        if col in CATEGORICAL_FEATURES or not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            text = values.astype(object).where(values.notna(), "(missing)").astype(str)
            common = text.value_counts().index[:MAX_LEVELS]
            out[col] = text.where(text.isin(common), "(other)").astype(object)
        else:
            out[col] = pd.to_numeric(values, errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


# --- scores: out-of-fold metrics with paired Poisson-bootstrap intervals --------------------------


class _Sorted:
    """Predictions sorted once, with their tied blocks, for fast weighted scores."""

    def __init__(self, y: np.ndarray, p: np.ndarray) -> None:
        order = np.argsort(p, kind="mergesort")
        self.p, self.y = p[order], y[order].astype(float)
        self.order = order
        self.starts = np.r_[0, np.flatnonzero(np.diff(self.p)) + 1]

    def pr_brier(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average precision and Brier score for rows of weights drawn in sorted order (the bootstrap's hot loop)."""
        if len(self.starts) == len(self.p):  # no ties: every row is its own block
            cum_pos = np.cumsum(W * self.y, axis=1)
            P = cum_pos[:, -1:]
            above = np.cumsum(W[:, ::-1], axis=1)[:, ::-1]  # weight scored at or above each row
            tp = P - cum_pos + W * self.y
            with np.errstate(invalid="ignore", divide="ignore"):
                ap = (W * self.y * tp / np.maximum(above, 1e-300)).sum(axis=1) / P[:, 0]
                brier = (W @ (self.p - self.y) ** 2) / W.sum(axis=1)
            return ap, brier
        values = self.scores(W, presorted=True)
        return values["pr_auc"], values["brier"]

    def scores(self, W: np.ndarray, *, presorted: bool = False) -> dict[str, np.ndarray]:
        """ROC AUC, average precision and Brier score for each row of weights ``W``.

        ``W`` is in input order, or in sorted order with ``presorted`` (i.i.d. bootstrap weights
        can be drawn in any order, which saves reordering them).
        """
        Ws = W if presorted else W[:, self.order]
        # block (tied scores) totals from cumulative sums at each block's last row: no per-block loop
        ends = np.r_[self.starts[1:] - 1, len(self.p) - 1]
        cum_pos = np.cumsum(Ws * self.y, axis=1)[:, ends]
        cum_all = np.cumsum(Ws, axis=1)[:, ends]
        cum_neg = cum_all - cum_pos
        pos = np.diff(cum_pos, axis=1, prepend=0.0)
        neg = np.diff(cum_neg, axis=1, prepend=0.0)
        P, N = cum_pos[:, -1], cum_neg[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            auc = (pos * (cum_neg - 0.5 * neg)).sum(axis=1) / (P * N)
            tp = P[:, None] - cum_pos + pos  # positives scored at or above each block (descending sweep)
            fp = N[:, None] - cum_neg + neg
            ap = (pos * tp / np.maximum(tp + fp, 1e-300)).sum(axis=1) / P
            brier = (Ws @ (self.p - self.y) ** 2) / Ws.sum(axis=1)
        return {"roc_auc": auc, "pr_auc": ap, "brier": brier}


def _scores(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """ROC AUC, average precision and Brier score of ``p`` for each row of weights ``W`` (ties grouped)."""
    return _Sorted(np.asarray(y), np.asarray(p, float)).scores(W)


def delong_interval(y, p, confidence: float = 0.95) -> Interval:
    """ROC AUC with DeLong's variance (DeLong et al. 1988, in Sun & Xu's O(n log n) form).

    The AUC's standard error from its structural components (each positive's share of negatives
    ranked below it, and vice versa); the interval is normal, clipped to [0, 1].
    """
    from scipy.stats import norm, rankdata

    y, p = np.asarray(y, int), np.asarray(p, float)
    pos, neg = p[y == 1], p[y == 0]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Interval(np.nan, np.nan, np.nan)
    all_ranks = rankdata(np.r_[pos, neg])
    v10 = (all_ranks[:m] - rankdata(pos)) / n
    v01 = 1.0 - (all_ranks[m:] - rankdata(neg)) / m
    auc = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n)) if m > 1 and n > 1 else np.nan
    z = norm.ppf(0.5 + confidence / 2)
    return Interval(auc, max(0.0, auc - z * se), min(1.0, auc + z * se))


def score_intervals(y, p, *, resamples: int | None = None, seed: int = 0, chunk: int = 25,
                    budget: float = 2e7) -> dict[str, Interval]:
    """ROC AUC, PR AUC and Brier score of predictions ``p``, each with a 95% CI.

    ROC AUC: DeLong's interval. PR AUC (average precision) and Brier score: percentile bootstrap of
    customers (resampled with replacement); ``resamples`` defaults to as many as fit a budget of
    ``budget`` customer-resamples (between 200 and 1,000).

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``brier`` → :class:`Interval`.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if resamples is None:
        resamples = int(np.clip(budget / max(len(y), 1), 200, 1000))
    rng = np.random.default_rng(seed)
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
    point = ranked.scores(np.ones((1, len(y))))
    out = {"roc_auc": delong_interval(y, p)}
    for metric in ("pr_auc", "brier"):
        values = np.concatenate(draws[metric])
        values = values[np.isfinite(values)]
        low, high = np.percentile(values, [2.5, 97.5]) if values.size else (np.nan, np.nan)
        out[metric] = Interval(float(point[metric][0]), float(low), float(high))
    return out


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(_scores(y.astype(float), score, np.ones((1, len(y))))["roc_auc"][0])


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


def _logistic_newton(x: np.ndarray, y: np.ndarray, iters: int = 50) -> tuple[float, float]:
    """Unpenalised logistic regression of y on one covariate (intercept, slope)."""
    Z = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(iters):
        p = expit(Z @ beta)
        H = Z.T @ (Z * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, Z.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])


def calibration_line(y, p) -> tuple[float, float]:
    """Calibration intercept and slope: ``logit P(y) = a + b · logit(p)`` (ideal: 0 and 1)."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return _logistic_newton(logit(p), np.asarray(y, float))


def recalibrate(p, line: tuple[float, float]) -> np.ndarray:
    """Apply a calibration line to probabilities."""
    p = np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6)
    return expit(line[0] + line[1] * logit(p))


# --- odds ratios: bootstrap refits ---------------------------------------------------------------


def bootstrap_coefficients(model: ChurnModel, X: pd.DataFrame, y, *, resamples: int = 200, seed: int = 0,
                           chunk: int = 50, tol: float = 1e-4, max_iter: int = 100) -> np.ndarray:
    """Coefficients refitted on bootstrap resamples of customers.

    Each resample (Poisson(1) weights) is refitted to convergence on the fitted pipeline's design
    matrix — the same penalised likelihood as scikit-learn's (``C Σ wᵢ ℓᵢ + ½‖β‖²``) — by Newton
    iterations started from the full-data solution with the full-data Hessian (a chord method:
    the resampled Hessian differs by O(1/√n), so a few cheap steps converge). The imputation
    medians and scaling SDs are held at their full-data values.

    Returns
    -------
    ndarray of shape (resamples, n_columns + 1)
        Coefficients, then the intercept.
    """
    Z = np.column_stack([model.transform(X), np.ones(len(X))])
    y = np.asarray(y, float)
    beta = np.r_[model.coef_, model.intercept_]
    penalty = np.r_[np.ones(len(model.coef_)), 0.0]
    C = float(model.C)
    p = expit(Z @ beta)
    H = C * (Z.T @ (Z * (p * (1 - p))[:, None])) + np.diag(penalty)
    H_inv = np.linalg.pinv(H)
    # the two big products run in single precision (twice as fast); their rounding moves the
    # gradient by ~1e-6 of the Hessian's scale, far below the stopping tolerance
    Z32, y32 = Z.astype(np.float32), y.astype(np.float32)[:, None]
    rng = np.random.default_rng(seed)
    out = []
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        W = rng.poisson(1.0, size=(len(y), b)).astype(np.float32)
        B = np.repeat(beta[:, None], b, axis=1)
        for _ in range(max_iter):
            P = expit(Z32 @ B.astype(np.float32))
            G = C * (Z32.T @ (W * (P - y32))).astype(float) + penalty[:, None] * B
            step = H_inv @ G
            B -= step
            if np.abs(step).max() < tol:
                break
        out.append(B.T)
        done += b
    return np.vstack(out)


def odds_ratio_table(model: ChurnModel, draws: np.ndarray, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Odds ratios with 95% bootstrap percentile CIs.

    Numbers: per standard deviation; missing-value indicators: missing vs present (indicators of
    features missing for exactly the same customers are one term, their coefficients summed);
    categories: the level vs the reference level.

    Returns
    -------
    DataFrame
        ``feature`` (label), ``column``, ``kind``, ``value``, ``ci_low``, ``ci_high``, ``sd`` (of
        the feature, in its own units, for "per SD" rows), strongest evidence (|log OR| over its
        bootstrap SE) first.
    """
    labels = labels or {}
    cols = model.columns_.reset_index(drop=True)
    terms: list[dict] = []
    by_pattern: dict = {}
    for k, row in cols.iterrows():
        label = labels.get(row.column, row.column)
        if row.kind == "missing vs present":
            if row.pattern in by_pattern:
                term = by_pattern[row.pattern]
                term["idx"].append(k)
                term["mult"].append(1.0 / row.scale)
                term["members"].append(label)
                continue
            term = {"idx": [k], "mult": [1.0 / row.scale], "column": row.column, "kind": row.kind, "members": [label]}
            by_pattern[row.pattern] = term
        else:
            name = f"{label}: {row.level} vs {row.reference}" if row.kind == "level" else label
            term = {"idx": [k], "mult": [1.0], "column": row.column, "kind": row.kind, "name": name,
                    "sd": row.scale if row.kind == "per SD" else np.nan}
        terms.append(term)
    for term in terms:
        if "members" in term:
            members = term["members"]
            if "Mean experience index" in members and len(members) > 2:
                term["name"] = "No scored interaction (every experience measure missing)"
            elif len(members) > 2:
                term["name"] = f"{members[0]}: missing (and {len(members) - 1} more, same customers)"
            else:
                term["name"] = " & ".join(members) + ": missing"
            term["sd"] = np.nan
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


# --- cross-validation ------------------------------------------------------------------------------


def _groups(model: ChurnModel, features: Sequence[str]) -> dict[str, np.ndarray]:
    cols = model.columns_["column"].to_numpy()
    return {f: np.flatnonzero(cols == f) for f in features if (cols == f).any()}


def cross_validate(X: pd.DataFrame, y, *, n_splits: int = 5, C: float = DEFAULT_C, seed: int = 0,
                   subsets: dict[str, Sequence[str]] | None = None, importance_repeats: int = 3,
                   importance_rows: int = 5_000) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame]:
    """Out-of-fold probabilities, per-fold scores and held-out permutation importance.

    Each fold fits the full :class:`ChurnModel`; each named subset of inputs is fitted on the same
    folds by the same pipeline restricted to its inputs' columns (imputation, scaling and one-hot
    work column by column, so this equals refitting the pipeline on the subset). Permutation
    importance is the drop in a fold's held-out ROC AUC when one input is shuffled (all its model
    columns — value, missing indicator, levels — moved together), averaged over folds and repeats.

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
    rng = np.random.default_rng(seed)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        model = ChurnModel(C=C)
        Z = model._fit(X.iloc[train], y[train])
        Zt = model.transform(X.iloc[test])
        oof["All"][test] = expit(Zt @ model.coef_ + model.intercept_)
        s = _scores(y[test].astype(float), oof["All"][test], np.ones((1, len(test))))
        folds.append({"fold": k, "n": len(test), "positives": int(y[test].sum()),
                      **{m: float(v[0]) for m, v in s.items()}})
        groups = _groups(model, X.columns)
        for name, inputs in subsets.items():
            cols = np.concatenate([groups[c] for c in inputs if c in groups] or [np.array([], dtype=int)])
            if cols.size == 0:
                oof[name][test] = y[train].mean()
                continue
            sub = LogisticRegression(C=C, solver="newton-cholesky", max_iter=model.max_iter).fit(Z[:, cols], y[train])
            oof[name][test] = sub.predict_proba(Zt[:, cols])[:, 1]
        if importance_repeats:
            rows = rng.choice(len(test), min(len(test), importance_rows), replace=False)
            Zs, ys = Zt[rows], y[test][rows]
            score = Zs @ model.coef_
            base = _auc(ys, score)
            for col, idx in groups.items():
                part = Zs[:, idx] @ model.coef_[idx]
                for _ in range(importance_repeats):
                    drops[col].append(base - _auc(ys, score - part + part[rng.permutation(len(rows))]))
    importance = pd.DataFrame([{"column": c, "importance": float(np.mean(v)) if v else 0.0,
                                "sd": float(np.std(v)) if v else 0.0} for c, v in drops.items()])
    importance = importance.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return oof, pd.DataFrame(folds), importance


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCard:
    """What the model is, on what data, checked how — shown above every number."""

    outcome: str
    n: int
    positives: int
    negatives: int
    rule_text: str
    cv_scheme: str
    model_text: str
    features: tuple[str, ...]
    excluded: dict[str, str]
    notes: tuple[str, ...]
    as_of: str | None

    @property
    def positive_share(self) -> float:
        return self.positives / self.n if self.n else float("nan")

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "n": self.n, "positives": self.positives, "negatives": self.negatives,
                "positive_share": self.positive_share, "cutoff_rule": self.rule_text, "cv_scheme": self.cv_scheme,
                "model": self.model_text, "features": list(self.features), "excluded": dict(self.excluded),
                "notes": list(self.notes), "as_of": self.as_of}


@dataclass(frozen=True, eq=False)
class ChurnReport:
    """Everything the Churn drivers page and ``cx churn`` show (see :func:`fit_churn`).

    Attributes
    ----------
    card : ModelCard
    cv : dict
        ``roc_auc``, ``pr_auc``, ``brier`` → :class:`Interval` (out-of-fold; see :func:`score_intervals`).
    folds : DataFrame
        Per-fold scores.
    calibration : DataFrame
        See :func:`calibration_table`.
    calibration_fit : tuple of float
        Calibration intercept and slope of the out-of-fold probabilities.
    odds_ratios : DataFrame
        See :func:`odds_ratio_table`.
    importance : DataFrame
        ``column, feature, importance, sd`` (held-out AUC drop).
    feature_sets : DataFrame
        ``name, features, roc_auc, ci_low, ci_high`` (DeLong CI) — best first.
    at_risk : DataFrame
        Customers without the outcome, ranked by calibrated probability × lifetime value.
    warnings : tuple of str
    model : ChurnModel
        Fitted on all customers.
    draws : ndarray
        Bootstrap coefficients (for what-if intervals).
    population : DataFrame
        Model inputs of the customers the at-risk list and what-if work on, with ``customer_id``,
        ``segment``, ``lifetime_value``, channel contact counts and ``probability``.
    """

    card: ModelCard
    cv: dict[str, Interval]
    folds: pd.DataFrame
    calibration: pd.DataFrame
    calibration_fit: tuple[float, float]
    odds_ratios: pd.DataFrame
    importance: pd.DataFrame
    feature_sets: pd.DataFrame
    at_risk: pd.DataFrame
    warnings: tuple[str, ...]
    model: ChurnModel
    draws: np.ndarray
    population: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    good_end_index: float = 60.0
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return self.card.n

    @property
    def positives(self) -> int:
        return self.card.positives

    def drivers(self) -> list[str]:
        """Inputs a what-if can move (numbers, and ``recovery`` when in the model)."""
        return [c for c in self.model.numeric_ + self.model.categorical_ if c in self.model.numeric_ or c == "recovery"]

    def segments(self) -> list[str]:
        """Segments of the customers at risk (for what-if targeting)."""
        if "segment" not in self.population:
            return []
        return sorted(str(v) for v in self.population["segment"].dropna().unique() if str(v) != "(missing)")

    def channels(self) -> list[str]:
        """Channels the customers at risk contacted (for what-if targeting)."""
        return [c[len(CHANNEL_PREFIX):] for c in self.population.columns if c.startswith(CHANNEL_PREFIX)]

    def drivers_table(self) -> pd.DataFrame:
        """Which measures matter: permutation importance beside the odds ratio per SD of each input.

        Returns
        -------
        DataFrame
            ``feature, importance, importance_sd, odds_ratio, ci_low, ci_high, sd, direction``, most
            important first (odds ratios only for numeric inputs, per SD; ``sd`` in the input's units).
        """
        per_sd = self.odds_ratios[self.odds_ratios["kind"] == "per SD"].set_index("column")
        table = self.importance.rename(columns={"sd": "importance_sd"}).copy()
        table["odds_ratio"] = table["column"].map(per_sd["value"])
        table["ci_low"] = table["column"].map(per_sd["ci_low"])
        table["ci_high"] = table["column"].map(per_sd["ci_high"])
        table["sd"] = table["column"].map(per_sd["sd"])
        table["direction"] = np.select(
            [table["ci_high"] < 1, table["ci_low"] > 1],
            [f"higher → less likely {self.card.outcome}", f"higher → more likely {self.card.outcome}"],
            default="unclear",
        )
        table.loc[table["odds_ratio"].isna(), "direction"] = ""
        return table.drop(columns="column")

    def to_dict(self, top: int = 20) -> dict:
        """The ``cx churn --format json`` document (the keys DESIGN.md fixes; see ``card.to_dict()``)."""
        at_risk = self.at_risk.head(top).astype(object)
        return {
            "n": self.n,
            "positives": self.positives,
            "cv": {m: self.cv[m].to_dict() for m in METRICS},
            "odds_ratios": [{"feature": r.feature, "value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high}
                            for r in self.odds_ratios.itertuples()],
            "feature_sets": [{"name": r.name, "roc_auc": r.roc_auc, "ci_low": r.ci_low, "ci_high": r.ci_high}
                             for r in self.feature_sets.itertuples()],
            "at_risk": at_risk.where(at_risk.notna(), None).to_dict("records"),
        }


def _progress(callback, fraction: float, message: str) -> None:
    if callback is not None:
        callback(fraction, message)


def _guard(y: np.ndarray, outcome: str, min_positives: int, n_splits: int) -> None:
    n, pos = len(y), int(y.sum())
    if n == 0:
        raise ChurnModelError("No customers to model: the filters leave none, or the customer table is empty.")
    if pos == 0 or pos == n:
        value = "yes" if pos else "no"
        raise ChurnModelError(f"Every one of the {n:,} customers has {outcome} = {value}: with one class there is "
                              "nothing to tell apart, so no model is fitted.")
    floor = max(min_positives, n_splits)
    if pos < floor:
        raise ChurnModelError(f"Only {pos:,} customers have {outcome} = yes; at least {floor:,} are needed for a model "
                              "whose numbers mean something (fewer make every interval span almost everything).")
    if n - pos < floor:
        raise ChurnModelError(f"Only {n - pos:,} customers have {outcome} = no; at least {floor:,} are needed.")


def fit_churn(source: Source, outcome: str = "churned", rule: CutoffRule | None = None,
              scope: Scope | None = None, rules: IncidentRules | None = None, *,
              attributes: Sequence[str] = (), include_restating: Sequence[str] = (), min_positives: int = 50,
              n_splits: int = 5, C: float = DEFAULT_C, resamples: int = 200, at_risk: int = 200, seed: int = 0,
              progress: Callable[[float, str], None] | None = None) -> ChurnReport:
    """Build the features in the database, fit and cross-validate the churn model.

    Parameters
    ----------
    source : Source
        Interactions and a customers table holding ``outcome``.
    outcome : str
        A yes/no customer column (``churned`` by default; e.g. ``satisfied``).
    rule : CutoffRule, optional
        The leakage rule (default: before the churn date; see :mod:`cx.churn_features`).
    filters, rules
        Sidebar filters and incident rules, passed to the feature query.
    attributes : sequence of str
        Customer attributes (segment, region, plan, …) to add to the experience features.
    include_restating : sequence of str
        Columns flagged as restating the outcome that should stay in anyway.
    min_positives : int
        Fewer customers than this in either class → :class:`ChurnModelError`.
    n_splits : int
        Folds of the stratified cross-validation.
    C : float
        Inverse L2 strength on standardised features (:data:`DEFAULT_C`).
    resamples : int
        Bootstrap resamples for the odds-ratio CIs (the metric CIs use ``2.5 ×`` as many).
    at_risk : int
        Length of the at-risk list.
    progress : callable, optional
        ``progress(fraction, message)`` as the work advances.

    Returns
    -------
    ChurnReport

    Raises
    ------
    ChurnModelError
        One class, too few positives or negatives, or no usable feature.
    FeatureError
        The source cannot give the features (no customers table, unknown outcome).

    Examples
    --------
    >>> from cx.db import demo_source
    >>> report = fit_churn(demo_source())  # doctest: +SKIP
    >>> report.cv["roc_auc"]  # doctest: +SKIP
    Interval(value=0.80, ci_low=0.79, ci_high=0.81)
    """
    started = time.perf_counter()
    _progress(progress, 0.02, "Building per-customer features in the database")
    table = churn_features(source, outcome, rule, scope, rules)
    now = None
    if table.rule.kind == "window":
        named = [c[len(TOUCHPOINT_PREFIX):] for c in table.frame.columns if c.startswith(TOUCHPOINT_PREFIX)]
        now = churn_features(source, "churned", CutoffRule("none"), scope, rules, touchpoints=named, as_of_now=True)
    report = fit_churn_table(table, now=now, attributes=attributes, include_restating=include_restating,
                             min_positives=min_positives, n_splits=n_splits, C=C, resamples=resamples,
                             at_risk=at_risk, seed=seed, good_end_index=(rules or source.rules).good_end_index,
                             progress=progress)
    before = "churned_at" if table.rule.kind == "before_outcome" else None
    ids = report.at_risk["customer_id"].tolist()
    if ids:
        _progress(progress, 0.97, "Looking up worst moments and last interactions")
        found = moments(source, ids, scope, before=before)
        report = _with_moments(report, found)
    return _replace(report, seconds=time.perf_counter() - started)


def _replace(report: ChurnReport, **changes) -> ChurnReport:
    from dataclasses import replace

    return replace(report, **changes)


def _with_moments(report: ChurnReport, found: pd.DataFrame) -> ChurnReport:
    risk = report.at_risk.drop(columns=[c for c in found.columns if c != "customer_id" and c in report.at_risk])
    risk = risk.merge(found, on="customer_id", how="left")
    order = ["rank", "customer_id", "segment", "probability", "lifetime_value", "value_at_risk", "worst_moment_index",
             "worst_at", "worst_channel", "worst_touchpoint", "incidents", "recovery", "last_at", "last_channel",
             "last_touchpoint"]
    return _replace(report, at_risk=risk[[c for c in order if c in risk] + [c for c in risk if c not in order]])


def fit_churn_table(table: FeatureTable, *, now: FeatureTable | None = None, attributes: Sequence[str] = (),
                    include_restating: Sequence[str] = (), min_positives: int = 50, n_splits: int = 5,
                    C: float = DEFAULT_C, resamples: int = 200, at_risk: int = 200, seed: int = 0,
                    good_end_index: float = 60.0,
                    progress: Callable[[float, str], None] | None = None) -> ChurnReport:
    """Fit and evaluate on a ready :class:`~cx.churn_features.FeatureTable` (no database needed).

    ``now`` (window rule) holds the current features of the customers to rank; otherwise the
    customers without the outcome are ranked by their out-of-fold probability. ``good_end_index``
    is the incident rules' "good ending" (a what-if that recovers an incident lifts the end to it).
    Other parameters as in :func:`fit_churn`.
    """
    # One BLAS thread: on a shared two-core machine, multi-threaded BLAS on these thin matrices
    # spends more time waiting for the other core than computing (5x slower in bench/bench_churn.py).
    with threadpool_limits(1):
        return _fit_table(table, now, attributes, include_restating, min_positives, n_splits, C, resamples,
                          at_risk, seed, good_end_index, progress)


def _fit_table(table, now, attributes, include_restating, min_positives, n_splits, C, resamples, at_risk, seed,
               good_end_index, progress) -> ChurnReport:
    started = time.perf_counter()
    frame = table.frame
    y = frame["outcome"].to_numpy(dtype=int)
    _guard(y, table.outcome, min_positives, n_splits)
    unknown = [a for a in attributes if a not in frame]
    if unknown:
        raise ChurnModelError(f"No customer attribute {unknown[0]!r}; available: {', '.join(table.attributes) or 'none'}.")
    candidates = list(dict.fromkeys([*table.features, *attributes]))
    flagged = restating_columns(frame, [*candidates, *[a for a in table.attributes if a not in candidates]],
                                outcome="outcome", outcome_label=table.outcome)
    excluded = {c: r for c, r in flagged.items() if c not in include_restating}
    features = [c for c in candidates if c not in excluded]
    if not features:
        raise ChurnModelError("No usable feature: every experience measure is missing, constant, or restates the "
                              "outcome, so there is nothing to relate to it.")
    X = model_frame(frame, features)
    labels = dict(table.labels)

    groups = {name: [f for f in cols if f in features] for name, cols in table.groups.items() if name != "All"}
    groups = {name: cols for name, cols in groups.items() if cols}
    _progress(progress, 0.1, f"Cross-validating ({n_splits} folds) on {len(y):,} customers, "
                             f"with {len(groups)} comparison feature sets")
    predictions, folds, importance = cross_validate(X, y, n_splits=n_splits, C=C, seed=seed, subsets=groups)
    oof = predictions["All"]
    set_rows = []
    groups["All"] = features
    _progress(progress, 0.7, "Bootstrapping the scores")
    cv = score_intervals(y, oof, seed=seed)
    for name, cols in groups.items():
        auc = cv["roc_auc"] if name == "All" else delong_interval(y, predictions[name])
        set_rows.append({"name": name, "features": len(cols), "roc_auc": auc.value, "ci_low": auc.ci_low,
                         "ci_high": auc.ci_high})
    feature_sets = pd.DataFrame(set_rows).sort_values("roc_auc", ascending=False, kind="stable").reset_index(drop=True)

    _progress(progress, 0.8, "Fitting on all customers and bootstrapping the odds ratios")
    model = ChurnModel(C=C).fit(X, y)
    draws = bootstrap_coefficients(model, X, y, resamples=resamples, seed=seed)
    odds = odds_ratio_table(model, draws, labels)
    importance.insert(1, "feature", importance["column"].map(lambda c: labels.get(c, c)))
    line = calibration_line(y, oof)
    calibration = calibration_table(y, oof)

    # whom to rank: customers without the outcome (their out-of-fold probability), or, under the
    # window rule, everyone active now with their current features and the model fitted at the cut-off
    if now is not None and len(now.frame):
        pop_frame = now.frame.reindex(columns=list(dict.fromkeys([*now.frame.columns, *features])))
        raw = model.predict_proba(model_frame(pop_frame, features))[:, 1]
    else:
        keep = y == 0
        pop_frame = frame.loc[keep]
        raw = oof[keep]
    population = model_frame(pop_frame, features).reset_index(drop=True)
    context = ["customer_id", "segment", "lifetime_value", "incidents", "recovery",
               *[c for c in pop_frame if c.startswith(CHANNEL_PREFIX)]]
    for col in context:
        if col in pop_frame and col not in population:
            population[col] = pop_frame[col].to_numpy()
    population["probability"] = recalibrate(raw, line)
    ranked = _at_risk(population, at_risk)

    notes = list(table.notes)
    warns = []
    if cv["roc_auc"].includes(0.5):
        warns.append(f"The ROC AUC's 95% CI ({cv['roc_auc'].ci_low:.2f}–{cv['roc_auc'].ci_high:.2f}) includes 0.5: "
                     "the model does not tell these customers apart better than chance. Don't read the odds ratios "
                     "as drivers.")
    if not 0.8 <= line[1] <= 1.25:
        warns.append(f"Calibration slope {line[1]:.2f} (ideal 1): the out-of-fold probabilities are "
                     f"{'too extreme' if line[1] < 1 else 'too timid'}; the at-risk list uses recalibrated ones.")
    if excluded:
        notes.append("Left out as restating the outcome: " + "; ".join(
            f"{labels.get(c, c)} — {r}" for c, r in excluded.items()) + ".")
    card = ModelCard(
        outcome=table.outcome, n=len(y), positives=int(y.sum()), negatives=int(len(y) - y.sum()),
        rule_text=table.rule_text,
        cv_scheme=(f"Stratified {n_splits}-fold cross-validation (shuffled, seed {seed}), scored on the out-of-fold "
                   "predictions: ROC AUC with DeLong's 95% CI; PR AUC and Brier score with 95% percentile-bootstrap "
                   f"CIs (customers resampled); odds-ratio CIs from {resamples} bootstrap refits."),
        model_text=(f"Logistic regression, L2 penalty with C = {C:g} on standardised features; median imputation "
                    "with missing-value indicators; categories one-hot against their most common level."),
        features=tuple(labels.get(f, f) for f in features), excluded={labels.get(c, c): r for c, r in excluded.items()},
        notes=tuple(notes), as_of=None if table.as_of is None else f"{table.as_of:%Y-%m-%d}",
    )
    return ChurnReport(card=card, cv=cv, folds=folds, calibration=calibration, calibration_fit=line,
                       odds_ratios=odds, importance=importance, feature_sets=feature_sets, at_risk=ranked,
                       warnings=tuple(warns), model=model, draws=draws, population=population, labels=labels,
                       good_end_index=float(good_end_index), seconds=time.perf_counter() - started)


def _at_risk(population: pd.DataFrame, top: int) -> pd.DataFrame:
    out = pd.DataFrame({"customer_id": population["customer_id"].astype(str),
                        "probability": population["probability"]})
    if "segment" in population:
        out["segment"] = population["segment"]
    ltv = population["lifetime_value"] if "lifetime_value" in population else pd.Series(np.nan, index=population.index)
    out["lifetime_value"] = ltv.astype(float)
    out["value_at_risk"] = out["probability"] * out["lifetime_value"]
    for col in ("incidents", "recovery"):
        if col in population:
            out[col] = population[col].to_numpy()
    key = out["value_at_risk"].fillna(-1.0) if out["lifetime_value"].notna().any() else out["probability"]
    out = out.assign(_key=key).sort_values(["_key", "probability", "customer_id"], ascending=[False, False, True])
    out = out.drop(columns="_key").head(int(top)).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


# --- what-if -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    """Predicted effect of moving one driver for a group of customers (association, not causation).

    Attributes
    ----------
    description : str
        What was moved, for whom.
    customers : int
        Customers affected.
    churn_before, churn_after : float
        Expected share with the outcome among them (0–1), before and after.
    churners_change : Interval
        Change in the expected number of customers with the outcome (negative = fewer).
    ltv_at_risk_before : float
        Σ probability × lifetime value before.
    ltv_at_risk_change : Interval
        Change in lifetime value at risk.
    caveat : str
    """

    description: str
    customers: int
    churn_before: float
    churn_after: float
    churners_change: Interval
    ltv_at_risk_before: float
    ltv_at_risk_change: Interval
    caveat: str = CAVEAT

    def to_dict(self) -> dict:
        return {"description": self.description, "customers": self.customers, "churn_before": self.churn_before,
                "churn_after": self.churn_after, "churners_change": self.churners_change.to_dict(),
                "ltv_at_risk_before": self.ltv_at_risk_before, "ltv_at_risk_change": self.ltv_at_risk_change.to_dict(),
                "caveat": self.caveat}


def what_if(report: ChurnReport, driver: str, change: float, *, mode: str = "relative",
            segment: str | None = None, channel: str | None = None) -> WhatIf:
    """Move a driver for the customers at risk (optionally one segment or channel's users).

    Parameters
    ----------
    report : ChurnReport
    driver : str
        A numeric model input (e.g. ``median_resolution_hours``), or ``recovery``.
    change : float
        ``mode="relative"``: the fraction to change it by (−0.2 = cut by 20%); ``"absolute"``: the
        amount to add (e.g. +10 index points). For ``recovery``: the share (0–1) of unrecovered
        incidents turned into recovered ones.
    segment : str, optional
        Only customers of this segment.
    channel : str, optional
        Only customers who contacted this channel (their whole-journey value of the driver moves:
        the features are per customer, not per channel).

    Returns
    -------
    WhatIf
        Point change from the fitted model; 95% interval from the bootstrap refits.
    """
    with threadpool_limits(1):
        return _what_if(report, driver, change, mode, segment, channel)


def _what_if(report, driver, change, mode, segment, channel) -> WhatIf:
    model, pop = report.model, report.population
    if driver not in report.drivers():
        raise ValueError(f"{driver!r} is not a driver the model can move; choose one of {', '.join(report.drivers())}")
    mask = np.ones(len(pop), dtype=bool)
    who = "customers at risk"
    if segment:
        if "segment" not in pop:
            raise ValueError("this data has no segment column")
        mask &= (pop["segment"].astype(str) == str(segment)).to_numpy()
        who = f"{segment} customers at risk"
    if channel:
        col = f"{CHANNEL_PREFIX}{channel}"
        if col not in pop:
            raise ValueError(f"no contacts via {channel!r} in this data")
        mask &= (pop[col] > 0).to_numpy()
        who += f" who contacted {channel}"
    inputs = model.numeric_ + model.categorical_
    X = pop.loc[mask, inputs]
    label = report.labels.get(driver, driver)
    if driver == "recovery":
        share = float(np.clip(change, 0.0, 1.0))
        unrecovered = (X["recovery"] == "unrecovered").to_numpy()
        moved = X.assign(recovery=np.where(unrecovered, "recovered", X["recovery"]))
        if "end_index" in moved:  # a recovered journey ends well (the incident rules' good ending)
            moved["end_index"] = np.where(unrecovered, np.fmax(moved["end_index"], report.good_end_index), moved["end_index"])
        weight = np.where(unrecovered, share, 0.0)
        description = (f"Turn {share:.0%} of unrecovered incidents into recovered ones (ending at an index of at least "
                       f"{report.good_end_index:g}), for {who}")
    else:
        values = X[driver]
        lo, hi = float(pop[driver].min()), float(pop[driver].max())
        new = values * (1 + change) if mode == "relative" else values + change
        moved = X.assign(**{driver: new.clip(lo, hi) if mode == "absolute" else new.clip(lower=0 if lo >= 0 else None)})
        weight = np.ones(len(X))
        amount = f"{change:+.0%}" if mode == "relative" else f"{change:+g}"
        description = f"{label} {amount}, for {who}"
    ltv = pop.loc[mask, "lifetime_value"].to_numpy(float) if "lifetime_value" in pop else np.full(mask.sum(), np.nan)
    ltv = np.nan_to_num(ltv, nan=0.0)
    Z0, Z1 = model.transform(X), model.transform(moved)
    line = report.calibration_fit
    betas = np.vstack([np.r_[model.coef_, model.intercept_], report.draws])
    p0 = recalibrate(expit(Z0 @ betas[:, :-1].T + betas[:, -1]), line)
    p1 = recalibrate(expit(Z1 @ betas[:, :-1].T + betas[:, -1]), line)
    after = p0 + weight[:, None] * (p1 - p0)
    delta = (after - p0).sum(axis=0)
    delta_ltv = ((after - p0) * ltv[:, None]).sum(axis=0)
    n = int(mask.sum())

    def interval(values):
        low, high = np.percentile(values[1:], [2.5, 97.5]) if len(values) > 1 else (np.nan, np.nan)
        return Interval(float(values[0]), float(low), float(high))

    return WhatIf(description=description, customers=n,
                  churn_before=float(p0[:, 0].mean()) if n else float("nan"),
                  churn_after=float(after[:, 0].mean()) if n else float("nan"),
                  churners_change=interval(delta), ltv_at_risk_before=float((p0[:, 0] * ltv).sum()),
                  ltv_at_risk_change=interval(delta_ltv))


__all__ = [
    "CAVEAT",
    "ChurnModel",
    "ChurnModelError",
    "ChurnReport",
    "DEFAULT_C",
    "Interval",
    "ModelCard",
    "WhatIf",
    "bootstrap_coefficients",
    "calibration_line",
    "calibration_table",
    "cross_validate",
    "fit_churn",
    "fit_churn_table",
    "model_frame",
    "odds_ratio_table",
    "recalibrate",
    "score_intervals",
    "what_if",
]
