"""What else the week holds: its critical incidents and the customers newly at risk of churning."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from cx.db.source import Source
from cx.scope import Scope

#: Above this many customers the review leaves the churn model out (fitting it takes minutes there);
#: the Churn drivers page and `cx churn` still fit it on demand.
AT_RISK_MAX_CUSTOMERS = 200_000

INCIDENT_COLUMNS = ("occurred_at", "customer_id", "channel", "journey_stage", "touchpoint", "severity", "reasons",
                    "journey_class", "comment")


def week_incidents(source: Source, scope: Scope, monday: dt.date, limit: int = 5000) -> tuple[pd.DataFrame, int, int]:
    """Critical incidents that happened in the week within ``scope``, each classed on its customer's
    whole journey (the filters choose which incidents are shown, never how a journey is judged).

    Returns the ``limit`` worst incidents (worst first), the number of journeys among all the week's
    incidents left unrecovered, and how many incidents there were in all (more than the list holds
    when it was cut: 11,392 in 2026-W45 of the 10 M-interaction demo).
    """
    from cx.journeys import incidents
    from cx.journeys.queries import incident_counts

    week = replace(scope, date_from=monday, date_to=monday + dt.timedelta(days=6))  # only the week's customers
    frame = incidents(source, week, sort="severity", limit=limit)
    frame = frame.sort_values(["severity", "occurred_at"], ascending=[False, False], kind="stable")
    total, unrecovered = incident_counts(source, week)
    return frame[[c for c in INCIDENT_COLUMNS if c in frame]].reset_index(drop=True), unrecovered, total


AT_RISK_COLUMNS = ("customer_id", "segment", "probability", "lifetime_value", "value_at_risk", "recovery",
                   "incidents", "last_at", "last_channel", "last_touchpoint")


def no_at_risk() -> pd.DataFrame:
    """An empty at-risk list (no outcome, too few churners, or left to the caller)."""
    return pd.DataFrame(columns=list(AT_RISK_COLUMNS))


#: How many of the highest value at risk the ranking keeps for the weekly lists to choose from.
RANKING_SIZE = 1000


def risk_ranking(source: Source, monday: dt.date, top: int = RANKING_SIZE) -> pd.DataFrame:
    """The customers the churn model, fitted on every customer's history up to the week's end, ranks
    highest by value at risk (``top`` of them; empty without an outcome or with too few churners).

    No filter enters the fit: a customer's risk is the same whatever channels, stages or segments a
    page shows (the filters choose whom a list shows, :func:`week_at_risk`). So one fit per source and
    week serves every filter, and a filter change refits nothing.
    """
    from cx.churn import ChurnModelError, fit_churn
    from cx.churn.features import FeatureError

    sunday = monday + dt.timedelta(days=6)
    try:
        report = fit_churn(source, scope=Scope(date_to=sunday), resamples=50, at_risk=top)
    except (ChurnModelError, FeatureError, ValueError):
        return no_at_risk()
    return report.at_risk


def active_customers(source: Source, scope: Scope, monday: dt.date) -> set[str]:
    """The customers with an interaction in the week within ``scope`` (channels, stages, segments)."""
    import sqlalchemy as sa

    from cx.journeys.sql import scoped_interactions

    week = replace(scope, date_from=monday, date_to=monday + dt.timedelta(days=6))
    frm, conditions = scoped_interactions(source, week)
    query = sa.select(source.interactions.c.customer_id).select_from(frm).where(*conditions).distinct()
    found = source.read(query, f"listing the customers active in the week of {monday} failed")
    return set(found["customer_id"].astype(str))


def week_at_risk(source: Source, scope: Scope, monday: dt.date, top: int = 25,
                 ranking: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customers active in the week (within ``scope``) among the model's highest value at risk
    (:func:`risk_ranking`, computed here unless given), the ``top`` highest first.

    Empty when there is no churn outcome or too few churners to fit a model honestly.
    """
    ranking = risk_ranking(source, monday) if ranking is None else ranking
    if ranking.empty:
        return no_at_risk()
    frame = ranking[ranking["customer_id"].astype(str).isin(active_customers(source, scope, monday))]
    frame = frame.sort_values("value_at_risk", ascending=False, kind="stable").head(top)
    return frame[[c for c in AT_RISK_COLUMNS if c in frame]].reset_index(drop=True)


def at_risk_notes(available: set[str], customers: int) -> tuple[str, ...]:
    """Why a review has no at-risk list (empty: it has one)."""
    if "churn" not in available:
        return ("No churn flag in these data: no at-risk list.",)
    if customers > AT_RISK_MAX_CUSTOMERS:
        return (f"At-risk list left out of the weekly review for {customers:,} customers (the model fit takes minutes "
                "at that size): open Churn drivers or run `cx churn`.",)
    return ()


def week_extras(source: Source, scope: Scope, monday: dt.date, available: set[str], customers: int,
                at_risk: bool = True):
    """The week's critical incidents, unrecovered journeys, at-risk customers active this week, and notes.

    ``at_risk=False`` leaves the at-risk list empty (a caller that ranks once per week for every
    filter, :func:`risk_ranking`, fills it with :func:`week_at_risk`).
    """
    incidents, unrecovered, total = week_incidents(source, scope, monday)
    notes = at_risk_notes(available, customers)
    if notes or not at_risk:
        return incidents, unrecovered, total, no_at_risk(), notes
    return incidents, unrecovered, total, week_at_risk(source, scope, monday), ()


COMMENT_THEME_COLUMNS = ("theme", "this_week", "share", "before_share", "change", "q", "example")
COMMENT_WEEKS_BEFORE = 4


def week_comment_themes(source: Source, scope: Scope, monday: dt.date) -> pd.DataFrame:
    """What customers wrote about this week: themes whose share of the week's comments grew
    significantly against the four weeks before (see :func:`cx.text.themes_that_grew`), each with
    one of the week's comments (masked) as an example. The source's saved theme settings apply."""
    from cx.db.errors import SourceError
    from cx.text import ThemeSettings, analyse_comments, load_settings, themes_that_grew

    if not source.has("comment"):
        return pd.DataFrame(columns=list(COMMENT_THEME_COLUMNS))
    settings = ThemeSettings()
    try:
        from cx.db.write import app_store

        settings, _ = load_settings(app_store(), source.label)
    except SourceError:
        pass  # no app database: the discovered themes, unrenamed
    sunday = monday + dt.timedelta(days=6)
    window = replace(scope, date_from=monday - dt.timedelta(weeks=COMMENT_WEEKS_BEFORE), date_to=sunday)
    analysis = analyse_comments(source, window, settings)
    grown = themes_that_grew(analysis, monday, COMMENT_WEEKS_BEFORE)
    if grown.empty:
        return pd.DataFrame(columns=list(COMMENT_THEME_COLUMNS))
    week = analysis.analysed[analysis.analysed["occurred_at"] >= pd.Timestamp(monday)]
    examples = week.sort_values("sentiment").drop_duplicates("theme").set_index("theme")["comment"]
    grown["example"] = grown["theme"].map(examples)
    return grown[list(COMMENT_THEME_COLUMNS)]


__all__ = ["AT_RISK_COLUMNS", "COMMENT_THEME_COLUMNS", "week_comment_themes", "AT_RISK_MAX_CUSTOMERS", "INCIDENT_COLUMNS", "week_at_risk", "week_extras", "week_incidents"]
