"""Metrics: definitions, SQL aggregates with intervals, change tests, drill-down."""

from cx.metrics.query import (  # noqa: F401  the package's public face
    METRICS,
    RESULT_COLUMNS,
    MetricDefinition,
    MetricError,
    definitions,
    interactions_for_cell,
    median_rank_bounds,
    metric_query,
    metric_table,
    nps_interval,
    period_end,
    t_interval,
    wilson_interval,
)
