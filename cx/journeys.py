"""Customer journeys: the experience index of every moment, peak-end features and critical incidents.

Everything here is one SQLAlchemy Core query pushed down to the database (window functions over
each customer's interactions in order), portable across SQLite, DuckDB, PostgreSQL and MariaDB;
only per-journey rows or a LIMITed list cross the wire.

The experience index
--------------------
Each interaction gets an index on 0–100 (100 = best) that puts NPS, CSAT and effort on one
footing: NPS × 10, CSAT and CES rescaled from their declared :class:`~cx.schema.Scale`
(``100 · (value − low) / (high − low)``), and reversed (``100 − …``) when the scale says higher is
*worse* — e.g. an effort scale where 7 means "very hard". A 0 on a scale declared
``zero_means_na`` (wide survey exports) is missing, not terrible. The index of an interaction is
the mean of the indices it has; an interaction with no score (a ticket with no survey) has none,
but still counts for incidents such as slow resolution.

Order
-----
A customer's interactions are ordered by ``occurred_at``, then ``seq`` (undated rows after dated
ones, so files without timestamps — wide surveys melted in touchpoint order, per-moment streams —
are ordered by ``seq`` alone). A journey is all of a customer's interactions, or, with
``gap_days``, an *episode*: a new one starts after ``gap_days`` without contact.

Features (one row per journey)
------------------------------
``interactions`` (all rows) and ``scored`` (rows with an index); ``mean``, ``worst`` (the
negative peak), ``best``, ``first`` and ``end`` (the last scored moment, or with ``end_last=k`` the
mean of the last k); ``peak_end = (worst + end) / 2``; ``slope`` (least-squares index points per
scored moment); ``worst_to_end_steps`` (scored moments from the latest worst moment to the end;
0 = the end *is* the worst) and ``worst_to_end_days`` (from the last dated worst moment to the end,
when both are dated); ``incidents`` and ``journey_class``:

- *clean*: no critical incident;
- *recovered*: at least one incident, and the journey ends well (``end ≥ rules.good_end_index``)
  on a moment after the last incident;
- *unrecovered*: an incident without such an ending.

Critical incidents (defaults in :class:`cx.schema.IncidentRules`)
-----------------------------------------------------------------
An interaction is a critical incident when any rule holds: NPS ≤ ``nps_at_most`` (2); CSAT at the
bottom of its scale; effort at the worst end of its scale; resolution time above its channel's
95th percentile (nearest-rank, over all of the source's interactions, so that a date filter does
not move the bar); not resolved at first contact and the customer came back within
``repeat_contact_days`` (7). ``severity`` is the number of rules an interaction breaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from cx.schema import Filters, IncidentRules, Scale, Scales
from cx.source import Source

CLASSES = ("clean", "recovered", "unrecovered")
#: incident rules: flag column -> plain-language reason (shown next to each incident)
RULE_LABELS = {
    "low_nps": "NPS at or below {nps}",
    "bottom_csat": "CSAT at the bottom of its scale ({csat})",
    "worst_effort": "effort at the worst end of its scale ({ces})",
    "slow_resolution": "resolution slower than the channel's p95",
    "repeat_contact": "not resolved at first contact, back within {days} days",
}
FEATURE_COLUMNS = (
    "customer_id", "journey", "interactions", "scored", "first_at", "last_at", "mean", "worst", "best",
    "first", "end", "peak_end", "slope", "worst_to_end_steps", "worst_to_end_days", "incidents",
    "journey_class",
)
PREDICTORS = ("mean", "worst", "end", "peak_end")

# --- dialect-portable pieces ---------------------------------------------------------------------
# (These two belong with the other dialect differences in cx/sql.py; kept here until it has them.)


class _Double(FunctionElement):
    """``CAST(x AS DOUBLE)`` — MySQL/MariaDB arithmetic on integers is otherwise DECIMAL with 4 digits."""

    type = sa.Float()
    name = "cx_double"
    inherit_cache = True


@compiles(_Double)
def _double_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DOUBLE PRECISION)"


@compiles(_Double, "mysql")
@compiles(_Double, "mariadb")
def _double_mysql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DOUBLE)"


@compiles(_Double, "sqlite")
def _double_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


@compiles(_Double, "bigquery")
def _double_bigquery(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS FLOAT64)"


class _EpochSeconds(FunctionElement):
    """Seconds since 1970-01-01 of a (naive, UTC) timestamp, as a double — for gaps between moments."""

    type = sa.Float()
    name = "cx_epoch_seconds"
    inherit_cache = True


@compiles(_EpochSeconds)
def _epoch_default(element, compiler, **kw):
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(_EpochSeconds, "duckdb")
def _epoch_duckdb(element, compiler, **kw):
    return f"CAST(epoch_us({compiler.process(element.clauses, **kw)}) AS DOUBLE) / 1000000.0"


@compiles(_EpochSeconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # julianday keeps the fraction of a second; the unix epoch is Julian day 2440587.5
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(_EpochSeconds, "mysql")
@compiles(_EpochSeconds, "mariadb")
def _epoch_mysql(element, compiler, **kw):
    # TIMESTAMPDIFF ignores the session time zone (UNIX_TIMESTAMP does not)
    return f"(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {compiler.process(element.clauses, **kw)}) / 1e6)"


@compiles(_EpochSeconds, "snowflake")
def _epoch_snowflake(element, compiler, **kw):
    return f"(DATE_PART(EPOCH_MICROSECOND, {compiler.process(element.clauses, **kw)}) / 1e6)"


@compiles(_EpochSeconds, "bigquery")
def _epoch_bigquery(element, compiler, **kw):
    return f"(UNIX_MICROS(TIMESTAMP({compiler.process(element.clauses, **kw)})) / 1e6)"


def _isnull(expr) -> sa.ColumnElement:
    """1 when NULL, else 0: an explicit NULLS LAST that every backend understands."""
    return sa.case((expr.is_(None), 1), else_=0)


# --- the experience index ------------------------------------------------------------------------


def _scale_index(column, scale: Scale) -> sa.ColumnElement:
    """SQL for :meth:`Scale.index` of a score column (NULL when missing or a "not applicable" 0)."""
    share = (_Double(column) - float(scale.low)) / float(scale.high - scale.low)
    value = 100.0 * share if scale.higher_is_better else 100.0 - 100.0 * share
    if scale.zero_means_na and not scale.low <= 0 <= scale.high:
        return sa.case((column.is_(None), sa.null()), (column == 0, sa.null()), else_=value)
    return sa.case((column.is_(None), sa.null()), else_=value)


def experience_index(columns, scales: Scales = Scales()) -> sa.ColumnElement:
    """SQL expression of the 0–100 experience index of one interaction (see the module docstring).

    Parameters
    ----------
    columns : ColumnCollection
        Columns with canonical names (``nps``, ``csat``, ``ces``), e.g. ``source.interactions.c``.
    scales : Scales
        Declared scales of the score columns.

    Returns
    -------
    sqlalchemy.ColumnElement
        A double, NULL when the interaction has no score.
    """
    parts = [_scale_index(columns[name], scales.for_column(name)) for name in ("nps", "csat", "ces")]
    total = sum((sa.func.coalesce(p, 0.0) for p in parts[1:]), sa.func.coalesce(parts[0], 0.0))
    count = sum((sa.case((p.is_(None), 0), else_=1) for p in parts[1:]), sa.case((parts[0].is_(None), 0), else_=1))
    return sa.case((count == 0, sa.null()), else_=total / _Double(count))


# --- filters and the channel p95 -----------------------------------------------------------------


def _filtered(source: Source, filters: Filters | None, before: str | None, customer_id: str | None,
              columns: Sequence[sa.ColumnElement], p95=None):
    """``SELECT columns FROM interactions [JOIN customers] [LEFT JOIN channel p95] WHERE <filters>``."""
    i = source.interactions
    filters = filters or Filters()
    conditions = []
    frm = i
    c = source.customers
    needs_customers = (filters.segments or before) and c is not None
    if needs_customers:
        frm = i.join(c, c.c.customer_id == i.c.customer_id, isouter=not filters.segments)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time())
        conditions.append(i.c.occurred_at >= sa.literal(start, sa.DateTime()))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
        conditions.append(i.c.occurred_at < sa.literal(end, sa.DateTime()))
    if filters.channels:
        conditions.append(i.c.channel.in_(filters.channels))
    if filters.stages:
        conditions.append(i.c.journey_stage.in_(filters.stages))
    if filters.segments and c is not None:
        conditions.append(c.c.segment.in_(filters.segments))
    if before:
        if c is None or before not in c.c:
            raise ValueError(f"cannot cut journeys before customers.{before}: no such customer column")
        cut = c.c[before]
        # undated interactions are kept: nothing says they came after the cut-off
        conditions.append(sa.or_(cut.is_(None), i.c.occurred_at.is_(None), i.c.occurred_at < cut))
    if customer_id is not None:
        conditions.append(i.c.customer_id == str(customer_id))
    if p95 is not None:
        frm = frm.join(p95, p95.c.channel == i.c.channel, isouter=True)
    return sa.select(*columns).select_from(frm).where(*conditions)


def _channel_p95_query(source: Source):
    """Exact (nearest-rank) 95th percentile of resolution time per channel, over the whole source.

    Nearest rank: the smallest value with at least 95% of the channel's values at or below it
    (``percentile_disc(0.95)``), found with ``ROW_NUMBER`` so every backend gives the same number.
    """
    i = source.interactions
    ranked = (
        sa.select(
            i.c.channel.label("channel"),
            i.c.resolution_hours.label("hours"),
            sa.func.row_number().over(partition_by=i.c.channel, order_by=i.c.resolution_hours).label("rn"),
            sa.func.count().over(partition_by=i.c.channel).label("cnt"),
        )
        .where(i.c.resolution_hours.is_not(None), i.c.channel.is_not(None))
        .subquery("ranked_resolution")
    )
    return (
        sa.select(ranked.c.channel, sa.func.min(ranked.c.hours).label("p95_resolution_hours"))
        .where(ranked.c.rn * 100 >= ranked.c.cnt * 95)
        .group_by(ranked.c.channel)
    )


def channel_p95(source: Source) -> pd.DataFrame:
    """The resolution-time bar of the "slow resolution" incident rule, per channel.

    Returns
    -------
    DataFrame
        ``channel``, ``p95_resolution_hours`` (nearest-rank 95th percentile over the whole source).
    """
    frame = _read(source, _channel_p95_query(source).order_by("channel"))
    frame["p95_resolution_hours"] = pd.to_numeric(frame["p95_resolution_hours"]).astype(float)
    return frame


# --- the row-level query (every interaction with its index, incident flags and position) ---------


def _rows(source: Source, filters: Filters | None, rules: IncidentRules, *, gap_days: float | None,
          before: str | None = None, customer_id: str | None = None, extras: Sequence[str] = ()):
    """Every interaction in scope with its index, incident flags, journey and positions.

    Columns: customer_id, journey, pos, at, seq, idx, srank (rank among scored moments), n_scored,
    worst, incident, severity, each rule flag, and ``extras`` (canonical columns carried along).
    """
    i = source.interactions
    scales = source.scales
    p95 = _channel_p95_query(source).subquery("channel_p95") if rules.resolution_above_channel_p95 else None

    flags: dict[str, sa.ColumnElement] = {}
    if rules.nps_at_most is not None:
        flags["low_nps"] = sa.case((i.c.nps <= rules.nps_at_most, 1), else_=0)
    if rules.csat_bottom:
        bottom = scales.csat.worst
        cmp = i.c.csat <= bottom if scales.csat.higher_is_better else i.c.csat >= bottom
        if scales.csat.zero_means_na and not scales.csat.low <= 0 <= scales.csat.high:
            cmp = sa.and_(cmp, i.c.csat != 0)
        flags["bottom_csat"] = sa.case((cmp, 1), else_=0)
    if rules.ces_worst:
        worst = scales.ces.worst
        cmp = i.c.ces <= worst if scales.ces.higher_is_better else i.c.ces >= worst
        if scales.ces.zero_means_na and not scales.ces.low <= 0 <= scales.ces.high:
            cmp = sa.and_(cmp, i.c.ces != 0)
        flags["worst_effort"] = sa.case((cmp, 1), else_=0)

    columns = [
        i.c.customer_id.label("customer_id"),
        i.c.occurred_at.label("at"),
        i.c.seq.label("seq"),
        experience_index(i.c, scales).label("idx"),
        i.c.resolved_first_contact.label("rfc"),
        *[expr.label(name) for name, expr in flags.items()],
        *[i.c[name].label(name) for name in extras if name not in ("customer_id", "seq")],
    ]
    if p95 is not None:
        columns.append(sa.case((i.c.resolution_hours > p95.c.p95_resolution_hours, 1), else_=0).label("slow_resolution"))
    base = _filtered(source, filters, before, customer_id, columns, p95).subquery("base")

    # 1. order within the customer (one sort): position, running count of scored moments, neighbours
    order = [_isnull(base.c.at), base.c.at, _isnull(base.c.seq), base.c.seq]
    by_customer = {"partition_by": base.c.customer_id, "order_by": order}
    ordered = sa.select(
        *base.c,
        sa.func.row_number().over(**by_customer).label("pos"),
        sa.func.count(base.c.idx).over(**by_customer, rows=(None, 0)).label("scum"),
        sa.func.lead(base.c.at).over(**by_customer).label("next_at"),
        sa.func.lag(base.c.at).over(**by_customer).label("prev_at"),
    ).subquery("ordered")

    o = ordered.c
    flag_names = list(flags) + (["slow_resolution"] if p95 is not None else [])
    layer = [*[col for col in o if col.key not in ("next_at", "prev_at")]]
    if rules.repeat_contact_days is not None:
        gap = _EpochSeconds(o.next_at) - _EpochSeconds(o.at)
        repeat = sa.and_(o.rfc == sa.false(), o.next_at.is_not(None), o.at.is_not(None),
                         gap <= float(rules.repeat_contact_days) * 86400.0)
        layer.append(sa.case((repeat, 1), else_=0).label("repeat_contact"))
        flag_names.append("repeat_contact")
    if gap_days is not None:
        new = sa.and_(o.prev_at.is_not(None), o.at.is_not(None),
                      _EpochSeconds(o.at) - _EpochSeconds(o.prev_at) > float(gap_days) * 86400.0)
        layer.append(sa.case((new, 1), else_=0).label("new_journey"))
    flagged = sa.select(*layer).subquery("flagged")

    f = flagged.c
    if gap_days is not None:
        # 2. episodes: a running count of the gaps longer than gap_days
        journey = (sa.func.sum(f.new_journey).over(partition_by=f.customer_id, order_by=f.pos, rows=(None, 0)) + 1)
        flagged = sa.select(*[col for col in f if col.key != "new_journey"], journey.label("journey")).subquery("episodes")
        f = flagged.c
        journey_col = f.journey
    else:
        journey_col = sa.literal(1).label("journey")

    # 3. per journey, no ordering needed: count of scored moments, worst, rank among scored moments
    if gap_days is not None:
        partition = {"partition_by": [f.customer_id, f.journey]}
        scored_before = sa.func.min(f.scum - sa.case((f.idx.is_(None), 0), else_=1)).over(**partition)
        srank = f.scum - scored_before
    else:
        partition = {"partition_by": f.customer_id}
        srank = f.scum
    severity = sum((f[name] for name in flag_names[1:]), f[flag_names[0]]) if flag_names else sa.literal(0)
    keep = [col for col in f if col.key not in ("scum", "journey")]
    scored = sa.select(
        *keep,
        journey_col if gap_days is None else f.journey,
        sa.case((f.idx.is_(None), sa.null()), else_=srank).label("srank"),
        sa.func.count(f.idx).over(**partition).label("n_scored"),
        sa.func.min(f.idx).over(**partition).label("worst"),
        severity.label("severity"),
        sa.case((severity > 0, 1), else_=0).label("incident"),
    ).subquery("scored")
    return scored, flag_names


def _is_end(s, end_last: int) -> sa.ColumnElement:
    """The moments the ``end`` feature averages: the last ``end_last`` scored ones."""
    return sa.and_(s.idx.is_not(None), s.srank > s.n_scored - end_last)


def _class_expr(n_incidents, end_value, end_pos, last_incident_pos, rules: IncidentRules):
    return sa.case(
        (n_incidents == 0, "clean"),
        (sa.and_(end_value >= float(rules.good_end_index), end_pos > last_incident_pos), "recovered"),
        else_="unrecovered",
    )


# --- public queries ------------------------------------------------------------------------------


def journey_features_query(source: Source, filters: Filters | None = None, rules: IncidentRules | None = None, *,
                           gap_days: float | None = None, end_last: int = 1, before: str | None = None,
                           customer_columns: Sequence[str] = ()) -> sa.Select:
    """The SQL of :func:`journey_features` (to run elsewhere, or to build on)."""
    rules = rules or source.rules
    if end_last < 1:
        raise ValueError("end_last must be at least 1")
    s, _ = _rows(source, filters, rules, gap_days=gap_days, before=before)
    s = s.c
    x = _Double(s.srank)
    n = _Double(sa.func.count(s.idx))
    sx, sy = sa.func.sum(x), sa.func.sum(s.idx)
    sxy, sxx = sa.func.sum(x * s.idx), sa.func.sum(x * x)
    denominator = n * sxx - sx * sx
    slope = sa.case((sa.func.count(s.idx) < 2, sa.null()), else_=(n * sxy - sx * sy) / sa.func.nullif(denominator, 0.0))
    is_last = sa.and_(s.idx.is_not(None), s.srank == s.n_scored)
    end_value = sa.func.avg(sa.case((_is_end(s, end_last), s.idx)))
    worst = sa.func.min(s.idx)
    worst_rank = sa.func.max(sa.case((s.idx == s.worst, s.srank)))
    worst_at = sa.func.max(sa.case((s.idx == s.worst, s.at)))
    end_at = sa.func.max(sa.case((is_last, s.at)))
    end_pos = sa.func.max(sa.case((is_last, s.pos)))
    n_incidents = sa.func.sum(s.incident)
    last_incident_pos = sa.func.max(sa.case((s.incident == 1, s.pos)))
    features = sa.select(
        s.customer_id,
        s.journey,
        sa.func.count().label("interactions"),
        sa.func.count(s.idx).label("scored"),
        sa.type_coerce(sa.func.min(s.at), sa.DateTime()).label("first_at"),
        sa.type_coerce(sa.func.max(s.at), sa.DateTime()).label("last_at"),
        sa.func.avg(s.idx).label("mean"),
        worst.label("worst"),
        sa.func.max(s.idx).label("best"),
        sa.func.max(sa.case((sa.and_(s.idx.is_not(None), s.srank == 1), s.idx))).label("first"),
        end_value.label("end"),
        ((worst + end_value) / 2.0).label("peak_end"),
        slope.label("slope"),
        (sa.func.max(s.n_scored) - worst_rank).label("worst_to_end_steps"),
        ((_EpochSeconds(end_at) - _EpochSeconds(worst_at)) / 86400.0).label("worst_to_end_days"),
        n_incidents.label("incidents"),
        _class_expr(n_incidents, end_value, end_pos, last_incident_pos, rules).label("journey_class"),
    ).group_by(s.customer_id, s.journey).subquery("features")
    out = sa.select(*features.c)
    if customer_columns:
        c = source.customers
        if c is None:
            raise ValueError("this source has no customers table to take outcome columns from")
        missing = [name for name in customer_columns if name not in c.c]
        if missing:
            raise ValueError(f"no customer column {missing[0]!r}; available: {', '.join(c.c.keys())}")
        out = (sa.select(*features.c, *[c.c[name] for name in customer_columns if name != "customer_id"])
               .select_from(features.join(c, c.c.customer_id == features.c.customer_id, isouter=True)))
    return out.order_by(features.c.customer_id, features.c.journey)


def journey_features(source: Source, filters: Filters | None = None, rules: IncidentRules | None = None, *,
                     gap_days: float | None = None, end_last: int = 1, before: str | None = None,
                     customer_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Peak-end features of every journey, computed in the database in one query.

    Parameters
    ----------
    source : Source
        Where the interactions (and customers) live.
    filters : Filters, optional
        Date range, channels, stages and segments; interactions outside them are left out of the
        journeys (undated interactions drop out when a date range is set).
    rules : IncidentRules, optional
        Critical-incident rules; defaults to the source's.
    gap_days : float, optional
        Split each customer's interactions into episodes after this many days without contact;
        by default a customer's interactions are one journey (``journey`` is 1).
    end_last : int
        ``end`` is the mean of the last ``end_last`` scored moments (default 1: the last one).
    before : str, optional
        A timestamp column of ``customers`` (e.g. ``"churned_at"``): only interactions before it
        count, so that features for predicting an outcome don't peek past it. Customers with a
        NULL there and undated interactions are kept whole.
    customer_columns : sequence of str
        Customer columns to join on (e.g. ``["churned", "segment"]``), for outcomes.

    Returns
    -------
    DataFrame
        One row per journey, ordered by customer and journey, with the columns of
        :data:`FEATURE_COLUMNS` (see the module docstring) followed by ``customer_columns``.
        Index features are on 0–100; a journey without any score has NULL index features.

    Examples
    --------
    >>> from cx.source import demo_source
    >>> features = journey_features(demo_source(), customer_columns=["churned"])  # doctest: +SKIP
    >>> features[["worst", "end", "peak_end", "journey_class"]].head()  # doctest: +SKIP
    """
    query = journey_features_query(source, filters, rules, gap_days=gap_days, end_last=end_last,
                                   before=before, customer_columns=customer_columns)
    frame = _read(source, query)
    for name in ("mean", "worst", "best", "first", "end", "peak_end", "slope", "worst_to_end_days"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("journey", "interactions", "scored", "incidents"):
        frame[name] = pd.to_numeric(frame[name]).astype("int64")
    frame["worst_to_end_steps"] = pd.to_numeric(frame["worst_to_end_steps"]).astype("Int64")
    for name in ("first_at", "last_at"):
        frame[name] = pd.to_datetime(frame[name])
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def _incident_reasons(frame: pd.DataFrame, flag_names: Sequence[str], rules: IncidentRules, scales: Scales) -> pd.Series:
    labels = rule_labels(rules, scales)
    parts = [frame[name].fillna(0).astype(int).map({1: labels[name], 0: ""}) for name in flag_names]
    if not parts:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    joined = pd.concat(parts, axis=1).apply(lambda row: "; ".join(v for v in row if v), axis=1)
    return joined.astype(object)


def rule_labels(rules: IncidentRules, scales: Scales = Scales()) -> dict[str, str]:
    """Plain-language text of each incident rule, as shown beside an incident.

    Returns
    -------
    dict
        Rule flag column → sentence, for the rules that are switched on.
    """
    text = {
        name: template.format(nps=rules.nps_at_most, csat=f"{scales.csat.worst:g}", ces=f"{scales.ces.worst:g}",
                              days=rules.repeat_contact_days)
        for name, template in RULE_LABELS.items()
    }
    on = {
        "low_nps": rules.nps_at_most is not None,
        "bottom_csat": rules.csat_bottom,
        "worst_effort": rules.ces_worst,
        "slow_resolution": rules.resolution_above_channel_p95,
        "repeat_contact": rules.repeat_contact_days is not None,
    }
    return {name: text[name] for name in RULE_LABELS if on[name]}


_DETAIL = ("occurred_at", "channel", "journey_stage", "touchpoint", "nps", "csat", "ces",
           "resolution_hours", "resolved_first_contact", "comment")


def _journey_windows(s, end_last: int, rules: IncidentRules):
    """Journey-level values repeated on each row (for the incident list and the timeline)."""
    partition = {"partition_by": [s.customer_id, s.journey]}
    end_value = sa.func.avg(sa.case((_is_end(s, end_last), s.idx))).over(**partition)
    is_last = sa.and_(s.idx.is_not(None), s.srank == s.n_scored)
    end_pos = sa.func.max(sa.case((is_last, s.pos))).over(**partition)
    n_incidents = sa.func.sum(s.incident).over(**partition)
    last_incident_pos = sa.func.max(sa.case((s.incident == 1, s.pos))).over(**partition)
    return [
        sa.case((sa.and_(s.idx.is_not(None), s.idx == s.worst), 1), else_=0).label("is_worst"),
        sa.case((is_last, 1), else_=0).label("is_end"),
        end_value.label("journey_end"),
        _class_expr(n_incidents, end_value, end_pos, last_incident_pos, rules).label("journey_class"),
    ]


def _tidy_rows(frame: pd.DataFrame, flag_names, rules: IncidentRules, scales: Scales) -> pd.DataFrame:
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    for name in ("index", "journey_end", "nps", "csat", "ces", "resolution_hours"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("is_worst", "is_end"):
        frame[name] = frame[name].astype(int).astype(bool)
    frame["reasons"] = _incident_reasons(frame, flag_names, rules, scales)
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["comment"] = frame["comment"].astype(object).where(frame["comment"].notna(), None)
    return frame


def incidents(source: Source, filters: Filters | None = None, rules: IncidentRules | None = None, *,
              sort: str = "severity", limit: int = 500, classes: Sequence[str] = (),
              kinds: Sequence[str] = (), gap_days: float | None = None, end_last: int = 1) -> pd.DataFrame:
    """The critical incidents, worst first (or most recent first), LIMITed in the database.

    Parameters
    ----------
    source, filters, rules, gap_days, end_last
        As in :func:`journey_features` (the journey of each incident is defined the same way).
    sort : {"severity", "recency"}
        ``severity``: most rules broken first, then the lowest index, then the most recent;
        ``recency``: the most recent first (undated last).
    limit : int
        At most this many rows cross the wire.
    classes : sequence of {"recovered", "unrecovered"}
        Keep incidents of journeys in these classes only (empty = all).
    kinds : sequence of str
        Keep incidents breaking at least one of these rules (keys of :data:`RULE_LABELS`).

    Returns
    -------
    DataFrame
        ``customer_id, journey, occurred_at, seq, channel, journey_stage, touchpoint, nps, csat, ces,
        resolution_hours, resolved_first_contact, index, severity, reasons, is_worst, is_end,
        journey_end, journey_class, comment`` plus one 0/1 column per rule. Comments are raw text:
        show them as plain text.
    """
    rules = rules or source.rules
    if sort not in ("severity", "recency"):
        raise ValueError("sort must be 'severity' or 'recency'")
    unknown = [k for k in kinds if k not in RULE_LABELS]
    if unknown:
        raise ValueError(f"unknown incident rule {unknown[0]!r}; known: {', '.join(RULE_LABELS)}")
    s, flag_names = _rows(source, filters, rules, gap_days=gap_days, extras=_DETAIL)
    s = s.c
    inner = sa.select(*s, *_journey_windows(s, end_last, rules)).subquery("journeys")
    j = inner.c
    conditions = [j.incident == 1]
    if classes:
        conditions.append(j.journey_class.in_(list(classes)))
    chosen = [k for k in kinds if k in flag_names]
    if kinds:
        conditions.append(sa.or_(*[j[k] == 1 for k in chosen]) if chosen else sa.false())
    if sort == "severity":
        order = [j.severity.desc(), sa.func.coalesce(j.idx, 101.0), _isnull(j.at), j.at.desc(), j.customer_id]
    else:
        order = [_isnull(j.at), j.at.desc(), j.severity.desc(), j.customer_id, j.pos.desc()]
    query = sa.select(
        j.customer_id, j.journey, sa.type_coerce(j.at, sa.DateTime()).label("occurred_at"), j.seq,
        *[j[name] for name in _DETAIL if name != "occurred_at"], j.idx.label("index"), j.severity,
        j.is_worst, j.is_end, j.journey_end, j.journey_class, *[j[name] for name in flag_names],
    ).where(*conditions).order_by(*order).limit(int(limit))
    frame = _tidy_rows(_read(source, query), flag_names, rules, source.scales)
    front = ["customer_id", "journey", "occurred_at", "seq", "channel", "journey_stage", "touchpoint", "nps",
             "csat", "ces", "resolution_hours", "resolved_first_contact", "index", "severity", "reasons",
             "is_worst", "is_end", "journey_end", "journey_class", "comment"]
    return frame[front + list(flag_names)]


def customer_timeline(source: Source, customer_id: str, filters: Filters | None = None,
                      rules: IncidentRules | None = None, *, gap_days: float | None = None,
                      end_last: int = 1, limit: int = 2000) -> pd.DataFrame:
    """One customer's journey, moment by moment, with the worst and end moments marked.

    Parameters
    ----------
    source, filters, rules, gap_days, end_last
        As in :func:`journey_features`, so the marks agree with the customer's features.
    customer_id : str
        The customer to show.
    limit : int
        At most this many interactions (the first ones in journey order).

    Returns
    -------
    DataFrame
        One row per interaction in journey order: ``customer_id, journey, position, occurred_at, seq,
        channel, journey_stage, touchpoint, nps, csat, ces, resolution_hours,
        resolved_first_contact, index, incident, severity, reasons, is_worst, is_end, journey_end,
        journey_class, comment`` plus one 0/1 column per rule. Empty when the customer has no
        interaction in scope.
    """
    rules = rules or source.rules
    s, flag_names = _rows(source, filters, rules, gap_days=gap_days, customer_id=str(customer_id), extras=_DETAIL)
    s = s.c
    inner = sa.select(*s, *_journey_windows(s, end_last, rules)).subquery("journeys")
    j = inner.c
    query = sa.select(
        j.customer_id, j.journey, j.pos.label("position"), sa.type_coerce(j.at, sa.DateTime()).label("occurred_at"),
        j.seq, *[j[name] for name in _DETAIL if name != "occurred_at"], j.idx.label("index"), j.incident,
        j.severity, j.is_worst, j.is_end, j.journey_end, j.journey_class, *[j[name] for name in flag_names],
    ).order_by(j.pos).limit(int(limit))
    frame = _tidy_rows(_read(source, query), flag_names, rules, source.scales)
    frame["incident"] = frame["incident"].astype(int).astype(bool)
    frame["position"] = frame["position"].astype(int)
    front = ["customer_id", "journey", "position", "occurred_at", "seq", "channel", "journey_stage", "touchpoint",
             "nps", "csat", "ces", "resolution_hours", "resolved_first_contact", "index", "incident", "severity",
             "reasons", "is_worst", "is_end", "journey_end", "journey_class", "comment"]
    return frame[front + list(flag_names)]


# --- reading -------------------------------------------------------------------------------------


def _read(source: Source, query) -> pd.DataFrame:
    """Run a query; on DuckDB fetch the result columnar (a million journeys in a fraction of a second)."""
    if source.dialect == "duckdb":
        compiled = query.compile(dialect=source.engine.dialect)
        with source.engine.connect() as con:
            cursor = con.connection.dbapi_connection.cursor()
            try:
                params = compiled.construct_params()
                positional = [params[name] for name in compiled.positiontup] if compiled.positiontup else params
                cursor.execute(str(compiled), positional)
                frame = cursor.fetch_df() if hasattr(cursor, "fetch_df") else cursor.df()
            finally:
                cursor.close()
        return frame
    return source.read(query)


# the stats half of the peak-end analysis lives in cx/peak_end.py; re-exported for one import
from cx.peak_end import (  # noqa: E402
    PredictorComparison,
    compare_predictors,
    outcome_by_class,
    summarize_journeys,
)

__all__ = [
    "CLASSES",
    "FEATURE_COLUMNS",
    "PREDICTORS",
    "PredictorComparison",
    "RULE_LABELS",
    "channel_p95",
    "compare_predictors",
    "customer_timeline",
    "experience_index",
    "incidents",
    "journey_features",
    "journey_features_query",
    "outcome_by_class",
    "rule_labels",
    "summarize_journeys",
]
