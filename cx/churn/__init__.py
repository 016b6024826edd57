"""Churn: which experiences relate to customers leaving, how sure we are, and who is at risk now.

One room per job:

- :mod:`~cx.churn.features` — per-customer features in SQL, cut off before the outcome;
- :mod:`~cx.churn.table` — the feature table those rows become (types, outcome, feature sets);
- :mod:`~cx.churn.leakage` — leaks (columns that restate the outcome, alone or with their siblings), left out with the reason;
- :mod:`~cx.churn.collinear` — duplicate features merged and named once, near-combinations left out;
- :mod:`~cx.churn.model` — :class:`ChurnModel`, a scikit-learn estimator;
- :mod:`~cx.churn.logistic` — its penalised logistic regression, solved to convergence;
- :mod:`~cx.churn.bootstrap` — bootstrap refits, odds ratios with intervals, the random generator;
- :mod:`~cx.churn.scores` — cross-validation, ROC/PR AUC, Brier, DeLong, calibration;
- :mod:`~cx.churn.whatif` — move a driver, see the predicted change;
- :mod:`~cx.churn.report` — :func:`fit_churn`, the one entry point, and the :class:`ChurnReport`.
"""

from cx.churn.bootstrap import bootstrap_refits, generator, odds_ratio_table  # noqa: F401  the package's public face
from cx.churn.collinear import drop_collinear, merge_duplicates  # noqa: F401
from cx.churn.features import churn_features, moments  # noqa: F401
from cx.churn.leakage import leak_screen, restating_columns, single_column_auc  # noqa: F401
from cx.churn.model import DEFAULT_C, MAX_LEVELS, ChurnModel, model_frame  # noqa: F401
from cx.churn.report import ChurnModelError, ChurnReport, ModelCard, fit_churn, fit_churn_table, risk_words  # noqa: F401
from cx.churn.scores import (  # noqa: F401
    METRIC_LABELS,
    METRICS,
    Interval,
    calibration_line,
    calibration_table,
    cross_validate,
    delong_interval,
    recalibrate,
    score_intervals,
)
from cx.churn.table import (  # noqa: F401
    CATEGORICAL_FEATURES,
    CHANNEL_PREFIX,
    FEATURE_LABELS,
    JOURNEY,
    MEAN_SCORES,
    PEAK_END,
    RECOVERY_LEVELS,
    SERVICE,
    TOUCHPOINT_PREFIX,
    CutoffRule,
    FeatureError,
    FeatureTable,
)
from cx.churn.whatif import CAVEAT, WhatIf, what_if  # noqa: F401
from cx.outcomes import OutcomeError, outcome_candidates, parse_outcome  # noqa: F401  (outcomes live in cx.outcomes)
