"""Customer journeys: the experience index of every moment, peak-end features and critical incidents.

Each function is one SQLAlchemy Core query pushed down to the database (window functions over
each customer's interactions in order; the incident list adds a second one for the customers on the
list), portable across SQLite, DuckDB, PostgreSQL and MariaDB; only per-journey rows or a LIMITed
list cross the wire. On DuckDB, whose queries run in the app's own memory, the every-journey queries
run 250,000 customers at a time (:func:`customer_ranges`), with the same result. The SQL lives in :mod:`cx.journeys_sql`, the statistics in :mod:`cx.peak_end`.

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
are ordered by ``seq`` alone; rows tied on both keep the database's order, so give them a ``seq``).
A journey is all of a customer's interactions, or, with
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
95th percentile (exact, interpolated as ``pandas.Series.quantile(0.95)``, over all of the source's
interactions, so that a date filter does not move the bar); not resolved at first contact and the customer came back within
``repeat_contact_days`` (7). ``severity`` is the number of rules an interaction breaks.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import EpochSeconds, as_float, nulls_last_key
from cx.db.source import Source
from cx.journeys.sql import (
    IdRange,
    channel_p95_query,
    end_moments,
    experience_index,
    journey_class_expr,
    journey_rows,
)
from cx.outcomes import outcome_candidates
from cx.schema import IncidentRules, Scales
from cx.scope import Scope

CLASSES = ("clean", "recovered", "unrecovered")
#: incident rules: flag column -> plain-language reason (shown next to each incident)
RULE_LABELS = {
    "low_nps": "NPS at or below {nps}",
    "bottom_csat": "CSAT at the bottom of its scale ({csat})",
    "worst_effort": "effort at the worst end of its scale ({ces})",
    "slow_resolution": "resolution slower than the channel's p95",
    "repeat_contact": "not resolved at first contact, back within {days} days",
}
#: The same rules in a word or two, for a list read at a glance at 1024 px (the sentences are kept beside it).
RULE_TAGS = {
    "low_nps": "NPS ≤ {nps}",
    "bottom_csat": "CSAT {csat}",
    "worst_effort": "effort {ces}",
    "slow_resolution": "slow",
    "repeat_contact": "back in {days} d",
}
FEATURE_COLUMNS = (
    "customer_id", "journey", "interactions", "scored", "first_at", "last_at", "mean", "worst", "best",
    "first", "end", "peak_end", "slope", "worst_to_end_steps", "worst_to_end_days", "incidents",
    "journey_class",
)
PREDICTORS = ("mean", "worst", "end", "peak_end")


def channel_p95(source: Source) -> pd.DataFrame:
    """The resolution-time bar of the "slow resolution" incident rule, per channel.

    Returns
    -------
    DataFrame
        ``channel``, ``p95_resolution_hours`` (95th percentile over the whole source, in hours).
    """
    frame = source.read(channel_p95_query(source).order_by("channel"))
    frame["p95_resolution_hours"] = pd.to_numeric(frame["p95_resolution_hours"]).astype(float)
    return frame


#: On DuckDB (the demo, a warehouse file: queries run in the app's own memory) the journeys of a
#: source with more customers than this are computed this many customers at a time. One window query
#: over 10 M interactions took DuckDB's whole 1 GB working memory (and two at once shared it, spilling);
#: a batch of 250,000 customers needs about a quarter. Server databases get one query.
JOURNEY_BATCH = 250_000
#: Backends whose ascending ORDER BY puts NULLs first.
NULLS_FIRST = ("sqlite", "mysql", "mariadb")


def customer_ranges(source: Source, size: int | None = None) -> list[IdRange | None]:
    """Ranges of customer ids of about ``size`` customers each that split every interaction into one batch.

    ``[None]`` (one query) on server databases and when the customers fit in one batch; an explicit
    ``size`` batches on any backend (the tests compare the batches with one query). The cuts are every
    ``size``-th customer id in the database's own order (from the customers table when there is one,
    else the interactions); the ranges are half-open, ids outside the customers table fall in the
    range around them, and rows without a customer id go with the first or last range (where the
    backend's ``ORDER BY`` puts NULLs), so the batches' rows in order are the one query's rows in order.
    """
    if size is None:
        if source.dialect != "duckdb":
            return [None]
        size = JOURNEY_BATCH
    ids = (source.customers.c.customer_id if source.customers is not None else source.interactions.c.customer_id)
    distinct = sa.select(ids.label("id")).where(ids.is_not(None)).distinct().subquery("ids")
    ranked = sa.select(distinct.c.id, sa.func.row_number().over(order_by=distinct.c.id).label("rn")).subquery("ranked_ids")
    cuts = [v for (v,) in source.read(sa.select(ranked.c.id).where((ranked.c.rn - 1) % int(size) == 0, ranked.c.rn > 1)
                                      .order_by(ranked.c.id)).itertuples(index=False, name=None)]
    if not cuts:
        return [None]
    bounds = [None, *cuts, None]
    nulls_first = source.dialect in NULLS_FIRST  # where ORDER BY puts NULLs: rows without an id go there
    return [IdRange(low, high, nulls=(low is None) if nulls_first else (high is None))
            for low, high in zip(bounds[:-1], bounds[1:])]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Batches' frames as one, column by column (each batch's column released once copied; ``frames`` is emptied)."""
    if len(frames) == 1:
        return frames.pop()
    columns = list(frames[0].columns)
    parts = list(frames)
    frames.clear()
    return pd.DataFrame({name: pd.concat([part.pop(name) for part in parts], ignore_index=True) for name in columns})


# --- public queries ------------------------------------------------------------------------------


def journey_features_query(source: Source, scope: Scope | None = None, rules: IncidentRules | None = None, *,
                           gap_days: float | None = None, end_last: int = 1, before: str | None = None,
                           customer_columns: Sequence[str] = (), within_scope: bool = False,
                           customer_id: str | None = None, customers_in=None) -> sa.Select:
    """The SQL of :func:`journey_features` (to run elsewhere, or to build on).

    ``within_scope=True``: the scope defines the journeys (e.g. a model's observation window, which
    must not see past its cut-off) instead of choosing which whole journeys are shown.
    ``customers_in`` (a list or a SELECT of customer ids) keeps those customers' journeys only: a
    journey is one customer's, so a batch of customers gets exactly its rows of the whole result.
    """
    rules = rules or source.rules
    if end_last < 1:
        raise ValueError("end_last must be at least 1")
    s, _ = journey_rows(source, scope, rules, gap_days=gap_days, before=before, within_scope=within_scope,
                        customer_id=customer_id, customers_in=customers_in)
    s = s.c
    # Least-squares slope of the index on the moment's rank. The ranks of the scored moments are
    # exactly 1..n, so their sum and sum of squares have closed forms and only Σ rank·index and
    # Σ index are aggregated: slope = 12 (Σxy − (n+1)/2 Σy) / (n (n² − 1)).
    n = as_float(sa.func.count(s.idx))
    sy, sxy = sa.func.sum(s.idx), sa.func.sum(as_float(s.srank) * s.idx)
    slope = sa.case((sa.func.count(s.idx) < 2, sa.null()),
                    else_=12.0 * (sxy - (n + 1.0) / 2.0 * sy) / (n * (n * n - 1.0)))
    is_last = sa.and_(s.idx.is_not(None), s.srank == s.n_scored)
    end_value = sa.func.avg(sa.case((end_moments(s, end_last), s.idx)))
    worst = sa.func.min(s.idx)
    worst_rank = sa.func.max(sa.case((s.idx == s.worst, s.srank)))
    worst_at = sa.func.max(sa.case((s.idx == s.worst, s.at)))
    end_at = sa.func.max(sa.case((is_last, s.at)))
    n_incidents = sa.func.sum(s.incident)
    upto_last_incident = sa.func.max(sa.case((s.incident == 1, s.scored_upto)))
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
        ((EpochSeconds(end_at) - EpochSeconds(worst_at)) / 86400.0).label("worst_to_end_days"),
        n_incidents.label("incidents"),
        journey_class_expr(n_incidents, end_value, sa.func.max(s.n_scored), upto_last_incident, rules).label("journey_class"),
    ).where(s.journey_in_scope == 1).group_by(s.customer_id, s.journey).subquery("features")
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


def journey_features(source: Source, scope: Scope | None = None, rules: IncidentRules | None = None, *,
                     gap_days: float | None = None, end_last: int = 1, before: str | None = None,
                     customer_columns: Sequence[str] = (), customer_id: str | None = None,
                     batch: int | None = None) -> pd.DataFrame:
    """Peak-end features of every journey, computed in the database (one query, or batches of customers on DuckDB).

    Parameters
    ----------
    source : Source
        Where the interactions (and customers) live.
    scope : Scope, optional
        Date range, channels, stages and segments: which journeys are shown (those with at least one
        interaction in scope). Each journey is computed over the customer's whole history, so a
        journey's features never depend on the filters (one truth across pages and filters).
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
    customer_id : str, optional
        Only this customer's journeys (the same numbers as their rows among everyone's).

    Returns
    -------
    DataFrame
        One row per journey, ordered by customer and journey, with the columns of
        :data:`FEATURE_COLUMNS` (see the module docstring) followed by ``customer_columns``.
        Index features are on 0–100; a journey without any score has NULL index features.

    Examples
    --------
    >>> from cx.db import demo_source
    >>> features = journey_features(demo_source(), customer_columns=["churned"])  # doctest: +SKIP
    >>> features[["worst", "end", "peak_end", "journey_class"]].head()  # doctest: +SKIP
    """
    batches = [None] if customer_id is not None else customer_ranges(source, batch)
    frames = []
    for customers in batches:  # on DuckDB, 250,000 customers at a time (JOURNEY_BATCH): a quarter of the memory
        query = journey_features_query(source, scope, rules, gap_days=gap_days, end_last=end_last, before=before,
                                       customer_columns=customer_columns, customer_id=customer_id,
                                       customers_in=customers)
        frames.append(_typed_features(source.read(query)))
    return _concat(frames)


def _typed_features(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("mean", "worst", "best", "first", "end", "peak_end", "slope", "worst_to_end_days"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("journey", "interactions", "scored", "incidents"):
        frame[name] = pd.to_numeric(frame[name]).astype("int64")
    frame["worst_to_end_steps"] = pd.to_numeric(frame["worst_to_end_steps"]).astype("Int64")
    for name in ("first_at", "last_at"):
        frame[name] = pd.to_datetime(frame[name])
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def outcome_columns(source: Source) -> list[str]:
    """Customer columns that can serve as an outcome here: yes/no or numeric (:func:`cx.outcomes.outcome_candidates`)."""
    return outcome_candidates(source, numeric=True)


def journey_outcomes(source: Source, outcome_column: str, scope: Scope | None = None,
                     rules: IncidentRules | None = None, **options) -> pd.DataFrame:
    """:func:`journey_features` with an outcome column joined, ready for :func:`compare_predictors`.

    For ``churned`` the journeys are cut at ``customers.churned_at`` when the source has it, so
    that nothing after a customer left feeds the features that are meant to explain the leaving.

    Parameters
    ----------
    source, filters, rules
        As in :func:`journey_features`; further keyword options are passed on to it.
    outcome_column : str
        A customer column (see :func:`outcome_columns`).

    Returns
    -------
    DataFrame
        The features plus ``outcome_column``.
    """
    if source.customers is None:
        raise ValueError("this source has no customers table, so there is no outcome to compare with")
    if outcome_column not in source.customers.c:
        raise ValueError(f"no customer column {outcome_column!r}; available: {', '.join(outcome_columns(source)) or 'none'}")
    before = options.pop("before", None)
    if before is None and outcome_column == "churned" and source.has("customers.churned_at"):
        before = "churned_at"
    return journey_features(source, scope, rules, before=before, customer_columns=[outcome_column], **options)


def _incident_reasons(frame: pd.DataFrame, flag_names: Sequence[str], rules: IncidentRules, scales: Scales) -> pd.Series:
    labels = rule_labels(rules, scales)
    flags = frame[list(flag_names)].fillna(0).astype(int).to_numpy()
    texts = ["; ".join(labels[name] for name, on in zip(flag_names, row) if on) for row in flags]
    return pd.Series(texts, index=frame.index, dtype=object)


def short_reasons(reasons: pd.Series, rules: IncidentRules, scales: Scales = Scales()) -> pd.Series:
    """An incident list's ``reasons`` (the rules' sentences, "; " between them) in a word or two each, " · "
    between them: "NPS ≤ 2 · CSAT 1 · slow". A sentence that is no rule's is kept whole."""
    long = rule_labels(rules, scales)
    tags = {long[name]: tag for name, tag in rule_labels(rules, scales, short=True).items()}

    def shorten(text):
        if not isinstance(text, str) or not text:
            return text
        return " · ".join(tags.get(part, part) for part in text.split("; "))

    return reasons.map(shorten)


def rule_tags_help(rules: IncidentRules, scales: Scales = Scales()) -> str:
    """What each short tag of :func:`short_reasons` stands for, as a column's help: "NPS ≤ 2: NPS at or below 2; …"."""
    long = rule_labels(rules, scales)
    return "; ".join(f"{tag}: {long[name]}" for name, tag in rule_labels(rules, scales, short=True).items())


def rule_labels(rules: IncidentRules, scales: Scales = Scales(), short: bool = False) -> dict[str, str]:
    """Plain-language text of each incident rule, as shown beside an incident (``short``: a word or two,
    :data:`RULE_TAGS`).

    Returns
    -------
    dict
        Rule flag column → sentence, for the rules that are switched on.
    """
    text = {
        name: template.format(nps=rules.nps_at_most, csat=f"{scales.csat.worst:g}", ces=f"{scales.ces.worst:g}",
                              days=rules.repeat_contact_days)
        for name, template in (RULE_TAGS if short else RULE_LABELS).items()
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
    end_value = sa.func.avg(sa.case((end_moments(s, end_last), s.idx))).over(**partition)
    is_last = sa.and_(s.idx.is_not(None), s.srank == s.n_scored)
    n_incidents = sa.func.sum(s.incident).over(**partition)
    upto_last_incident = sa.func.max(sa.case((s.incident == 1, s.scored_upto))).over(**partition)
    return [
        sa.case((sa.and_(s.idx.is_not(None), s.idx == s.worst), 1), else_=0).label("is_worst"),
        sa.case((is_last, 1), else_=0).label("is_end"),
        end_value.label("journey_end"),
        journey_class_expr(n_incidents, end_value, s.n_scored, upto_last_incident, rules).label("journey_class"),
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


def incidents(source: Source, scope: Scope | None = None, rules: IncidentRules | None = None, *,
              sort: str = "severity", limit: int = 500, classes: Sequence[str] = (),
              kinds: Sequence[str] = (), gap_days: float | None = None, end_last: int = 1,
              batch: int | None = None) -> pd.DataFrame:
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
    batch : int, optional
        Customers per ranking query (:func:`customer_ranges`): by default batches of
        :data:`JOURNEY_BATCH` on DuckDB, one query elsewhere; the same list either way.

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

    def ranked(rows):
        """The incidents of ``rows`` with their journey values, filtered and in the asked order."""
        inner = sa.select(*rows.c, *_journey_windows(rows.c, end_last, rules)).subquery("journeys")
        j = inner.c
        conditions = [j.incident == 1, j.in_scope == 1]  # in scope: the filters choose what is shown
        if classes:
            conditions.append(j.journey_class.in_(list(classes)))
        if kinds:
            chosen = [k for k in kinds if k in flag_names]
            conditions.append(sa.or_(*[j[k] == 1 for k in chosen]) if chosen else sa.false())
        if sort == "severity":
            order = [j.severity.desc(), sa.func.coalesce(j.idx, 101.0), nulls_last_key(j.at), j.at.desc(),
                     j.customer_id, j.pos.desc()]
        else:
            order = [nulls_last_key(j.at), j.at.desc(), j.severity.desc(), j.customer_id, j.pos.desc()]
        return j, conditions, order

    # 1. rank every incident on narrow rows (no text carried through the windows) and keep the
    #    customers of the first `limit`; 2. redo it with all the detail for those customers only —
    #    windows partition by customer, so their rows come out exactly as in step 1.
    #    On DuckDB the first step runs per batch of customers (customer_ranges): the customers of each
    #    batch's first `limit` include those of the overall first `limit`, and step 2 orders and cuts
    #    their rows again, so the list is the same.
    customers: set[str] = set()
    for batch_ids in customer_ranges(source, batch):
        narrow, flag_names = journey_rows(source, scope, rules, gap_days=gap_days, detail=(), customers_in=batch_ids)
        j, conditions, order = ranked(narrow)
        top = source.read(sa.select(j.customer_id).where(*conditions).order_by(*order).limit(int(limit)))
        customers |= {str(c) for c in top["customer_id"]}
    # two queries rather than one nested in the other: SQLite's parser stack overflows on the nesting
    customers = sorted(customers)
    wide, _ = journey_rows(source, scope, rules, gap_days=gap_days, detail=_DETAIL, customers_in=customers)
    j, conditions, order = ranked(wide)
    query = sa.select(
        j.customer_id, j.journey, sa.type_coerce(j.at, sa.DateTime()).label("occurred_at"), j.seq,
        *[j[name] for name in _DETAIL if name != "occurred_at"], j.idx.label("index"), j.severity,
        j.is_worst, j.is_end, j.journey_end, j.journey_class, *[j[name] for name in flag_names],
    ).where(*conditions).order_by(*order).limit(int(limit))
    frame = _tidy_rows(source.read(query), flag_names, rules, source.scales)
    front = ["customer_id", "journey", "occurred_at", "seq", "channel", "journey_stage", "touchpoint", "nps",
             "csat", "ces", "resolution_hours", "resolved_first_contact", "index", "severity", "reasons",
             "is_worst", "is_end", "journey_end", "journey_class", "comment"]
    return frame[front + list(flag_names)]


def incident_counts(source: Source, scope: Scope | None = None, rules: IncidentRules | None = None, *,
                    gap_days: float | None = None, end_last: int = 1) -> tuple[int, int]:
    """How many incidents :func:`incidents` would list with no LIMIT, and how many of their journeys
    end unrecovered: the counts behind a list that is cut (one aggregate over the same rows)."""
    rules = rules or source.rules
    narrow, _ = journey_rows(source, scope, rules, gap_days=gap_days, detail=())
    j = sa.select(*narrow.c, *_journey_windows(narrow.c, end_last, rules)).subquery("journeys").c
    per_journey = (sa.select(sa.func.count().label("n"), sa.func.max(j.journey_class).label("journey_class"))
                   .where(j.incident == 1, j.in_scope == 1).group_by(j.customer_id, j.journey).subquery("per_journey"))
    unrecovered = sa.case((per_journey.c.journey_class == "unrecovered", 1), else_=0)
    found = source.read(sa.select(sa.func.coalesce(sa.func.sum(per_journey.c.n), 0).label("incidents"),
                                  sa.func.coalesce(sa.func.sum(unrecovered), 0).label("unrecovered")),
                        "counting the critical incidents failed")
    return int(found["incidents"].iloc[0]), int(found["unrecovered"].iloc[0])


def customer_timeline(source: Source, customer_id: str, scope: Scope | None = None,
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
    s, flag_names = journey_rows(source, scope, rules, gap_days=gap_days, customer_id=str(customer_id), detail=_DETAIL)
    s = s.c
    inner = sa.select(*s, *_journey_windows(s, end_last, rules)).subquery("journeys")
    j = inner.c
    query = sa.select(
        j.customer_id, j.journey, j.pos.label("position"), sa.type_coerce(j.at, sa.DateTime()).label("occurred_at"),
        j.seq, *[j[name] for name in _DETAIL if name != "occurred_at"], j.idx.label("index"), j.incident,
        j.severity, j.is_worst, j.is_end, j.journey_end, j.journey_class, *[j[name] for name in flag_names],
    ).where(j.journey_in_scope == 1).order_by(j.pos).limit(int(limit))
    frame = _tidy_rows(source.read(query), flag_names, rules, source.scales)
    frame["incident"] = frame["incident"].astype(int).astype(bool)
    frame["position"] = frame["position"].astype(int)
    front = ["customer_id", "journey", "position", "occurred_at", "seq", "channel", "journey_stage", "touchpoint",
             "nps", "csat", "ces", "resolution_hours", "resolved_first_contact", "index", "incident", "severity",
             "reasons", "is_worst", "is_end", "journey_end", "journey_class", "comment"]
    return frame[front + list(flag_names)]


# --- reading -------------------------------------------------------------------------------------


# the stats half of the peak-end analysis lives in cx/peak_end.py; re-exported for one import
from cx.journeys.peak_end import (  # noqa: E402
    PredictorComparison,
    compare_predictors,
    outcome_by_class,
    summarize_journeys,
)

__all__ = [
    "JOURNEY_BATCH",
    "customer_ranges",
    "incident_counts",
    "CLASSES",
    "FEATURE_COLUMNS",
    "PREDICTORS",
    "PredictorComparison",
    "RULE_LABELS",
    "RULE_TAGS",
    "channel_p95",
    "compare_predictors",
    "customer_timeline",
    "experience_index",
    "incidents",
    "journey_features",
    "journey_features_query",
    "journey_outcomes",
    "outcome_columns",
    "outcome_by_class",
    "rule_labels",
    "rule_tags_help",
    "short_reasons",
    "summarize_journeys",
]
