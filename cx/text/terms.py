"""Distinctive words between two groups of comments: the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words", section 3.5.1).

For word w with counts y_a, y_b in groups a, b (totals n_a, n_b) and prior pseudo-counts
α_w = α₀ · (y_a + y_b)_w / (n_a + n_b) taken from the two groups together (the "informative" prior:
common words get a strong prior, so their differences must be large to count):

    δ_w = log((y_a + α_w) / (n_a + α₀ − y_a − α_w)) − log((y_b + α_w) / (n_b + α₀ − y_b − α_w))
    σ²(δ_w) ≈ 1 / (y_a + α_w) + 1 / (y_b + α_w)
    z_w = δ_w / σ(δ_w)

A word said three times in one group and never in the other does not top the list (as it would
by raw log-odds): the prior shrinks rare words toward zero, which is what makes the ranking stable.
|z| > 1.96 is the usual reading of "distinctive".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

DEFAULT_PRIOR = 1000.0


def _vectorizer(ngram_range=(1, 1), min_df: int = 1):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", ngram_range=ngram_range, min_df=min_df,
                           token_pattern=r"(?u)\b[^\W\d_][^\W\d_']+\b", lowercase=True)


def log_odds(counts_a: np.ndarray, counts_b: np.ndarray, prior: float = DEFAULT_PRIOR) -> tuple[np.ndarray, np.ndarray]:
    """``(delta, z)`` for word-count vectors of two groups (same vocabulary order)."""
    y_a = np.asarray(counts_a, dtype="float64")
    y_b = np.asarray(counts_b, dtype="float64")
    n_a, n_b = y_a.sum(), y_b.sum()
    total = y_a + y_b
    alpha = prior * total / max(total.sum(), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log((y_a + alpha) / (n_a + prior - y_a - alpha))
                 - np.log((y_b + alpha) / (n_b + prior - y_b - alpha)))
        z = delta / np.sqrt(1.0 / (y_a + alpha) + 1.0 / (y_b + alpha))
    return delta, z


def distinctive_terms(group_a: Sequence[str], group_b: Sequence[str], *, top: int = 20,
                      prior: float = DEFAULT_PRIOR, min_count: int = 3, ngram_range=(1, 1)) -> pd.DataFrame:
    """The words most typical of ``group_a`` (positive z) and of ``group_b`` (negative z).

    Parameters
    ----------
    group_a, group_b : sequence of str
        Comments of each group (analysed, masked text).
    top : int
        At most this many words for each side.
    prior : float
        α₀, the prior's total pseudo-count.
    min_count : int
        Words said fewer times in both groups together are left out.

    Returns
    -------
    DataFrame
        ``term``, ``count_a``, ``count_b``, ``share_a``, ``share_b`` (per 1,000 words),
        ``log_odds`` (δ), ``z``, ``side`` ("a" or "b"); sorted by z, a's words first.
    """
    group_a = [t for t in group_a if isinstance(t, str)]
    group_b = [t for t in group_b if isinstance(t, str)]
    columns = ["term", "count_a", "count_b", "share_a", "share_b", "log_odds", "z", "side"]
    if not group_a or not group_b:
        return pd.DataFrame(columns=columns)
    vectorizer = _vectorizer(ngram_range)
    try:
        matrix = vectorizer.fit_transform(group_a + group_b)
    except ValueError:  # nothing but stop words
        return pd.DataFrame(columns=columns)
    y_a = np.asarray(matrix[: len(group_a)].sum(axis=0)).ravel()
    y_b = np.asarray(matrix[len(group_a):].sum(axis=0)).ravel()
    delta, z = log_odds(y_a, y_b, prior)
    frame = pd.DataFrame({"term": vectorizer.get_feature_names_out(), "count_a": y_a.astype(int),
                          "count_b": y_b.astype(int)})
    frame["share_a"] = 1000 * frame["count_a"] / max(y_a.sum(), 1)
    frame["share_b"] = 1000 * frame["count_b"] / max(y_b.sum(), 1)
    frame["log_odds"], frame["z"] = delta, z
    frame = frame[frame["count_a"] + frame["count_b"] >= min_count]
    a_side = frame[frame["z"] > 0].nlargest(top, "z").assign(side="a")
    b_side = frame[frame["z"] < 0].nsmallest(top, "z").assign(side="b")
    return pd.concat([a_side, b_side], ignore_index=True)[columns]


def comments_with_term(texts: pd.Series, term: str, limit: int = 50) -> pd.Series:
    """The comments (as given) that contain ``term`` as a whole word, case-insensitive; at most ``limit``."""
    import re

    pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
    hits = texts[texts.map(lambda t: isinstance(t, str) and bool(pattern.search(t)))]
    return hits.head(limit)
