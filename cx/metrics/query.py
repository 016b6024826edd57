"""Metric definitions, their confidence intervals, and one-query metric tables.

A metric table is one SQLAlchemy Core aggregate run where the data live: it returns sufficient
statistics per (time bucket × breakdown) cell — counts, sums, exact percentiles — and only those
few rows cross the wire. Values and 95% intervals are then computed from them by the vectorised,
pure functions below (:func:`nps_interval`, :func:`wilson_interval`, :func:`t_interval`,
:func:`median_rank_bounds`), which the tests also use to check interval coverage by simulation.

Units: NPS in points (−100…100); CSAT, FCR, churn and retention in percent; CES on its declared
scale; first response time (FRT) in minutes; time to resolution (TTR) in hours; lifetime value in
the data's currency; volume in interactions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats

from cx.db.dialects import (
    as_float,
    as_int,
    count_where,
    median_bound,
    percentile_cont,
    ranked,
    time_bucket,
)
from cx.db.source import Source
from cx.db.where import interaction_filters, segment_filter
from cx.schema import DIMENSIONS, Grain, Scales
from cx.scope import DEFAULT_MIN_N, Scope

METRICS: tuple[str, ...] = ("nps", "csat", "ces", "frt", "ttr", "fcr", "volume", "churn", "retention", "ltv")
RESULT_COLUMNS: tuple[str, ...] = ("period", "metric", "n", "value", "ci_low", "ci_high", "low_n")
_RESERVED = {*RESULT_COLUMNS, "p90", "customer_id"}


class MetricError(ValueError):
    """A metric cannot be computed as asked (unknown name, missing column); safe to show."""


# --- definitions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricDefinition:
    """What a metric means, as shown in the app and the CLI.

    Attributes
    ----------
    key : str
        Name used in code, URLs and the CLI (``nps``).
    label : str
        Short name for axes and pickers (``NPS``).
    unit : str
        Unit of ``value`` (``points``, ``%``, ``minutes``…).
    column : str
        The canonical column it needs (``customers.`` prefix for customer columns).
    definition : str
        One sentence in plain words.
    formula : str
        The formula, in plain text.
    interval : str
        How the 95% interval is computed.
    higher_is_better : bool
        Direction, for colour scales and narratives.
    """

    key: str
    label: str
    unit: str
    column: str
    definition: str
    formula: str
    interval: str
    higher_is_better: bool

    @property
    def per_customer(self) -> bool:
        """Counted once per customer (churn, retention, lifetime value) rather than per interaction."""
        return self.column.startswith("customers.")


def definitions(scales: Scales = Scales()) -> dict[str, MetricDefinition]:
    """The definition of every metric, worded for the declared scales.

    Parameters
    ----------
    scales : Scales
        The source's declared CSAT and CES scales (top-two-box and direction depend on them).

    Returns
    -------
    dict of str to MetricDefinition
        Keyed by :data:`METRICS`, in that order.

    Examples
    --------
    >>> definitions()["csat"].formula
    'CSAT = 100 × (responses of 4 or 5) / (responses on the 1–5 scale)'
    """
    csat, ces = scales.csat, scales.ces
    top = (csat.high - 1, csat.high) if csat.higher_is_better else (csat.low, csat.low + 1)
    per_cell = "of the customers with a matching interaction in the period (each counted once)"
    wilson = "Wilson score interval for a proportion."
    return {
        "nps": MetricDefinition(
            "nps", "NPS", "points", "nps",
            "Net Promoter Score: share of promoters (9–10) minus share of detractors (0–6) among 0–10 answers.",
            "NPS = 100 × (promoters − detractors) / responses",
            "Normal interval with the trinomial variance (p + d − (p − d)²) / n, clipped to −100…100.",
            True),
        "csat": MetricDefinition(
            "csat", "CSAT", "%", "csat",
            f"Customer satisfaction: share of responses in the top two boxes of the {csat.label()} scale; "
            "answers outside the scale (e.g. 0 = not applicable) are not counted.",
            f"CSAT = 100 × (responses of {top[0]:g} or {top[1]:g}) / (responses on the {csat.low:g}–{csat.high:g} scale)",
            wilson, True),
        "ces": MetricDefinition(
            "ces", "CES", "score", "ces",
            f"Customer effort: mean answer on the {ces.label()} scale "
            f"({'higher means easier' if ces.higher_is_better else 'higher means more effort'}).",
            f"CES = sum of answers / number of answers (scale {ces.low:g}–{ces.high:g})",
            "Student t interval: mean ± t(0.975, n − 1) × s / √n.", ces.higher_is_better),
        "frt": MetricDefinition(
            "frt", "First response time", "minutes", "first_response_minutes",
            "Median minutes from contact to the first response (the 90th percentile is shown beside it).",
            "FRT = median(first_response_minutes); p90 = 90th percentile (linear interpolation)",
            "Distribution-free interval for the median: the order statistics at ranks (n + 1 ∓ 1.96√n) / 2.",
            False),
        "ttr": MetricDefinition(
            "ttr", "Time to resolution", "hours", "resolution_hours",
            "Median hours from contact to resolution (the 90th percentile is shown beside it).",
            "TTR = median(resolution_hours); p90 = 90th percentile (linear interpolation)",
            "Distribution-free interval for the median: the order statistics at ranks (n + 1 ∓ 1.96√n) / 2.",
            False),
        "fcr": MetricDefinition(
            "fcr", "FCR", "%", "resolved_first_contact",
            "First contact resolution: share of tickets resolved at the first contact.",
            "FCR = 100 × resolved at first contact / tickets with a known outcome", wilson, True),
        "volume": MetricDefinition(
            "volume", "Contact volume", "interactions", "customer_id",
            "Number of recorded interactions (every touchpoint, with or without a score).",
            "volume = count of interactions",
            "None: a count of what happened, not an estimate from a sample.", True),
        "churn": MetricDefinition(
            "churn", "Churn rate", "%", "customers.churned",
            f"Share {per_cell} who have churned.",
            "churn = 100 × churned customers / customers with a known churn flag", wilson, False),
        "retention": MetricDefinition(
            "retention", "Retention", "%", "customers.churned",
            f"Share {per_cell} who are still customers (100 − churn).",
            "retention = 100 × customers not churned / customers with a known churn flag", wilson, True),
        "ltv": MetricDefinition(
            "ltv", "Average lifetime value", "currency", "customers.lifetime_value",
            f"Mean lifetime value {per_cell}.",
            "LTV = sum of lifetime_value / customers with a known lifetime value",
            "Student t interval: mean ± t(0.975, n − 1) × s / √n.", True),
    }


# --- intervals (pure, vectorised) ------------------------------------------------------------


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype="float64") for v in values]


def nps_interval(n, promoters, detractors, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPS in points with a normal interval from the trinomial variance.

    Parameters
    ----------
    n, promoters, detractors : array-like
        Responses, answers of 9–10 and answers of 0–6 per cell.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    value, low, high : ndarray
        Points (−100…100); the interval is clipped to that range. NaN where ``n`` is 0.

    Examples
    --------
    >>> value, low, high = nps_interval([100], [50], [20])
    >>> float(value[0]), round(float(low[0]), 1), round(float(high[0]), 1)
    (30.0, 14.7, 45.3)
    """
    n, promoters, detractors = _arrays(n, promoters, detractors)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = promoters / n, detractors / n
        value = 100.0 * (p - d)
        variance = np.maximum(p + d - (p - d) ** 2, 0.0) / n
        half = 100.0 * _z(confidence) * np.sqrt(variance)
    return value, np.clip(value - half, -100.0, 100.0), np.clip(value + half, -100.0, 100.0)


def wilson_interval(n, successes, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A proportion in percent with its Wilson score interval.

    Parameters
    ----------
    n, successes : array-like
        Trials and successes per cell.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    value, low, high : ndarray
        Percent (0…100); NaN where ``n`` is 0.

    Examples
    --------
    >>> value, low, high = wilson_interval([10], [10])
    >>> float(value[0]), round(float(low[0]), 1), round(float(high[0]), 1)
    (100.0, 72.2, 100.0)
    """
    n, successes = _arrays(n, successes)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denominator = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denominator
        half = z * np.sqrt(np.maximum(p * (1.0 - p) / n + z * z / (4.0 * n * n), 0.0)) / denominator
    return 100.0 * p, 100.0 * np.clip(centre - half, 0.0, 1.0), 100.0 * np.clip(centre + half, 0.0, 1.0)


def t_interval(n, total, squares, confidence: float = 0.95, constant=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A mean with its Student t interval, from count, sum and sum of squares.

    Parameters
    ----------
    n, total, squares : array-like
        Count, sum and sum of squared values per cell.
    confidence : float
        Coverage of the interval.
    constant : array-like of bool, optional
        Cells whose values are all equal (min = max): their variance is exactly 0, whatever the
        rounding of ``squares − total² / n``.

    Returns
    -------
    value, low, high : ndarray
        The mean and its interval; the interval is NaN where ``n`` < 2.

    Examples
    --------
    >>> value, low, high = t_interval([4], [10.0], [30.0])
    >>> float(value[0]), round(float(low[0]), 3), round(float(high[0]), 3)
    (2.5, 0.446, 4.554)
    """
    n, total, squares = _arrays(n, total, squares)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.maximum((squares - total * mean) / (n - 1.0), 0.0)
        if constant is not None:
            variance = np.where(np.asarray(constant, dtype=bool), 0.0, variance)
        half = stats.t.ppf(0.5 + confidence / 2.0, n - 1.0) * np.sqrt(variance / n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half


def median_rank_bounds(n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of the order statistics that bound the distribution-free median interval.

    The lower rank is the largest ``r`` with ``r <= (n + 1 - z√n) / 2`` (the normal approximation
    to ``Binomial(n, 1/2)`` with a continuity correction) and the upper rank is ``n + 1 - r``;
    ``[x(r), x(n+1-r)]`` covers the median with probability ``P(r <= B <= n - r)``, between 95.0%
    and 96.9% for every n from 100 to 3000. :func:`cx.sql.rank_at_most` makes the same choice in
    SQL without square roots. Below n = 6 there is no such rank: the bounds are 0 and ``n + 1`` and
    the interval is missing.

    Examples
    --------
    >>> low, high = median_rank_bounds([100, 101])
    >>> low.tolist(), high.tolist()
    ([40, 41], [61, 61])
    """
    n = np.asarray(n, dtype="int64")
    z2 = _z(confidence) ** 2

    def ok(rank):
        gap = n + 1 - 2 * rank
        return (rank >= 1) & (gap >= 0) & (gap.astype("float64") ** 2 >= z2 * n)

    low = np.floor((n + 1 - np.sqrt(z2 * n)) / 2).astype("int64")
    low = np.where(ok(low + 1), low + 1, low)  # settle float rounding at the boundary the way SQL does
    low = np.where(ok(low), low, low - 1)
    low = np.where(ok(low), low, 0)
    return low, np.where(low >= 1, n + 1 - low, n + 1)


# --- the query -------------------------------------------------------------------------------


def _breakdown(source: Source, by) -> list[str]:
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
        if DIMENSIONS.get(name, "customers") == "customers" and source.customers is None:
            raise MetricError(f"breaking down by {name!r} needs a customers table")
        out.append(name)
    return out


def _metric(metric: str) -> str:
    key = str(metric).strip().lower()
    if key not in METRICS:
        raise MetricError(f"unknown metric {metric!r}: choose from {', '.join(METRICS)}")
    return key


def _counted(source: Source, metric: str):
    """The condition that makes an interaction (or customer) count towards ``metric``."""
    i, c, scales = source.interactions, source.customers, source.scales
    if metric == "nps":
        return i.c.nps.between(0, 10)
    if metric in ("csat", "ces"):
        scale = scales.for_column(metric)
        return i.c[metric].between(scale.low, scale.high)
    if metric in ("frt", "ttr"):
        column = "first_response_minutes" if metric == "frt" else "resolution_hours"
        return i.c[column] >= 0
    if metric == "fcr":
        return i.c.resolved_first_contact.is_not(None)
    if metric == "volume":
        return None
    if c is None:
        raise MetricError(f"{definitions()[metric].label} needs a customers table")
    return (c.c.churned if metric in ("churn", "retention") else c.c.lifetime_value).is_not(None)


def metric_query(
    source: Source,
    metric: str,
    grain: Grain | str | None = None,
    by: Sequence[str] | str | None = (),
    scope: Scope | None = None,
    *,
    confidence: float = 0.95,
) -> sa.Select:
    """The single aggregate query behind :func:`metric_table` (sufficient statistics per cell).

    Compiles for any dialect :mod:`cx.sql` knows, e.g.
    ``metric_query(...).compile(dialect=snowflake_dialect)``. Parameters as in :func:`metric_table`.
    """
    metric = _metric(metric)
    scope = scope or Scope()
    grain = Grain(grain or Grain.WEEK)
    by = _breakdown(source, by)
    i, c = source.interactions, source.customers
    segment = segment_filter(c, scope)
    counted = _counted(source, metric)
    per_customer = metric in ("churn", "retention", "ltv")

    where = interaction_filters(i, scope)
    if grain is not Grain.ALL:
        where.append(i.c.occurred_at.is_not(None))
    period = [time_bucket(grain, i.c.occurred_at).label("period")] if grain is not Grain.ALL else []
    on_interactions = [b for b in by if DIMENSIONS.get(b) == "interactions"]
    on_customers = [b for b in by if b not in on_interactions]

    if per_customer:
        # each customer once per cell: DISTINCT (cell, customer) first, then join their flags
        cells = (sa.select(*period, *[i.c[b].label(b) for b in on_interactions], i.c.customer_id)
                 .where(*where).distinct().subquery("cells"))
        keys = [cells.c.period] if period else []
        keys += [cells.c[b] for b in on_interactions] + [c.c[b].label(b) for b in on_customers]
        value = c.c.churned if metric in ("churn", "retention") else c.c.lifetime_value
        query = (sa.select(*keys, sa.func.count().label("n"), *_statistics(metric, value))
                 .select_from(cells.join(c, c.c.customer_id == cells.c.customer_id))
                 .where(counted, *segment))
        return query.group_by(*[k.element if isinstance(k, sa.Label) else k for k in keys])

    join = bool(on_customers or scope.segments)
    base = i.outerjoin(c, c.c.customer_id == i.c.customer_id) if join else i
    where += segment
    if counted is not None:
        where.append(counted)
    dims = [(i.c[b] if b in on_interactions else c.c[b]).label(b) for b in by]

    if metric in ("frt", "ttr"):
        column = i.c["first_response_minutes" if metric == "frt" else "resolution_hours"]
        columns, not_null = ranked(column, [*(p.element for p in period), *(d.element for d in dims)])
        inner = sa.select(*period, *dims, *columns).select_from(base).where(*where, not_null).subquery("ranked")
        keys = ([inner.c.period] if period else []) + [inner.c[b] for b in by]
        z = _z(confidence)
        value, rank, count = inner.c.value, inner.c.rank, inner.c.count
        query = sa.select(
            *keys,
            sa.func.count().label("n"),
            percentile_cont(0.5, value, rank, count, siblings=(0.5, 0.9)).label("median"),
            percentile_cont(0.9, value, rank, count, siblings=(0.5, 0.9)).label("p90"),
            median_bound(value, rank, count, z, lower=True).label("median_low"),
            median_bound(value, rank, count, z, lower=False).label("median_high"),
        )
        return query.group_by(*keys)

    value = {"nps": i.c.nps, "csat": i.c.csat, "ces": i.c.ces, "fcr": i.c.resolved_first_contact}.get(metric)
    count = sa.func.count(value) if value is not None else sa.func.count()
    query = sa.select(*period, *dims, count.label("n"), *_statistics(metric, value, source.scales))
    query = query.select_from(base).where(*where)
    return query.group_by(*[k.element for k in (*period, *dims)])


def _statistics(metric: str, value, scales: Scales = Scales()) -> list:
    """Aggregates (besides ``n``) that the interval of ``metric`` needs."""
    if metric == "nps":
        return [count_where(value >= 9).label("promoters"), count_where(value <= 6).label("detractors")]
    if metric == "csat":
        scale = scales.csat
        top = value >= scale.high - 1 if scale.higher_is_better else value <= scale.low + 1
        return [count_where(top).label("successes")]
    if metric in ("fcr", "churn", "retention"):
        return [sa.func.sum(as_int(value)).label("successes")]
    if metric in ("ces", "ltv"):
        x = as_float(value)
        return [sa.func.sum(x).label("total"), sa.func.sum(x * x).label("squares"),
                sa.func.min(x).label("lowest"), sa.func.max(x).label("highest")]
    return []


# --- the table -------------------------------------------------------------------------------


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A statistic as float64 (MySQL returns Decimal sums, SQLite text dates...)."""
    return pd.to_numeric(frame[column].map(lambda v: None if v is None else float(v)), errors="coerce").to_numpy("float64")


def metric_table(
    source: Source,
    metric: str,
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
    metric : str
        One of :data:`METRICS`.
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
        Cells with fewer responses are flagged ``low_n`` (a display setting: see :class:`cx.scope.View`).

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
    metric = _metric(metric)
    scope = scope or Scope()
    grain = Grain(grain or Grain.WEEK)
    by = _breakdown(source, by)
    raw = source.read(metric_query(source, metric, grain, by, scope, confidence=confidence))
    raw = raw[pd.to_numeric(raw["n"]).fillna(0) > 0].reset_index(drop=True)
    n = _numbers(raw, "n")
    extra: dict[str, np.ndarray] = {}
    if metric == "nps":
        value, low, high = nps_interval(n, _numbers(raw, "promoters"), _numbers(raw, "detractors"), confidence)
    elif metric in ("csat", "fcr", "churn"):
        value, low, high = wilson_interval(n, _numbers(raw, "successes"), confidence)
    elif metric == "retention":
        value, low, high = wilson_interval(n, n - _numbers(raw, "successes"), confidence)
    elif metric in ("ces", "ltv"):
        constant = _numbers(raw, "lowest") == _numbers(raw, "highest")
        value, low, high = t_interval(n, _numbers(raw, "total"), _numbers(raw, "squares"), confidence, constant)
    elif metric in ("frt", "ttr"):
        value, low, high = _numbers(raw, "median"), _numbers(raw, "median_low"), _numbers(raw, "median_high")
        extra["p90"] = _numbers(raw, "p90")
    else:  # volume: a count, not an estimate
        value, low, high = n.copy(), np.full(n.shape, np.nan), np.full(n.shape, np.nan)
    out = pd.DataFrame({
        "period": pd.to_datetime(raw["period"]) if grain is not Grain.ALL else pd.Series(["all"] * len(raw), dtype=object),
        **{b: raw[b].astype(object).where(raw[b].notna(), None) for b in by},
        "metric": pd.Series([metric] * len(raw), dtype=object),
        "n": n.astype("int64"),
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "low_n": n < min_n,
        **extra,
    })
    return out.sort_values(["period", *by], na_position="last", kind="stable").reset_index(drop=True)


# --- drill-down ------------------------------------------------------------------------------

_METRIC_COLUMNS = {
    "nps": ("nps",), "csat": ("csat",), "ces": ("ces",), "frt": ("first_response_minutes", "resolved_first_contact"),
    "ttr": ("resolution_hours", "resolved_first_contact"), "fcr": ("resolved_first_contact", "resolution_hours"),
    "volume": ("nps", "csat"), "churn": ("customers.churned",), "retention": ("customers.churned",),
    "ltv": ("customers.lifetime_value",),
}


def period_end(start: dt.date, grain: Grain | str) -> dt.date:
    """The last day of the bucket of ``grain`` that starts on ``start``."""
    grain = Grain(grain)
    start = pd.Timestamp(start)
    step = {Grain.DAY: pd.DateOffset(days=1), Grain.WEEK: pd.DateOffset(weeks=1),
            Grain.MONTH: pd.DateOffset(months=1), Grain.QUARTER: pd.DateOffset(months=3)}.get(grain)
    if step is None:
        raise ValueError("the 'all' grain has no bucket end")
    return (start + step - pd.DateOffset(days=1)).date()


def interactions_for_cell(
    source: Source,
    metric: str,
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
    source, metric, filters :
        As in :func:`metric_table`.
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
    metric = _metric(metric)
    scope = scope or Scope()
    grain = Grain(grain or Grain.WEEK)
    cell = dict(cell or {})
    by = _breakdown(source, list(cell))
    i, c = source.interactions, source.customers
    wanted = [col for col in _METRIC_COLUMNS[metric]]
    customer_columns = [b for b in by if DIMENSIONS.get(b) != "interactions"]
    customer_columns += [w.split(".", 1)[1] for w in wanted if w.startswith("customers.")]
    join = bool(customer_columns or scope.segments)
    if join and c is None:
        raise MetricError("this drill-down needs a customers table")
    base = i.outerjoin(c, c.c.customer_id == i.c.customer_id) if join else i
    first, last = scope.date_from, scope.date_to
    if period is not None and str(period) != "all" and grain is not Grain.ALL:
        start = pd.Timestamp(period).date()
        end = period_end(start, grain)
        first, last = max(first or start, start), min(last or end, end)
        if first > last:
            return pd.DataFrame(columns=["occurred_at", "customer_id"])
    where = interaction_filters(i, scope, (first, last)) + segment_filter(c, scope)
    counted = _counted(source, metric)
    if counted is not None:
        where.append(counted)
    for name, value in cell.items():
        column = i.c[name] if DIMENSIONS.get(name) == "interactions" else c.c[name]
        where.append(column.is_(None) if value is None or (isinstance(value, float) and np.isnan(value)) else column == value)
    columns = [i.c.occurred_at, i.c.customer_id, i.c.channel, i.c.journey_stage, i.c.touchpoint]
    columns += [i.c[w] for w in wanted if not w.startswith("customers.")]
    columns += [c.c[name].label(name) for name in dict.fromkeys(customer_columns)]
    columns.append(i.c.comment)
    query = (sa.select(*columns).select_from(base).where(*where)
             .order_by(i.c.occurred_at, i.c.customer_id).limit(max(1, int(limit))))
    return source.read(query)


__all__ = [
    "METRICS",
    "MetricDefinition",
    "MetricError",
    "definitions",
    "interactions_for_cell",
    "median_rank_bounds",
    "metric_query",
    "metric_table",
    "nps_interval",
    "period_end",
    "t_interval",
    "wilson_interval",
]
