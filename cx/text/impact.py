"""Theme impact: how much worse do customers who raise a theme score, and churn, than the others?

For each theme, the comments that raised it are compared with the other analysed comments:

- **NPS gap** (points): NPS of the responses that raised it − NPS of the others, from the score
  given with the same response. 95% interval from the trinomial variance of each NPS
  (Var = (p + d − (p − d)²) / n, the one :func:`cx.metrics.intervals.nps_interval` uses), normal
  approximation for the difference.
- **CSAT gap** (percentage points of top-two-box): difference of two proportions, Wald interval.
- **Churn gap** (percentage points): customers who raised the theme at least once vs the other
  customers who commented; difference of two proportions, Wald interval.

"What to fix first" ranks themes by **impact × volume**: ``points_lost`` = share of responses
raising the theme × −(NPS gap), i.e. how many points the overall NPS of the commenting customers
would gain if those responses scored like the others (the CSAT gap is used when NPS is missing).
Coverage of the intervals is checked by simulation in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cx.metrics.intervals import normal_quantile


def _gap(x_in, x_out, stat, confidence: float) -> tuple[float, float, float, int, int]:
    """``(gap, low, high, n_in, n_out)`` in points for a statistic ``stat(values) -> (estimate, variance
    of one observation)``; NaNs are dropped first and a side without values gives NaN (Wald interval)."""
    a = np.asarray(x_in, dtype="float64")
    b = np.asarray(x_out, dtype="float64")
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return np.nan, np.nan, np.nan, int(a.size), int(b.size)
    (e1, v1), (e0, v0) = stat(a), stat(b)
    gap = e1 - e0
    half = normal_quantile(confidence) * np.sqrt(v1 / a.size + v0 / b.size)
    return 100 * gap, 100 * (gap - half), 100 * (gap + half), int(a.size), int(b.size)


def _nps_statistic(scores: np.ndarray) -> tuple[float, float]:
    promoters, detractors = np.mean(scores >= 9), np.mean(scores <= 6)
    nps = promoters - detractors
    return nps, promoters + detractors - nps**2


def _share_statistic(flags: np.ndarray) -> tuple[float, float]:
    share = flags.mean()
    return share, share * (1 - share)


def nps_gap(nps_in, nps_out, confidence: float = 0.95) -> tuple[float, float, float, int, int]:
    """``(gap, low, high, n_in, n_out)``: NPS(in) − NPS(out) in points, NaN when a side has no score."""
    return _gap(nps_in, nps_out, _nps_statistic, confidence)


def proportion_gap(yes_in, yes_out, confidence: float = 0.95) -> tuple[float, float, float, int, int]:
    """``(gap, low, high, n_in, n_out)``: share(in) − share(out) in percentage points (Wald), NaN-safe."""
    return _gap(yes_in, yes_out, _share_statistic, confidence)


def theme_impact(comments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Impact of every theme on NPS, CSAT and churn, ranked by impact × volume.

    Parameters
    ----------
    comments : DataFrame
        One row per analysed comment with ``theme`` (None = no theme) and any of ``nps``,
        ``csat_top`` (1 = top two boxes of the declared CSAT scale, 0 = not, NaN = no answer),
        ``customer_id`` + ``churned``.

    Returns
    -------
    DataFrame
        ``theme``, ``count``, ``share``, ``nps_gap``, ``nps_low``, ``nps_high``, ``csat_gap``,
        ``csat_low``, ``csat_high``, ``churn_gap``, ``churn_low``, ``churn_high``, ``points_lost``,
        ``rank`` — one row per theme, best candidate to fix first on top.
    """
    rows = []
    total = len(comments)
    themes = [t for t in pd.unique(comments["theme"]) if isinstance(t, str)]
    nps = comments["nps"].astype("float64") if "nps" in comments else None
    csat_yes = comments["csat_top"].astype("float64").to_numpy() if "csat_top" in comments else None
    churn = None
    if {"customer_id", "churned"} <= set(comments.columns):
        churn = comments[["customer_id", "churned", "theme"]].copy()
        churn["churned"] = churn["churned"].astype("float64")
    for theme in themes:
        inside = (comments["theme"] == theme).to_numpy()
        row = {"theme": theme, "count": int(inside.sum()), "share": inside.sum() / max(total, 1)}
        gap = nps_gap(nps[inside], nps[~inside], confidence) if nps is not None else (np.nan,) * 3
        row.update(nps_gap=gap[0], nps_low=gap[1], nps_high=gap[2])
        gap = proportion_gap(csat_yes[inside], csat_yes[~inside], confidence) if csat_yes is not None else (np.nan,) * 3
        row.update(csat_gap=gap[0], csat_low=gap[1], csat_high=gap[2])
        if churn is not None:
            raised = churn.assign(hit=churn["theme"] == theme).groupby("customer_id").agg(
                hit=("hit", "max"), churned=("churned", "max"))
            gap = proportion_gap(raised.loc[raised["hit"], "churned"], raised.loc[~raised["hit"], "churned"], confidence)
        else:
            gap = (np.nan,) * 3
        row.update(churn_gap=gap[0], churn_low=gap[1], churn_high=gap[2])
        rows.append(row)
    columns = ["theme", "count", "share", "nps_gap", "nps_low", "nps_high", "csat_gap", "csat_low", "csat_high",
               "churn_gap", "churn_low", "churn_high", "points_lost", "rank"]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    lost = -out["nps_gap"] * out["share"]
    out["points_lost"] = lost.where(out["nps_gap"].notna(), -out["csat_gap"] * out["share"])
    out = out.sort_values("points_lost", ascending=False, na_position="last").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[columns]
