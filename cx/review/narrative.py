"""The review's words: values with their units, and the narrative (fixed rules on the numbers, no language model)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.display import money
from cx.metrics.registry import registry
from cx.scope import Scope


@dataclass(frozen=True)
class Sentence:
    """One line of the narrative and the page (with URL query) that explains it."""

    text: str
    page: str
    query: dict[str, str] = field(default_factory=dict)
    #: how the sentence's verdict was reached (tests, p / q values), for a "How this is computed" note
    detail: str = ""

    def link(self) -> str:
        from urllib.parse import urlencode

        return f"/{self.page}" + (f"?{urlencode(self.query)}" if self.query else "")


def format_value(value, unit: str, signed: bool = False) -> str:
    """A metric value with its unit and a sensible precision (``–`` when missing); used by page and report.

    Examples
    --------
    >>> format_value(57.58, "%"), format_value(-14.2, "%", signed=True), format_value(45.05, "minutes")
    ('57.6%', '-14.2 pts', '45.0 min')
    """
    if value is None or value != value:
        return "–"
    sign = "+" if signed and value > 0 else ""
    if unit == "%":
        return f"{sign}{value:.1f}" + (" pts" if signed else "%")
    if unit == "points":
        return f"{sign}{value:.1f}"
    if unit in ("minutes", "hours"):
        return f"{sign}{value:,.1f} {'min' if unit == 'minutes' else 'h'}"
    if unit == "interactions":
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:,.2f}"


def _change_words(delta: float, unit: str) -> str:
    size = abs(delta)
    if unit in ("%", "points"):
        return f"{size:.0f} point{'s' if round(size) != 1 else ''}"
    if unit in ("minutes", "hours"):
        return f"{size:,.1f} {unit}"
    if unit == "interactions":
        return f"{size:,.0f}"
    return f"{size:.2f}"


def _mover_sentences(movers: pd.DataFrame, units: dict, trend_query: dict, tested: int) -> list[Sentence]:
    """The two biggest real movers, of two different measures (not one twice)."""
    out = []
    checked = f"after checking {tested:,} comparisons" if tested else "after checking every segment"
    for row in movers.drop_duplicates("metric").head(2).itertuples():
        unit = units.get(row.metric) or getattr(registry().get(row.metric), "unit", "")
        verb = "rose" if row.delta > 0 else "fell"
        judgement = "better" if row.better else "worse"
        out.append(Sentence(
            f"{row.label} for {row.channel} · {row.journey_stage} {verb} {_change_words(row.delta, unit)} "
            f"({format_value(row.previous, unit)} → {format_value(row.value, unit)}), {judgement} for customers: "
            f"a real change, more than chance would explain {checked}. "
            f"{len(movers[movers.channel == row.channel])} of this week's {len(movers)} real changes are in "
            f"{row.channel}.",
            "trends", {**trend_query, "metric": row.metric, "by": "channel", "channel": str(row.channel)},
            detail=(f"{row.label}, {row.channel} · {row.journey_stage}: n = {row.n:,} this week; q = {row.q_value:.2g} "
                    f"(two-sample test of this week against last, Benjamini–Hochberg false-discovery correction "
                    f"over the {tested:,} channel × stage comparisons).")))
    return out


def _kpi_sentences(significant: pd.DataFrame, trend_query: dict) -> list[Sentence]:
    """One sentence per KPI whose change against last week is a real one."""
    out = []
    for row in significant.itertuples():
        verb = "rose" if row.delta > 0 else "fell"
        judgement = "" if row.better is None else ("better than last week" if row.better else "worse than last week")
        out.append(Sentence(
            f"Overall {row.label} {verb} from {format_value(row.previous, row.unit)} to "
            f"{format_value(row.value, row.unit)}: " + (f"{judgement}, " if judgement else "")
            + f"a real change, more than chance would explain (4-week average {format_value(row.trailing, row.unit)}).",
            "trends", {**trend_query, "metric": row.metric},
            detail=f"Overall {row.label}: p = {row.p_value:.2g} (this week against last, two-sample test at 5%)."))
    return out


def narrate(review_kpis: pd.DataFrame, movers: pd.DataFrame, monday: dt.date, scope: Scope,
            incidents: int = 0, unrecovered: int = 0, at_risk: pd.DataFrame | None = None,
            tested: int = 0) -> tuple[Sentence, ...]:
    """Three to five plain sentences on the biggest real changes, each pointing to its page.

    ``tested``: how many channel × stage comparisons the movers were found among (said in words).
    """
    week_query = {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=6)).isoformat()}
    trend_query = {"from": (monday - dt.timedelta(days=56)).isoformat(), "to": week_query["to"], "grain": "week"}
    units = dict(zip(review_kpis.metric, review_kpis.unit)) if len(review_kpis) else {}
    out = _mover_sentences(movers, units, trend_query, tested)
    significant = review_kpis[review_kpis.significant] if len(review_kpis) else review_kpis
    out += _kpi_sentences(significant.head(5 - len(out) - 2), trend_query)
    if not out:
        out.append(Sentence(
            "No detectable change: no KPI and no channel × stage segment moved more than chance would explain "
            "against the previous week.", "trends", trend_query))
    if incidents:
        out.append(Sentence(
            f"{incidents:,} critical incident{'s' if incidents != 1 else ''} this week; {unrecovered:,} of the "
            f"journeys they hit had no good ending by Sunday (unrecovered).",
            "incidents", week_query))
    if at_risk is not None and len(at_risk):
        worth = at_risk["value_at_risk"].sum() if "value_at_risk" in at_risk else np.nan
        value = "" if np.isnan(worth) else f", {money(worth)} of lifetime value at risk"
        out.append(Sentence(f"Among customers active this week, the {len(at_risk):,} with the most value at risk "
                            f"need a call{value}.", "churn", {}))
    if len(out) < 3 and len(review_kpis):
        steady = review_kpis[~review_kpis.significant]
        if len(steady):
            names = ", ".join(steady.label.head(4))
            out.append(Sentence(f"Steady (no detectable change): {names}.", "trends", trend_query))
    return tuple(out[:5])


__all__ = ["Sentence", "format_value", "narrate"]
