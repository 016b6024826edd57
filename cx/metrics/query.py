"""Metric tables: one SQL aggregate per metric, run where the data live, that keeps its statistics.

:func:`metric_query` builds the query: sufficient statistics per (time bucket × breakdown) cell —
counts, sums, exact percentiles — as the metric's :class:`~cx.metrics.registry.Metric` asks for
them. Only those few rows cross the wire. A :class:`MetricTable` keeps them, so the values and 95%
intervals (:meth:`MetricTable.table`), the low-n flags for any minimum n, and the change test
between two periods (:meth:`MetricTable.changes`) all come from one query, and a change of the
minimum n re-runs nothing. :func:`metric_tables` reads several cuts of one metric (say a week by
channel × stage, the same weeks overall, and the four weeks before) in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import sqlalchemy as sa

from cx.db.dialects import ranked, time_bucket
from cx.db.source import Source
from cx.db.where import attribute, contacts, interaction_filters, row_attributes, segment_filter
from cx.metrics.intervals import normal_quantile
from cx.metrics.registry import Metric, MetricError, Ranked, Statistics, lookup
from cx.schema import DIMENSIONS, Grain
from cx.scope import DEFAULT_MIN_N, Scope

if TYPE_CHECKING:
    import pandas as pd

RESULT_COLUMNS: tuple[str, ...] = ("period", "metric", "n", "value", "ci_low", "ci_high", "low_n")
_RESERVED = {*RESULT_COLUMNS, "p90", "customer_id", "cut"}


def breakdown(source: Source, by: Sequence[str] | str | None) -> list[str]:
    """The breakdown columns asked for, checked against the source (comma-separated text or a list)."""
    if by is None:
        return []
    names = [b.strip() for b in by.split(",")] if isinstance(by, str) else [str(b) for b in by]
    out: list[str] = []
    for name in names:
        if not name or name in out:
            continue
        if name not in DIMENSIONS and name not in source.customer_attributes:
            allowed = ", ".join([*DIMENSIONS, *source.customer_attributes])
            raise MetricError(f"cannot break down by {name!r}: choose from {allowed}")
        if name in _RESERVED:
            raise MetricError(f"{name!r} is a result column and cannot be a breakdown")
        if DIMENSIONS.get(name, "customers") == "customers" and source.customers is None \
                and name not in row_attributes(source.interactions):
            raise MetricError(f"breaking down by {name!r} needs a customers table")
        out.append(name)
    return out


def counted(source: Source, metric: Metric):
    """The condition that makes an interaction (or customer) count towards ``metric`` (``None``: all do)."""
    if metric.per_customer:
        if source.customers is None:
            raise MetricError(f"{metric.label} needs a customers table")
        return metric.counted(source.customers.c[metric.source_column])
    contact = contacts(source) if metric.count else None  # a count of what happened: contacts only
    if metric.counted is None:
        return contact
    condition = metric.counted(source.interactions.c[metric.column])
    return condition if contact is None else sa.and_(condition, contact)


# --- the query -------------------------------------------------------------------------------


def metric_query(
    source: Source,
    metric: str | Metric,
    grain: Grain | str | None = None,
    by: Sequence[str] | str | None = (),
    scope: Scope | None = None,
    *,
    confidence: float = 0.95,
) -> sa.Select:
    """The single aggregate query behind :func:`metric_table` (sufficient statistics per cell).

    Compiles for any dialect :mod:`cx.db.dialects` knows, e.g.
    ``metric_query(...).compile(dialect=snowflake_dialect)``. Parameters as in :func:`metric_table`.
    """
    m = lookup(metric, source.scales)
    scope = scope or Scope()
    grain = Grain(grain or Grain.WEEK)
    by = breakdown(source, by)
    condition = counted(source, m)
    where = interaction_filters(source.interactions, scope)
    if grain is not Grain.ALL:
        where.append(source.interactions.c.occurred_at.is_not(None))
    period = [time_bucket(grain, source.interactions.c.occurred_at).label("period")] if grain is not Grain.ALL else []
    if m.per_customer:  # a question about customers: their own segment
        return _per_customer(source, m, period, by, where, condition, segment_filter(source.customers, scope))
    where += segment_filter(source.customers, scope, rows=source.interactions)  # about rows: the row's segment
    if condition is not None:
        where.append(condition)
    if m.ranked:
        return _order_statistics(source, m, period, by, scope, where, normal_quantile(confidence))
    return _aggregates(source, m, period, by, scope, where)


def _base(source: Source, by: list[str], scope: Scope):
    """The interactions, joined to their customers when a breakdown or the segment filter needs them."""
    i, c = source.interactions, source.customers
    join = c is not None and (any(DIMENSIONS.get(b) != "interactions" for b in by) or bool(scope.segments))
    return i.outerjoin(c, c.c.customer_id == i.c.customer_id) if join else i


def _dimensions(source: Source, by: list[str]) -> list:
    """Each breakdown's value for a row (an attribute kept per row: the row's, see :func:`cx.db.where.attribute`)."""
    return [attribute(b, source.interactions, source.customers).label(b) for b in by]


def _labelled(statistics: dict) -> list:
    return [expression.label(name) for name, expression in statistics.items()]


def _aggregates(source: Source, m: Metric, period: list, by: list[str], scope: Scope, where: list) -> sa.Select:
    """Counts and sums per cell, straight off the interactions.

    A metric with a per-answer ``score`` is summed per (cell, customer) first, then per cell, so
    that the cell also carries the sums of the cluster-robust variance (``clusters``,
    ``cluster_n2``, ``cluster_s2``, ``cluster_sn``; answers without a customer id count as one
    customer each).
    """
    dims = _dimensions(source, by)
    value = source.interactions.c[m.column] if m.counted is not None else None
    count = sa.func.count(value) if value is not None else sa.func.count()
    statistics = m.statistics(value, 0.0)
    keys = [k.element for k in (*period, *dims)]
    if m.score is None or value is None:
        query = sa.select(*period, *dims, count.label("n"), *_labelled(statistics))
        return query.select_from(_base(source, by, scope)).where(*where).group_by(*keys)
    customer = source.interactions.c.customer_id
    x = m.score(value)
    inner = (sa.select(*period, *dims, customer.label("_customer"), count.label("n"), *_labelled(statistics),
                       sa.func.sum(x).label("_s"), sa.func.sum(x * x).label("_q"))
             .select_from(_base(source, by, scope)).where(*where).group_by(*keys, customer).subquery("per_customer"))
    alone = inner.c._customer.is_(None)
    n, total = inner.c.n, inner.c._s
    combine = dict(m.combine)
    outer = [getattr(sa.func, combine.get(name, "sum"))(inner.c[name]).label(name) for name in statistics]
    cells = [inner.c.period] if period else []
    cells += [inner.c[b] for b in by]
    return sa.select(
        *cells, sa.func.sum(n).label("n"), *outer,
        sa.func.sum(sa.case((alone, n), else_=sa.literal_column("1"))).label("clusters"),
        sa.func.sum(sa.case((alone, n), else_=n * n)).label("cluster_n2"),
        sa.func.sum(sa.case((alone, inner.c._q), else_=total * total)).label("cluster_s2"),
        sa.func.sum(sa.case((alone, total), else_=total * n)).label("cluster_sn"),
    ).group_by(*cells)


def _order_statistics(source: Source, m: Metric, period: list, by: list[str], scope: Scope, where: list,
                      z: float) -> sa.Select:
    """Exact percentiles per cell from a subquery that ranks the values within their cell."""
    dims = _dimensions(source, by)
    columns, not_null = ranked(source.interactions.c[m.column], [*(p.element for p in period), *(d.element for d in dims)])
    inner = (sa.select(*period, *dims, *columns).select_from(_base(source, by, scope)).where(*where, not_null)
             .subquery("ranked"))
    keys = ([inner.c.period] if period else []) + [inner.c[b] for b in by]
    statistics = m.statistics(Ranked(inner.c.value, inner.c.rank, inner.c.count), z)
    return sa.select(*keys, sa.func.count().label("n"), *_labelled(statistics)).group_by(*keys)


def _per_customer(source: Source, m: Metric, period: list, by: list[str], where: list,
                  condition, segment: list) -> sa.Select:
    """Each customer once per cell: DISTINCT (cell, customer) first, then join their flags or values.

    A source with no interactions at all (a customer table alone) counts every customer, once.
    """
    i, c = source.interactions, source.customers
    on_interactions = [b for b in by if DIMENSIONS.get(b) == "interactions"]
    if not period and not on_interactions and not any(not a.startswith("customers.") for a in source.available):
        # a customers-only source (one row per customer, no interactions): every customer counts once
        keys = [c.c[b].label(b) for b in by]
        query = sa.select(*keys, sa.func.count().label("n"), *_labelled(m.statistics(c.c[m.source_column], 0.0)))
        return query.select_from(c).where(condition, *segment).group_by(*[k.element for k in keys])
    cells = (sa.select(*period, *[i.c[b].label(b) for b in on_interactions], i.c.customer_id)
             .where(*where).distinct().subquery("cells"))
    keys = [cells.c.period] if period else []
    keys += [cells.c[b] for b in on_interactions] + [c.c[b].label(b) for b in by if b not in on_interactions]
    query = (sa.select(*keys, sa.func.count().label("n"), *_labelled(m.statistics(c.c[m.source_column], 0.0)))
             .select_from(cells.join(c, c.c.customer_id == cells.c.customer_id))
             .where(condition, *segment))
    return query.group_by(*[k.element if isinstance(k, sa.Label) else k for k in keys])


# --- the table -------------------------------------------------------------------------------


def estimates(m: Metric, s: Statistics, confidence: float, min_n: int) -> dict[str, np.ndarray]:
    """The columns of a metric table after its keys, from each cell's statistics: ``n``, ``value``,
    ``ci_low``, ``ci_high``, ``low_n`` (``n < min_n``) and the metric's extra statistics (``p90``)."""
    n = s.n
    value, low, high = m.estimate(s, confidence)
    return {"n": n.astype("int64"), "value": value, "ci_low": low, "ci_high": high, "low_n": n < min_n,
            **{name: getattr(s, name) for name in m.extra}}


def _day(value):
    """A period key as a date (drivers return a date, a datetime, or SQLite's text)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).date()
    return value.date() if isinstance(value, dt.datetime) else value


def _last_if_missing(value) -> tuple:
    return (True, 0) if value is None else (False, value)


def metric_columns(
    source: Source,
    metric: str | Metric,
    grain: Grain | str | None = None,
    by: Sequence[str] | str | None = (),
    scope: Scope | None = None,
    *,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> dict[str, Sequence]:
    """:func:`metric_table` without pandas: the same columns and numbers, for a command that prints one table.

    The same query (:func:`metric_query`) fetched as Python rows, the same cells (none empty; sorted
    by period then breakdown, a missing value last) and the same values, intervals and flags
    (:func:`estimates`). ``period`` is the bucket's first day as a :class:`datetime.date` (or
    ``"all"``), the keys and ``metric`` are lists, the rest float64 / int64 / bool arrays.
    """
    m, grain, by = lookup(metric, source.scales), Grain(grain or Grain.WEEK), breakdown(source, by)
    names, rows = source.rows(metric_query(source, m, grain, by, scope, confidence=confidence))
    at = {name: k for k, name in enumerate(names)}
    rows = [row for row in rows if row[at["n"]] is not None and float(row[at["n"]]) > 0]
    keys = [at[b] for b in by]
    if grain is Grain.ALL:
        periods = ["all"] * len(rows)
    else:
        periods = [_day(row[at["period"]]) for row in rows]
    order = sorted(range(len(rows)), key=lambda k: (_last_if_missing(periods[k]),
                                                    *(_last_if_missing(rows[k][j]) for j in keys)))
    cells = {"period": [periods[k] for k in order], **{b: [rows[k][at[b]] for k in order] for b in by}}
    cells |= {name: [rows[k][j] for k in order] for name, j in at.items() if name not in cells}
    return {"period": cells["period"], **{b: cells[b] for b in by}, "metric": [m.key] * len(order),
            **estimates(m, Statistics(cells), confidence, min_n)}



@dataclass(frozen=True, eq=False)
class MetricTable:
    """A metric's sufficient statistics per cell, as one query returned them.

    Everything shown is computed from :attr:`cells` without another query: values and intervals
    (:meth:`table`, for any minimum n) and the change between two periods (:meth:`changes`).

    Attributes
    ----------
    definition : Metric
        The metric (its key is :attr:`metric`).
    grain : Grain
    by : tuple of str
        Breakdown columns.
    cells : DataFrame
        One row per cell with at least one counted response, sorted by period then breakdown:
        ``period`` (bucket start as a Timestamp, or ``"all"``), the ``by`` columns (``None`` for a
        missing value), ``n`` and the metric's statistics.
    confidence : float
        Coverage of the intervals.
    """

    definition: Metric
    grain: Grain
    by: tuple[str, ...]
    cells: pd.DataFrame
    confidence: float = 0.95

    @classmethod
    def from_statistics(cls, raw: pd.DataFrame, metric: Metric, grain: Grain | str, by: Sequence[str],
                        confidence: float = 0.95, *, rows: np.ndarray | None = None,
                        ignore: Sequence[str] = ()) -> MetricTable:
        """Wrap the rows of :func:`metric_query`: drop empty cells, normalise keys, sort.

        ``rows`` (positions) and ``ignore`` (columns) pick one cut out of :func:`metric_tables`' union
        without copying it first. The work is done column by column on arrays: a review wraps some
        twenty of these per click, and frame-wide selections and drops cost more than the numbers.
        """
        import pandas as pd

        grain, by = Grain(grain), list(by)
        n = pd.to_numeric(raw["n"]).fillna(0).to_numpy()
        rows = np.arange(len(raw)) if rows is None else np.asarray(rows, dtype=np.intp)
        rows = rows[n[rows] > 0]
        # keys as Python objects (None where missing): a driver's Arrow strings would cost a conversion
        # per selection, sort and pairing, and the keys are only compared and shown
        keys = {b: _objects(raw[b].to_numpy(dtype=object)[rows]) for b in by}
        if grain is Grain.ALL:
            period = pd.Series(["all"] * len(rows), dtype=object)
            order = _sorted_positions(keys, by) if by else np.arange(len(rows))
        else:
            period = pd.to_datetime(pd.Series(raw["period"].to_numpy()[rows]))
            order = _sorted_positions({"period": period.to_numpy(), **keys}, ["period", *by])
            period = period.iloc[order].reset_index(drop=True)
        skip, picked = {"period", *by, *ignore}, rows[order]  # raw's positions in the cells' order
        cells = pd.DataFrame({
            "period": period,
            **{b: pd.Series(keys[b][order], dtype=object) for b in by},
            **{c: raw[c].to_numpy()[picked] for c in raw.columns if c not in skip},
        })
        return cls(metric, grain, tuple(by), cells, confidence)

    @classmethod
    def read(cls, source: Source, metric: str | Metric, grain: Grain | str | None = None,
             by: Sequence[str] | str | None = (), scope: Scope | None = None, *, confidence: float = 0.95) -> MetricTable:
        """Run :func:`metric_query` (one query) and keep its statistics."""
        m, grain, by = lookup(metric, source.scales), Grain(grain or Grain.WEEK), breakdown(source, by)
        raw = source.read(metric_query(source, m, grain, by, scope, confidence=confidence))
        return cls.from_statistics(raw, m, grain, by, confidence)

    @property
    def metric(self) -> str:
        return self.definition.key

    @property
    def statistics(self) -> Statistics:
        return Statistics(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def table(self, min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
        """Values and intervals per cell, flagged ``low_n`` under ``min_n`` (no query: see :func:`metric_table`)."""
        import pandas as pd

        return pd.DataFrame({
            "period": self.cells["period"],
            **{b: self.cells[b] for b in self.by},
            "metric": pd.Series([self.metric] * len(self.cells), dtype=object),
            **estimates(self.definition, self.statistics, self.confidence, min_n),
        })

    def changes(self, now, before) -> pd.DataFrame:
        """Cells measured in both periods, with the metric's change test between them.

        Parameters
        ----------
        now, before : date or Timestamp
            Starts of the two buckets to compare (say this week's and last week's Mondays).

        Returns
        -------
        DataFrame
            One row per breakdown cell present in both, in the table's order: the ``by`` columns,
            ``value``, ``ci_low``, ``ci_high``, ``n`` (now), ``previous``, ``previous_n``,
            ``delta`` and the two-sided ``p_value`` of the change.
        """
        import pandas as pd

        period = self.cells["period"]
        left, right = pair_positions(self.cells, self.by, np.flatnonzero(period == pd.Timestamp(now)),
                             np.flatnonzero(period == pd.Timestamp(before)))
        # only the paired cells are estimated (a trend table holds 12 weeks), both periods at once
        now_s, before_s = Statistics(self.cells.iloc[left]), Statistics(self.cells.iloc[right])
        both = estimates(self.definition, Statistics(self.cells.iloc[np.concatenate([left, right])]),
                         self.confidence, DEFAULT_MIN_N)
        k = len(left)
        value, previous = both["value"][:k], both["value"][k:]
        p = self.definition.change_test(now_s, before_s) if k else np.array([], dtype="float64")
        return pd.DataFrame({
            **{b: pd.Series(self.cells[b].to_numpy()[left], dtype=object) for b in self.by},
            "value": value, "ci_low": both["ci_low"][:k], "ci_high": both["ci_high"][:k],
            "n": both["n"][:k], "previous": previous, "previous_n": both["n"][k:],
            "delta": value - previous, "p_value": np.asarray(p, dtype="float64"),
        })


def _objects(values: np.ndarray) -> np.ndarray:
    """An object array with every missing value (NaN, NaT, pd.NA) as None."""
    import pandas as pd

    values = values.astype(object, copy=True)
    values[pd.isna(values)] = None
    return values


def _sorted_positions(columns: Mapping[str, np.ndarray], order: Sequence[str]) -> np.ndarray:
    """Positions sorting the equally long ``columns`` by those named in ``order`` (one at least; ascending, stable, missing
    keys last), as a stable ``sort_values`` would, without making a frame (or Arrow strings) to sort."""
    import pandas as pd

    keys = []
    for name in reversed(order):  # np.lexsort sorts by its last key first
        codes, _ = pd.factorize(columns[name], sort=True)
        keys.append(np.where(codes < 0, len(codes), codes))
    return np.lexsort(keys)


def pair_positions(cells: pd.DataFrame, by: Sequence[str], now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the cells measured in both periods: ``now`` and ``before`` (positions of each period's
    rows) matched on the ``by`` columns, in ``now``'s order; a missing key matches a missing key (as an
    inner merge). Without ``by``, every row of one period with every row of the other."""
    if not by:
        return np.repeat(now, len(before)), np.tile(before, len(now))
    import pandas as pd

    keys = [pd.Series(cells[b].to_numpy(dtype=object), dtype=object) for b in by]
    keys = [list(key.where(key.notna(), _MISSING)) for key in keys]
    earlier = {tuple(key[i] for key in keys): i for i in before}
    found = [(i, earlier.get(tuple(key[i] for key in keys))) for i in now]
    found = [(i, j) for i, j in found if j is not None]
    return (np.array([i for i, _ in found], dtype=np.intp), np.array([j for _, j in found], dtype=np.intp))


_MISSING = object()  # a missing key, equal only to itself (NaN, None and pd.NA alike)


def metric_table(
    source: Source,
    metric: str | Metric,
    grain: Grain | str | None = None,
    by: Sequence[str] | str | None = (),
    scope: Scope | None = None,
    *,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """A metric per time bucket and breakdown cell, computed in the database in one query.

    Parameters
    ----------
    source : Source
        Where the data live.
    metric : str or Metric
        One of :data:`cx.metrics.METRICS`, or a :class:`~cx.metrics.registry.Metric` of your own.
    grain : Grain or str, optional
        ``day``, ``week`` (ISO, Monday), ``month``, ``quarter`` or ``all``; defaults to
        ``week``. Undated interactions count only in ``all``.
    by : sequence of str or comma-separated str
        Breakdown columns: any of :data:`cx.schema.DIMENSIONS` or a customer attribute column.
        Customer columns (segment, region...) join the customers table; interactions of unknown
        customers land in a ``None`` cell.
    scope : Scope, optional
        Inclusive day range, channels, journey stages, segments.
    confidence : float
        Coverage of the intervals (0.95).
    min_n : int
        Cells with fewer responses are flagged ``low_n`` (a display setting: see :class:`cx.scope.View`;
        :meth:`MetricTable.table` re-flags a kept table without a query).

    Returns
    -------
    DataFrame
        One row per cell with at least one counted response, sorted by period then breakdown:
        ``period`` (bucket start as a Timestamp, or ``"all"``), the ``by`` columns, ``metric``,
        ``n``, ``value``, ``ci_low``, ``ci_high``, ``low_n`` (``n < min_n``), and for
        ``frt`` / ``ttr`` also ``p90``.

    Examples
    --------
    >>> from cx.db import demo_source  # doctest: +SKIP
    >>> metric_table(demo_source(), "nps", "week", by=["channel"]).head(2).round(2)  # doctest: +SKIP
          period channel metric    n  value  ci_low  ci_high  low_n
    0 2025-06-30     app    nps  134   2.99  -10.41    16.38  False
    1 2025-06-30    chat    nps   46   0.00  -23.34    23.34  False
    """
    return MetricTable.read(source, metric, grain, by, scope, confidence=confidence).table(min_n)


# --- several cuts, one query -----------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """One way to cut a metric: a time grain, breakdown columns and the rows in scope."""

    grain: Grain | str = Grain.WEEK
    by: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)


def metric_tables(source: Source, metric: str | Metric, cuts: Mapping[str, Cut], *,
                  confidence: float = 0.95) -> dict[str, MetricTable]:
    """Several cuts of one metric from ONE query: a ``UNION ALL`` of :func:`metric_query`, one branch per cut.

    Each branch is the cut's own query (so its numbers are exactly those of :func:`metric_table`),
    padded with ``NULL`` for the breakdown columns it does not have and tagged with the cut's number.

    Returns
    -------
    dict of str to MetricTable
        Keyed like ``cuts``.
    """
    m = lookup(metric, source.scales)
    plans = {name: (Grain(cut.grain or Grain.WEEK), breakdown(source, cut.by), cut.scope) for name, cut in cuts.items()}
    if len(plans) == 1:
        (name, (grain, by, scope)), = plans.items()
        return {name: MetricTable.read(source, m, grain, by, scope, confidence=confidence)}
    columns = list(dict.fromkeys(b for _, by, _ in plans.values() for b in by))
    inners = [(grain, by, metric_query(source, m, grain, by, scope, confidence=confidence).subquery(f"cut{k}"))
              for k, (grain, by, scope) in enumerate(plans.values())]
    # A padding NULL takes the type of the column it stands in for: PostgreSQL types a UNION's columns
    # branch by branch, and two untyped NULLs become text, which a later branch's date cannot join.
    types = {}
    for grain, by, inner in inners:
        for name in (["period"] if grain is not Grain.ALL else []) + list(by):
            if not isinstance(inner.c[name].type, sa.types.NullType):
                types.setdefault(name, inner.c[name].type)

    def padding(name: str):
        return (sa.cast(sa.null(), types[name]) if name in types else sa.null()).label(name)

    branches = []
    for k, (grain, by, inner) in enumerate(inners):
        statistics = [c for c in inner.c if c.name != "period" and c.name not in by]
        branches.append(sa.select(
            sa.literal_column(str(k)).label("cut"),
            inner.c.period if grain is not Grain.ALL else padding("period"),
            *[inner.c[b] if b in by else padding(b) for b in columns],
            *statistics,
        ))
    raw = source.read(sa.union_all(*branches))
    import pandas as pd

    which = pd.to_numeric(raw["cut"]).to_numpy()
    return {name: MetricTable.from_statistics(raw, m, grain, by, confidence, rows=np.flatnonzero(which == k),
                                              ignore=["cut", *[b for b in columns if b not in by]])
            for k, (name, (grain, by, _)) in enumerate(plans.items())}


# --- a filter that only chooses cells ---------------------------------------------------------

#: Scope filters on interaction columns that a breakdown by the same column turns into a choice of cells.
_CELL_FILTERS = (("channels", "channel"), ("stages", "journey_stage"))


def covering_scope(scope: Scope | None, by: Sequence[str]) -> tuple[Scope, dict[str, tuple[str, ...]]]:
    """A wider scope whose table, cut to some of its cells, is exactly the table of ``scope``.

    A channel (or journey-stage) filter on a table broken down by channel (stage) only chooses which
    cells are shown: every row of a kept cell passes the filter, no row of another cell does, and
    everything a cell holds (its counts, sums, per-customer sums, order statistics, its customers) is
    computed from its own rows. So the unfiltered table, cut to the chosen channels
    (:func:`cut_cells`), equals the filtered one, and a page that holds it answers a new channel
    without a query. Date and segment filters are kept (a day range does not follow the buckets).

    Returns
    -------
    (Scope, dict)
        The scope without those filters, and ``{column: values}`` to cut the cells by.

    Examples
    --------
    >>> covering_scope(Scope(channels="email", segments="smb"), ["channel"])
    (Scope(date_from=None, date_to=None, channels=(), stages=(), segments=('smb',)), {'channel': ('email',)})
    """
    scope, cuts = scope or Scope(), {}
    for name, column in _CELL_FILTERS:
        values = getattr(scope, name)
        if values and column in by:
            cuts[column] = values
            scope = replace(scope, **{name: ()})
    return scope, cuts


def cut_cells(table: pd.DataFrame, cuts: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The rows of a metric (or response-rate) table whose breakdown values are among ``cuts`` (see
    :func:`covering_scope`), in the table's order, re-indexed from 0."""
    if not cuts:
        return table
    keep = np.ones(len(table), dtype=bool)
    for column, values in cuts.items():
        keep &= table[column].isin(list(values)).to_numpy()
    return table[keep].reset_index(drop=True)


def why_empty(source: Source, metric: str | Metric, grain: Grain | str | None = None, scope: Scope | None = None) -> str:
    """Why a metric table came back empty, and what to do about it (one sentence, for the CLI and the pages).

    The causes, in order: no dated interactions for a time grain (the undated ones count only in
    ``all``), no customers table, a count of contacts on customer rows alone (a customer table), the
    metric's column not mapped, the date range, or no value the metric counts (scale, missing codes).
    """
    m, grain, scope = lookup(metric, source.scales), Grain(grain or Grain.WEEK), scope or Scope()
    if grain is not Grain.ALL and len(MetricTable.read(source, m, Grain.ALL, (), scope)):
        return (f"no rows: a {grain.value}ly {m.label} needs dated interactions and this data has none "
                "(occurred_at is not mapped or empty); use the grain 'all' (--grain all), or map a date column on the "
                "Data page")
    if m.per_customer and source.customers is None:
        return f"no rows: {m.label} needs a customers table; map one on the Data page or add a second --source"
    if m.count and source.customers is not None:
        contact = contacts(source)
        probe = sa.select(sa.literal(1).label("one")).select_from(source.interactions).limit(1)
        if not len(source.read(probe if contact is None else probe.where(contact), "checking for contacts failed")):
            return ("no rows: this data has no contacts: its rows are customers (a customer table), not "
                    "interactions; load an interactions file beside it to count contacts")
    if not source.has(m.column):
        return (f"no rows: {m.label} needs the column {m.column}, which this data does not have; map one on the "
                "Data page or with --mapping")
    if scope.date_from or scope.date_to:
        return f"no rows: no {m.label} values between {scope.date_from or 'the start'} and {scope.date_to or 'the end'}"
    return (f"no rows: {m.column} holds no value that {m.label} counts (check the declared scale and the missing "
            "codes in the mapping)")


__all__ = ["RESULT_COLUMNS", "Cut", "MetricTable", "breakdown", "counted", "covering_scope", "cut_cells", "estimates",
           "metric_columns", "metric_query", "metric_table", "metric_tables", "why_empty"]
