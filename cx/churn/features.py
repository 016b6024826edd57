"""Per-customer features for the churn model, built in the database, with no peeking past the outcome.

One SQLAlchemy Core query returns one row per customer: the journey features of
:mod:`cx.journeys` (mean, worst, best, first and end experience index, slope, incident count and
recovery class), plus mean NPS / CSAT / CES, median resolution and first-response time, the share
resolved at first contact, contact counts per channel and the mean index per touchpoint, joined to
the customer table (outcome, lifetime value, attributes). Only those per-customer rows cross the wire.

The cut-off rule (leakage)
--------------------------
A model that sees what happened *after* a customer left learns the leaving, not its causes (a
"sorry to see you go" survey scores terribly). :class:`CutoffRule` says which interactions count:

- ``before_outcome`` (default): for customers who churned, only interactions before their
  ``churned_at``; everyone else's whole history. Undated interactions are kept (nothing says they
  came later), as in :func:`cx.journeys.journey_features`.
- ``window``: features from an observation window ending at a cut-off date, outcome = churned in
  the ``horizon_days`` after it, among customers still active at the cut-off. The prospective
  design: the model answers "who will leave in the next 90 days" with nothing from the future.
- ``none``: every interaction (customer-level files without dates; other outcome columns).

The rule in force is always stated (:attr:`FeatureTable.rule_text`).

Columns that restate the outcome
--------------------------------
An account status, a churn reason, or a score some other system computed *from* the outcome
predict it perfectly and explain nothing. :func:`restating_columns` finds them by name and by a
single column predicting the outcome almost perfectly (ROC AUC ≥ 0.98 from its values or from
whether it is missing); the model leaves them out unless asked, and the page names them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx import journeys
from cx.db.dialects import as_float, count_where, percentile_cont, ranked
from cx.db.source import Source
from cx.db.where import segment_filter
from cx.journeys.sql import experience_index, scoped_interactions
from cx.schema import IncidentRules
from cx.scope import Scope

#: Human labels of the model's features (touchpoint features are labelled on the fly).
FEATURE_LABELS: dict[str, str] = {
    "mean_nps": "Mean NPS (0–10)",
    "mean_csat": "Mean CSAT",
    "mean_ces": "Mean effort (CES)",
    "mean_index": "Mean experience index",
    "worst_index": "Worst moment (index)",
    "end_index": "End of journey (index)",
    "peak_end_index": "Peak-end (index)",
    "best_index": "Best moment (index)",
    "first_index": "First moment (index)",
    "slope": "Trend (index points per moment)",
    "incidents": "Critical incidents",
    "recovery": "Incident recovery",
    "contacts": "Contacts",
    "recency_days": "Days since last contact",
    "tenure_days": "Tenure (days)",
    "median_resolution_hours": "Median resolution time (h)",
    "median_first_response_minutes": "Median first response (min)",
    "fcr_share": "Resolved at first contact (share)",
}
MEAN_SCORES = ("mean_nps", "mean_csat", "mean_ces", "mean_index")
PEAK_END = ("worst_index", "end_index")
JOURNEY = ("mean_index", "worst_index", "best_index", "first_index", "end_index", "slope", "incidents", "recovery",
           "contacts", "recency_days", "tenure_days")
SERVICE = ("median_resolution_hours", "median_first_response_minutes", "fcr_share")
CATEGORICAL_FEATURES = ("recovery",)
#: Reference level first: odds ratios of the other classes are against it.
RECOVERY_LEVELS = ("clean", "recovered", "unrecovered")

TOUCHPOINT_PREFIX = "tp: "
CHANNEL_PREFIX = "contacts via "

_RESTATING_NAME = re.compile(
    r"status|reason|cancel|churn|attrition|terminat|closed|closure|exit|lost|left|leav|retain|retention|"
    r"inactive|deactivat|outcome|label|target|winback|win_back|save_offer|disconnect",
    re.IGNORECASE,
)
_TRUE = {"true", "t", "yes", "y", "1", "1.0", "churned", "left", "lost", "cancelled", "canceled"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "active", "retained", "stayed", "kept"}


class FeatureError(ValueError):
    """The features cannot be built as asked (no customers table, unknown outcome, ...)."""


@dataclass(frozen=True)
class CutoffRule:
    """Which interactions may inform the features (see the module docstring).

    Parameters
    ----------
    kind : {"before_outcome", "window", "none"}
        ``before_outcome`` cuts each churned customer's history at ``churned_at``.
    cutoff : date, optional
        ``window`` only: the day the observation window ends (exclusive). Default: ``horizon_days``
        before the last interaction, so that the horizon fits inside the data.
    horizon_days : int
        ``window`` only: an outcome is a churn within this many days after the cut-off.
    observation_days : int, optional
        ``window`` only: how far back before the cut-off interactions count (default: all).
    """

    kind: str = "before_outcome"
    cutoff: dt.date | None = None
    horizon_days: int = 90
    observation_days: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("before_outcome", "window", "none"):
            raise ValueError(f"unknown cut-off rule {self.kind!r}: use before_outcome, window or none")
        if self.horizon_days < 1:
            raise ValueError("the outcome horizon must be at least one day")
        if self.observation_days is not None and self.observation_days < 1:
            raise ValueError("the observation window must be at least one day")
        if isinstance(self.cutoff, str):
            object.__setattr__(self, "cutoff", dt.date.fromisoformat(self.cutoff))


@dataclass(frozen=True)
class FeatureTable:
    """Per-customer features, outcome and context, as returned by :func:`churn_features`.

    Attributes
    ----------
    frame : DataFrame
        One row per customer: ``customer_id``, ``outcome`` (0/1), the feature columns,
        ``lifetime_value``, ``segment``, ``churned``, ``last_at`` and contact counts per channel.
    outcome : str
        The customer column modelled.
    features : tuple of str
        Experience features available (non-empty columns), the model's default inputs.
    attributes : tuple of str
        Customer attributes that may join the model when the user picks them.
    groups : dict
        Feature-set name → features, for the "which measures matter" comparison.
    labels : dict
        Column → label for people.
    rule : CutoffRule
        The rule in force (after falling back, e.g. to ``none`` for undated data).
    rule_text : str
        One sentence stating that rule.
    as_of : Timestamp or None
        The end of the data (or the window's cut-off).
    notes : tuple of str
        Things the user should know (rows left out and why).
    """

    frame: pd.DataFrame
    outcome: str
    features: tuple[str, ...]
    attributes: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    rule: CutoffRule
    rule_text: str
    as_of: pd.Timestamp | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def channels(self) -> tuple[str, ...]:
        """Channels with a contact-count column (for what-if targeting)."""
        return tuple(c[len(CHANNEL_PREFIX):] for c in self.frame.columns if c.startswith(CHANNEL_PREFIX))


# --- outcomes ------------------------------------------------------------------------------------


def parse_outcome(values: pd.Series, name: str = "outcome") -> pd.Series:
    """Read a yes/no column (bool, 0/1, or text such as "yes"/"churned") as a nullable 0/1 series.

    Raises
    ------
    FeatureError
        When the column holds anything else (more than two numbers, free text).
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean").astype("Int64")
    if pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        seen = set(numbers.dropna().unique().tolist())
        if seen <= {0, 1}:
            return numbers.astype("Int64")
        raise FeatureError(f"{name} is not a yes/no column (values such as {sorted(seen)[:5]})")
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v).strip().lower())
    unknown = sorted({v for v in text.dropna().unique() if v not in _TRUE and v not in _FALSE})
    if unknown:
        raise FeatureError(f"{name} is not a yes/no column (values such as {', '.join(map(repr, unknown[:4]))})")
    return text.map(lambda v: None if v is None else int(v in _TRUE)).astype("Int64")


def outcome_candidates(source: Source) -> list[str]:
    """Customer columns that can be modelled as a yes/no outcome (``churned`` first).

    One aggregate query counts the distinct values of every customer column.
    """
    c = source.customers
    if c is None:
        return []
    names = [n for n in c.c.keys() if n not in ("customer_id", "signup_at", "churned_at", "lifetime_value")]
    names = [n for n in names if n == "churned" or n in source.customer_attributes or source.has(f"customers.{n}")]
    if not names:
        return []
    row = source.read(sa.select(*[sa.func.count(sa.distinct(c.c[n])).label(f"d{k}") for k, n in enumerate(names)])).iloc[0]
    # churned stays a candidate with one value, so that the model can say why it cannot be fitted
    two = [n for k, n in enumerate(names) if int(row[f"d{k}"]) == 2 or (n == "churned" and int(row[f"d{k}"]) == 1)]
    out = []
    for name in two:
        sample = source.read(sa.select(c.c[name]).where(c.c[name].is_not(None)).distinct().limit(3))[name]
        try:
            parse_outcome(sample, name)
        except FeatureError:
            continue
        out.append(name)
    return sorted(out, key=lambda n: (n != "churned", n))


# --- the query -----------------------------------------------------------------------------------


def _top_values(source: Source, frm, conditions, column: str, limit: int, min_count: int, scored: bool) -> list[str]:
    i = source.interactions
    counted = experience_index(i.c, source.scales) if scored else sa.literal_column("1")
    query = (sa.select(i.c[column].label("value"), sa.func.count(counted).label("n"))
             .select_from(frm).where(*conditions, i.c[column].is_not(None))
             .group_by(i.c[column]).order_by(sa.desc("n"), i.c[column]).limit(limit))
    frame = source.read(query)
    return [str(v) for v, n in zip(frame["value"], frame["n"]) if int(n) >= min_count]


def _service_query(source: Source, frm, conditions, touchpoints: Sequence[str], channels: Sequence[str]):
    """Per customer: mean scores, FCR share, mean index per touchpoint, contacts per channel."""
    i = source.interactions
    idx = experience_index(i.c, source.scales)
    fcr = i.c.resolved_first_contact
    columns = [
        i.c.customer_id.label("customer_id"),
        sa.func.avg(as_float(i.c.nps)).label("mean_nps"),
        sa.func.avg(as_float(i.c.csat)).label("mean_csat"),
        sa.func.avg(as_float(i.c.ces)).label("mean_ces"),
        (as_float(count_where(fcr == sa.true())) / sa.func.nullif(sa.func.count(fcr), 0)).label("fcr_share"),
        *[sa.func.avg(sa.case((i.c.touchpoint == tp, idx))).label(f"tp{k}") for k, tp in enumerate(touchpoints)],
        *[count_where(i.c.channel == ch).label(f"ch{k}") for k, ch in enumerate(channels)],
    ]
    return sa.select(*columns).select_from(frm).where(*conditions).group_by(i.c.customer_id).subquery("service")


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
                   scope: Scope | None = None, rules: IncidentRules | None = None, *,
                   touchpoints: int | Sequence[str] = 10, channels: int = 8, min_touchpoint_n: int = 30,
                   as_of_now: bool = False) -> FeatureTable:
    """Build one row of features per customer in the database.

    Parameters
    ----------
    source : Source
        Needs a customers table (the outcome lives there).
    outcome : str
        A yes/no customer column; ``churned`` by default (see :func:`outcome_candidates`).
    rule : CutoffRule, optional
        Which interactions may inform the features; default ``before_outcome``.
    scope : Scope, optional
        Dates, channels and stages restrict the interactions counted; segments the customers.
    rules : IncidentRules, optional
        Critical-incident rules (default: the source's).
    touchpoints, channels : int
        How many of the most frequent touchpoints get a mean-index feature, and channels a
        contact count. ``touchpoints`` may also name them (to score new data with the columns a
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
    notes: list[str] = []

    scope_filters = scope
    if rule.kind == "window":
        cutoff = rule.cutoff
        last_day = cutoff - dt.timedelta(days=1)
        first_day = cutoff - dt.timedelta(days=rule.observation_days) if rule.observation_days else None
        if scope.date_from and (first_day is None or scope.date_from > first_day):
            first_day = scope.date_from
        if scope.date_to and scope.date_to < last_day:
            last_day = scope.date_to
        scope_filters = replace(scope, date_from=first_day, date_to=last_day) if (first_day is None or first_day <= last_day) else scope
    before = "churned_at" if rule.kind == "before_outcome" else None

    frm, conditions = scoped_interactions(source, scope_filters, before)
    if not isinstance(touchpoints, int):
        top_tp = [str(t) for t in touchpoints]
    elif source.has("touchpoint"):
        top_tp = _top_values(source, frm, conditions, "touchpoint", touchpoints, min_touchpoint_n, scored=True)
    else:
        top_tp = []
    top_ch = _top_values(source, frm, conditions, "channel", channels, 1, scored=False) if source.has("channel") else []

    jq = journeys.journey_features_query(source, scope_filters, rules, before=before).order_by(None).subquery("journey")
    service = _service_query(source, frm, conditions, top_tp, top_ch)
    medians = [_median_query(source, frm, conditions, col, name)
               for col, name in (("resolution_hours", "median_resolution_hours"),
                                 ("first_response_minutes", "median_first_response_minutes")) if source.has(col)]
    attributes = [a for a in ("segment", "region", *source.customer_attributes)
                  if a in c.c and a != outcome and a not in ("churned", "churned_at")]
    wanted = list(dict.fromkeys(["customer_id", outcome, "churned", "churned_at", "signup_at", "lifetime_value", *attributes]))
    cust_cols = [c.c[n].label(f"c_{k}") for k, n in enumerate(wanted)]
    j = jq.c
    query = sa.select(
        *cust_cols,
        j.interactions.label("contacts"), j["mean"].label("mean_index"), j.worst.label("worst_index"),
        j.best.label("best_index"), j["first"].label("first_index"), j.end.label("end_index"),
        j.peak_end.label("peak_end_index"), j.slope, j.incidents, j.journey_class.label("recovery"),
        j.last_at, *[col for col in service.c if col.key != "customer_id"],
        *[m.c[m.name] for m in medians],
    )
    frm_all = c.outerjoin(jq, jq.c.customer_id == c.c.customer_id).outerjoin(service, service.c.customer_id == c.c.customer_id)
    for m in medians:
        frm_all = frm_all.outerjoin(m, m.c.customer_id == c.c.customer_id)
    where = segment_filter(c, scope)
    if as_of_now:
        where.append(sa.or_(c.c.churned.is_(None), c.c.churned == sa.false()))
    elif rule.kind == "window":
        start = sa.literal(dt.datetime.combine(rule.cutoff, dt.time()), sa.DateTime())
        where += [sa.or_(c.c.signup_at.is_(None), c.c.signup_at < start),
                  sa.or_(c.c.churned_at.is_(None), c.c.churned_at >= start)]
    frame = source.read(query.select_from(frm_all).where(*where))
    frame = frame.rename(columns={f"c_{k}": n for k, n in enumerate(wanted)})
    frame = frame.rename(columns={f"tp{k}": f"{TOUCHPOINT_PREFIX}{tp}" for k, tp in enumerate(top_tp)})
    frame = frame.rename(columns={f"ch{k}": f"{CHANNEL_PREFIX}{ch}" for k, ch in enumerate(top_ch)})
    frame = frame.loc[:, ~frame.columns.duplicated()].copy()
    return _finish(frame, source, outcome, rule, rule_text, end, attributes, top_tp, notes, as_of_now)


def _to_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce").astype(float)


def _finish(frame, source, outcome, rule, rule_text, end, attributes, top_tp, notes, as_of_now) -> FeatureTable:
    frame["customer_id"] = frame["customer_id"].astype(str)
    for name in ("churned_at", "signup_at", "last_at"):
        frame[name] = pd.to_datetime(frame[name], errors="coerce")
    numeric = [n for n in frame.columns if n in FEATURE_LABELS and n not in CATEGORICAL_FEATURES]
    numeric += [n for n in frame.columns if n.startswith((TOUCHPOINT_PREFIX, CHANNEL_PREFIX))] + ["lifetime_value"]
    for name in numeric:
        frame[name] = _to_float(frame[name])
    frame["contacts"] = frame["contacts"].fillna(0.0)
    frame["incidents"] = frame["incidents"].fillna(0.0)
    for name in [n for n in frame.columns if n.startswith(CHANNEL_PREFIX)]:
        frame[name] = frame[name].fillna(0.0)
    frame["recovery"] = frame["recovery"].astype(object).where(frame["recovery"].notna(), "clean")
    churned = parse_outcome(frame["churned"], "churned") if frame["churned"].notna().any() else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame["churned"] = churned

    end_ts = end if end is not None else None
    if as_of_now:
        frame["outcome"] = 0
        as_of = pd.Series(end_ts, index=frame.index)
    elif rule.kind == "window":
        start = pd.Timestamp(rule.cutoff)
        stop = start + pd.Timedelta(days=rule.horizon_days)
        undated = (churned == 1) & frame["churned_at"].isna()
        if undated.any():
            notes.append(f"{int(undated.sum()):,} churned customers without a churn date were left out (their churn "
                         "cannot be placed before or after the cut-off).")
            frame = frame.loc[~undated].copy()
        frame["outcome"] = ((frame["churned_at"] >= start) & (frame["churned_at"] < stop)).astype(int)
        as_of = pd.Series(start, index=frame.index)
        if end_ts is not None and stop > end_ts + pd.Timedelta(days=1):
            notes.append(f"The data end on {end_ts:%Y-%m-%d}, before the horizon closes ({stop:%Y-%m-%d}): "
                         "recent churn is undercounted.")
    else:
        frame["outcome"] = parse_outcome(frame[outcome], outcome) if outcome != "churned" else frame["churned"]
        cut = frame["churned_at"].where(frame["churned"].fillna(0).astype(int) == 1) if rule.kind == "before_outcome" else None
        as_of = pd.Series(end_ts, index=frame.index, dtype="datetime64[us]") if end_ts is not None else pd.Series(pd.NaT, index=frame.index)
        if cut is not None:
            as_of = cut.fillna(as_of)
    missing = frame["outcome"].isna()
    if missing.any():
        notes.append(f"{int(missing.sum()):,} customers with no value in {outcome} were left out.")
        frame, as_of = frame.loc[~missing].copy(), as_of.loc[~missing]
    frame["outcome"] = frame["outcome"].astype(int)
    as_of = pd.to_datetime(as_of)
    # Recency needs a reference day that does not depend on the outcome: only the window rule (and
    # "now") has one. Measured to the churn date, or to the end of the data for customers who
    # stopped coming because they left, it would restate the churn. Tenure is measured to the same
    # day for everyone (the cut-off, or the end of the data): the account's age, not time-to-churn.
    common = pd.Series(pd.Timestamp(rule.cutoff) if rule.kind == "window" else end_ts, index=frame.index)
    if rule.kind == "window" or as_of_now:
        frame["recency_days"] = (as_of - frame["last_at"]).dt.total_seconds() / 86400.0
    else:
        frame["recency_days"] = np.nan
        notes.append("Days since last contact is left out: without a common cut-off day it would restate the "
                     "outcome (customers who left stopped getting in touch). The observation-window rule includes it.")
    frame["tenure_days"] = (pd.to_datetime(common) - frame["signup_at"]).dt.total_seconds() / 86400.0
    frame["tenure_days"] = frame["tenure_days"].where(frame["tenure_days"] >= 0)
    no_contact = int((frame["contacts"] == 0).sum())
    if no_contact:
        notes.append(f"{no_contact:,} customers have no interaction in scope: their experience features are missing "
                     "(the model sees that through missing-value indicators).")
    frame = frame.reset_index(drop=True)

    labels = dict(FEATURE_LABELS) | {f"{TOUCHPOINT_PREFIX}{tp}": f"{tp} (touchpoint index)" for tp in top_tp}
    labels |= {a: a.replace("_", " ").capitalize() for a in attributes}
    candidates = [*MEAN_SCORES, *PEAK_END, *JOURNEY, *SERVICE, *[f"{TOUCHPOINT_PREFIX}{tp}" for tp in top_tp]]
    candidates = list(dict.fromkeys(candidates))
    features = tuple(f for f in candidates if f in frame and _informative(frame[f]))
    groups = {
        "Mean scores only": tuple(f for f in MEAN_SCORES if f in features),
        "Peak-end": tuple(f for f in PEAK_END if f in features),
        "Touchpoint-level": tuple(f for f in features if f.startswith(TOUCHPOINT_PREFIX)),
        "Journey-level": tuple(f for f in JOURNEY if f in features),
        "All": features,
    }
    dropped = [labels[f] for f in candidates if f in frame and f not in features and f != "recency_days"]
    if dropped:
        notes.append(f"Left out as empty or constant: {', '.join(dropped)}.")
    return FeatureTable(frame=frame, outcome=outcome, features=features,
                        attributes=tuple(a for a in attributes if a in frame and _informative(frame[a])),
                        groups={k: v for k, v in groups.items() if v}, labels=labels, rule=rule, rule_text=rule_text,
                        as_of=end_ts if rule.kind != "window" else pd.Timestamp(rule.cutoff), notes=tuple(notes))


def _informative(values: pd.Series) -> bool:
    """Not empty and not constant (a constant column with some gaps still says something: the gaps)."""
    present = values.dropna()
    if present.empty:
        return False
    return present.nunique() > 1 or len(present) < len(values)


# --- columns that restate the outcome ------------------------------------------------------------


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC from ranks (the Mann–Whitney U statistic), ties counted half."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    pos = int(y.sum())
    neg = len(y) - pos
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def single_column_auc(values: pd.Series, y: np.ndarray) -> float:
    """How well one column alone separates the outcome: max(AUC, 1 − AUC) from its values or its gaps.

    Numbers are ranked as they are; text is replaced by its category's outcome rate. Whether a
    value is missing counts too (a churn date is missing exactly for those who stayed).
    """
    y = np.asarray(y, dtype=int)
    best = 0.5
    if len(np.unique(y)) < 2:
        return best
    missing = values.isna().to_numpy()
    if missing.any() and not missing.all():
        auc = _auc(y, missing.astype(float))
        best = max(best, auc, 1 - auc)
    present = ~missing
    yp = y[present]
    if present.sum() >= 10 and len(np.unique(yp)) == 2 and min(yp.sum(), len(yp) - yp.sum()) >= 5:
        v = values[present]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            score = pd.to_numeric(v, errors="coerce").astype(float).to_numpy()
        else:
            keys = v.astype(str).to_numpy()
            rates = pd.Series(yp).groupby(keys).transform("mean").to_numpy()
            if len(np.unique(keys)) > max(50, 0.2 * len(keys)):
                return best  # identifier-like text: its per-value "rate" is the outcome itself
            score = rates
        if np.isfinite(score).all() and np.ptp(score) > 0:
            auc = _auc(yp, score)
            best = max(best, auc, 1 - auc)
    return float(best)


def restating_columns(frame: pd.DataFrame, columns: Sequence[str], outcome: str = "outcome", *,
                      threshold: float = 0.98, names: bool = True, outcome_label: str | None = None) -> dict[str, str]:
    """Columns that merely restate the outcome, each with the reason.

    Parameters
    ----------
    frame : DataFrame
        Holds ``columns`` and the 0/1 ``outcome``.
    columns : sequence of str
        Candidates (features and attributes).
    threshold : float
        A single column whose AUC (see :func:`single_column_auc`) reaches this is flagged.
    names : bool
        Also flag columns named like a status, a reason or a churn flag (applied to customer
        attributes; the computed experience features have fixed names).
    outcome_label : str, optional
        How the reasons name the outcome (default: ``outcome``).

    Returns
    -------
    dict
        Column → plain-language reason, in the order of ``columns``.
    """
    y = frame[outcome].to_numpy()
    said = outcome_label or outcome
    out: dict[str, str] = {}
    for col in columns:
        if names and col not in FEATURE_LABELS and not col.startswith(TOUCHPOINT_PREFIX) and _RESTATING_NAME.search(col):
            out[col] = "its name says it records the outcome (a status, reason or churn field)"
            continue
        auc = single_column_auc(frame[col], y)
        if auc >= threshold:
            out[col] = (f"on its own it predicts {said} almost perfectly (AUC {auc:.3f}): it most likely "
                        "restates the outcome or was recorded after it")
    return out


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
    frame["worst_moment_index"] = _to_float(frame["worst_moment_index"])
    return frame


__all__ = [
    "CHANNEL_PREFIX",
    "CutoffRule",
    "FEATURE_LABELS",
    "FeatureError",
    "FeatureTable",
    "TOUCHPOINT_PREFIX",
    "churn_features",
    "moments",
    "outcome_candidates",
    "parse_outcome",
    "restating_columns",
    "single_column_auc",
]
