"""Dialect-portable SQL pieces: the one place that knows how each database spells things.

Every construct here is a SQLAlchemy custom expression compiled per dialect with ``@compiles``
(the Superset ``db_engine_specs`` idea), so quoting and bound parameters stay right inside any
``select()`` and the *same* query object compiles for SQLite, DuckDB, PostgreSQL, MySQL/MariaDB,
Snowflake and BigQuery:

- :class:`time_bucket` — the start date of the day / ISO week (always Monday) / month / quarter
  a timestamp falls in. SQLite's and Snowflake's own week functions start on Sunday or depend on
  a session setting, so weeks are computed from the ISO weekday everywhere.
- :class:`percentile_cont` — an exact percentile with linear interpolation between the two
  nearest ranks (the definition of PostgreSQL's ``percentile_cont`` and of numpy / pandas'
  default). Dialects that have it as an aggregate use it natively; the others (SQLite, MySQL,
  MariaDB, BigQuery, where it is a window function or missing) compute the very same number from
  a ``row_number()`` / ``count()`` window, see :func:`ranked`.
- :class:`in_day_range` — inclusive day range on a timestamp column.
- :func:`as_float`, :func:`count_where` — casts and conditional counts that behave the same on
  every backend (MySQL cannot ``CAST(x AS FLOAT)``; booleans are integers on some backends).

Timestamps are taken as stored. Naive timestamps (the canonical form: UTC) are bucketed as they
are; a ``timestamptz`` column is bucketed in the database session's time zone.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from cx.schema import Grain

#: Dialects whose ``percentile_cont`` is an ordered-set *aggregate* (so no window is needed).
NATIVE_PERCENTILE = frozenset({"postgresql", "duckdb", "snowflake", "oracle"})

_MYSQL = ("mysql", "mariadb")


def _expr(value) -> ColumnElement:
    return coercions.expect(roles.ExpressionElementRole, value)


# --- time buckets ----------------------------------------------------------------------------


class time_bucket(ColumnElement):  # noqa: N801 - reads like a SQL function
    """The first day (a ``DATE``) of the bucket of ``grain`` that timestamp ``expr`` falls in.

    Parameters
    ----------
    grain : Grain or str
        ``day``, ``week`` (ISO week, starting on Monday on every backend), ``month`` or
        ``quarter``. ``all`` has no bucket; callers leave the time column out instead.
    expr : column expression
        A timestamp (or date) column.

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> t = sa.table("interactions", sa.column("occurred_at"))
    >>> from sqlalchemy.dialects import postgresql
    >>> print(sa.select(time_bucket("week", t.c.occurred_at)).compile(dialect=postgresql.dialect()))  # doctest: +NORMALIZE_WHITESPACE
    SELECT CAST(date_trunc('week', interactions.occurred_at) AS DATE) AS anon_1
    FROM interactions
    """

    __visit_name__ = "cx_time_bucket"
    inherit_cache = True
    _traverse_internals = [("expr", InternalTraversal.dp_clauseelement), ("grain", InternalTraversal.dp_string)]
    type = sa.Date()

    def __init__(self, grain: Grain | str, expr) -> None:
        grain = Grain(grain)
        if grain is Grain.ALL:
            raise ValueError("the 'all' grain has no time bucket: leave the period out of the query")
        self.grain = grain.value
        self.expr = _expr(expr)

    @property
    def _from_objects(self):
        return self.expr._from_objects


@compiles(time_bucket)
def _bucket_default(element, compiler, **kw):
    # ANSI-ish date_trunc: right (Monday weeks) on Trino/Presto, Spark/Databricks, Redshift, Vertica.
    x = compiler.process(element.expr, **kw)
    if element.grain == "day":
        return f"CAST({x} AS DATE)"
    return f"CAST(date_trunc('{element.grain}', {x}) AS DATE)"


@compiles(time_bucket, "postgresql")
@compiles(time_bucket, "duckdb")
def _bucket_postgresql(element, compiler, **kw):
    # date_trunc('week', ...) is the ISO week (Monday) on PostgreSQL and DuckDB.
    return _bucket_default(element, compiler, **kw)


def _sqlite_seconds(text: str) -> str:
    """SQLite rounds '23:59:59.9999' up to the next day (it keeps milliseconds): cut text to seconds."""
    return f"(CASE WHEN typeof({text}) = 'text' THEN substr({text}, 1, 19) ELSE {text} END)"


@compiles(time_bucket, "sqlite")
def _bucket_sqlite(element, compiler, **kw):
    x = _sqlite_seconds(compiler.process(element.expr, **kw))
    grain = element.grain
    if grain == "day":
        return f"date({x})"
    if grain == "week":
        # forward to the coming Sunday (staying put on a Sunday), then back to its Monday
        return f"date({x}, 'weekday 0', '-6 days')"
    if grain == "month":
        return f"date({x}, 'start of month')"
    return (f"date({x}, 'start of month', '-' || ((CAST(strftime('%m', {x}) AS INTEGER) - 1) % 3)"
            f" || ' months')")


@compiles(time_bucket, "mysql")
@compiles(time_bucket, "mariadb")
def _bucket_mysql(element, compiler, **kw):
    # no DATE_FORMAT: its '%' would need escaping for the pyformat drivers
    x = compiler.process(element.expr, **kw)
    grain = element.grain
    if grain == "day":
        return f"DATE({x})"
    if grain == "week":
        return f"(DATE({x}) - INTERVAL WEEKDAY({x}) DAY)"  # WEEKDAY: Monday = 0
    if grain == "month":
        return f"(DATE({x}) - INTERVAL (DAYOFMONTH({x}) - 1) DAY)"
    return f"(MAKEDATE(YEAR({x}), 1) + INTERVAL (QUARTER({x}) - 1) QUARTER)"


@compiles(time_bucket, "snowflake")
def _bucket_snowflake(element, compiler, **kw):
    # DATE_TRUNC('WEEK') depends on the WEEK_START session parameter; DAYOFWEEKISO does not.
    x = compiler.process(element.expr, **kw)
    grain = element.grain
    if grain == "day":
        return f"TO_DATE({x})"
    if grain == "week":
        return f"DATEADD(day, 1 - DAYOFWEEKISO({x}), TO_DATE({x}))"
    return f"DATE_TRUNC('{grain.upper()}', TO_DATE({x}))"


@compiles(time_bucket, "bigquery")
def _bucket_bigquery(element, compiler, **kw):
    x = compiler.process(element.expr, **kw)
    grain = element.grain
    if grain == "day":
        return f"DATE({x})"
    part = "ISOWEEK" if grain == "week" else grain.upper()
    return f"DATE_TRUNC(DATE({x}), {part})"


# --- day ranges ------------------------------------------------------------------------------


class in_day_range(ColumnElement):  # noqa: N801
    """``expr`` falls on a day between ``first`` and ``last`` (both inclusive, either may be None).

    Compiled as ``expr >= first 00:00 AND expr < (last + 1 day) 00:00`` so that an index or a
    partition on the column can be used; on SQLite, where timestamps are text in more than one
    format, the same bounds are compared as ``date(...)`` text.
    """

    __visit_name__ = "cx_in_day_range"
    inherit_cache = True
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("start", InternalTraversal.dp_clauseelement),
        ("stop", InternalTraversal.dp_clauseelement),
    ]
    type = sa.Boolean()

    def __init__(self, expr, first: dt.date | None, last: dt.date | None) -> None:
        if first is None and last is None:
            raise ValueError("a day range needs a first or a last day")
        self.expr = _expr(expr)
        day = dt.timedelta(days=1)
        self.start = sa.literal(dt.datetime.combine(first, dt.time()), sa.DateTime()) if first else sa.null()
        self.stop = sa.literal(dt.datetime.combine(last + day, dt.time()), sa.DateTime()) if last else sa.null()

    @property
    def _from_objects(self):
        return self.expr._from_objects


def _range(element, compiler, wrap, **kw) -> str:
    x = wrap(compiler.process(element.expr, **kw))
    parts = []
    if not isinstance(element.start, sa.Null):
        parts.append(f"{x} >= {wrap(compiler.process(element.start, **kw))}")
    if not isinstance(element.stop, sa.Null):
        parts.append(f"{x} < {wrap(compiler.process(element.stop, **kw))}")
    return "(" + " AND ".join(parts) + ")"


@compiles(in_day_range)
def _range_default(element, compiler, **kw):
    return _range(element, compiler, lambda text: text, **kw)


@compiles(in_day_range, "sqlite")
def _range_sqlite(element, compiler, **kw):
    return _range(element, compiler, lambda text: f"date({_sqlite_seconds(text)})", **kw)


# --- casts and counts ------------------------------------------------------------------------


class as_float(ColumnElement):  # noqa: N801
    """``expr`` as a double-precision float (MySQL/MariaDB cannot ``CAST(x AS FLOAT)``; DuckDB's FLOAT is 32-bit)."""

    __visit_name__ = "cx_as_float"
    inherit_cache = True
    _traverse_internals = [("expr", InternalTraversal.dp_clauseelement)]
    type = sa.Float()

    def __init__(self, expr) -> None:
        self.expr = _expr(expr)

    @property
    def _from_objects(self):
        return self.expr._from_objects


@compiles(as_float)
def _float_default(element, compiler, **kw):
    return compiler.process(sa.cast(element.expr, sa.Float()), **kw)


@compiles(as_float, "mysql")
@compiles(as_float, "mariadb")
@compiles(as_float, "duckdb")  # DuckDB's FLOAT is single precision
def _float_double(element, compiler, **kw):
    return f"CAST({compiler.process(element.expr, **kw)} AS DOUBLE)"


def count_where(condition) -> ColumnElement:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``: an integer count on every backend.

    A ``NULL`` condition counts as false (callers restrict to non-null rows when that matters).
    """
    return sa.func.sum(sa.case((condition, sa.literal_column("1")), else_=sa.literal_column("0")))


def as_int(expr) -> ColumnElement:
    """A boolean (or 0/1) column as an integer, so that ``SUM`` counts the true values."""
    return sa.cast(expr, sa.Integer())


# --- exact percentiles -----------------------------------------------------------------------


class rank_window(ColumnElement):  # noqa: N801
    """A ``row_number()`` / ``count()`` window column, left out (NULL) on DuckDB.

    DuckDB reads order statistics from one sorted list per group (:class:`median_bound`) and has a
    native ``quantile_cont``, so it never needs the ranks; sorting every partition for them made a
    10-million-row median five times slower there.
    """

    __visit_name__ = "cx_rank_window"
    inherit_cache = True
    _traverse_internals = [("window", InternalTraversal.dp_clauseelement)]
    type = sa.BigInteger()

    def __init__(self, window) -> None:
        self.window = window

    @property
    def _from_objects(self):
        return self.window._from_objects


@compiles(rank_window)
def _rank_window_default(element, compiler, **kw):
    return compiler.process(element.window, **kw)


@compiles(rank_window, "duckdb")
def _rank_window_duckdb(element, compiler, **kw):
    return "CAST(NULL AS BIGINT)"


def ranked(value, partition_by, *, extra=()) -> tuple[list[ColumnElement], ColumnElement]:
    """Columns that rank ``value`` within its group, for :class:`percentile_cont` and :class:`median_bound`.

    Returns ``[value AS value, row_number() AS rank, count() AS count, *extra]`` — select them in a
    subquery restricted to non-null ``value`` — and that non-null condition for its WHERE. ``rank`` is
    1-based in ascending order of value (ties in any order: their values are equal). On DuckDB
    ``rank`` and ``count`` are NULL (see :class:`rank_window`): use them only through this module.
    """
    value = as_float(value)
    window = dict(partition_by=list(partition_by) or None)
    columns = [
        value.label("value"),
        rank_window(sa.func.row_number().over(order_by=value, **window)).label("rank"),
        rank_window(sa.func.count(sa.literal_column("1")).over(**window)).label("count"),
        *extra,
    ]
    return columns, value.is_not(None)


class percentile_cont(ColumnElement):  # noqa: N801
    """Exact percentile of a group, interpolating linearly between the two nearest ranks.

    With ``h = (n - 1) * fraction`` this is ``x[floor(h)] + (h - floor(h)) * (x[ceil(h)] - x[floor(h)])``
    (0-based ranks of the sorted values), i.e. PostgreSQL's ``percentile_cont``, DuckDB's
    ``quantile_cont`` and ``pandas.Series.quantile()``.

    Parameters
    ----------
    fraction : float
        Between 0 and 1 (0.5 is the median).
    siblings : tuple of float, optional
        Every fraction the query asks of the same values (e.g. ``(0.5, 0.9)``): DuckDB then sorts
        the group once, ``quantile_cont(value, [0.5, 0.9])[k]``, instead of once per fraction.
    value, rank, count : column expressions
        The ``value``, ``rank`` and ``count`` columns of a subquery built with :func:`ranked`.
        Dialects with a native aggregate only use ``value``; the others pick the two ranks around
        ``h`` with ``MAX(CASE ...)`` — integer comparisons, so every backend picks the same rows.
    """

    __visit_name__ = "cx_percentile_cont"
    inherit_cache = True
    _traverse_internals = [
        ("value", InternalTraversal.dp_clauseelement),
        ("rank", InternalTraversal.dp_clauseelement),
        ("count", InternalTraversal.dp_clauseelement),
        ("fraction", InternalTraversal.dp_plain_obj),
        ("siblings", InternalTraversal.dp_plain_obj),
    ]
    type = sa.Float()

    def __init__(self, fraction: float, value, rank, count, siblings: tuple[float, ...] = ()) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"a percentile fraction lies between 0 and 1, got {fraction}")
        self.fraction = fraction
        self.siblings = tuple(float(f) for f in siblings) if fraction in siblings else (fraction,)
        self.value, self.rank, self.count = _expr(value), _expr(rank), _expr(count)

    @property
    def _from_objects(self):
        return [*self.value._from_objects, *self.rank._from_objects, *self.count._from_objects]

    def fallback(self) -> ColumnElement:
        """The portable form: ``MAX(CASE ...)`` over the ranked rows of the group."""
        f = sa.literal_column(repr(self.fraction), sa.Float())
        h = (self.count - 1) * f
        zero_based = self.rank - 1
        is_low = sa.and_(zero_based <= h, h < self.rank)  # rank - 1 == floor(h)
        is_high = sa.and_(zero_based >= h, h > self.rank - 2)  # rank - 1 == ceil(h)
        low = sa.func.max(sa.case((is_low, self.value)))
        high = sa.func.max(sa.case((is_high, self.value)))
        weight = sa.func.max(sa.case((is_low, h - zero_based)))
        return low + weight * (high - low)


@compiles(percentile_cont)
def _percentile_fallback(element, compiler, **kw):
    return compiler.process(element.fallback(), **kw)


@compiles(percentile_cont, "postgresql")
@compiles(percentile_cont, "snowflake")
@compiles(percentile_cont, "oracle")
def _percentile_within_group(element, compiler, **kw):
    value = compiler.process(element.value, **kw)
    return f"percentile_cont({element.fraction!r}) WITHIN GROUP (ORDER BY {value})"


@compiles(percentile_cont, "duckdb")
def _percentile_duckdb(element, compiler, **kw):
    value = compiler.process(element.value, **kw)
    if len(element.siblings) == 1:
        return f"quantile_cont({value}, {element.fraction!r})"
    fractions = ", ".join(repr(f) for f in element.siblings)
    return f"quantile_cont({value}, [{fractions}])[{element.siblings.index(element.fraction) + 1}]"


def rank_at_most(rank, count, z: float, *, lower: bool) -> ColumnElement:
    """Whether a row's 1-based ``rank`` lies at or beyond a bound of the median's interval.

    The lower bound is the largest rank ``r`` with ``r <= (n + 1 - z*sqrt(n)) / 2`` and the upper one
    its mirror ``n + 1 - r``; written without square roots — ``(n + 1 - 2 rank)^2 >= z^2 n`` — so
    that SQLite needs no math extension and every backend decides on integers and one literal
    (see :func:`cx.metrics.median_rank_bounds`).
    """
    z2 = sa.literal_column(repr(float(z) ** 2), sa.Float())
    gap = (count + 1 - 2 * rank) if lower else (2 * rank - count - 1)
    return sa.and_(gap >= 0, gap * gap >= z2 * count)


class median_bound(ColumnElement):  # noqa: N801
    """The lower or upper end of the distribution-free interval of a group's median (an aggregate).

    The order statistic at rank ``r`` (lower) or ``n + 1 - r`` (upper), ``r`` as in
    :func:`rank_at_most`; NULL when the group has fewer than 6 values. Portable form:
    ``MAX(CASE WHEN rank <= r THEN value END)`` over the :func:`ranked` subquery; DuckDB picks the
    element of the sorted list of the group's values, with ``r`` from the same integer rule.
    """

    __visit_name__ = "cx_median_bound"
    inherit_cache = True
    _traverse_internals = [
        ("value", InternalTraversal.dp_clauseelement),
        ("rank", InternalTraversal.dp_clauseelement),
        ("count", InternalTraversal.dp_clauseelement),
        ("z", InternalTraversal.dp_plain_obj),
        ("lower", InternalTraversal.dp_plain_obj),
    ]
    type = sa.Float()

    def __init__(self, value, rank, count, z: float, *, lower: bool) -> None:
        self.value, self.rank, self.count = _expr(value), _expr(rank), _expr(count)
        self.z, self.lower = float(z), bool(lower)

    @property
    def _from_objects(self):
        return [*self.value._from_objects, *self.rank._from_objects, *self.count._from_objects]


@compiles(median_bound)
def _median_bound_default(element, compiler, **kw):
    beyond = rank_at_most(element.rank, element.count, element.z, lower=element.lower)
    pick = sa.func.max if element.lower else sa.func.min
    return compiler.process(pick(sa.case((beyond, element.value))), **kw)


@compiles(median_bound, "duckdb")
def _median_bound_duckdb(element, compiler, **kw):
    value = compiler.process(element.value, **kw)
    n = f"count({value})"
    z2 = repr(element.z**2)

    def ok(r: str) -> str:
        return f"({r} >= 1 AND {n} + 1 - 2 * ({r}) >= 0 AND ({n} + 1 - 2 * ({r})) * ({n} + 1 - 2 * ({r})) >= {z2} * {n})"

    guess = f"CAST(floor(({n} + 1 - sqrt({z2} * {n})) / 2) AS BIGINT)"
    rank = (f"(CASE WHEN {ok(guess + ' + 1')} THEN {guess} + 1 WHEN {ok(guess)} THEN {guess} "
            f"WHEN {ok(guess + ' - 1')} THEN {guess} - 1 END)")
    position = rank if element.lower else f"({n} + 1 - {rank})"
    return f"list_sort(list({value}))[{position}]"


__all__ = [
    "NATIVE_PERCENTILE",
    "as_float",
    "as_int",
    "count_where",
    "in_day_range",
    "percentile_cont",
    "median_bound",
    "rank_at_most",
    "rank_window",
    "ranked",
    "time_bucket",
]


# --- moments in time and NULL ordering (journeys) ------------------------------------------------


class EpochSeconds(FunctionElement):
    """Seconds since 1970-01-01 of a (naive, UTC) timestamp, as a double — for gaps between moments."""

    type = sa.Float()
    name = "cx_epoch_seconds"
    inherit_cache = True


@compiles(EpochSeconds)
def _epoch_default(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(EpochSeconds, "duckdb")
def _epoch_duckdb(element, compiler, **kw):
    return f"(CAST(epoch_us({compiler.process(element.clauses, **kw)}) AS DOUBLE) / 1000000.0)"


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # julianday keeps the fraction of a second; the unix epoch is Julian day 2440587.5
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(EpochSeconds, "mysql")
@compiles(EpochSeconds, "mariadb")
def _epoch_mysql(element, compiler, **kw):
    # TIMESTAMPDIFF ignores the session time zone (UNIX_TIMESTAMP does not)
    return f"(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {compiler.process(element.clauses, **kw)}) / 1e6)"


@compiles(EpochSeconds, "snowflake")
def _epoch_snowflake(element, compiler, **kw):
    return f"(DATE_PART(EPOCH_MICROSECOND, {compiler.process(element.clauses, **kw)}) / 1e6)"


@compiles(EpochSeconds, "bigquery")
def _epoch_bigquery(element, compiler, **kw):
    return f"(UNIX_MICROS(TIMESTAMP({compiler.process(element.clauses, **kw)})) / 1e6)"


class NullsLast(FunctionElement):
    """An ascending ORDER BY item with NULLs last on every backend (MySQL/MariaDB lack NULLS LAST)."""

    name = "cx_nulls_last"
    inherit_cache = True


@compiles(NullsLast)
def _nulls_last_default(element, compiler, **kw):
    return f"{compiler.process(element.clauses, **kw)} ASC NULLS LAST"


@compiles(NullsLast, "mysql")
@compiles(NullsLast, "mariadb")
def _nulls_last_mysql(element, compiler, **kw):
    x = compiler.process(element.clauses, **kw)
    return f"{x} IS NULL, {x}"


def nulls_last_key(expr) -> sa.ColumnElement:
    """1 when NULL, else 0: puts NULLs last in a small ORDER BY on every backend."""
    return sa.case((expr.is_(None), 1), else_=0)
