"""Drill-down: the interactions behind one point of a metric table (a LIMITed query)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.source import Source
from cx.db.where import attribute, interaction_filters, row_attributes, segment_filter
from cx.metrics.query import breakdown, counted
from cx.metrics.registry import Metric, MetricError, lookup
from cx.schema import DIMENSIONS, Grain
from cx.scope import Scope

_STEPS = {Grain.DAY: pd.DateOffset(days=1), Grain.WEEK: pd.DateOffset(weeks=1),
          Grain.MONTH: pd.DateOffset(months=1), Grain.QUARTER: pd.DateOffset(months=3)}


def period_end(start: dt.date, grain: Grain | str) -> dt.date:
    """The last day of the bucket of ``grain`` that starts on ``start``."""
    step = _STEPS.get(Grain(grain))
    if step is None:
        raise ValueError("the 'all' grain has no bucket end")
    return (pd.Timestamp(start) + step - pd.DateOffset(days=1)).date()


def _days(scope: Scope, grain: Grain, period) -> tuple[dt.date | None, dt.date | None]:
    """The day range of the point: the scope's, narrowed to the bucket starting on ``period``."""
    first, last = scope.date_from, scope.date_to
    if period is not None and str(period) != "all" and grain is not Grain.ALL:
        start = pd.Timestamp(period).date()
        end = period_end(start, grain)
        first, last = max(first or start, start), min(last or end, end)
    return first, last


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _customer_drill_columns(m: Metric) -> list[str]:
    return [w.split(".", 1)[1] for w in m.drill_columns if w.startswith("customers.")]


def _cell_conditions(source: Source, cell: Mapping[str, object], by_customer: bool) -> list:
    """``column = value`` for each breakdown value of the point (``IS NULL`` for a missing one)."""
    i, c = source.interactions, source.customers
    out = []
    for name, value in cell.items():
        column = attribute(name, i, c, by_customer=by_customer)
        out.append(column.is_(None) if _is_missing(value) else column == value)
    return out


def interactions_for_cell(
    source: Source,
    metric: str | Metric,
    scope: Scope | None = None,
    *,
    grain: Grain | str | None = None,
    period: dt.date | str | None = None,
    cell: Mapping[str, object] | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """The interactions behind one point of a metric table (a LIMITed query, for drill-down).

    Parameters
    ----------
    source, metric, scope :
        As in :func:`cx.metrics.metric_table`.
    grain, period :
        The point's bucket (``period`` is its start date; ``None`` or ``"all"`` for the whole range).
    cell : mapping, optional
        Breakdown values of the point, e.g. ``{"channel": "chat"}`` (``None`` matches missing).
    limit : int
        At most this many rows, earliest first.

    Returns
    -------
    DataFrame
        ``occurred_at``, ``customer_id``, ``channel``, ``journey_stage``, ``touchpoint``, the
        metric's own column(s), the cell's customer columns, and ``comment`` (show as plain text).
    """
    m = lookup(metric, source.scales)
    scope = scope or Scope()
    grain = Grain(grain or Grain.WEEK)
    cell = dict(cell or {})
    by = breakdown(source, list(cell))
    i, c = source.interactions, source.customers
    per_row = () if m.per_customer else row_attributes(i)
    customer_columns = [b for b in by if DIMENSIONS.get(b) != "interactions"] + _customer_drill_columns(m)
    join = bool(customer_columns or scope.segments)
    if join and c is None and not set(customer_columns) <= set(per_row):
        raise MetricError("this drill-down needs a customers table")
    base = i.outerjoin(c, c.c.customer_id == i.c.customer_id) if join and c is not None else i
    first, last = _days(scope, grain, period)
    if first and last and first > last:
        return pd.DataFrame(columns=["occurred_at", "customer_id"])
    where = interaction_filters(i, scope, (first, last)) + segment_filter(c, scope, None if m.per_customer else i)
    condition = counted(source, m)
    if condition is not None:
        where.append(condition)
    where += _cell_conditions(source, cell, m.per_customer)
    columns = [i.c.occurred_at, i.c.customer_id, i.c.channel, i.c.journey_stage, i.c.touchpoint,
               *[i.c[w] for w in m.drill_columns if not w.startswith("customers.")],
               *[attribute(name, i, c, by_customer=m.per_customer).label(name) for name in dict.fromkeys(customer_columns)],
               i.c.comment]
    query = (sa.select(*columns).select_from(base).where(*where)
             .order_by(i.c.occurred_at, i.c.customer_id).limit(max(1, int(limit))))
    return source.read(query)


__all__ = ["interactions_for_cell", "period_end"]
