"""The churn model: an L2 logistic regression on experience features, as a scikit-learn estimator.

A deliberately simple model a statistician would sign: median imputation with missing-value
indicators and standardisation for numbers, one-hot encoding against the most common level for
categories, then the penalised logistic regression of :mod:`cx.churn.logistic`, solved to
convergence. :class:`ChurnModel` follows scikit-learn's conventions (parameters set in
``__init__`` only, ``fit`` returns ``self``, learned attributes end in ``_``, ``get_params`` /
``clone`` work), so it cross-validates and clones like any scikit-learn classifier; with
``resamples`` it also refits itself on bootstrap resamples (:mod:`cx.churn.bootstrap`), every
draw from ``random_state``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from cx.churn.bootstrap import bootstrap_refits
from cx.churn.logistic import MAX_ITER, TOL, newton_fit
from cx.churn.table import CATEGORICAL_FEATURES, RECOVERY_LEVELS

#: Why C = 1 (and not a cross-validated C): on standardised features the penalty ½‖β‖² is tiny next
#: to a log-likelihood summed over hundreds or thousands of customers, so the odds ratios stay those
#: of the plain maximum-likelihood model a statistician would read — yet the fit stays finite and
#: stable when features are collinear (worst, end and mean index move together) or a class is
#: perfectly separated. Tuning C by inner CV would cost ~10x the fits and buy no interpretability.
DEFAULT_C = 1.0
#: Levels of a category kept as they are; rarer ones are pooled as "(other)".
MAX_LEVELS = 15


def _categories(values: pd.Series, column: str) -> list[str]:
    """Levels, the reference (most frequent, or "clean" for recovery) first."""
    levels = [str(v) for v in values.value_counts().index]
    if column == "recovery":
        levels = [lv for lv in RECOVERY_LEVELS if lv in levels] + [lv for lv in levels if lv not in RECOVERY_LEVELS]
    return levels


def model_frame(frame: pd.DataFrame, columns: Sequence[str], floats=float) -> pd.DataFrame:
    """The model's input: numbers as floats, categories as text (rare ones pooled, gaps a level).

    ``floats``: the numbers' type (``np.float32`` to hold many customers; :meth:`ChurnModel.design`
    computes in float64 whatever it gets).
    """
    out = {}
    for col in columns:
        values = frame[col]
        if col in CATEGORICAL_FEATURES or not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
            text = values.astype(object).where(values.notna(), "(missing)").astype(str)
            common = text.value_counts().index[:MAX_LEVELS]
            out[col] = text.where(text.isin(common), "(other)").astype(object)
        else:
            out[col] = pd.to_numeric(values, errors="coerce").astype(floats)
    return pd.DataFrame(out, index=frame.index, copy=False)  # the columns as made: no second copy of them all


def _as_frame(X) -> pd.DataFrame:
    """A non-empty DataFrame with text column names (arrays are checked by scikit-learn and get ``x0, x1, …``)."""
    if not isinstance(X, pd.DataFrame):
        array = check_array(X, dtype=None, ensure_all_finite="allow-nan")
        return pd.DataFrame(array, columns=[f"x{k}" for k in range(array.shape[1])])
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s): the model needs both.")
    return X if all(isinstance(c, str) for c in X.columns) else X.set_axis([str(c) for c in X.columns], axis=1)


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Logistic regression on experience features, solved to convergence.

    ``impute (median, + missing-value indicators) → standardise`` for numbers,
    ``one-hot (reference level dropped)`` for categories, then L2 logistic regression with
    ``C`` (see :data:`DEFAULT_C` for why it is fixed) solved by Newton's method
    (:func:`cx.churn.logistic.newton_fit`).

    Parameters
    ----------
    C : float
        Inverse regularisation strength (on standardised features).
    tol : float
        Converged when no coefficient moves by more than this in a Newton step.
    max_iter : int
        Newton iterations at most (of the fit and of each bootstrap refit).
    resamples : int
        Bootstrap refits to draw in ``fit`` (0: none). They give the odds ratios' intervals.
    random_state : int, numpy Generator or None
        Source of every random draw of the bootstrap (see :func:`cx.churn.bootstrap.generator`);
        :func:`cx.churn.scores.cross_validate` draws its folds and permutations from it too.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The outcome's values; the second is the one whose probability is modelled.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    prepare_ : sklearn.compose.ColumnTransformer
        The fitted imputation, scaling and one-hot encoding.
    numeric_, categorical_ : list of str
        Input columns of each kind.
    columns_ : DataFrame
        One row per model column: ``column`` (input feature), ``kind`` ("per SD", "missing vs
        present" or "level"), ``level``, ``reference``, ``scale`` (the SD that column was divided by).
    coef_ : ndarray of shape (n_columns,)
    intercept_ : float
    n_iter_ : int
        Newton iterations of the fit.
    converged_ : bool
        Whether the fit met ``tol`` within ``max_iter`` iterations.
    bootstrap_coef_ : ndarray of shape (resamples, n_columns + 1)
        Coefficients, then the intercept, of each bootstrap refit (with ``resamples`` > 0).
    bootstrap_converged_ : ndarray of bool, shape (resamples,)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"worst_index": rng.normal(50, 15, 500)})
    >>> y = (rng.random(500) < 1 / (1 + np.exp(0.05 * (X.worst_index - 50)))).astype(int)
    >>> model = ChurnModel().fit(X, y)
    >>> bool(model.coef_[0] < 0), model.converged_
    (True, True)
    """

    def __init__(self, C: float = DEFAULT_C, tol: float = TOL, max_iter: int = MAX_ITER, resamples: int = 0,
                 random_state=None) -> None:
        self.C = C
        self.tol = tol
        self.max_iter = max_iter
        self.resamples = resamples
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        return tags

    def _prepare(self, X: pd.DataFrame) -> ColumnTransformer:
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
        return ColumnTransformer(steps, verbose_feature_names_out=False)

    def _target(self, y) -> np.ndarray:
        if y is None:
            raise ValueError("ChurnModel requires y to be passed, but the target y is None.")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"Only binary classification is supported: the churn model needs an outcome with two "
                             f"classes, got {len(self.classes_)} class{'' if len(self.classes_) == 1 else 'es'}.")
        return (y == self.classes_[1]).astype(float)

    def fit(self, X, y) -> ChurnModel:
        """Fit on features ``X`` (numbers and text categories) and a two-valued outcome ``y``; returns self."""
        self.fit_design(X, y)
        return self

    def fit_design(self, X, y) -> np.ndarray:
        """Fit as :meth:`fit` and return the design matrix (imputed, scaled, one-hot) the model was fitted on."""
        X = _as_frame(X)
        target = self._target(y)
        if len(X) != len(target):
            raise ValueError(f"X has {len(X)} rows but y has {len(target)}.")
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.missing_patterns_ = {c: hash(X[c].isna().to_numpy().tobytes()) for c in X.columns}
        self.prepare_ = self._prepare(X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # imputing an all-missing column drops it: expected
            Z = np.asarray(self.prepare_.fit_transform(X, target), dtype=float)
        solution = newton_fit(Z, target, self.C, tol=self.tol, max_iter=self.max_iter)
        self.coef_, self.intercept_ = solution.beta[:-1].copy(), float(solution.beta[-1])
        self.n_iter_, self.converged_ = solution.n_iter, solution.converged
        self.columns_ = self._describe_columns()
        if self.resamples:
            self.bootstrap_coef_, self.bootstrap_converged_ = bootstrap_refits(
                Z, target, solution.beta, self.C, resamples=self.resamples, random_state=self.random_state,
                tol=self.tol, max_iter=self.max_iter)
        return Z

    def _describe_columns(self) -> pd.DataFrame:
        rows = []
        if self.numeric_:
            num = self.prepare_.named_transformers_["num"]
            for name, scale in zip(num.get_feature_names_out(self.numeric_), num.named_steps["scale"].scale_):
                missing = name.startswith("missingindicator_")
                column = name[len("missingindicator_"):] if missing else name
                rows.append({"column": column, "kind": "missing vs present" if missing else "per SD", "level": None,
                             "reference": None, "scale": float(scale),
                             "pattern": self.missing_patterns_.get(column) if missing else None})
        if self.categorical_:
            enc = self.prepare_.named_transformers_["cat"]
            for col, levels, drop in zip(self.categorical_, enc.categories_, enc.drop_idx_):
                reference = str(levels[drop]) if drop is not None else None
                rows += [{"column": col, "kind": "level", "level": str(level), "reference": reference, "scale": 1.0,
                          "pattern": None} for k, level in enumerate(levels) if drop is None or k != drop]
        return pd.DataFrame(rows, columns=["column", "kind", "level", "reference", "scale", "pattern"])

    def design(self, X) -> np.ndarray:
        """The model's design matrix (imputed, scaled, one-hot) for ``X``."""
        check_is_fitted(self, "coef_")
        X = _as_frame(X)
        narrow = [c for c in X.columns if X[c].dtype == np.float32]  # held small, computed in float64
        X = X.astype(dict.fromkeys(narrow, np.float64)) if narrow else X
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but ChurnModel is expecting {self.n_features_in_} "
                             "features as input.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return np.asarray(self.prepare_.transform(X), dtype=float)

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the outcome (of ``classes_[1]``)."""
        return self.design(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities, shape (n, 2): column 1 is the outcome's."""
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """The more likely class of each row."""
        check_is_fitted(self, "coef_")
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


__all__ = ["ChurnModel", "DEFAULT_C", "MAX_LEVELS", "model_frame"]
