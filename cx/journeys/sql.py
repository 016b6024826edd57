"""The SQL under :mod:`cx.journeys`: the experience index, the incident rules and the window-function
layers that turn interactions into ordered, flagged journey rows (see that module for definitions).

Everything returns SQLAlchemy Core expressions or subqueries; nothing here runs a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cx.db.dialects import (
    NATIVE_PERCENTILE,
    EpochSeconds,
    NullsLast,
    as_float,
    percentile_cont,
    ranked,
)
from cx.db.source import Source
from cx.db.where import interaction_filters, scope_filter
from cx.schema import IncidentRules, Scale, Scales
from cx.scope import Scope


def _flag(condition) -> sa.ColumnElement:
    return sa.case((condition, 1), else_=0)


# --- the experience index ------------------------------------------------------------------------


def _na_zero(scale: Scale) -> bool:
    return scale.zero_means_na and not scale.low <= 0 <= scale.high


def _scale_index(column, scale: Scale) -> sa.ColumnElement:
    """SQL for :meth:`Scale.index` of a score column (NULL when missing or a "not applicable" 0).

    Arithmetic on NULL is NULL, so only the "not applicable" 0 needs a CASE.
    """
    share = (as_float(column) - float(scale.low)) / float(scale.high - scale.low)
    value = 100.0 * share if scale.higher_is_better else 100.0 - 100.0 * share
    return sa.case((column == 0, sa.null()), else_=value) if _na_zero(scale) else value


def _has_score(column, scale: Scale) -> sa.ColumnElement:
    present = column.is_not(None)
    return _flag(sa.and_(present, column != 0) if _na_zero(scale) else present)


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
    names = ("nps", "csat", "ces")
    parts = [sa.func.coalesce(_scale_index(columns[n], scales.for_column(n)), 0.0) for n in names]
    flags = [_has_score(columns[n], scales.for_column(n)) for n in names]
    total = parts[0] + parts[1] + parts[2]
    count = flags[0] + flags[1] + flags[2]
    return total / as_float(sa.func.nullif(count, 0))


# --- filters and the channel p95 -----------------------------------------------------------------


@dataclass(frozen=True)
class IdRange:
    """A batch of customers: ids from ``low`` (inclusive) to ``high`` (exclusive), ``None`` unbounded,
    and with ``nulls`` the rows without a customer id too. Passed as ``customers_in``; the ranges of
    :func:`cx.journeys.queries.customer_ranges` split every row of a source into exactly one batch."""

    low: str | None = None
    high: str | None = None
    nulls: bool = False

    def condition(self, column) -> sa.ColumnElement:
        bounds = [c for c in ((column >= self.low) if self.low is not None else None,
                              (column < self.high) if self.high is not None else None) if c is not None]
        inside = sa.and_(*bounds) if bounds else column.is_not(None)
        return sa.or_(inside, column.is_(None)) if self.nulls else inside


def scoped_interactions(source: Source, scope: Scope | None, before: str | None = None, customer_id: str | None = None,
          customers_in=None) -> tuple[sa.FromClause, list[sa.ColumnElement]]:
    """``FROM interactions [JOIN customers]`` and the ``WHERE`` conditions of the filters and cut-off.

    The one definition of which interactions a journey (or a churn feature) sees: the date range,
    channels, stages and segments, and with ``before`` (a customers timestamp column) only what
    happened before it — undated interactions and customers without that date are kept whole.
    """
    i = source.interactions
    scope = scope or Scope()
    c = source.customers
    conditions = scope_filter(i, c, scope)
    frm = i
    if (scope.segments or before) and c is not None:
        frm = i.join(c, c.c.customer_id == i.c.customer_id, isouter=not scope.segments)
    if before:
        if c is None or before not in c.c:
            raise ValueError(f"cannot cut journeys before customers.{before}: no such customer column")
        cut = c.c[before]
        # undated interactions are kept: nothing says they came after the cut-off
        conditions.append(sa.or_(cut.is_(None), i.c.occurred_at.is_(None), i.c.occurred_at < cut))
    if customer_id is not None:
        conditions.append(i.c.customer_id == str(customer_id))
    if isinstance(customers_in, IdRange):
        conditions.append(customers_in.condition(i.c.customer_id))
    elif customers_in is not None:
        conditions.append(i.c.customer_id.in_(customers_in))
    return frm, conditions


def filtered(source: Source, scope: Scope | None, before: str | None, customer_id: str | None,
              columns: Sequence[sa.ColumnElement], p95=None, customers_in=None):
    """``SELECT columns FROM interactions [JOIN customers] [LEFT JOIN channel p95] WHERE <filters>``."""
    frm, conditions = scoped_interactions(source, scope, before, customer_id, customers_in)
    if p95 is not None:
        frm = frm.join(p95, p95.c.channel == source.interactions.c.channel, isouter=True)
    return sa.select(*columns).select_from(frm).where(*conditions)


def channel_p95_query(source: Source):
    """The 95th percentile of resolution time per channel, over the whole source.

    Exact, interpolated between the two nearest ranks (:class:`cx.sql.percentile_cont`, as
    ``pandas.Series.quantile(0.95)``): a native aggregate where the backend has one, else ranks
    from a ``ROW_NUMBER`` window, so every backend gives the same number.
    """
    i = source.interactions
    if source.dialect in NATIVE_PERCENTILE:  # an aggregate: no ranking window to pay for
        value = as_float(i.c.resolution_hours)
        columns = [value.label("value"), sa.literal(0).label("rank"), sa.literal(0).label("count"),
                   i.c.channel.label("channel")]
        not_null = value.is_not(None)
    else:
        columns, not_null = ranked(i.c.resolution_hours, [i.c.channel], extra=[i.c.channel.label("channel")])
    sub = sa.select(*columns).where(not_null, i.c.channel.is_not(None)).subquery("ranked_resolution")
    return (
        sa.select(sub.c.channel, percentile_cont(0.95, sub.c.value, sub.c.rank, sub.c.count).label("p95_resolution_hours"))
        .group_by(sub.c.channel)
    )


# --- the row-level query (every interaction with its index, incident flags and position) ---------


def _row_flags(source: Source, rules: IncidentRules, p95) -> dict[str, sa.ColumnElement]:
    """The incident rules that can be decided from the interaction alone (plus its channel's p95)."""
    i, scales = source.interactions, source.scales
    flags: dict[str, sa.ColumnElement] = {}
    if rules.nps_at_most is not None:
        flags["low_nps"] = _flag(i.c.nps <= rules.nps_at_most)
    for name, rule, column in (("bottom_csat", rules.csat_bottom, "csat"), ("worst_effort", rules.ces_worst, "ces")):
        if not rule:
            continue
        scale = scales.for_column(column)
        cmp = i.c[column] <= scale.worst if scale.higher_is_better else i.c[column] >= scale.worst
        if scale.zero_means_na and not scale.low <= 0 <= scale.high:
            cmp = sa.and_(cmp, i.c[column] != 0)
        flags[name] = _flag(cmp)
    if p95 is not None:
        flags["slow_resolution"] = _flag(i.c.resolution_hours > p95.c.p95_resolution_hours)
    return flags


def journey_rows(source: Source, scope: Scope | None, rules: IncidentRules, *, gap_days: float | None,
                 before: str | None = None, customer_id: str | None = None, detail: Sequence[str] | None = None,
                 customers_in=None, within_scope: bool = False):
    """Every interaction of the customers in scope, over each one's whole history, with its index,
    incident flags, journey and positions.

    One truth: a cell's number never depends on filters that do not define it. The incident rules
    (the repeat-contact rule looks at the *next* contact, whatever its channel or date) and the
    journeys (worst moment, end, class) see each customer's whole history; the scope only chooses
    which customers come back (those with an interaction in scope) and marks each row ``in_scope``
    (1 when the row itself passes the date, channel and stage filters). Callers show the rows
    (``in_scope = 1``) or the journeys (``journey_in_scope = 1``) the filters ask for.

    Columns: customer_id, journey, pos (1-based order in the customer's interactions), at, idx,
    srank (rank among the journey's scored moments, NULL when unscored), n_scored, worst (the
    journey's lowest index), incident (0/1), severity, in_scope, journey_in_scope. With ``detail``
    (canonical column names) also seq, each rule's 0/1 flag and those columns. Returns
    ``(subquery, rule flag names)``.

    Costs (DuckDB): one sort per customer for all the ordered windows; with ``gap_days`` a second
    pass per episode.

    ``within_scope=True`` is for a scope that *defines* the journeys rather than filters them: the
    churn model's observation window, where nothing after the cut-off may be seen. Then only the
    rows in scope exist.
    """
    p95 = channel_p95_query(source).subquery("channel_p95") if rules.resolution_above_channel_p95 else None
    flags = _row_flags(source, rules, p95)
    repeat_rule = rules.repeat_contact_days is not None
    base = _base_rows(source, scope, flags, p95, repeat_rule, before, customer_id, detail, customers_in, within_scope)
    o = _ordered(base.c, repeat_rule, gap_days, detail is not None)
    layer, flag_names = _incident_layer(o, flags, rules, detail is not None)
    if gap_days is None:
        f = sa.select(*layer, sa.literal(1).label("journey")).subquery("flagged").c
        srank = f.scum
    else:
        f = _episodes(o, layer, gap_days)
        srank = f.episode_scum
    # A whole-customer journey of a customer chosen by the scope always has a row in scope; only an
    # episode (gap_days) can lie wholly outside it, and only then is a window needed to say so.
    if gap_days is not None and _narrows(scope) and not within_scope:
        journey_in_scope = sa.func.max(f.in_scope).over(partition_by=[f.customer_id, f.journey])
    else:
        journey_in_scope = sa.literal(1)
    out = sa.select(
        *[col for col in f if col.key not in ("scum", "episode_scum")],
        srank.label("scored_upto"),
        sa.case((f.idx.is_(None), sa.null()), else_=srank).label("srank"),
        journey_in_scope.label("journey_in_scope"),
    ).subquery("scored")
    return out, flag_names


def _narrows(scope: Scope | None) -> bool:
    return scope is not None and any((scope.date_from, scope.date_to, scope.channels, scope.stages, scope.segments))


def _base_rows(source: Source, scope, flags: dict, p95, repeat_rule: bool, before, customer_id, detail,
               customers_in, within_scope: bool = False) -> sa.Subquery:
    """Every interaction of the customers in scope (whole histories) with its experience index, summed
    rule flags, ``in_scope`` mark (and detail columns)."""
    i = source.interactions
    row_severity = sum(list(flags.values())[1:], list(flags.values())[0]) if flags else sa.literal(0)
    shown = interaction_filters(i, scope) if scope is not None else []
    columns = [
        i.c.customer_id.label("customer_id"),
        i.c.occurred_at.label("at"),
        i.c.seq.label("seq"),
        experience_index(i.c, source.scales).label("idx"),
        row_severity.label("sev0"),
        (_flag(sa.and_(*shown)) if shown else sa.literal(1)).label("in_scope"),
    ]
    if repeat_rule:
        columns.append(_flag(i.c.resolved_first_contact == sa.false()).label("unresolved"))
    if detail is not None:
        columns += [expr.label(name) for name, expr in flags.items()]
        columns += [i.c[name].label(name) for name in detail if name not in ("customer_id", "seq")]
    query = filtered(source, scope if within_scope else None, before, customer_id, columns, p95, customers_in)
    if _narrows(scope) and not within_scope:
        # the customers with at least one interaction in scope (segments are a customer's, so they
        # are decided here exactly); an alias keeps the subquery from correlating with the outer rows
        inner = i.alias("in_scope_interactions")
        c = source.customers
        conditions = scope_filter(inner, c, scope)
        frm = inner
        if (scope.segments or before) and c is not None:
            frm = inner.join(c, c.c.customer_id == inner.c.customer_id, isouter=not scope.segments)
        if before:
            conditions.append(sa.or_(c.c[before].is_(None), inner.c.occurred_at.is_(None),
                                     inner.c.occurred_at < c.c[before]))
        chosen = sa.select(inner.c.customer_id).select_from(frm).where(*conditions).distinct()
        query = query.where(i.c.customer_id.in_(chosen.correlate(None)))
    return query.subquery("base")


def _ordered(b, repeat_rule: bool, gap_days: float | None, detail: bool):
    """Step 1, one sort per customer: position, running count of scored moments, next / previous
    contact, and (for whole-customer journeys) the count of scored moments and the worst one."""
    by_customer = {"partition_by": b.customer_id, "order_by": [NullsLast(b.at), NullsLast(b.seq)]}
    windows = [sa.func.count(b.idx).over(**by_customer, rows=(None, 0)).label("scum")]
    if detail or gap_days is not None:
        windows.append(sa.func.row_number().over(**by_customer).label("pos"))
    if repeat_rule:
        windows.append(sa.func.lead(b.at).over(**by_customer).label("next_at"))
    if gap_days is not None:
        windows.append(sa.func.lag(b.at).over(**by_customer).label("prev_at"))
    else:
        windows += [sa.func.count(b.idx).over(**by_customer, rows=(None, None)).label("n_scored"),
                    sa.func.min(b.idx).over(**by_customer, rows=(None, None)).label("worst")]
    keep = [col for col in b if col.key not in ("seq", "unresolved") or detail]
    return sa.select(*keep, *([b.unresolved] if repeat_rule else []), *windows).subquery("ordered").c


def _incident_layer(o, flags: dict, rules: IncidentRules, detail: bool) -> tuple[list, list[str]]:
    """Step 2: the rules that look at the next contact, then each row's severity and incident flag."""
    flag_names = list(flags)
    severity = o.sev0
    layer = [col for col in o if col.key not in ("sev0", "unresolved", "next_at", "prev_at")]
    if rules.repeat_contact_days is not None:
        gap = EpochSeconds(o.next_at) - EpochSeconds(o.at)
        repeat = _flag(sa.and_(o.unresolved == 1, o.next_at.is_not(None), o.at.is_not(None),
                               gap <= float(rules.repeat_contact_days) * 86400.0))
        severity = severity + repeat
        flag_names.append("repeat_contact")
        if detail:
            layer.append(repeat.label("repeat_contact"))
    layer += [severity.label("severity"), _flag(severity > 0).label("incident")]
    return layer, flag_names


def _episodes(o, layer: list, gap_days: float):
    """Step 3: episodes split at gaps longer than ``gap_days``, then per-episode windows."""
    new = _flag(sa.and_(o.prev_at.is_not(None), o.at.is_not(None),
                        EpochSeconds(o.at) - EpochSeconds(o.prev_at) > float(gap_days) * 86400.0))
    flagged = sa.select(*layer, new.label("new_journey")).subquery("flagged").c
    journey = sa.func.sum(flagged.new_journey).over(partition_by=flagged.customer_id, order_by=flagged.pos,
                                                     rows=(None, 0)) + 1
    e = sa.select(*[col for col in flagged if col.key != "new_journey"], journey.label("journey")).subquery("episodes").c
    per_episode = {"partition_by": [e.customer_id, e.journey]}
    scored_before = sa.func.min(e.scum - _flag(e.idx.is_not(None))).over(**per_episode)
    return sa.select(*e, (e.scum - scored_before).label("episode_scum"),
                     sa.func.count(e.idx).over(**per_episode).label("n_scored"),
                     sa.func.min(e.idx).over(**per_episode).label("worst")).subquery("episode_windows").c


def end_moments(s, end_last: int) -> sa.ColumnElement:
    """The moments the ``end`` feature averages: the last ``end_last`` scored ones."""
    return sa.and_(s.idx.is_not(None), s.srank > s.n_scored - end_last)


def journey_class_expr(n_incidents, end_value, n_scored, scored_upto_last_incident, rules: IncidentRules):
    """clean / recovered / unrecovered. A scored moment comes after the last incident exactly when
    fewer than all the journey's scored moments happened up to (and including) that incident."""
    return sa.case(
        (n_incidents == 0, "clean"),
        (sa.and_(end_value >= float(rules.good_end_index), scored_upto_last_incident < n_scored), "recovered"),
        else_="unrecovered",
    )
