"""Response rates: who was asked, who answered, and how much a score could move if the rest had answered.

A score is computed from the customers who chose to answer. When a survey-offered marker is
mapped (``survey_offered``; an offered row without a score is a non-response), every score can
carry its response rate: answers / offers, per period, channel or segment, counted in SQL with the
same machinery and scope as the score itself (:class:`cx.metrics.MetricTable`). A row with a score
counts as offered whatever its marker says.

Two guards follow from it:

* :func:`nonresponse_sensitivity` — the score as if every group (segment, channel…) had answered
  at the same rate: each group's score weighted by its offers instead of its answers. It assumes
  that within a group the silent resemble those who answered; a large gap says the mix of who
  answers drives the score.
* :func:`response_warning` — one sentence when response rates differ a lot between the groups
  being compared (then their scores compare different slices of their customers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import as_int, count_where
from cx.db.source import Source
from cx.metrics import significance as sig
from cx.metrics.intervals import wilson_interval
from cx.metrics.query import MetricTable
from cx.metrics.registry import Metric, MetricError, lookup
from cx.schema import Grain
from cx.scope import Scope

#: scores that are answers to a survey question, so that a response rate means something
RESPONSE_METRICS = ("nps", "csat", "ces")
#: response rates this many percentage points apart (or more) between compared groups draw a warning
SPREAD_WARNING_POINTS = 10.0
#: groups with fewer offers are left out of the warning (their rates are too noisy to compare)
MIN_OFFERS = 30


def has_offers(source: Source, summary=None) -> bool:
    """Whether the source marks offered surveys (without it, no response rate can be computed).

    With the source's summary (:class:`cx.db.summary.SourceSummary`), the marker must also hold a
    value: a mapped column that is empty everywhere says nothing about who was asked.
    """
    counts = getattr(summary, "column_counts", None)
    return source.has("survey_offered") and (counts is None or counts.get("survey_offered", 0) > 0)


def response_metric(source: Source, metric: str | Metric) -> Metric:
    """The response rate of a score as a metric of its own: n = offered rows, successes = answered rows."""
    m = lookup(metric, source.scales)
    if m.key not in RESPONSE_METRICS:
        raise MetricError(f"response rates exist for survey scores ({', '.join(RESPONSE_METRICS)}), not {m.key!r}")
    if not has_offers(source):
        raise MetricError("this source has no survey-offered column: map one to see response rates")
    i = source.interactions.c
    answered = m.counted(i[m.column])
    offered = sa.or_(as_int(i.survey_offered) == 1, answered)
    return Metric(
        key=f"{m.key}_response", label=f"{m.label} response rate", unit="%", column="customer_id",
        higher_is_better=True,
        definition=f"Share of the contacts offered a survey that have a {m.label} answer "
                   "(a contact with an answer counts as offered).",
        formula=f"response rate = 100 × contacts with a {m.label} answer / contacts offered a survey",
        interval="Wilson score interval for a proportion.",
        statistics=lambda x, z: {"successes": count_where(answered)},
        estimate=lambda s, confidence: wilson_interval(s.n, s.successes, confidence),
        change_test=lambda now, before: sig.two_proportion_test(now.successes, now.n, before.successes, before.n)[1],
        counted=lambda x: offered, span=100.0,
    )


def response_rates(source: Source, metric: str, grain: Grain | str = Grain.ALL, by: Sequence[str] = (),
                   scope: Scope | None = None, *, confidence: float = 0.95) -> pd.DataFrame:
    """Response rates per time bucket and breakdown cell, in one query.

    Returns
    -------
    DataFrame
        ``period``, the ``by`` columns, ``offered``, ``answered``, ``response_rate`` (percent),
        ``ci_low``, ``ci_high`` (Wilson). Empty when nothing was offered.

    Examples
    --------
    >>> from cx.db import demo_source  # doctest: +SKIP
    >>> response_rates(demo_source(), "csat", by=["channel"])  # doctest: +SKIP
    """
    table = MetricTable.read(source, response_metric(source, metric), grain, list(by), scope, confidence=confidence)
    s = table.statistics
    rate, low, high = table.definition.estimate(s, confidence)
    return pd.DataFrame({
        "period": table.cells["period"],
        **{b: table.cells[b] for b in table.by},
        "offered": s.n.astype("int64"),
        "answered": s.successes.astype("int64"),
        "response_rate": rate,
        "ci_low": low,
        "ci_high": high,
    })


def pooled_rates(rates: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """A :func:`response_rates` table summed over its periods (per ``by`` cell, or one row overall)."""
    by = list(by)
    sums = rates.groupby(by, dropna=False)[["offered", "answered"]].sum().reset_index() if by else \
        pd.DataFrame({"offered": [int(rates["offered"].sum())], "answered": [int(rates["answered"].sum())]})
    rate, low, high = wilson_interval(sums["offered"].to_numpy("float64"), sums["answered"].to_numpy("float64"))
    return sums.assign(response_rate=rate, ci_low=low, ci_high=high)


def response_warning(rates: pd.DataFrame, by: str, *, points: float = SPREAD_WARNING_POINTS,
                     min_offers: int = MIN_OFFERS) -> str | None:
    """One sentence when the response rates of the compared groups differ by ``points`` or more, else None.

    ``rates`` is a :func:`response_rates` table over one period broken down by ``by``; groups with
    fewer than ``min_offers`` offers are left out.
    """
    kept = rates[(rates["offered"] >= min_offers) & rates[by].notna()]
    if len(kept) < 2:
        return None
    low, high = kept.loc[kept["response_rate"].idxmin()], kept.loc[kept["response_rate"].idxmax()]
    spread = float(high["response_rate"] - low["response_rate"])
    if spread < points:
        return None
    word = by.replace("_", " ")
    return (f"Response rates differ a lot between {word}s: {high[by]} {high['response_rate']:.0f}% vs "
            f"{low[by]} {low['response_rate']:.0f}% ({spread:.0f} points), so their scores speak for different "
            "shares of their customers; see the non-response sensitivity.")


@dataclass(frozen=True)
class Sensitivity:
    """A score as measured and as if every group had answered at the same rate.

    Attributes
    ----------
    metric, by : str
    measured : float
        The score over all answers (groups weighted by their answers).
    reweighted : float
        The same groups' scores weighted by their offers.
    groups : DataFrame
        Per group: ``offered``, ``answered``, ``response_rate``, ``value`` (the group's score),
        ``answer_share`` and ``offer_share``.
    warning : str or None
        :func:`response_warning` for these groups.
    """

    metric: str
    by: str
    measured: float
    reweighted: float
    groups: pd.DataFrame
    warning: str | None

    @property
    def difference(self) -> float:
        return self.reweighted - self.measured


def nonresponse_sensitivity(source: Source, metric: str, by: str = "segment", scope: Scope | None = None) -> Sensitivity:
    """How far a score moves when each group's answers are weighted by its offers, not its answers.

    Two queries: the score's statistics per group and the response rates per group. Only scores that
    are averages of single answers qualify (NPS, CSAT, CES), so the measured score is exactly the
    answer-weighted mean of the group scores. A page that already holds both tables (per period)
    computes the same with :func:`sensitivity_of`, without a query.
    """
    m = lookup(metric, source.scales)
    rates = response_rates(source, m.key, Grain.ALL, [by], scope)
    scores = MetricTable.read(source, m, Grain.ALL, [by], scope)
    return sensitivity_of(rates, scores.table(min_n=0), m, by)


def sensitivity_of(rates: pd.DataFrame, scores: pd.DataFrame, metric: Metric, by: str) -> Sensitivity:
    """:func:`nonresponse_sensitivity` from tables already read, without a query.

    ``rates`` is a :func:`response_rates` table and ``scores`` a metric table (``n``, ``value``) of
    the same scope and breakdown ``by``, at any one grain: both are summed over their periods first
    (a group's score over the whole range is the answer-weighted mean of its period scores, exact
    for the averages of single answers this applies to). They give the numbers of
    :func:`nonresponse_sensitivity` when no counted row is undated (an undated row is in no period):
    the Trends page passes its own week (or month…) tables when the source has no undated rows.
    """
    rates = pooled_rates(rates, [by])
    scores = scores[[by, "n", "value"]]
    if scores[by].isna().any() or rates[by].isna().any():
        # a missing group is one group, whatever shape of missing value each table gives it
        rates = rates.assign(**{by: rates[by].astype(object).where(rates[by].notna(), None)})
        scores = scores.assign(**{by: scores[by].astype(object).where(scores[by].notna(), None)})
    n = scores["n"].to_numpy("float64")
    scores = (scores.assign(_answers=n, _points=n * scores["value"].to_numpy("float64"))
              .groupby(by, dropna=False, sort=False)[["_answers", "_points"]].sum().reset_index())
    values = pd.DataFrame({by: scores[by], "n": scores["_answers"],
                           "value": scores["_points"] / scores["_answers"].where(scores["_answers"] > 0)})
    merged = rates.merge(values, on=by, how="inner")
    merged = merged[merged["n"] > 0].reset_index(drop=True)
    if merged.empty:
        raise MetricError(f"no {metric.label} answers with survey offers to weigh by {by}")
    answers, offers = merged["n"].to_numpy("float64"), merged["offered"].to_numpy("float64")
    value = merged["value"].to_numpy("float64")
    groups = merged[[by, "offered", "answered", "response_rate", "value"]].assign(
        answer_share=answers / answers.sum(), offer_share=offers / offers.sum())
    return Sensitivity(
        metric=metric.key, by=by,
        measured=float(np.sum(answers * value) / answers.sum()),
        reweighted=float(np.sum(offers * value) / offers.sum()),
        groups=groups, warning=response_warning(rates, by),
    )


__all__ = [
    "MIN_OFFERS",
    "RESPONSE_METRICS",
    "SPREAD_WARNING_POINTS",
    "Sensitivity",
    "has_offers",
    "pooled_rates",
    "nonresponse_sensitivity",
    "response_metric",
    "response_rates",
    "response_warning",
    "sensitivity_of",
]
