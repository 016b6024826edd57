"""How good are the themes and the sentiment? Agreement with labels people gave (used by
bench/bench_text.py and the floor test on the public sets in tests/data/real/).

- Themes against a label (complaint product, clothing department, review kind): normalised mutual
  information (``sklearn.metrics.normalized_mutual_info_score``, arithmetic mean, 0 = independent,
  1 = the same partition) and purity (each theme counted as its most common label; share of
  comments matching). Comments left as "no clear theme" form one cluster of their own.
- Sentiment against a rating: Spearman's rank correlation with the rating, ROC AUC of the score
  for "recommended" (or top ratings) against the rest, and accuracy of the sign on clearly
  positive vs clearly negative reviews.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def purity(labels, clusters) -> float:
    """Share of items whose cluster's most common label is their own label."""
    frame = pd.DataFrame({"label": np.asarray(labels), "cluster": np.asarray(clusters)})
    top = frame.groupby("cluster")["label"].agg(lambda s: s.value_counts().iloc[0])
    return float(top.sum() / len(frame)) if len(frame) else float("nan")


def kmeans_themes(texts: Sequence[str], n_themes: int, random_state: int = 0) -> np.ndarray:
    """The alternative compared with NMF: k-means on the same TF-IDF vectors (l2-normalised rows)."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from cx.text.themes import _stop_words

    matrix = TfidfVectorizer(stop_words=_stop_words(), ngram_range=(1, 2), min_df=2, max_df=0.5, sublinear_tf=True,
                             token_pattern=r"(?u)\b[^\W\d_][^\W\d_']+\b").fit_transform(texts)
    return KMeans(n_clusters=n_themes, n_init=10, random_state=random_state).fit_predict(matrix)


def theme_agreement(texts: Sequence[str], labels: Sequence[str], n_themes: int | None = None,
                    method: str = "nmf", random_state: int = 0) -> dict:
    """NMI and purity of the themes found in ``texts`` against ``labels`` (k = number of labels by default)."""
    from sklearn.metrics import normalized_mutual_info_score

    from cx.text.themes import discover_themes

    k = n_themes or len(set(labels))
    if method == "nmf":
        clusters = discover_themes(list(texts), k, random_state=random_state).assignment
    elif method == "kmeans":
        clusters = kmeans_themes(list(texts), k, random_state)
    else:
        raise ValueError(f"unknown method {method!r}")
    return {"n": len(texts), "k": k, "nmi": float(normalized_mutual_info_score(labels, clusters)),
            "purity": purity(labels, clusters), "unassigned": float(np.mean(np.asarray(clusters) < 0))}


def sentiment_agreement(scores, ratings, positive, negative) -> dict:
    """Spearman ρ with the rating; ROC AUC for ``positive`` vs the rest; sign accuracy on clear cases.

    ``positive`` / ``negative`` are boolean masks of the clearly positive / negative reviews
    (e.g. 4–5 and 1–2 stars); AUC uses ``positive`` against everything else.
    """
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    scores, ratings = np.asarray(scores, float), np.asarray(ratings, float)
    positive, negative = np.asarray(positive, bool), np.asarray(negative, bool)
    ok = ~np.isnan(scores) & ~np.isnan(ratings)
    clear = ok & (positive | negative)
    return {
        "n": int(ok.sum()),
        "spearman": float(spearmanr(scores[ok], ratings[ok]).statistic),
        "auc": float(roc_auc_score(positive[ok], scores[ok])),
        "sign_accuracy": float(np.mean((scores[clear] > 0) == positive[clear])),
        "clear": int(clear.sum()),
    }
