"""The metrics, one object each: what counts, its SQL statistics, value and interval, change test, words.

A :class:`Metric` knows everything about one metric, so the trends, the weekly review, the CLI and
the definitions shown in the app cannot disagree, and adding a metric touches this file only:
write its object (or, when its wording or statistics depend on the declared scales, a function of
:class:`~cx.schema.Scales` that returns it) and add it to :func:`registry`.

The query builder (:mod:`cx.metrics.query`) asks a metric for three things: which rows count
(``counted``), which aggregates to compute per cell (``statistics``: sufficient statistics, never
rows) and whether they are order statistics of a ranked subquery (``ranked``, for medians). Values,
intervals and change tests are then computed from those statistics alone, so the weekly review's
"is it real?" needs no second query.

Units: NPS in points (−100…100); CSAT, FCR, churn and retention in percent; CES on its declared
scale; first response time (FRT) in minutes; time to resolution (TTR) in hours; lifetime value in
the data's currency; volume in interactions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import sqlalchemy as sa

from cx.db.dialects import as_float, as_int, count_where, median_bound, percentile_cont
from cx.metrics import significance as sig
from cx.metrics.intervals import nps_interval, t_interval, wilson_interval
from cx.schema import Scales


class MetricError(ValueError):
    """A metric cannot be computed as asked (unknown name, missing column); safe to show."""


def _number(value) -> float:
    """A driver's value as a float (Decimal, int, text), NaN where missing or not a number."""
    try:
        return np.nan if value is None else float(value)
    except (TypeError, ValueError):
        return np.nan


class Statistics:
    """Sufficient statistics per cell, read as float64 arrays: ``s.n``, ``s.promoters``…

    Wraps the rows of a metric query (MySQL returns Decimal sums, SQLite text dates…): a DataFrame,
    or a mapping of column name to values (the command line's rows, without pandas). Every
    attribute is one column converted to float64, NaN where missing.
    """

    def __init__(self, frame) -> None:
        self.frame = frame

    def __getattr__(self, name: str) -> np.ndarray:
        frame = self.__dict__.get("frame")
        if frame is None or name not in frame:
            raise AttributeError(f"no statistic {name!r}")
        self.__dict__[name] = values = self._convert(frame[name], hasattr(frame, "columns"))
        return values  # kept: an estimate and its interval read the same column several times

    @staticmethod
    def _convert(column, is_frame: bool) -> np.ndarray:
        if not is_frame:  # the command line's rows: plain values from the driver
            return np.array([_number(v) for v in column], dtype="float64")
        import pandas as pd  # a DataFrame's: pandas is loaded already

        if pd.api.types.is_numeric_dtype(column.dtype):  # already numbers (DuckDB, PostgreSQL): no Python loop
            return column.to_numpy("float64", na_value=np.nan)
        values = column.map(lambda v: None if v is None else float(v))  # Decimal, text, None
        return pd.to_numeric(values, errors="coerce").to_numpy("float64")

    def __len__(self) -> int:
        frame = self.frame
        return len(frame) if hasattr(frame, "columns") else len(next(iter(frame.values()), ()))


class Ranked(NamedTuple):
    """The columns of a ranked subquery (:func:`cx.db.dialects.ranked`) that order statistics use."""

    value: Any
    rank: Any
    count: Any


Estimate = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Metric:
    """One metric: its meaning in words and everything needed to compute and test it.

    Attributes
    ----------
    key, label, unit : str
        Name in code, URLs and the CLI (``nps``); short name for axes (``NPS``); unit of the value.
    column : str
        The canonical column it reads (``customers.`` prefix: counted once per customer).
    higher_is_better : bool
        Direction, for colour scales and narratives.
    definition, formula, interval : str
        One sentence in plain words; the formula; how the 95% interval is computed.
    statistics : callable
        ``statistics(value, z) -> {name: aggregate}``: the SQL aggregates besides ``n`` that the
        value, interval and change test need. ``value`` is the metric's column, or a
        :class:`Ranked` triple when ``ranked``; ``z`` is the interval's normal quantile.
    estimate : callable
        ``estimate(statistics, confidence) -> (value, low, high)`` from a :class:`Statistics`.
    change_test : callable
        ``change_test(now, before) -> p-values``: two-sided test of the change between aligned
        cells of two :class:`Statistics` (this week and last).
    counted : callable, optional
        ``counted(column) -> condition``: which rows count. ``None``: every row (a count).
    ranked : bool
        The statistics are order statistics over a ranked subquery (exact medians).
    extra : tuple of str
        Statistics shown beside the value in tables (``p90``).
    span : float, optional
        Width of the metric's range, to put changes of different metrics on one 0–1 scale;
        ``None``: the change relative to the larger of the two values.
    count : bool
        A count of what happened, not an estimate: no interval; averaged per week over several weeks.
        It counts contacts only (:func:`cx.db.where.contacts`): not a customer table's score rows.
    judged : bool
        Whether a change is good or bad news (more contacts is neither).
    drill_columns : tuple of str
        Columns shown when drilling into a cell's interactions.
    score : callable, optional
        ``score(column) -> expression``: each counted answer's contribution to the value (the
        value is their mean: +1/−1/0 for NPS, 1/0 for a share, the answer for a mean). With it,
        the query also sums per-customer statistics and the interval is cluster-robust where a
        customer answered more than once (:func:`cx.metrics.intervals.cluster_variance`).
    combine : tuple of (str, str)
        Statistics that do not add up over a cell's customers, with their SQL aggregate
        (``("lowest", "min")``); every other statistic is a sum or a count.
    kind : str
        The shape of its statistics, for models that pool cells (shrinkage, drivers): ``"net"``
        (promoters − detractors), ``"share"`` (successes of n), ``"mean"`` (total, squares),
        ``"median"`` (ranked), ``"count"``.
    explained : bool
        A score that key-driver analysis explains (the overall experience: NPS, CSAT).
    """

    key: str
    label: str
    unit: str
    column: str
    higher_is_better: bool
    definition: str
    formula: str
    interval: str
    statistics: Callable[[Any, float], dict[str, Any]]
    estimate: Callable[[Statistics, float], Estimate]
    change_test: Callable[[Statistics, Statistics], np.ndarray]
    counted: Callable[[Any], Any] | None = None
    ranked: bool = False
    extra: tuple[str, ...] = ()
    span: float | None = None
    count: bool = False
    judged: bool = True
    drill_columns: tuple[str, ...] = ()
    score: Callable[[Any], Any] | None = None
    combine: tuple[tuple[str, str], ...] = ()
    kind: str = "share"
    explained: bool = False

    @property
    def per_customer(self) -> bool:
        """Counted once per customer (churn, retention, lifetime value) rather than per interaction."""
        return self.column.startswith("customers.")

    @property
    def source_column(self) -> str:
        """The column's name in its table (``churned`` for ``customers.churned``)."""
        return self.column.split(".", 1)[-1]

    def normalised_change(self, now, before) -> np.ndarray:
        """The size of a change on a 0–1 scale comparable across metrics (to rank movers by impact)."""
        now, before = np.asarray(now, dtype="float64"), np.asarray(before, dtype="float64")
        if self.span is not None:
            return np.abs(now - before) / self.span
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.abs(now - before) / np.maximum(np.abs(now), np.abs(before))


# --- shared pieces ---------------------------------------------------------------------------

_CLUSTERED = (" Where a customer answered more than once in a cell, the variance is cluster-robust (by customer: "
              "the sandwich variance of a ratio mean, never below the independent-answers one).")
_WILSON = "Wilson score interval for a proportion." + _CLUSTERED.replace(" the variance", " n is divided by the design "
                                                                         "effect of that variance")
_T = "Student t interval: mean ± t(0.975, n − 1) × s / √n." + _CLUSTERED.replace("robust", "robust, with G − 1 degrees of freedom")
_MEDIAN = "Distribution-free interval for the median: the order statistics at ranks (n + 1 ∓ 1.96√n) / 2."
_PER_CELL = "of the customers with a matching interaction in the period (each counted once)"


def _known(column):
    return column.is_not(None)


def _successes(value, z) -> dict:
    return {"successes": sa.func.sum(as_int(value))}


def clusters(s: Statistics) -> tuple | None:
    """The per-customer sums of a cell (customers, Σn², Σs², Σsn), or None when the query has none."""
    try:
        return s.clusters, s.cluster_n2, s.cluster_s2, s.cluster_sn
    except AttributeError:
        return None


def _proportion(s: Statistics, confidence: float) -> Estimate:
    return wilson_interval(s.n, s.successes, confidence, clusters(s))


def _proportion_change(now: Statistics, before: Statistics) -> np.ndarray:
    return sig.two_proportion_test(now.successes, now.n, before.successes, before.n)[1]


def _moments(value, z) -> dict:
    x = as_float(value)
    return {"total": sa.func.sum(x), "squares": sa.func.sum(x * x), "lowest": sa.func.min(x), "highest": sa.func.max(x)}


def _mean(s: Statistics, confidence: float) -> Estimate:
    return t_interval(s.n, s.total, s.squares, confidence, s.lowest == s.highest, clusters(s))


_EXTREMES = (("lowest", "min"), ("highest", "max"))


def _indicator(condition):
    return sa.case((condition, sa.literal_column("1")), else_=sa.literal_column("0"))


def _mean_change(now: Statistics, before: Statistics) -> np.ndarray:
    return sig.welch_test(now.n, now.total, now.squares, before.n, before.total, before.squares)[1]


def _median_statistics(r: Ranked, z: float) -> dict:
    both = (0.5, 0.9)
    return {"median": percentile_cont(0.5, r.value, r.rank, r.count, siblings=both),
            "p90": percentile_cont(0.9, r.value, r.rank, r.count, siblings=both),
            "median_low": median_bound(r.value, r.rank, r.count, z, lower=True),
            "median_high": median_bound(r.value, r.rank, r.count, z, lower=False)}


def _median(s: Statistics, confidence: float) -> Estimate:
    return s.median, s.median_low, s.median_high


def _median_change(now: Statistics, before: Statistics) -> np.ndarray:
    return sig.interval_difference_test(now.median, now.median_low, now.median_high,
                                        before.median, before.median_low, before.median_high)[1]


def _duration(key: str, label: str, unit: str, column: str, short: str, drill: tuple[str, ...]) -> Metric:
    return Metric(
        key=key, label=label, unit=unit, column=column, higher_is_better=False,
        definition=f"Median {unit} from contact to {short} (the 90th percentile is shown beside it).",
        formula=f"{key.upper()} = median({column}); p90 = 90th percentile (linear interpolation)",
        interval=_MEDIAN, statistics=_median_statistics, estimate=_median, change_test=_median_change,
        counted=lambda x: x >= 0, ranked=True, extra=("p90",), drill_columns=drill, kind="median")


# --- the metrics -----------------------------------------------------------------------------

NPS = Metric(
    key="nps", label="NPS", unit="points", column="nps", higher_is_better=True,
    definition="Net Promoter Score: share of promoters (9–10) minus share of detractors (0–6) among 0–10 answers.",
    formula="NPS = 100 × (promoters − detractors) / responses",
    interval="Normal interval with the trinomial variance (p + d − (p − d)²) / n, clipped to −100…100." + _CLUSTERED,
    statistics=lambda x, z: {"promoters": count_where(x >= 9), "detractors": count_where(x <= 6)},
    estimate=lambda s, confidence: nps_interval(s.n, s.promoters, s.detractors, confidence, clusters(s)),
    score=lambda x: sa.case((x >= 9, sa.literal_column("1")), (x <= 6, sa.literal_column("-1")),
                            else_=sa.literal_column("0")),
    change_test=lambda now, before: sig.nps_difference_test(now.promoters, now.detractors, now.n,
                                                            before.promoters, before.detractors, before.n)[1],
    counted=lambda x: x.between(0, 10), span=200.0, drill_columns=("nps",), kind="net", explained=True,
)


def csat(scales: Scales) -> Metric:
    """CSAT for the declared scale: top two boxes, answers outside the scale not counted."""
    scale = scales.csat
    top = (scale.high - 1, scale.high) if scale.higher_is_better else (scale.low, scale.low + 1)
    return Metric(
        key="csat", label="CSAT", unit="%", column="csat", higher_is_better=True,
        definition=f"Customer satisfaction: share of responses in the top two boxes of the {scale.label()} scale; "
                   "answers outside the scale (e.g. 0 = not applicable) are not counted.",
        formula=f"CSAT = 100 × (responses of {top[0]:g} or {top[1]:g}) / "
                f"(responses on the {scale.low:g}–{scale.high:g} scale)",
        interval=_WILSON,
        statistics=lambda x, z: {"successes": count_where(x >= scale.high - 1 if scale.higher_is_better
                                                          else x <= scale.low + 1)},
        estimate=_proportion, change_test=_proportion_change,
        counted=lambda x: x.between(scale.low, scale.high), span=100.0, drill_columns=("csat",),
        score=lambda x: _indicator(x >= scale.high - 1 if scale.higher_is_better else x <= scale.low + 1),
        explained=True,
    )


def ces(scales: Scales) -> Metric:
    """Customer effort: the mean answer on the declared scale, in its declared direction."""
    scale = scales.ces
    return Metric(
        key="ces", label="CES", unit="score", column="ces", higher_is_better=scale.higher_is_better,
        definition=f"Customer effort: mean answer on the {scale.label()} scale "
                   f"({'higher means easier' if scale.higher_is_better else 'higher means more effort'}).",
        formula=f"CES = sum of answers / number of answers (scale {scale.low:g}–{scale.high:g})",
        interval=_T, statistics=_moments, estimate=_mean, change_test=_mean_change,
        counted=lambda x: x.between(scale.low, scale.high), span=scale.high - scale.low, drill_columns=("ces",),
        score=as_float, combine=_EXTREMES, kind="mean",
    )


FRT = _duration("frt", "First response time", "minutes", "first_response_minutes", "the first response",
                ("first_response_minutes", "resolved_first_contact"))
TTR = _duration("ttr", "Time to resolution", "hours", "resolution_hours", "resolution",
                ("resolution_hours", "resolved_first_contact"))

FCR = Metric(
    key="fcr", label="FCR", unit="%", column="resolved_first_contact", higher_is_better=True,
    definition="First contact resolution: share of tickets resolved at the first contact.",
    formula="FCR = 100 × resolved at first contact / tickets with a known outcome", interval=_WILSON,
    statistics=_successes, estimate=_proportion, change_test=_proportion_change,
    counted=_known, span=100.0, drill_columns=("resolved_first_contact", "resolution_hours"),
    score=as_int,
)

VOLUME = Metric(
    key="volume", label="Contact volume", unit="interactions", column="customer_id", higher_is_better=True,
    definition="Number of recorded interactions (every touchpoint, with or without a score; a customer "
               "table's rows are customers, not contacts).",
    formula="volume = count of interactions", interval="None: a count of what happened, not an estimate from a sample.",
    statistics=lambda x, z: {},
    estimate=lambda s, confidence: (s.n.copy(), np.full(s.n.shape, np.nan), np.full(s.n.shape, np.nan)),
    change_test=lambda now, before: sig.count_rate_test(now.n, before.n),
    count=True, judged=False, drill_columns=("nps", "csat"), kind="count",
)

CHURN = Metric(
    key="churn", label="Churn rate", unit="%", column="customers.churned", higher_is_better=False,
    definition=f"Share {_PER_CELL} who have churned.",
    formula="churn = 100 × churned customers / customers with a known churn flag", interval=_WILSON,
    statistics=_successes, estimate=_proportion, change_test=_proportion_change,
    counted=_known, span=100.0, drill_columns=("customers.churned",),
)

RETENTION = Metric(
    key="retention", label="Retention", unit="%", column="customers.churned", higher_is_better=True,
    definition=f"Share {_PER_CELL} who are still customers (100 − churn).",
    formula="retention = 100 × customers not churned / customers with a known churn flag", interval=_WILSON,
    statistics=_successes,  # churned customers: retention is the complement
    estimate=lambda s, confidence: wilson_interval(s.n, s.n - s.successes, confidence),
    change_test=_proportion_change, counted=_known, span=100.0, drill_columns=("customers.churned",),
)

LTV = Metric(
    key="ltv", label="Average lifetime value", unit="currency", column="customers.lifetime_value",
    higher_is_better=True, definition=f"Mean lifetime value {_PER_CELL}.",
    formula="LTV = sum of lifetime_value / customers with a known lifetime value", interval=_T,
    statistics=_moments, estimate=_mean, change_test=_mean_change, counted=_known,
    drill_columns=("customers.lifetime_value",), kind="mean",
)


# --- the registry ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def registry(scales: Scales = Scales()) -> Mapping[str, Metric]:
    """Every metric, worded and computed for the declared scales, in display order.

    Examples
    --------
    >>> list(registry())[:3]
    ['nps', 'csat', 'ces']
    >>> registry()["csat"].formula
    'CSAT = 100 × (responses of 4 or 5) / (responses on the 1–5 scale)'
    """
    built = (NPS, csat(scales), ces(scales), FRT, TTR, FCR, VOLUME, CHURN, RETENTION, LTV)
    return {m.key: m for m in built}


METRICS: tuple[str, ...] = tuple(registry())


def definitions(scales: Scales = Scales()) -> dict[str, Metric]:
    """The definition of every metric (its :class:`Metric`), worded for the declared scales.

    Parameters
    ----------
    scales : Scales
        The source's declared CSAT and CES scales (top-two-box and direction depend on them).

    Returns
    -------
    dict of str to Metric
        Keyed by :data:`METRICS`, in that order; ``label``, ``unit``, ``definition``, ``formula``,
        ``interval`` and ``higher_is_better`` are what the app and the report show.

    Examples
    --------
    >>> definitions()["csat"].formula
    'CSAT = 100 × (responses of 4 or 5) / (responses on the 1–5 scale)'
    """
    return dict(registry(scales))


def lookup(metric: str | Metric, scales: Scales = Scales()) -> Metric:
    """The metric called ``metric`` (any case), worded for ``scales``; :class:`MetricError` if unknown."""
    if isinstance(metric, Metric):
        return metric
    key = str(metric).strip().lower()
    found = registry(scales).get(key)
    if found is None:
        raise MetricError(f"unknown metric {metric!r}: choose from {', '.join(METRICS)}")
    return found


def available(summary) -> list[str]:
    """Metrics the data support: those whose column holds at least one value, in display order.

    ``summary`` is a :class:`cx.db.source.SourceSummary` or its ``column_counts`` (values per
    column, customer columns with a ``customers.`` prefix; ``customer_id`` counts every contact).

    Examples
    --------
    >>> available({"customer_id": 3, "nps": 2, "customers.churned": 1})
    ['nps', 'volume', 'churn', 'retention']
    """
    column_counts = getattr(summary, "column_counts", summary)
    return [key for key, m in registry().items() if column_counts.get(m.column, 0) > 0]


MetricDefinition = Metric  # the name definitions() had before metrics became objects

__all__ = ["CHURN", "FCR", "FRT", "LTV", "METRICS", "NPS", "RETENTION", "TTR", "VOLUME", "Metric",
           "MetricDefinition", "MetricError", "Ranked", "Statistics", "available", "ces", "csat", "definitions",
           "lookup", "registry"]
