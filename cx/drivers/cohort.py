"""The fixed-cohort view: a satisfaction trend that keeps the customers who left in the denominator.

The usual trend scores whoever answered in each period. When unhappy customers churn, they stop
answering, and the score of those who remain drifts up although nobody's experience improved
(survivorship; the demo plants it). The fixed-cohort view follows one set of customers — those
who answered in the first period — through every later period:

- **respondents**: the cohort members who answered in the period (each customer once: the mean
  of their answers coded as the metric defines it), as the usual view would see them;
- **fixed cohort**: the same, with every member who has churned by the end of the period and did
  not answer counted as *not satisfied* (CSAT 0, NPS detractor) — the pessimistic reading;
- **bound**: the same members counted as *satisfied* instead — with the pessimistic value, an
  interval that holds whatever the departed would have said (members still customers who did not
  answer are left out of all three).

Everything is computed in the database: two aggregate queries (answers per period × churn
period, and churn counts per period) over the cohort, plus the usual metric table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.dialects import as_float, as_int, time_bucket
from cx.db.source import Source
from cx.db.where import interaction_filters, segment_filter
from cx.drivers.keydrivers import row_score
from cx.metrics.query import counted, metric_table
from cx.metrics.registry import MetricError, lookup
from cx.schema import Grain
from cx.scope import Scope

WORST = {"nps": -100.0, "csat": 0.0}
BEST = 100.0


@dataclass(frozen=True)
class CohortTrend:
    """The fixed-cohort trend beside the usual one.

    Attributes
    ----------
    metric : str
    grain : Grain
    cohort : (date, date)
        The period whose respondents form the cohort.
    size : int
        Customers in the cohort.
    table : DataFrame
        One row per period from the cohort's onwards: ``period``, ``usual`` (the metric over every
        answer, as the Trends page shows it), ``respondents`` (cohort members who answered, each
        once), ``fixed`` (departed members counted as not satisfied), ``fixed_high`` (counted as
        satisfied), ``answered``, ``lost`` (churned by the period's end, no answer), ``silent``
        (still customers, no answer) and ``churned`` (cumulative churned members).
    """

    metric: str
    grain: Grain
    cohort: tuple[dt.date, dt.date]
    size: int
    table: pd.DataFrame

    def explanation(self) -> str:
        """One sentence comparing the first and last periods of the two views."""
        t = self.table.dropna(subset=["respondents"])
        if len(t) < 2:
            return "Only one period: there is no drift to explain."
        first, last = t.iloc[0], t.iloc[-1]
        unit = " pts"
        return (f"Among the {self.size:,} customers who answered in the first period, those still answering moved "
                f"{last.respondents - first.respondents:+.1f}{unit} ({first.respondents:.1f} → {last.respondents:.1f}), "
                f"while {int(last.churned):,} of them ({100 * last.churned / self.size:.0f}%) have left; counting "
                f"each one who left without answering as not satisfied, the cohort moved "
                f"{last.fixed - first.fixed:+.1f}{unit} ({first.fixed:.1f} → {last.fixed:.1f}). "
                "A rise in the usual view that the fixed cohort does not share comes from who is left, "
                "not from better experiences.")


def _cohort_window(source: Source, scope: Scope, grain: Grain, m) -> tuple[dt.date, dt.date]:
    i = source.interactions
    first = source.read(sa.select(sa.func.min(time_bucket(grain, i.c.occurred_at)).label("first"))
                        .where(*interaction_filters(i, scope), counted(source, m), i.c.occurred_at.is_not(None)))
    start = first["first"].iloc[0] if len(first) else None
    if start is None or pd.isna(start):
        raise MetricError(f"no dated {m.label} answers in scope: there is no cohort to follow")
    start = pd.Timestamp(start).date()
    end = (pd.Timestamp(start) + {Grain.DAY: pd.DateOffset(days=1), Grain.WEEK: pd.DateOffset(weeks=1),
                                  Grain.MONTH: pd.DateOffset(months=1), Grain.QUARTER: pd.DateOffset(months=3)}[grain]
           - pd.Timedelta(days=1)).date()
    return start, end


def cohort_queries(source: Source, m, grain: Grain, scope: Scope, cohort: tuple[dt.date, dt.date]) -> tuple[sa.Select, sa.Select]:
    """The two aggregates behind :func:`cohort_trend`: cohort answers per (period × churn period), churns per period."""
    c = source.customers
    i = source.interactions
    base = [counted(source, m), i.c.occurred_at.is_not(None)]
    segments = segment_filter(c, scope)
    in_cohort = (sa.select(i.c.customer_id).select_from(i.outerjoin(c, c.c.customer_id == i.c.customer_id))
                 .where(*interaction_filters(i, dataclasses.replace(scope, date_from=cohort[0], date_to=cohort[1])),
                        *base, *segments).distinct())
    followed = dataclasses.replace(scope, date_from=cohort[0])
    period = time_bucket(grain, i.c.occurred_at).label("period")
    per_customer = (sa.select(period, i.c.customer_id, sa.func.avg(as_float(row_score(source, m))).label("score"))
                    .where(*interaction_filters(i, followed), *base, i.c.customer_id.in_(in_cohort))
                    .group_by(period.element, i.c.customer_id).subquery("per_customer"))
    gone = sa.and_(as_int(c.c.churned) == 1, c.c.churned_at.is_not(None))
    churn_period = sa.case((gone, time_bucket(grain, c.c.churned_at)), else_=sa.null()).label("churn_period")
    answers = (
        sa.select(per_customer.c.period, churn_period, sa.func.count().label("answered"),
                  sa.func.sum(per_customer.c.score).label("score"))
        .select_from(per_customer.join(c, c.c.customer_id == per_customer.c.customer_id))
        .group_by(per_customer.c.period, churn_period.element))
    members = sa.select(c.c.customer_id, churn_period).where(c.c.customer_id.in_(in_cohort)).subquery("members")
    churns = sa.select(members.c.churn_period, sa.func.count().label("customers")).group_by(members.c.churn_period)
    return answers, churns


def cohort_trend(source: Source, metric: str = "csat", grain: Grain | str = Grain.MONTH,
                 scope: Scope | None = None, cohort: tuple[dt.date, dt.date] | None = None) -> CohortTrend:
    """The fixed-cohort trend of NPS or CSAT beside the usual one.

    Parameters
    ----------
    source : Source
        Needs a customers table with ``churned`` and ``churned_at``.
    metric : str
        ``csat`` or ``nps``.
    grain : Grain or str
        ``week``, ``month`` (default) or ``quarter``.
    scope : Scope, optional
        Channels, stages, segments, and the date range followed.
    cohort : (date, date), optional
        The days whose respondents form the cohort; default: the first period with answers.

    Returns
    -------
    CohortTrend
    """
    m = lookup(metric, source.scales)
    if m.key not in WORST:
        raise MetricError(f"the fixed-cohort view follows NPS or CSAT, not {m.label}")
    grain = Grain(grain)
    if grain is Grain.ALL:
        raise MetricError("the fixed-cohort view is a trend: choose a day, week, month or quarter grain")
    c = source.customers
    if c is None or not {"churned", "churned_at"} <= set(c.c.keys()):
        raise MetricError("the fixed-cohort view needs a customers table with churned and churned_at")
    scope = scope or Scope()
    cohort = cohort or _cohort_window(source, scope, grain, m)
    answers_query, churns_query = cohort_queries(source, m, grain, scope, cohort)
    answers, churns = source.read(answers_query), source.read(churns_query)
    followed = dataclasses.replace(scope, date_from=cohort[0])
    usual = metric_table(source, m, grain, (), followed)
    return CohortTrend(m.key, grain, cohort, int(pd.to_numeric(churns["customers"]).sum()),
                       _assemble(answers, churns, usual, m.key))


def _assemble(answers: pd.DataFrame, churns: pd.DataFrame, usual: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per period: answered, lost, silent and the three views, from the two aggregates."""
    answers = answers.assign(period=pd.to_datetime(answers["period"]),
                             churn_period=pd.to_datetime(answers["churn_period"]),
                             answered=pd.to_numeric(answers["answered"]).astype(float),
                             score=pd.to_numeric(answers["score"].map(lambda v: None if v is None else float(v))))
    churns = churns.assign(churn_period=pd.to_datetime(churns["churn_period"]),
                           customers=pd.to_numeric(churns["customers"]).astype(float))
    size = churns["customers"].sum()
    rows = []
    for p in sorted(answers["period"].dropna().unique()):
        here = answers[answers["period"] == p]
        answered, total = here["answered"].sum(), here["score"].sum()
        churned = churns.loc[churns["churn_period"].notna() & (churns["churn_period"] <= p), "customers"].sum()
        answered_and_gone = here.loc[here["churn_period"].notna() & (here["churn_period"] <= p), "answered"].sum()
        lost = churned - answered_and_gone
        denominator = answered + lost
        rows.append({"period": pd.Timestamp(p), "respondents": total / answered if answered else np.nan,
                     "fixed": (total + lost * WORST[key]) / denominator if denominator else np.nan,
                     "fixed_high": (total + lost * BEST) / denominator if denominator else np.nan,
                     "answered": int(answered), "lost": int(lost), "silent": int(size - answered - lost),
                     "churned": int(churned)})
    table = pd.DataFrame(rows, columns=["period", "respondents", "fixed", "fixed_high", "answered", "lost",
                                        "silent", "churned"])
    usual = usual.assign(period=pd.to_datetime(usual["period"]))[["period", "value"]].rename(columns={"value": "usual"})
    return table.merge(usual, on="period", how="left")[["period", "usual", "respondents", "fixed", "fixed_high",
                                                        "answered", "lost", "silent", "churned"]]


__all__ = ["CohortTrend", "cohort_queries", "cohort_trend"]
