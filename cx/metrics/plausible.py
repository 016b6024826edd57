"""Plausibility: numbers that are arithmetically right but implausible for their kind, said in one sentence.

A median first response of four months, a CSAT of exactly 0% or 100% over hundreds of answers, a
group where every customer churned, a churn model with a ROC AUC of 0.99: each is usually a mapping
mistake (a purchase date read as the contact date, a 0–100 scale read as 1–5, a churn reason read
as a touchpoint), not a finding. The pages and the CLI show these sentences beside the number;
nothing here changes a number.

- :func:`check` — one value of a kind (``frt``, ``ttr``, ``csat``, ``nps``, ``churn``, ``retention``,
  ``fcr``, ``auc``) → a warning or ``None``;
- :func:`metric_table` — every cell of a metric table (:func:`cx.metrics.metric_table`) at once,
  one sentence per kind of problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

#: Medians longer than this are implausible for a response (minutes) or a resolution (hours).
MONTH_MINUTES = 30 * 24 * 60.0
MONTH_HOURS = 30 * 24.0
#: A share of exactly 0% or 100% is implausible only over this many answers.
MIN_N = 30
#: A classifier this good on experience data most likely sees the outcome itself.
LEAK_AUC = 0.99


def _months(value: float, per_month: float) -> str:
    return f"{value / per_month:,.1f} months"


def check(kind: str, value: float, n: float | None = None, where: str = "") -> str | None:
    """A sentence when ``value`` is implausible for a number of ``kind``; else ``None``.

    Parameters
    ----------
    kind : str
        A metric key (``frt`` minutes, ``ttr`` hours, ``csat``/``fcr``/``churn``/``retention`` percent,
        ``nps`` points), ``outcome`` (the percent of a group with any yes/no outcome) or ``auc`` (a ROC AUC, 0–1).
    value : float
    n : float, optional
        Answers or customers behind the value (shares of 0%/100% are only implausible with many).
    where : str
        Which cell, for the sentence ("in segment enterprise").

    Examples
    --------
    >>> check("frt", 60.0) is None
    True
    >>> check("frt", 130_000.0)
    'A median first response time of 3.0 months is implausible for a response: check that the contact date is not a purchase or order date.'
    """
    if value is None or not np.isfinite(value):
        return None
    at = f" {where}" if where else ""
    many = n is None or n >= MIN_N
    if kind == "frt" and value > MONTH_MINUTES:
        return (f"A median first response time of {_months(value, MONTH_MINUTES)}{at} is implausible for a response: "
                "check that the contact date is not a purchase or order date.")
    if kind == "ttr" and value > 3 * MONTH_HOURS:
        return (f"A median time to resolution of {_months(value, MONTH_HOURS)}{at} is implausible: check the "
                "resolution date column and placeholder dates (1970-01-01, 9999-12-31).")
    if kind == "csat" and many and value in (0.0, 100.0):
        return (f"CSAT of {value:.0f}%{at} over {n:,.0f} answers is implausible: check the declared scale (a 0–100 or "
                "1–10 scale read as 1–5 puts every answer in or out of the top two boxes) and the missing codes.")
    if kind == "nps" and many and abs(value) == 100.0:
        return (f"NPS of {value:+.0f}{at} over {n:,.0f} answers is implausible: check that the column holds 0–10 "
                "likelihood-to-recommend answers.")
    if kind in ("churn", "outcome") and many and value in (0.0, 100.0):
        what = "A churn rate" if kind == "churn" else "An outcome rate"
        return (f"{what} of {value:.0f}%{at} over {n:,.0f} customers is implausible for a group of customers: "
                "the group is most likely defined by the outcome itself (a churn reason, a cancellation date), a leak.")
    if kind == "retention" and many and value in (0.0, 100.0):
        return check("churn", 100.0 - value, n, where)
    if kind == "auc" and value >= LEAK_AUC:
        return (f"A ROC AUC of {value:.3f}{at} is implausible for experience data: an input most likely restates the "
                "outcome (a leak).")
    return None


def metric_table(table, by: Iterable[str] = ()) -> list[str]:
    """The implausible cells of a metric table, one sentence per cell (at most five, then a count).

    ``table`` (a DataFrame, or a mapping of column name to values such as
    :func:`cx.metrics.query.metric_columns` returns) has ``metric``, ``value`` and ``n`` columns and,
    optionally, ``period`` and the breakdown columns ``by`` (named in the sentence).
    """
    if hasattr(table, "to_dict"):  # a DataFrame: its rows, Timestamps as periods
        rows: Iterable[Mapping] = table.to_dict("records")
    else:
        rows = (dict(zip(table, values)) for values in zip(*table.values()))
    found = []
    by = [b for b in by if b in table]
    for row in rows:
        cell = [f"{b} {row[b]}" for b in by]
        period = row.get("period", "all")
        if period not in ("all", None):
            cell.append(f"in the period starting {_timestamp(period):%Y-%m-%d}")
        sentence = check(str(row["metric"]), float(row["value"]), float(row["n"]), (" ".join(["for", *cell]) if cell else ""))
        if sentence:
            found.append(sentence)
    if len(found) > 5:
        found = [*found[:5], f"… and {len(found) - 5} more implausible cells of the same kinds."]
    return found


def _timestamp(period):
    """A period as something with ``strftime`` (a date, a Timestamp; text and numpy dates through pandas)."""
    if hasattr(period, "strftime"):
        return period
    import pandas as pd

    return pd.Timestamp(period)


def churn_report(report) -> list[str]:
    """Implausible numbers of a churn report that its own warnings do not already state."""
    said = " ".join(report.warnings)
    out = []
    auc = report.cv["roc_auc"].value
    if "LEAK LIKELY" not in said:
        sentence = check("auc", auc)
        if sentence:
            out.append(sentence)
    if report.cv["brier"].value < 0.005 and len(report.at_risk):
        out.append(f"A Brier score of {report.cv['brier'].value:.3f} means every probability is 0 or 1: the model "
                   "sees the outcome itself.")
    return out


__all__ = ["LEAK_AUC", "MIN_N", "check", "churn_report", "metric_table"]
