"""Who moves it: fair scores by agent and team, and the response rate beside every score.

- :mod:`cx.teams.shrinkage` — empirical Bayes (beta-binomial for shares, normal-normal with REML τ²
  for means and NPS) and rank intervals simulated from the posteriors (pure, numpy/scipy).
- :mod:`cx.teams.scores` — :func:`team_scores`: per-agent or per-team statistics from one SQL
  aggregate, shrunk toward the overall level in proportion to their n.
- :mod:`cx.teams.response` — response rates (offered vs answered) per period, channel or segment
  in SQL, a non-response sensitivity and a warning when response rates differ a lot.
"""

from cx.teams.scores import GROUPS, RECORD_COLUMNS, TEAM_METRICS, extremes, scores_frame, team_scores
from cx.teams.shrinkage import Shrunk, rank_intervals, reml_tau2, shrink_means, shrink_proportions

__all__ = [
    "GROUPS",
    "RECORD_COLUMNS",
    "TEAM_METRICS",
    "Shrunk",
    "extremes",
    "rank_intervals",
    "reml_tau2",
    "scores_frame",
    "shrink_means",
    "shrink_proportions",
    "team_scores",
]
