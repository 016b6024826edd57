"""Key drivers of a score: which channels, stages, touchpoints and service measures relate to NPS or CSAT.

Two designs, each one SQL query that returns one row per scored contact or per respondent,
LIMIT-bounded (the most recent rows; the sample is stated in :attr:`KeyDrivers.sample`):

- **per contact** (:func:`contact_drivers`): the score of each answered contact, coded with the
  metric's own definition (NPS: +100 promoter, 0 passive, −100 detractor, so the mean *is* the NPS;
  CSAT: 100 in the top two boxes, else 0), against its channel, journey stage, touchpoint (each one
  driver: a group of indicator columns) and service measures (first response and resolution time
  on a log scale, first-contact resolution), where they are known on enough of the rows.
- **per respondent** (:func:`respondent_drivers`): a wide survey's per-touchpoint ratings (each
  respondent's rating of each touchpoint, pivoted in SQL) against an overall verdict kept on the
  customer (``satisfied``, a 0–10 score…), as in a classic key-driver survey.

Importance is the Shapley split of the linear model's R² (:mod:`cx.drivers.shapley`), with
percentile bootstrap intervals (per contact, whole customers are resampled: one customer's several
answers are not independent); the importances sum to R². Performance, for the focus-areas chart,
is how well each driver does today on a 0–100 scale: the share in the top two boxes for a rating,
the share resolved at first contact, the share answered or resolved within :data:`TARGETS`, and
for a channel / stage / touchpoint the score of its weakest level (NPS rescaled to 0–100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import as_float, as_int
from cx.db.source import Source
from cx.db.where import interaction_filters, segment_filter
from cx.drivers.shapley import MAX_DRIVERS, importance
from cx.metrics.query import counted
from cx.metrics.registry import Metric, MetricError, lookup
from cx.outcomes import OutcomeError, outcome_values
from cx.scope import Scope

DEFAULT_LIMIT = 20_000
CATEGORIES = ("channel", "journey_stage", "touchpoint")
MEASURES = ("first_response_minutes", "resolution_hours", "resolved_first_contact")
TARGETS = {"first_response_minutes": 60.0, "resolution_hours": 24.0}
LABELS = {"channel": "channel", "journey_stage": "journey stage", "touchpoint": "touchpoint",
          "first_response_minutes": "first response time", "resolution_hours": "resolution time",
          "resolved_first_contact": "first-contact resolution"}
MIN_KNOWN = 0.3       # a service measure is a driver when known on at least this share of scored rows
MIN_LEVEL_SHARE = 0.01  # rarer levels of a category join its reference level
MIN_ROWS = 30


class DriversError(ValueError):
    """Key drivers cannot be computed as asked (metric, columns, too few rows); safe to show."""


@dataclass(frozen=True)
class KeyDrivers:
    """Relative importance of the drivers of a score.

    Attributes
    ----------
    metric : str
        The score explained (``nps`` or ``csat``), or the outcome column in the per-respondent design.
    r2, r2_low, r2_high : float
        Share of the score's variance the drivers explain together, with its bootstrap interval.
    table : DataFrame
        One row per driver, most important first: ``driver``, ``kind`` (category, measure, rating),
        ``importance`` (share of R², summing to ``r2``), ``ci_low``, ``ci_high``, ``share`` (of R²,
        percent), ``performance`` (0–100) and ``performance_means`` (what the number is).
    n : int
        Rows analysed (every driver known).
    sample : str
        Which rows were read, in words.
    design : str
        ``contact`` or ``respondent``.
    """

    metric: str
    r2: float
    r2_low: float
    r2_high: float
    table: pd.DataFrame
    n: int
    sample: str
    design: str
    notes: tuple[str, ...] = field(default=())

    def record(self) -> dict:
        """The JSON of ``cx drivers``: ``{"metric", "r2", "drivers": [{"driver", "importance", "ci_low", "ci_high", "performance"}]}``."""
        def number(x):
            return None if x != x else float(round(float(x), 6))
        return {"metric": self.metric, "r2": number(self.r2), "drivers": [
            {"driver": row.driver, "importance": number(row.importance), "ci_low": number(row.ci_low),
             "ci_high": number(row.ci_high), "performance": number(row.performance)}
            for row in self.table.itertuples()]}


# --- the design matrix, built in SQL ----------------------------------------------------------


def _score_metric(source: Source, metric: str | Metric) -> Metric:
    m = lookup(metric, source.scales)
    if not m.explained:
        raise DriversError(f"key drivers explain NPS or CSAT, not {m.label}")
    if not source.has(m.column):
        raise DriversError(f"these data have no {m.label} answers ({m.column} is not mapped)")
    return m


def row_score(source: Source, m: Metric):
    """The metric's own per-row coding, whose mean is the metric (NPS ±100/0; CSAT 100 in the top two boxes)."""
    return 100 * m.score(source.interactions.c[m.column])


def _scoped(source: Source, scope: Scope, m: Metric) -> tuple[sa.FromClause, list]:
    i, c = source.interactions, source.customers
    where = interaction_filters(i, scope) + [counted(source, m)]
    base = i
    if scope.segments and c is not None:
        base = i.outerjoin(c, c.c.customer_id == i.c.customer_id)
        where += segment_filter(c, scope, rows=i)  # a contact's own segment
    return base, where


def contact_query(source: Source, metric: str | Metric, scope: Scope | None = None,
                  limit: int = DEFAULT_LIMIT) -> sa.Select:
    """One row per scored contact (the ``limit`` most recent): ``score`` and every candidate driver column."""
    m = _score_metric(source, metric)
    i = source.interactions
    base, where = _scoped(source, scope or Scope(), m)
    columns = [row_score(source, m).label("score"), i.c.customer_id.label("customer_id")]
    columns += [i.c[c].label(c) for c in CATEGORIES if source.has(c)]
    columns += [as_float(i.c[c]).label(c) for c in MEASURES[:2] if source.has(c)]
    if source.has("resolved_first_contact"):
        columns.append(as_int(i.c.resolved_first_contact).label("resolved_first_contact"))
    undated = sa.case((i.c.occurred_at.is_(None), 1), else_=0)
    order = [undated, i.c.occurred_at.desc(), i.c.customer_id] if source.has("occurred_at") else [i.c.customer_id]
    return sa.select(*columns).select_from(base).where(*where).order_by(*order).limit(int(limit))


def _levels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """A category's values as text ("(missing)" for none) and the levels kept as indicator columns."""
    text = values.astype(object).where(values.notna(), "(missing)").astype(str)
    shares = text.value_counts(normalize=True)
    common = shares[shares >= MIN_LEVEL_SHARE]
    reference = common.index[0] if len(common) else None  # the most frequent level is the reference
    return text, [lv for lv in common.index if lv != reference]


def _slowest(rows: pd.DataFrame, col: str, unit: str) -> str:
    """"; slowest channel: email (median 41 hours)" when the rows have channels to compare."""
    if "channel" not in rows:
        return ""
    medians = rows.groupby(rows["channel"].astype(object).where(rows["channel"].notna(), "(missing)"))[col]
    medians = medians.agg(["median", "size"])
    medians = medians[medians["size"] >= MIN_ROWS]
    if len(medians) < 2:
        return ""
    slowest = medians["median"].idxmax()
    return f"; slowest channel: {slowest} (median {medians.loc[slowest, 'median']:.3g} {unit})"


def _contact_design(raw: pd.DataFrame, m: Metric) -> tuple[pd.DataFrame, dict[str, list[str]], dict, list[str]]:
    """Indicator and numeric columns from the rows; drivers as groups of columns; performance per driver."""
    notes: list[str] = []
    rows = raw.copy()
    rows["score"] = pd.to_numeric(rows["score"], errors="coerce").astype(float)
    measures = []
    for col in MEASURES:
        if col not in rows:
            continue
        values = pd.to_numeric(rows[col], errors="coerce").astype(float)
        if col in TARGETS:
            values = values.where(values >= 0)
        known = values.notna().mean() if len(values) else 0.0
        if known >= MIN_KNOWN:
            rows[col] = values
            measures.append(col)
        elif known > 0:
            notes.append(f"{LABELS[col]} is known on {100 * known:.0f}% of the answers only, so it is left out")
    rows = rows.dropna(subset=["score", *measures]).reset_index(drop=True)
    columns: dict[str, np.ndarray] = {}
    groups: dict[str, list[str]] = {}
    performance: dict[str, tuple[float, str]] = {}
    rescale = (lambda v: (v + 100) / 2) if m.kind == "net" else (lambda v: v)
    for col in CATEGORIES:
        if col not in rows:
            continue
        text, levels = _levels(rows[col])
        if not levels:
            continue
        names = []
        for k, level in enumerate(levels):
            name = f"{col}#{k}"
            columns[name] = (text == level).to_numpy(float)
            names.append(name)
        groups[LABELS[col]] = names
        means = rows["score"].groupby(text).agg(["mean", "size"])
        enough = means[means["size"] >= MIN_ROWS] if (means["size"] >= MIN_ROWS).any() else means
        weakest = enough["mean"].idxmin()
        performance[LABELS[col]] = (float(rescale(enough["mean"].min())),
                                    f"{m.label} of the weakest {LABELS[col]} ({weakest}), on 0–100")
    for col in measures:
        values = rows[col].to_numpy(float)
        if col in TARGETS:
            columns[col] = np.log1p(values)
            unit = "minutes" if col == "first_response_minutes" else "hours"
            performance[LABELS[col]] = (float(100 * np.mean(values <= TARGETS[col])),
                                        f"% within {TARGETS[col]:g} {unit}" + _slowest(rows, col, unit))
        else:
            columns[col] = values
            performance[LABELS[col]] = (float(100 * np.mean(values)), "% resolved at the first contact")
        groups[LABELS[col]] = [col]
    design = pd.DataFrame({"score": rows["score"].to_numpy(float), **columns})
    design.attrs["clusters"] = rows["customer_id"].astype(str).to_numpy()  # customers: the bootstrap's unit
    return design, groups, performance, notes


def contact_drivers(source: Source, metric: str | Metric, scope: Scope | None = None, *,
                    limit: int = DEFAULT_LIMIT, n_boot: int = 200, seed: int = 0,
                    confidence: float = 0.95) -> KeyDrivers:
    """Key drivers of NPS or CSAT per scored contact: channel, stage, touchpoint, service measures.

    Parameters
    ----------
    source : Source
    metric : str or Metric
        ``nps`` or ``csat``.
    scope : Scope, optional
        Dates, channels, stages, segments.
    limit : int
        At most this many scored contacts are read, the most recent first.
    n_boot, seed, confidence
        Bootstrap resamples, their seed and the intervals' coverage.

    Returns
    -------
    KeyDrivers
    """
    m = _score_metric(source, metric)
    raw = source.read(contact_query(source, m, scope, limit))
    design, groups, performance, notes = _contact_design(raw, m)
    sample = (f"the {len(raw):,} most recent {m.label} answers in scope" if len(raw) >= limit
              else f"all {len(raw):,} {m.label} answers in scope")
    return _fit(m.key, design, groups, performance, sample, "contact", notes, n_boot, seed, confidence)


# --- per respondent: a wide survey ------------------------------------------------------------


def touchpoint_query(source: Source, m: Metric, scope: Scope) -> sa.Select:
    """The touchpoints rated on ``m``'s scale, most answered first."""
    i = source.interactions
    base, where = _scoped(source, scope, m)
    return (sa.select(i.c.touchpoint, sa.func.count().label("n")).select_from(base)
            .where(*where, i.c.touchpoint.is_not(None)).group_by(i.c.touchpoint)
            .order_by(sa.func.count().desc(), i.c.touchpoint))


def respondent_query(source: Source, m: Metric, touchpoints: Sequence[str], outcome: str,
                     scope: Scope | None = None, limit: int = DEFAULT_LIMIT) -> sa.Select:
    """One row per respondent: their mean rating of each touchpoint (pivoted in SQL) and their outcome."""
    i, c = source.interactions, source.customers
    base, where = _scoped(source, scope or Scope(), m)
    value = as_float(i.c[m.column])
    ratings = [sa.func.avg(sa.case((i.c.touchpoint == t, value))).label(f"r{k}") for k, t in enumerate(touchpoints)]
    per = sa.select(i.c.customer_id.label("customer_id"), *ratings).select_from(base).where(*where)
    per = per.group_by(i.c.customer_id).subquery("ratings")
    return (sa.select(per, c.c[outcome].label("outcome"))
            .select_from(per.join(c, c.c.customer_id == per.c.customer_id))
            .where(c.c[outcome].is_not(None)).order_by(per.c.customer_id).limit(int(limit)))


def respondent_drivers(source: Source, outcome: str, metric: str | Metric = "csat", scope: Scope | None = None, *,
                       positive=None, limit: int = DEFAULT_LIMIT, n_boot: int = 200, seed: int = 0,
                       confidence: float = 0.95, max_touchpoints: int = MAX_DRIVERS - 1) -> KeyDrivers:
    """Key drivers of an overall verdict among per-touchpoint ratings (a wide survey).

    Parameters
    ----------
    source : Source
        With a customers table holding ``outcome``.
    outcome : str
        Customer column with the overall verdict: yes/no (coded 0/100) or a number.
    metric : str or Metric
        The scale the touchpoints are rated on (``csat`` or ``nps``).
    positive : optional
        The outcome value that counts as yes, for a two-valued text column.
    limit, n_boot, seed, confidence
        As in :func:`contact_drivers` (respondents are read in customer id order).
    max_touchpoints : int
        The most answered touchpoints kept as drivers.

    Returns
    -------
    KeyDrivers
        Drivers are the touchpoints; performance is the share of their ratings in the top two boxes.
    """
    m = _score_metric(source, metric)
    scope = scope or Scope()
    if source.customers is None or outcome not in source.customers.c:
        raise DriversError(f"there is no customer column {outcome!r} to explain")
    if not source.has("touchpoint"):
        raise DriversError("per-touchpoint drivers need a touchpoint column (a wide survey's rating names)")
    touchpoints = [str(t) for t in source.read(touchpoint_query(source, m, scope))["touchpoint"].head(max_touchpoints)]
    if len(touchpoints) < 2:
        raise DriversError("fewer than two touchpoints are rated: there is nothing to compare")
    raw = source.read(respondent_query(source, m, touchpoints, outcome, scope, limit))
    try:
        _, y = outcome_values(raw["outcome"].rename(outcome), positive)
    except OutcomeError as exc:
        raise DriversError(str(exc)) from None
    kind = "binary" if set(np.unique(y[~np.isnan(y)])) <= {0.0, 1.0} else "numeric"
    ratings = raw[[f"r{k}" for k in range(len(touchpoints))]].apply(pd.to_numeric, errors="coerce").astype(float)
    design = pd.DataFrame({"score": 100 * y if kind == "binary" else y, **{f"r{k}": ratings[f"r{k}"]
                                                                           for k in range(len(touchpoints))}})
    complete = design.dropna().reset_index(drop=True)
    scale = source.scales.csat if m.kind == "share" else None
    top = (scale.high - 1) if scale is not None else 9
    performance = {t: (float(100 * np.mean(complete[f"r{k}"] >= top)), "% of ratings in the top two boxes")
                   for k, t in enumerate(touchpoints)}
    groups = {t: [f"r{k}"] for k, t in enumerate(touchpoints)}
    notes = [f"{len(design) - len(complete):,} respondents without every rating are left out"] if len(complete) < len(design) else []
    sample = (f"the first {len(raw):,} respondents (by customer id)" if len(raw) >= limit
              else f"all {len(raw):,} respondents with a known {outcome}")
    return _fit(outcome, complete, groups, performance, sample, "respondent", notes, n_boot, seed, confidence)


# --- the fit ----------------------------------------------------------------------------------


def _fit(name: str, design: pd.DataFrame, groups: dict[str, list[str]], performance: dict, sample: str,
         kind: str, notes: list[str], n_boot: int, seed: int, confidence: float) -> KeyDrivers:
    if len(design) == 0:
        raise DriversError(f"no rows in scope have {name} and every driver: nothing to explain")
    if len(design) < MIN_ROWS:
        raise DriversError(f"only {len(design)} rows have the score and every driver; key drivers need at least {MIN_ROWS}")
    if not groups:
        raise DriversError("no driver varies in these rows (one channel, no service measures)")
    if len(groups) > MAX_DRIVERS:
        raise DriversError(f"{len(groups)} drivers are too many to split exactly; at most {MAX_DRIVERS}")
    names = list(groups)
    cols = [c for g in names for c in groups[g]]
    position = {c: k for k, c in enumerate(cols)}
    z = design[["score", *cols]].to_numpy(float)
    out = importance(z, [[position[c] for c in groups[g]] for g in names], n_boot=n_boot, seed=seed,
                     confidence=confidence, clusters=design.attrs.get("clusters"))
    r2 = out["r2"]
    table = pd.DataFrame({
        "driver": names,
        "kind": ["rating" if kind == "respondent" else ("measure" if groups[g][0] in MEASURES else "category")
                 for g in names],
        "importance": out["importance"], "ci_low": out["ci_low"], "ci_high": out["ci_high"],
        "share": 100 * out["importance"] / r2 if r2 > 0 else np.nan,
        "performance": [performance[g][0] for g in names],
        "performance_means": [performance[g][1] for g in names],
    }).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return KeyDrivers(metric=name, r2=r2, r2_low=out["r2_low"], r2_high=out["r2_high"], table=table,
                      n=len(design), sample=sample, design=kind, notes=tuple(notes))


def key_drivers(source: Source, metric: str | Metric = "nps", scope: Scope | None = None, *,
                outcome: str | None = None, positive=None, **options) -> KeyDrivers:
    """Key drivers: per contact (:func:`contact_drivers`), or per respondent when ``outcome`` is given."""
    try:
        if outcome:
            return respondent_drivers(source, outcome, metric, scope, positive=positive, **options)
        return contact_drivers(source, metric, scope, **options)
    except MetricError as exc:
        raise DriversError(str(exc)) from None


__all__ = ["DEFAULT_LIMIT", "TARGETS", "DriversError", "KeyDrivers", "contact_drivers", "contact_query",
           "key_drivers", "respondent_drivers", "respondent_query", "row_score"]
