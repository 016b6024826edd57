"""Metrics: a registry of metric objects, one-query metric tables with intervals, change tests, drill-down.

- :mod:`cx.metrics.registry` — one :class:`Metric` per metric (SQL statistics, value and interval,
  change test, definition); adding a metric touches that file only.
- :mod:`cx.metrics.intervals` — 95% intervals from sufficient statistics (pure, vectorised).
- :mod:`cx.metrics.significance` — two-sample tests and the Benjamini–Hochberg correction.
- :mod:`cx.metrics.query` — the SQL aggregate and :class:`MetricTable`, which keeps its statistics.
- :mod:`cx.metrics.drilldown` — the interactions behind one point.
"""

from typing import TYPE_CHECKING

from cx.lazy import exports
from cx.metrics.intervals import (
    median_rank_bounds,
    normal_quantile,
    nps_interval,
    t_interval,
    wilson_interval,
)
from cx.metrics.registry import (  # after the submodule: the name ``registry`` is the function
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

# The drill-down and the metric tables are imported on first use (PEP 562): they load pandas,
# which ``cx metrics`` does without (:func:`cx.metrics.query.metric_columns`).
_HOME = {
    "interactions_for_cell": "drilldown", "period_end": "drilldown",
    "RESULT_COLUMNS": "query", "Cut": "query", "MetricTable": "query", "covering_scope": "query", "cut_cells": "query",
    "metric_columns": "query", "metric_query": "query", "metric_table": "query", "metric_tables": "query",
    "why_empty": "query",
}

__getattr__ = exports(__name__, _HOME)

if TYPE_CHECKING:
    from cx.metrics.drilldown import interactions_for_cell, period_end
    from cx.metrics.query import (
        RESULT_COLUMNS,
        Cut,
        MetricTable,
        covering_scope,
        cut_cells,
        metric_columns,
        metric_query,
        metric_table,
        metric_tables,
        why_empty,
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
    "metric_columns",
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
