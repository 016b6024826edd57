"""Leaks: columns that carry the outcome, found and left out of the model, with the reason.

An account status, a churn reason, or a score some other system computed *from* the outcome
predict it perfectly and explain nothing. :func:`restating_columns` finds them by name and by a
single column predicting the outcome almost perfectly (ROC AUC ≥ 0.98 from its values or from
whether it is missing); :func:`leak_screen` adds columns filled for one outcome class only, scores
that go the wrong way round for an experience (a churn score read as CSAT), and groups of sibling
columns that give the outcome away together (a churn reason spread over touchpoint columns). The
model leaves them out unless asked, and the page and the CLI name them; :func:`leak_carriers`
names the columns behind a model too good to be true (CV ROC AUC ≥ :data:`LEAK_AUC`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cx.churn.table import CHANNEL_PREFIX, FEATURE_LABELS, TOUCHPOINT_PREFIX
from cx.metrics.plausible import LEAK_AUC as PLAUSIBLE_AUC
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


# --- leaks: one class only, wrong way round, and groups of siblings -----------------------------

#: Experience measures where a higher value is a better experience (their expected direction).
BETTER_IS_HIGHER = ("mean_nps", "mean_csat", "mean_index", "worst_index", "best_index", "first_index", "end_index",
                    "peak_end_index", "fcr_share")
#: A single column that separates the outcome this well *the wrong way round* is a score of the outcome.
WRONG_WAY_AUC = 0.9
#: A column present for only one class is a leak when chance would give that with probability below this.
ONE_CLASS_P = 1e-4
#: CV ROC AUC at or above which a model says loudly that a leak is likely.
LEAK_AUC = PLAUSIBLE_AUC


def _present_mask(values: pd.Series, counts: bool) -> np.ndarray:
    """Where a column says something: not missing (and, for contact counts, above zero)."""
    present = values.notna().to_numpy()
    if counts:
        present &= pd.to_numeric(values, errors="coerce").fillna(0).to_numpy() > 0
    return present


def one_class_only(present: np.ndarray, y: np.ndarray, p: float = ONE_CLASS_P) -> int | None:
    """The class (0 or 1) a column is filled for exclusively, when chance would not explain it; else None.

    Filled for ``k`` customers who all have the same outcome, of a class making up a share ``q``
    of everyone: chance gives that with probability ``qᵏ`` (a binomial tail); below ``p`` it is a
    leak (a churn reason, a cancellation date, a win-back offer).
    """
    y = np.asarray(y, dtype=int)
    k = int(present.sum())
    if k == 0 or k == len(y):
        return None
    classes = np.unique(y[present])
    if len(classes) != 1:
        return None
    q = float(np.mean(y == classes[0]))
    return int(classes[0]) if q < 1 and k * np.log(q) < np.log(p) else None


def _group_auc(frame: pd.DataFrame, columns: Sequence[str], y: np.ndarray, seed: int = 0) -> float:
    """Cross-validated (3-fold) ROC AUC of a model on ``columns`` alone (values and missing-value indicators)."""
    from sklearn.model_selection import StratifiedKFold

    from cx.churn.model import ChurnModel, model_frame

    y = np.asarray(y, dtype=int)
    if min(y.sum(), len(y) - y.sum()) < 3:
        return 0.5
    X = model_frame(frame, columns)
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(3, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        model = ChurnModel(max_iter=30).fit(X.iloc[train], y[train])
        oof[test] = model.decision_function(X.iloc[test])
    return _separation(y, oof)


def leak_screen(frame: pd.DataFrame, columns: Sequence[str], outcome: str = "outcome", *,
                outcome_label: str | None = None, good_outcome: bool | None = None,
                groups: dict[str, Sequence[str]] | None = None, threshold: float = 0.98) -> dict[str, str]:
    """Columns that carry the outcome (leaks), each with the reason; they stay out of the model.

    Besides :func:`restating_columns` (names; one column predicting the outcome almost perfectly),
    a column is a leak when

    - it is filled only for customers of one outcome class (:func:`one_class_only`): a churn
      reason mapped as a touchpoint is present only for churners;
    - it is an experience measure (higher = better) that on its own separates the outcome the
      wrong way round with ROC AUC ≥ :data:`WRONG_WAY_AUC` (a churn *score* mapped as a CSAT:
      "better" experiences churning almost surely) — when ``good_outcome`` says which way is right;
    - it belongs to a group of sibling columns (``groups``: every touchpoint's index, every
      channel's contact count) that together give it away: whether any sibling is filled
      separates the outcome (AUC ≥ ``threshold``, or only one class has any), or a model on the
      siblings alone reaches a cross-validated AUC ≥ ``threshold``.

    Returns
    -------
    dict
        Column → plain-language reason, in the order of ``columns``, then group members.
    """
    y = frame[outcome].to_numpy(dtype=int)
    said = outcome_label or outcome
    out = restating_columns(frame, columns, outcome, threshold=threshold, outcome_label=outcome_label)
    if len(np.unique(y)) < 2:
        return out
    for col in columns:
        if col in out:
            continue
        only = one_class_only(_present_mask(frame[col], col.startswith(CHANNEL_PREFIX)), y)
        if only is not None:
            out[col] = (f"it is filled only for customers with {said} = {'yes' if only else 'no'}: it was most "
                        "likely recorded because of the outcome (a reason, a date or a status), not before it")
            continue
        if good_outcome is not None and (col in BETTER_IS_HIGHER or col.startswith(TOUCHPOINT_PREFIX)):
            values = pd.to_numeric(frame[col], errors="coerce")
            known = values.notna().to_numpy()
            yk = y[known]
            if known.sum() >= 10 and 0 < yk.sum() < len(yk):
                auc = roc_auc(yk, values[known].to_numpy(dtype=float))
                wrong = auc if not good_outcome else 1 - auc  # a better experience going with the bad outcome
                if wrong >= WRONG_WAY_AUC:
                    out[col] = (f"on its own a better value goes with {'' if not good_outcome else 'not '}{said} "
                                f"(AUC {wrong:.3f}): the wrong way round for an experience, so it is most likely a "
                                "score of the outcome (e.g. a churn score), not a rating")
    for name, members in (groups or {}).items():
        members = [m for m in members if m in frame and m not in out]
        if len(members) < 2:
            continue
        counts = all(m.startswith(CHANNEL_PREFIX) for m in members)
        anyone = np.logical_or.reduce([_present_mask(frame[m], counts) for m in members])
        only = one_class_only(anyone, y)
        reason = None
        if only is not None or (anyone.any() and not anyone.all() and _separation(y, anyone.astype(float)) >= threshold):
            reason = (f"together with its siblings ({name}) it gives the outcome away: whether any of them is filled "
                      f"predicts {said} almost perfectly")
        else:
            auc = _group_auc(frame, members, y)
            if auc >= threshold:
                reason = (f"together with its siblings ({name}) it predicts {said} almost perfectly (cross-validated "
                          f"AUC {auc:.3f}): the group most likely restates the outcome")
        if reason:
            out.update({m: reason for m in members})
    return out


def leak_carriers(frame: pd.DataFrame, columns: Sequence[str], outcome: str = "outcome", top: int = 3) -> list[str]:
    """The columns that carry most of a too-good model: the strongest single predictors (AUC ≥ 0.8), at most ``top``."""
    y = frame[outcome].to_numpy(dtype=int)
    scored = sorted(((single_column_auc(frame[c], y), c) for c in columns), reverse=True)
    strong = [c for auc, c in scored if auc >= 0.8]
    return (strong or [c for _, c in scored])[:top]


__all__ = ["BETTER_IS_HIGHER", "LEAK_AUC", "WRONG_WAY_AUC", "leak_carriers", "leak_screen", "one_class_only",
           "restating_columns", "single_column_auc"]
