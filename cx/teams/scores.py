"""Fair scores by agent or team: per-group statistics from SQL, shrunk by their n, with rank intervals.

A rating belongs to the agent who handled the contact when it was rated: the ``agent`` (and
``team``) on the rated interaction row. One aggregate query (:class:`cx.metrics.MetricTable`, grain
``all``, broken down by agent or team) brings back each group's sufficient statistics; everything
else is computed from those few rows (:mod:`cx.teams.shrinkage`).

Which model each metric takes:

* CSAT and FCR (shares) — beta-binomial, from successes and answers;
* NPS and CES (means of single answers; NPS is the mean of +100 / 0 / −100) — normal-normal with
  each group's sampling variance = the pooled within-group variance of single answers / n (a group
  whose four answers are all 10 does not have zero variance);
* FRT and TTR (medians) — normal-normal on the log scale, log(1 + median), with each group's
  variance = c / n, c from the groups' distribution-free median intervals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cx.db.source import Source
from cx.metrics.intervals import normal_quantile
from cx.metrics.query import MetricTable
from cx.metrics.registry import MetricError, lookup
from cx.scope import DEFAULT_MIN_N, Scope
from cx.teams.shrinkage import Shrunk, pooled_variance, rank_intervals, shrink_means, shrink_proportions

#: what a team view can be grouped by
GROUPS = ("agent", "team")
#: the metrics that can be compared across agents or teams
TEAM_METRICS = ("nps", "csat", "ces", "fcr", "frt", "ttr")
#: the columns of :func:`team_scores` that the CLI's JSON carries (DESIGN.md), after the group's own
RECORD_COLUMNS = ("n", "raw", "shrunk", "ci_low", "ci_high", "rank_low", "rank_high")


def _percent(x):
    return 100.0 * np.asarray(x)


def _same(x):
    return np.asarray(x)


def shrink_statistics(table: MetricTable, confidence: float = 0.95) -> tuple[Shrunk, Callable]:
    """Fit the metric's shrinkage model to a table's per-group statistics.

    Returns the fit and the function that turns its values into the metric's units (NPS in
    points, CSAT and FCR in percent, durations back from the log scale they are shrunk on).
    """
    key, s = table.metric, table.statistics
    kind = lookup(key).kind
    if kind == "share":
        return shrink_proportions(s.successes, s.n, confidence), _percent
    if kind == "net":
        total, squares = s.promoters - s.detractors, s.promoters + s.detractors  # answers as +1 / 0 / −1
        variance = pooled_variance(s.n, total, squares)
        return shrink_means(total / s.n, variance / s.n, confidence, bounds=(-1.0, 1.0)), _percent
    if kind == "mean":
        variance = pooled_variance(s.n, s.total, s.squares)
        return shrink_means(s.total / s.n, variance / s.n, confidence), _same
    if kind == "median":
        # durations are skewed: medians are compared on the log scale, log(1 + median)
        half = (np.log1p(s.median_high) - np.log1p(s.median_low)) / (2 * normal_quantile(table.confidence))
        known = np.isfinite(half) & (half > 0)
        median = np.log1p(s.median)
        per_answer = float(np.median(half[known] ** 2 * s.n[known])) if known.any() else float(np.nanvar(median))
        return shrink_means(median, per_answer / s.n, confidence, bounds=(0.0, np.inf)), np.expm1
    raise MetricError(f"agents and teams can be compared on {', '.join(TEAM_METRICS)}, not {key!r}")


def team_scores(
    source: Source,
    metric: str,
    by: str = "agent",
    scope: Scope | None = None,
    *,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    draws: int = 4000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Scores by agent or team, raw and shrunk toward the overall level, with intervals and rank intervals.

    Parameters
    ----------
    source : Source
        Where the data live; needs the ``by`` column mapped.
    metric : str
        One of :data:`TEAM_METRICS`.
    by : {"agent", "team"}
        Who is compared. Interactions without one are left out.
    scope : Scope, optional
        Which rows (dates, channels, stages, segments).
    confidence : float
        Coverage of the credible intervals and of the rank intervals.
    min_n : int
        Groups with fewer answers are flagged ``low_n``.
    draws, random_state : int
        Posterior simulations behind the rank intervals, and their seed (same seed, same ranks).

    Returns
    -------
    DataFrame
        One row per group, best shrunk score first: the ``by`` column, ``n``, ``raw``, ``shrunk``,
        ``ci_low``, ``ci_high`` (credible interval of the shrunk score), ``rank``, ``rank_low``,
        ``rank_high`` (1 = best), ``raw_rank``, ``weight`` (the share of its own data in the shrunk
        score), ``low_n`` and ``standing`` ("above", "below" or "within": whether the interval lies
        above, below or across the overall level). ``attrs`` carry ``overall``, ``spread``,
        ``metric``, ``unit`` and ``by``. Empty when no group has an answer.

    Examples
    --------
    >>> from cx.db import demo_source  # doctest: +SKIP
    >>> team_scores(demo_source(), "nps", by="team")[["team", "n", "raw", "shrunk", "rank_low", "rank_high"]]  # doctest: +SKIP
    """
    if by not in GROUPS:
        raise MetricError(f"scores can be compared by {' or '.join(GROUPS)}, not {by!r}")
    if metric not in TEAM_METRICS:
        raise MetricError(f"agents and teams can be compared on {', '.join(TEAM_METRICS)}, not {metric!r}")
    if not source.has(by):
        raise MetricError(f"this source has no {by} column: map one (who handled the contact) to compare {by}s")
    m = lookup(metric, source.scales)
    table = MetricTable.read(source, m, "all", [by], scope, confidence=confidence)
    cells = table.cells[table.cells[by].notna()].reset_index(drop=True)
    columns = [by, "n", "raw", "shrunk", "ci_low", "ci_high", "rank", "rank_low", "rank_high", "raw_rank",
               "weight", "low_n", "standing"]
    if cells.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs.update(metric=metric, by=by, unit=m.unit, overall=float("nan"), spread=float("nan"))
        return out
    table = MetricTable(table.definition, table.grain, table.by, cells, confidence)
    return scores_frame(table, by, confidence=confidence, min_n=min_n, draws=draws, random_state=random_state)


def scores_frame(table: MetricTable, by: str, *, confidence: float = 0.95, min_n: int = DEFAULT_MIN_N,
                 draws: int = 4000, random_state: int | None = 0) -> pd.DataFrame:
    """The result of :func:`team_scores` from a table of per-group statistics (no query)."""
    m = table.definition
    shrunk, units = shrink_statistics(table, confidence)
    rank, rank_low, rank_high = rank_intervals(shrunk, m.higher_is_better, confidence, draws, random_state)
    n = table.statistics.n.astype("int64")
    raw_order = -shrunk.raw if m.higher_is_better else shrunk.raw
    out = pd.DataFrame({
        by: table.cells[by].astype(str).to_numpy(),
        "n": n,
        "raw": units(shrunk.raw),
        "shrunk": units(shrunk.shrunk),
        "ci_low": units(shrunk.low),
        "ci_high": units(shrunk.high),
        "rank": rank,
        "rank_low": rank_low,
        "rank_high": rank_high,
        "raw_rank": pd.Series(raw_order).rank(method="min").astype("int64").to_numpy(),
        "weight": shrunk.weight,
        "low_n": n < min_n,
        "standing": np.where(shrunk.low > shrunk.overall, "above",
                             np.where(shrunk.high < shrunk.overall, "below", "within")),
    })
    if not m.higher_is_better:  # "above" the level means better, whatever the direction
        out["standing"] = out["standing"].map({"above": "below", "below": "above", "within": "within"})
    out = out.sort_values("shrunk", ascending=not m.higher_is_better, kind="stable")
    out = out.reset_index(drop=True)
    overall = float(units(shrunk.overall))
    out.attrs.update(metric=m.key, by=by, unit=m.unit, overall=overall, label=m.label,
                     spread=float(units(shrunk.overall + shrunk.spread)) - overall)
    return out


def extremes(scores: pd.DataFrame) -> dict[str, pd.Series]:
    """The groups that look best and worst on raw scores, and those that are best and worst once shrunk.

    A page names a group as best or worst only with its n and its rank interval; this says which
    raw leaders (typically a low-n group) are not leaders once their n is taken into account.
    """
    if scores.empty:
        return {}
    return {
        "raw_best": scores.loc[scores["raw_rank"].idxmin()],
        "raw_worst": scores.loc[scores["raw_rank"].idxmax()],
        "best": scores.iloc[0],
        "worst": scores.iloc[-1],
    }


__all__ = ["GROUPS", "RECORD_COLUMNS", "TEAM_METRICS", "extremes", "scores_frame", "shrink_statistics", "team_scores"]
