"""Metrics: a registry of metric objects, one-query metric tables with intervals, change tests, drill-down.

- :mod:`cx.metrics.registry` — one :class:`Metric` per metric (SQL statistics, value and interval,
  change test, definition); adding a metric touches that file only.
- :mod:`cx.metrics.intervals` — 95% intervals from sufficient statistics (pure, vectorised).
- :mod:`cx.metrics.significance` — two-sample tests and the Benjamini–Hochberg correction.
- :mod:`cx.metrics.query` — the SQL aggregate and :class:`MetricTable`, which keeps its statistics.
- :mod:`cx.metrics.drilldown` — the interactions behind one point.
"""

from cx.metrics.drilldown import interactions_for_cell, period_end
from cx.metrics.intervals import (
    median_rank_bounds,
    normal_quantile,
    nps_interval,
    t_interval,
    wilson_interval,
)
from cx.metrics.query import (
    RESULT_COLUMNS,
    Cut,
    MetricTable,
    covering_scope,
    cut_cells,
    metric_query,
    metric_table,
    metric_tables,
    why_empty,
)
from cx.metrics.registry import (
    METRICS,
    Metric,
    MetricDefinition,
    MetricError,
    Statistics,
    available,
    definitions,
    lookup,
    registry,
)

__all__ = [
    "METRICS",
    "RESULT_COLUMNS",
    "Cut",
    "Metric",
    "MetricDefinition",
    "MetricError",
    "MetricTable",
    "Statistics",
    "available",
    "covering_scope",
    "cut_cells",
    "definitions",
    "interactions_for_cell",
    "lookup",
    "median_rank_bounds",
    "metric_query",
    "metric_table",
    "metric_tables",
    "normal_quantile",
    "nps_interval",
    "period_end",
    "registry",
    "t_interval",
    "wilson_interval",
    "why_empty",
]
