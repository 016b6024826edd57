"""Columns that restate the outcome: found and left out of the model, with the reason.

An account status, a churn reason, or a score some other system computed *from* the outcome
predict it perfectly and explain nothing. :func:`restating_columns` finds them by name and by a
single column predicting the outcome almost perfectly (ROC AUC ≥ 0.98 from its values or from
whether it is missing); the model leaves them out unless asked, and the page names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cx.churn.table import FEATURE_LABELS, TOUCHPOINT_PREFIX
from cx.outcomes import roc_auc

_RESTATING_NAME = re.compile(
    r"status|reason|cancel|churn|attrition|terminat|closed|closure|exit|lost|left|leav|retain|retention|"
    r"inactive|deactivat|outcome|label|target|winback|win_back|save_offer|disconnect",
    re.IGNORECASE,
)


def _separation(y: np.ndarray, score: np.ndarray) -> float:
    auc = roc_auc(y, score)
    return max(auc, 1 - auc)


def single_column_auc(values: pd.Series, y: np.ndarray) -> float:
    """How well one column alone separates the outcome: max(AUC, 1 − AUC) from its values or its gaps.

    Numbers are ranked as they are; text is replaced by its category's outcome rate. Whether a
    value is missing counts too (a churn date is missing exactly for those who stayed).
    """
    y = np.asarray(y, dtype=int)
    best = 0.5
    if len(np.unique(y)) < 2:
        return best
    missing = values.isna().to_numpy()
    if missing.any() and not missing.all():
        best = max(best, _separation(y, missing.astype(float)))
    present = ~missing
    yp = y[present]
    if present.sum() < 10 or len(np.unique(yp)) < 2 or min(yp.sum(), len(yp) - yp.sum()) < 5:
        return float(best)
    v = values[present]
    if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
        score = pd.to_numeric(v, errors="coerce").astype(float).to_numpy()
    else:
        keys = v.astype(str).to_numpy()
        if len(np.unique(keys)) > max(50, 0.2 * len(keys)):
            return float(best)  # identifier-like text: its per-value "rate" is the outcome itself
        score = pd.Series(yp).groupby(keys).transform("mean").to_numpy()
    if np.isfinite(score).all() and np.ptp(score) > 0:
        best = max(best, _separation(yp, score))
    return float(best)


def restating_columns(frame: pd.DataFrame, columns: Sequence[str], outcome: str = "outcome", *,
                      threshold: float = 0.98, names: bool = True, outcome_label: str | None = None) -> dict[str, str]:
    """Columns that merely restate the outcome, each with the reason.

    Parameters
    ----------
    frame : DataFrame
        Holds ``columns`` and the 0/1 ``outcome``.
    columns : sequence of str
        Candidates (features and attributes).
    threshold : float
        A single column whose AUC (see :func:`single_column_auc`) reaches this is flagged.
    names : bool
        Also flag columns named like a status, a reason or a churn flag (applied to customer
        attributes; the computed experience features have fixed names).
    outcome_label : str, optional
        How the reasons name the outcome (default: ``outcome``).

    Returns
    -------
    dict
        Column → plain-language reason, in the order of ``columns``.
    """
    y = frame[outcome].to_numpy()
    said = outcome_label or outcome
    out: dict[str, str] = {}
    for col in columns:
        if names and col not in FEATURE_LABELS and not col.startswith(TOUCHPOINT_PREFIX) and _RESTATING_NAME.search(col):
            out[col] = "its name says it records the outcome (a status, reason or churn field)"
            continue
        auc = single_column_auc(frame[col], y)
        if auc >= threshold:
            out[col] = (f"on its own it predicts {said} almost perfectly (AUC {auc:.3f}): it most likely "
                        "restates the outcome or was recorded after it")
    return out


__all__ = ["restating_columns", "single_column_auc"]
