"""Per-customer features for the churn model, built in the database, with no peeking past the outcome.

One SQLAlchemy Core query returns one row per customer: the journey features of
:mod:`cx.journeys` (mean, worst, best, first and end experience index, slope, incident count and
recovery class), plus mean NPS / CSAT / CES, median resolution and first-response time, the share
resolved at first contact, contact counts per channel and the mean index per touchpoint, joined to
the customer table (outcome, lifetime value, attributes). Only those per-customer rows cross the
wire; :func:`cx.churn.table.finish_table` turns them into a :class:`~cx.churn.table.FeatureTable`.

The cut-off rule (leakage)
--------------------------
A model that sees what happened *after* a customer left learns the leaving, not its causes (a
"sorry to see you go" survey scores terribly). :class:`~cx.churn.table.CutoffRule` says which
interactions count:

- ``before_outcome`` (default): for customers who churned, only interactions before their
  ``churned_at``; everyone else's whole history. Undated interactions are kept (nothing says they
  came later), as in :func:`cx.journeys.journey_features`.
- ``window``: features from an observation window ending at a cut-off date, outcome = churned in
  the ``horizon_days`` after it, among customers still active at the cut-off. The prospective
  design: the model answers "who will leave in the next 90 days" with nothing from the future.
- ``none``: every interaction (customer-level files without dates; other outcome columns).

The rule in force is always stated (:attr:`FeatureTable.rule_text`). Columns that restate the
outcome are screened separately (:mod:`cx.churn.leakage`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa

from cx import journeys
from cx.churn.table import (
    CHANNEL_PREFIX,
    TOUCHPOINT_PREFIX,
    CutoffRule,
    FeatureError,
    FeatureTable,
    QueryResult,
    finish_table,
    to_float,
)
from cx.db.dialects import NATIVE_PERCENTILE, as_float, count_where, percentile_cont, ranked
from cx.db.source import Source
from cx.db.where import segment_filter
from cx.journeys.sql import experience_index, scoped_interactions
from cx.schema import IncidentRules
from cx.scope import Scope

#: Interaction columns with a per-customer median feature.
MEDIANS = (("resolution_hours", "median_resolution_hours"), ("first_response_minutes", "median_first_response_minutes"))


# --- the parts of the query ----------------------------------------------------------------------


def _value_counts(source: Source, frm, conditions, column: str, limit: int, scored: bool) -> list[tuple[str, int]]:
    """The ``limit`` most frequent values of ``column`` with their (scored) interaction counts."""
    i = source.interactions
    counted = experience_index(i.c, source.scales) if scored else sa.literal_column("1")
    query = (sa.select(i.c[column].label("value"), sa.func.count(counted).label("n"))
             .select_from(frm).where(*conditions, i.c[column].is_not(None))
             .group_by(i.c[column]).order_by(sa.desc("n"), i.c[column]).limit(limit))
    return [(str(v), int(n)) for v, n in source.read(query).itertuples(index=False, name=None)]


def _service_query(source: Source, frm, conditions, touchpoints: Sequence[str], channels: Sequence[str],
                   medians: Sequence[tuple[str, str]] = ()):
    """Per customer: mean scores, FCR share, mean index per touchpoint, contacts per channel (and
    ``medians``, where the backend has a native median aggregate: one pass over the rows, not three).

    The rows are read once, with each interaction's experience index computed once (``rows``); the
    aggregates then only test the touchpoint or channel of a row. Inlined in every per-touchpoint
    CASE, the index was computed 15 times per row: half the feature query's time on 10 M rows.
    """
    i = source.interactions
    kept = ["customer_id", "nps", "csat", "ces", "resolved_first_contact", "touchpoint", "channel",
            *[col for col, _ in medians]]
    rows = (sa.select(*[i.c[n].label(n) for n in dict.fromkeys(kept)],
                      experience_index(i.c, source.scales).label("idx"))
            .select_from(frm).where(*conditions).subquery("rows"))
    r = rows.c
    fcr = r.resolved_first_contact
    columns = [
        r.customer_id.label("customer_id"),
        sa.func.avg(as_float(r.nps)).label("mean_nps"),
        sa.func.avg(as_float(r.csat)).label("mean_csat"),
        sa.func.avg(as_float(r.ces)).label("mean_ces"),
        (as_float(count_where(fcr == sa.true())) / sa.func.nullif(sa.func.count(fcr), 0)).label("fcr_share"),
        *[sa.func.avg(sa.case((r.touchpoint == tp, r.idx))).label(f"tp{k}") for k, tp in enumerate(touchpoints)],
        *[count_where(r.channel == ch).label(f"ch{k}") for k, ch in enumerate(channels)],
        *[percentile_cont(0.5, as_float(r[col]), sa.null(), sa.null()).label(name) for col, name in medians],
    ]
    return sa.select(*columns).group_by(r.customer_id).subquery("service")


def _median_query(source: Source, frm, conditions, column: str, name: str):
    """Exact per-customer median of a duration column (:class:`cx.sql.percentile_cont`)."""
    i = source.interactions
    cols, not_null = ranked(i.c[column], [i.c.customer_id], extra=[i.c.customer_id.label("customer_id")])
    r = sa.select(*cols).select_from(frm).where(*conditions, not_null).subquery(f"ranked_{name}")
    median = percentile_cont(0.5, r.c.value, r.c.rank, r.c.count)
    return sa.select(r.c.customer_id, median.label(name)).group_by(r.c.customer_id).subquery(name)


def _data_end(source: Source) -> pd.Timestamp | None:
    i = source.interactions
    value = source.read(sa.select(sa.type_coerce(sa.func.max(i.c.occurred_at), sa.DateTime()).label("end"))).iloc[0, 0]
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def _resolve_rule(source: Source, outcome: str, rule: CutoffRule, end: pd.Timestamp | None) -> tuple[CutoffRule, str]:
    """The rule that can actually be applied, and the sentence that states it."""
    dated = end is not None
    if rule.kind == "window":
        if outcome != "churned" or not source.has("customers.churned_at"):
            raise FeatureError("the observation-window rule needs the churned outcome with churn dates (churned_at)")
        if not dated:
            raise FeatureError("the observation-window rule needs dated interactions (occurred_at)")
        cutoff = rule.cutoff or (end - pd.Timedelta(days=rule.horizon_days)).date()
        rule = replace(rule, cutoff=cutoff)
        since = (f"the {rule.observation_days} days before {cutoff:%Y-%m-%d}" if rule.observation_days
                 else f"interactions before {cutoff:%Y-%m-%d}")
        return rule, (f"Observation window and outcome horizon: features use only {since}; the outcome is "
                      f"churning within {rule.horizon_days} days after it, among customers still active then.")
    if rule.kind == "before_outcome" and outcome == "churned" and source.has("customers.churned_at") and dated:
        return rule, ("Before churn: for customers who churned, features use only interactions before their "
                      "churn date (undated interactions are kept); everyone else's whole history counts.")
    why = ("the interactions carry no dates" if not dated
           else f"{outcome} has no date to cut at" if outcome != "churned" else "churn dates (churned_at) are not mapped")
    return replace(rule, kind="none"), (f"No cut-off: every interaction counts, because {why}. The model cannot "
                                        "rule out that some were recorded after the outcome.")


def churn_features(source: Source, outcome: str = "churned", rule: CutoffRule | None = None,
                   scope: Scope | None = None, rules: IncidentRules | None = None, *, positive=None,
                   touchpoints: int | Sequence[str] = 40, channels: int = 8, min_touchpoint_n: int = 30,
                   as_of_now: bool = False) -> FeatureTable:
    """Build one row of features per customer in the database.

    Parameters
    ----------
    source : Source
        Needs a customers table (the outcome lives there).
    outcome : str
        A yes/no customer column; ``churned`` by default (see :func:`cx.outcomes.outcome_candidates`).
    rule : CutoffRule, optional
        Which interactions may inform the features; default ``before_outcome``.
    scope : Scope, optional
        Dates, channels and stages restrict the interactions counted; segments the customers.
    rules : IncidentRules, optional
        Critical-incident rules (default: the source's).
    positive : optional
        The value of ``outcome`` that counts as yes (any two-valued column; see
        :func:`cx.outcomes.parse_outcome`). Default: yes/no words, booleans or 0/1.
    touchpoints, channels : int
        How many of the most frequent touchpoints get a mean-index feature (those left out are
        named in the table's notes), and channels a contact count. ``touchpoints`` may also name them (to score new data with the columns a
        model was fitted on).
    min_touchpoint_n : int
        A touchpoint needs this many scored interactions to become a feature.
    as_of_now : bool
        Features of customers still active at the end of the data, with their whole history (the
        at-risk list of a window-rule model scores these). ``outcome`` is then all zero.

    Returns
    -------
    FeatureTable

    Examples
    --------
    >>> from cx.db import demo_source
    >>> table = churn_features(demo_source())  # doctest: +SKIP
    >>> table.frame[["customer_id", "outcome", "worst_index", "end_index"]].head()  # doctest: +SKIP
    """
    rule = rule or CutoffRule()
    scope = scope or Scope()
    rules = rules or source.rules
    c = source.customers
    if c is None:
        raise FeatureError("this source has no customers table: the churn model needs an outcome per customer")
    if outcome not in c.c:
        raise FeatureError(f"no customer column {outcome!r} to use as the outcome")
    end = _data_end(source)
    if as_of_now:
        rule, rule_text = CutoffRule("none"), "Current features: every customer's whole history up to the end of the data."
    else:
        rule, rule_text = _resolve_rule(source, outcome, rule, end)
    observed = _observation_scope(scope, rule)
    before = "churned_at" if rule.kind == "before_outcome" else None
    frm, conditions = scoped_interactions(source, observed, before)
    notes: list[str] = []
    top_tp = _touchpoints(source, frm, conditions, touchpoints, min_touchpoint_n, notes)
    top_ch = ([v for v, _ in _value_counts(source, frm, conditions, "channel", channels, scored=False)]
              if source.has("channel") else [])
    attributes = [a for a in ("segment", "region", *source.customer_attributes)
                  if a in c.c and a != outcome and a not in ("churned", "churned_at")]
    wanted = list(dict.fromkeys(["customer_id", outcome, "churned", "churned_at", "signup_at", "lifetime_value", *attributes]))
    where = _population(c, scope, rule, as_of_now)
    frames = []
    for batch in customer_batches(source):  # one on most sources; a million customers in DuckDB: four
        ids = None if batch is None else sa.select(c.c.customer_id).where(*batch)
        in_batch = [] if ids is None else [source.interactions.c.customer_id.in_(ids)]
        query = _feature_query(source, observed, rules, before, frm, [*conditions, *in_batch], top_tp, top_ch,
                               wanted, customers_in=ids)
        frames.append(source.read(query.where(*where, *(batch or ()))))
    frame = frames[0] if len(frames) == 1 else _concat(frames)
    del frames
    frame = frame.rename(columns={f"c_{k}": n for k, n in enumerate(wanted)}
                         | {f"tp{k}": f"{TOUCHPOINT_PREFIX}{tp}" for k, tp in enumerate(top_tp)}
                         | {f"ch{k}": f"{CHANNEL_PREFIX}{ch}" for k, ch in enumerate(top_ch)})
    frame = frame.loc[:, ~frame.columns.duplicated()]  # copy-on-write: no second million-row frame
    result = QueryResult(frame=frame, outcome=outcome, rule=rule, rule_text=rule_text, end=end,
                         attributes=tuple(attributes), touchpoints=tuple(top_tp), as_of_now=as_of_now, positive=positive)
    return finish_table(result, notes)


def _touchpoints(source: Source, frm, conditions, touchpoints: int | Sequence[str], min_n: int,
                 notes: list[str] | None = None) -> list[str]:
    """The touchpoints named, or the most frequent ones with at least ``min_n`` scored interactions.

    Those left out (too few scores, or beyond the ``touchpoints`` most frequent) are named in ``notes``.
    """
    if not isinstance(touchpoints, int):
        return [str(t) for t in touchpoints]
    if not source.has("touchpoint"):
        return []
    counts = _value_counts(source, frm, conditions, "touchpoint", 1000, scored=True)
    scored = [(v, n) for v, n in counts if n >= min_n]
    kept = [v for v, _ in scored[:touchpoints]]
    if notes is not None:
        few = [v for v, n in counts if 0 < n < min_n]
        beyond = [v for v, _ in scored[touchpoints:]]
        if few:
            notes.append(f"Touchpoints with fewer than {min_n} scored interactions are not model features: "
                         + _listed(few) + ".")
        if beyond:
            notes.append(f"Only the {touchpoints} most often scored touchpoints are model features; left out: "
                         + _listed(beyond) + ".")
    return kept


def _listed(values: Sequence[str], most: int = 12) -> str:
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def _observation_scope(scope: Scope, rule: CutoffRule) -> Scope:
    """The interactions' scope under the rule: the window rule narrows the dates to the observation window."""
    if rule.kind != "window":
        return scope
    last_day = rule.cutoff - dt.timedelta(days=1)
    first_day = rule.cutoff - dt.timedelta(days=rule.observation_days) if rule.observation_days else None
    if scope.date_from and (first_day is None or scope.date_from > first_day):
        first_day = scope.date_from
    if scope.date_to and scope.date_to < last_day:
        last_day = scope.date_to
    return replace(scope, date_from=first_day, date_to=last_day) if (first_day is None or first_day <= last_day) else scope


#: Customers per feature query on DuckDB, whose working memory is the app's own (a query's window
#: sort and hash tables grow with the customers in it: a million at once took 1.6 GB of the app).
#: Server databases compute in their own memory and get one query.
FEATURE_BATCH = 250_000


def customer_batches(source: Source, size: int | None = None) -> list[list | None]:
    """Conditions on ``customers.customer_id`` that split the customers into ranges of about ``size``.

    ``[None]`` (one query, no condition) on server databases and whenever the customers fit in one
    batch. Each customer falls in exactly one range (half-open, by the database's own ordering of
    the ids), and every feature is one customer's alone, so the batches' rows together are exactly
    the rows of one query (tested).
    """
    size = FEATURE_BATCH if size is None else size
    c = source.customers
    if c is None or source.dialect != "duckdb":
        return [None]
    ids = c.c.customer_id
    ranked = sa.select(ids.label("id"), sa.func.row_number().over(order_by=ids).label("rn")).where(
        ids.is_not(None)).subquery("ranked_ids")
    cuts = [v for (v,) in source.read(
        sa.select(ranked.c.id).where((ranked.c.rn - 1) % size == 0, ranked.c.rn > 1).order_by(ranked.c.id)
    ).itertuples(index=False, name=None)]
    if not cuts:
        return [None]
    first = [sa.or_(ids < cuts[0], ids.is_(None))]  # a customer without an id is still a row of the one query
    middle = [[ids >= lo, ids < hi] for lo, hi in zip(cuts[:-1], cuts[1:])]
    return [first, *middle, [ids >= cuts[-1]]]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The batches' rows as one frame, in customer order (the fit sample is drawn by position).

    The batches are id ranges in order, so sorting each sorts all. Column by column, each batch's
    column released once copied: never two copies of the whole frame at once (``frames`` is emptied).
    """
    parts = [f.sort_values("c_0", kind="stable", ignore_index=True) for f in frames]
    frames.clear()
    columns = list(parts[0].columns)
    return pd.DataFrame({name: pd.concat([part.pop(name) for part in parts], ignore_index=True) for name in columns})


def _feature_query(source: Source, scope: Scope, rules: IncidentRules, before: str | None, frm, conditions,
                   touchpoints: Sequence[str], channels: Sequence[str], wanted: Sequence[str], customers_in=None):
    """Customers joined to their journey features, service aggregates and medians (one SELECT)."""
    c = source.customers
    jq = journeys.journey_features_query(source, scope, rules, before=before, within_scope=True,
                                         customers_in=customers_in).order_by(None).subquery("journey")
    wanted_medians = [(col, name) for col, name in MEDIANS if source.has(col)]
    native = source.dialect in NATIVE_PERCENTILE  # the median is an aggregate: computed with the others
    service = _service_query(source, frm, conditions, touchpoints, channels, wanted_medians if native else ())
    medians = [] if native else [_median_query(source, frm, conditions, col, name) for col, name in wanted_medians]
    j = jq.c
    query = sa.select(
        *[c.c[n].label(f"c_{k}") for k, n in enumerate(wanted)],
        j.interactions.label("contacts"), j["mean"].label("mean_index"), j.worst.label("worst_index"),
        j.best.label("best_index"), j["first"].label("first_index"), j.end.label("end_index"),
        j.peak_end.label("peak_end_index"), j.slope, j.incidents, j.journey_class.label("recovery"),
        j.last_at, *[col for col in service.c if col.key != "customer_id"],
        *[m.c[m.name] for m in medians],
    )
    joined = c.outerjoin(jq, jq.c.customer_id == c.c.customer_id).outerjoin(service, service.c.customer_id == c.c.customer_id)
    for m in medians:
        joined = joined.outerjoin(m, m.c.customer_id == c.c.customer_id)
    return query.select_from(joined)


def _population(c, scope: Scope, rule: CutoffRule, as_of_now: bool) -> list:
    """Which customers: the segments in scope; under the window rule those active at the cut-off; "now" the active."""
    where = segment_filter(c, scope)
    if as_of_now:
        where.append(sa.or_(c.c.churned.is_(None), c.c.churned == sa.false()))
    elif rule.kind == "window":
        start = sa.literal(dt.datetime.combine(rule.cutoff, dt.time()), sa.DateTime())
        where += [sa.or_(c.c.signup_at.is_(None), c.c.signup_at < start),
                  sa.or_(c.c.churned_at.is_(None), c.c.churned_at >= start)]
    return where


# --- the at-risk list's moments ------------------------------------------------------------------


def moments(source: Source, customer_ids: Sequence[str], scope: Scope | None = None,
            before: str | None = None) -> pd.DataFrame:
    """The worst moment and the last interaction of a few customers (for the at-risk list).

    Parameters
    ----------
    customer_ids : sequence of str
        At most a few thousand (they travel as one IN list).
    before : str, optional
        As in :func:`churn_features`: a customer column to cut the history at.

    Returns
    -------
    DataFrame
        ``customer_id, worst_at, worst_channel, worst_touchpoint, worst_moment_index, last_at,
        last_channel, last_touchpoint`` — one row per customer with interactions in scope.
    """
    ids = [str(v) for v in customer_ids]
    empty = pd.DataFrame(columns=["customer_id", "worst_at", "worst_channel", "worst_touchpoint", "worst_moment_index",
                                  "last_at", "last_channel", "last_touchpoint"])
    if not ids:
        return empty
    i = source.interactions
    frm, conditions = scoped_interactions(source, scope, before)
    idx = experience_index(i.c, source.scales)
    nulls_last = sa.case((i.c.occurred_at.is_(None), 1), else_=0)
    base = sa.select(
        i.c.customer_id.label("customer_id"), sa.type_coerce(i.c.occurred_at, sa.DateTime()).label("at"),
        i.c.channel.label("channel"), i.c.touchpoint.label("touchpoint"), idx.label("idx"),
        sa.func.row_number().over(partition_by=i.c.customer_id,
                                  order_by=[sa.case((idx.is_(None), 1), else_=0), idx, nulls_last, i.c.occurred_at.desc()]).label("rw"),
        sa.func.row_number().over(partition_by=i.c.customer_id,
                                  order_by=[nulls_last, i.c.occurred_at.desc(), i.c.seq.desc()]).label("rl"),
    ).select_from(frm).where(*conditions, i.c.customer_id.in_(ids)).subquery("moments")
    b = base.c
    query = sa.select(
        b.customer_id,
        sa.func.max(sa.case((sa.and_(b.rw == 1, b.idx.is_not(None)), b.at))).label("worst_at"),
        sa.func.max(sa.case((sa.and_(b.rw == 1, b.idx.is_not(None)), b.channel))).label("worst_channel"),
        sa.func.max(sa.case((sa.and_(b.rw == 1, b.idx.is_not(None)), b.touchpoint))).label("worst_touchpoint"),
        sa.func.max(sa.case((b.rw == 1, b.idx))).label("worst_moment_index"),
        sa.func.max(sa.case((b.rl == 1, b.at))).label("last_at"),
        sa.func.max(sa.case((b.rl == 1, b.channel))).label("last_channel"),
        sa.func.max(sa.case((b.rl == 1, b.touchpoint))).label("last_touchpoint"),
    ).group_by(b.customer_id)
    frame = source.read(query)
    if frame.empty:
        return empty
    frame["customer_id"] = frame["customer_id"].astype(str)
    for name in ("worst_at", "last_at"):
        frame[name] = pd.to_datetime(frame[name], errors="coerce")
    frame["worst_moment_index"] = to_float(frame["worst_moment_index"])
    return frame


__all__ = [
    "CHANNEL_PREFIX",
    "CutoffRule",
    "FeatureError",
    "FeatureTable",
    "TOUCHPOINT_PREFIX",
    "churn_features",
    "moments",
]
