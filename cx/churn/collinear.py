"""Degenerate features: the same measure under several names, and measures that are combinations of others.

With one rating per customer, mean, worst, best, first and end of the journey are one column; a
model fed all of them prints the same odds ratio six times and a "which do customers remember"
verdict between identical predictors. Features that are almost a linear combination of others
(the mean index of a wide survey is the average of its touchpoint ratings) make a logistic
regression trade coefficients between them, so signs flip (a rating that goes *with* the outcome
gets an odds ratio far below 1). Two steps, both stated on the model card:

- :func:`merge_duplicates` — features correlating |r| ≥ 0.98 (on the customers where both are
  known, and known for the same customers) are one feature, named once: "Mean CSAT = Worst moment
  = End of journey (one rating per customer)".
- :func:`drop_collinear` — then, while some numeric feature has a variance inflation factor of
  :data:`MAX_VIF` or more (R² ≥ 0.9 on the others), the one with the highest VIF is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Features correlating at least this much (in absolute value) are the same measure.
DUPLICATE_R = 0.98
#: A feature with this variance inflation factor (R² = 1 − 1/VIF on the others) is left out.
MAX_VIF = 10.0


def _numeric(frame: pd.DataFrame, features: Sequence[str]) -> list[str]:
    return [f for f in features if pd.api.types.is_numeric_dtype(frame[f]) and not pd.api.types.is_bool_dtype(frame[f])]


def merge_duplicates(frame: pd.DataFrame, features: Sequence[str], threshold: float = DUPLICATE_R
                     ) -> tuple[list[str], dict[str, list[str]]]:
    """Keep one feature of each group of duplicates (the first in ``features``).

    Two numeric features are duplicates when they are known for the same customers (the missing
    patterns agree on ≥ 98% of rows) and correlate with |r| ≥ ``threshold`` where both are known.

    Returns
    -------
    kept : list of str
        ``features`` without the duplicates, in order.
    merged : dict
        Kept feature → the features merged into it (only groups of two or more).
    """
    numeric = _numeric(frame, features)
    values = frame[numeric].astype(float)
    missing = values.isna().to_numpy()
    std = values.std()
    r = values.corr(min_periods=10).abs().to_numpy() if numeric else np.zeros((0, 0))
    merged: dict[str, list[str]] = {}
    gone: set[str] = set()
    for a, first in enumerate(numeric):
        if first in gone or not std.get(first, 0) > 0:
            continue
        for b in range(a + 1, len(numeric)):
            second = numeric[b]
            if second in gone or not np.isfinite(r[a, b]) or r[a, b] < threshold:
                continue
            if np.mean(missing[:, a] == missing[:, b]) >= 0.98:
                merged.setdefault(first, []).append(second)
                gone.add(second)
    return [f for f in features if f not in gone], merged


def vif(frame: pd.DataFrame, features: Sequence[str]) -> pd.Series:
    """Variance inflation factor of each numeric feature (median-imputed, standardised), ∞ for exact combinations."""
    X = frame[list(features)].astype(float)
    X = X.fillna(X.median())
    X = (X - X.mean()) / X.std(ddof=0).replace(0, np.nan)
    X = X.dropna(axis=1, how="all").fillna(0.0)
    if X.shape[1] < 2:
        return pd.Series(1.0, index=list(features))
    corr = np.corrcoef(X.to_numpy(), rowvar=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        eig = np.linalg.eigvalsh(corr)
        if eig.min() <= 1e-10 * max(eig.max(), 1.0):
            inv = np.linalg.pinv(corr, rcond=1e-10)
            out = np.diag(inv).copy()
            # a feature inside the null space is an exact combination of others
            _, vectors = np.linalg.eigh(corr)
            null = vectors[:, eig <= 1e-10 * max(eig.max(), 1.0)]
            out[np.abs(null).max(axis=1) > 1e-6] = np.inf
        else:
            out = np.diag(np.linalg.inv(corr))
    return pd.Series(out, index=X.columns).reindex(list(features)).fillna(1.0)


def drop_collinear(frame: pd.DataFrame, features: Sequence[str], max_vif: float = MAX_VIF,
                   derived: Sequence[str] = ("mean_index", "peak_end_index", "slope", "first_index", "best_index")
                   ) -> tuple[list[str], dict[str, float]]:
    """Leave out, one at a time, the numeric feature with the highest VIF while it is ≥ ``max_vif``.

    Ties (exact combinations) go to the ``derived`` summaries first (the mean index is computed
    from the very scores beside it), then to the feature listed first: the summaries come before
    the touchpoints they summarise, so the touchpoints stay.

    Returns
    -------
    kept : list of str
    dropped : dict
        Feature → its VIF when it was left out, in the order they went.
    """
    kept = list(features)
    dropped: dict[str, float] = {}
    while True:
        numeric = _numeric(frame, kept)
        if len(numeric) < 2:
            break
        factors = vif(frame, numeric)
        worst = factors.max()
        if not worst >= max_vif:
            break
        tied = [f for f in factors.index if factors[f] >= worst * (1 - 1e-9)]
        name = next((f for f in derived if f in tied), tied[0])
        dropped[name] = float(worst)
        kept.remove(name)
    return kept, dropped


__all__ = ["DUPLICATE_R", "MAX_VIF", "drop_collinear", "merge_duplicates", "vif"]
