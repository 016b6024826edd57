"""The weekly review: what moved this week, whether it is real, what broke, who needs a call.

One ISO week (default: the last complete week in the data) is compared with the previous week
and with the trailing four weeks before it. Each metric is read in ONE query
(:func:`cx.metrics.metric_tables`: the two weeks by channel × stage, the two weeks overall and the
four weeks before), whose sufficient statistics give the values, the intervals and the change
tests (:mod:`cx.metrics.significance`). The minimum n only selects which cells are tested as
movers, after the queries: :meth:`Review.with_min_n` re-selects them without touching the
database. The narrative is generated from those numbers by fixed rules (no language model).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cx import metrics
from cx.db import Source, summarize
from cx.db.where import segment_filter
from cx.metrics import significance as sig
from cx.review.extras import (  # noqa: F401  re-exported: the review's public names
    AT_RISK_COLUMNS,
    AT_RISK_MAX_CUSTOMERS,
    COMMENT_THEME_COLUMNS,
    INCIDENT_COLUMNS,
    at_risk_notes,
    no_at_risk,
    risk_ranking,
    week_at_risk,
    week_comment_themes,
    week_extras,
    week_incidents,
)
from cx.review.narrative import Sentence, format_value, narrate  # noqa: F401
from cx.review.weeks import ReviewError, default_week, parse_week, week_label  # noqa: F401
from cx.schema import Grain
from cx.scope import DEFAULT_MIN_N, Scope

#: KPI tiles from metric tables, in display order; a churn tile (weekly churn events) follows them.
KPI_METRICS = ("nps", "csat", "ces", "frt", "ttr", "fcr", "volume")
MOVER_METRICS = ("nps", "csat", "ces", "fcr", "frt", "ttr")
MOVER_BY = ("channel", "journey_stage")
ALPHA = 0.05
TRAILING_WEEKS = 4
TREND_METRICS = ("csat", "nps", "frt", "ttr")  # the review's trend charts
TREND_WEEKS = 12
MOVER_COLUMNS = ["metric", "label", "channel", "journey_stage", "previous", "value", "delta", "n", "previous_n",
                 "p_value", "q_value", "impact", "better"]


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """A week's review. Frames are ready to show; ``sentences`` is the narrative.

    Attributes
    ----------
    kpis : DataFrame
        One row per metric: ``metric, label, unit, higher_is_better, value, ci_low, ci_high, n,
        previous, previous_n, trailing, delta, delta_trailing, p_value, significant, better``.
    movers : DataFrame
        Channel × stage cells whose change against the previous week is significant after a
        Benjamini–Hochberg correction over every cell and metric tested, by impact:
        ``metric, label, channel, journey_stage, previous, value, delta, n, previous_n, p_value,
        q_value, impact, better``.
    tested : int
        How many (metric, cell) changes were tested (the BH family size).
    changes : DataFrame
        Every channel × stage cell measured in both weeks, with its change test, before the
        minimum-n filter: what :meth:`with_min_n` selects the movers from.
    """

    week: str
    start: dt.date
    end: dt.date
    kpis: pd.DataFrame
    movers: pd.DataFrame
    tested: int
    sentences: tuple[Sentence, ...]
    scope: Scope
    source_label: str
    generated_at: dt.datetime
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)  # the worst, at most 5,000
    unrecovered: int = 0
    incident_count: int | None = None  # all the week's incidents (None: as many as listed)
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    min_n: int = DEFAULT_MIN_N
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    comment_themes: pd.DataFrame = field(default_factory=pd.DataFrame)  # what customers wrote about this week
    cells: tuple = ()  # (metric, by, cells frame): the two weeks by channel × stage, what mix is split from
    scales: object = None  # cx.schema.Scales of the source: how those metrics read (None: the default)
    teams: tuple = ()  # cx.review.teams.TeamStanding per (headline metric, agent | team): who moves it
    response_rates: tuple = ()  # cx.review.teams.ResponseRates beside those scores (survey-offered column)
    key_drivers: object = None  # cx.drivers.keydrivers.KeyDrivers of the headline score over the week, or None
    trends: dict = field(default_factory=dict)  # metric -> its weekly table over TREND_WEEKS weeks (trend_tables)

    @functools.cached_property
    def mix(self) -> tuple:
        """:class:`cx.drivers.mix.MixShift` per (metric, channel | journey_stage), week over week: the
        change split into within-cell change and mix shift, from the kept cells (no query; computed when
        first asked for: a tenth of a second of pandas that a page showing only the headline skips)."""
        from cx.drivers.mix import week_mix

        return tuple(shift for table in self._mover_tables() for shift in week_mix(table, self.start))

    def headline_mix(self, by: str = "channel"):
        """The first metric's mix shift over ``by`` (the first of :attr:`mix` with that breakdown), or None."""
        from cx.drivers.mix import week_mix

        return next((shift for table in self._mover_tables() for shift in week_mix(table, self.start, (by,))), None)

    def _mover_tables(self):
        """The kept cells as metric tables (kept as plain frames: a review is cached, so it must pickle)."""
        from cx.schema import Scales

        scales = self.scales or Scales()
        for metric, by, cells in self.cells:
            yield metrics.MetricTable(metrics.lookup(metric, scales), Grain.WEEK, by, cells)

    def with_min_n(self, min_n: int) -> Review:
        """The same review with movers tested only in cells of at least ``min_n`` each week (no query)."""
        movers, tested = select_movers(self.changes, min_n)
        sentences = narrate(self.kpis, movers, self.start, self.scope, self.incidents_total, self.unrecovered,
                            self.at_risk, tested=tested)
        return replace(self, movers=movers, tested=tested, sentences=sentences, min_n=min_n)

    def with_extras(self, extras: tuple) -> Review:
        """The same review with the week's incidents, customers at risk, comment themes, agents and
        teams, response rates and key drivers (:func:`review_extras`)."""
        incidents, unrecovered, total, at_risk, notes, comment_themes, teams, response_rates, key_drivers = extras
        return replace(self, incidents=incidents, unrecovered=unrecovered, incident_count=total, at_risk=at_risk,
                       notes=notes, comment_themes=comment_themes, teams=teams, response_rates=response_rates,
                       key_drivers=key_drivers).with_min_n(self.min_n)

    @property
    def incidents_total(self) -> int:
        """All the week's critical incidents (the list may hold only the worst of them)."""
        return len(self.incidents) if self.incident_count is None else self.incident_count

    def with_at_risk(self, at_risk: pd.DataFrame) -> Review:
        """The same review with the customers at risk (:func:`cx.review.extras.week_at_risk`), its story retold."""
        return replace(self, at_risk=at_risk).with_min_n(self.min_n)


# --- the metrics of the week -----------------------------------------------------------------


def _window(scope: Scope, start: dt.date, end: dt.date) -> Scope:
    return replace(scope, date_from=start, date_to=end)


def read_week(source: Source, scope: Scope, monday: dt.date, metric: str) -> dict[str, metrics.MetricTable]:
    """One query for everything the review shows of ``metric``: its cuts ``weeks``, ``trailing``, ``cells``.

    ``weeks``: the week and the one before, weekly, overall (KPI metrics; the :data:`TREND_WEEKS`
    weeks up to the week for a trend metric: each week's cell is the same whatever the window, so
    the tiles and the trend charts come from one query); ``trailing``: the four weeks before those,
    pooled (KPI metrics); ``cells``: the two weeks by channel × stage (movers).
    """
    previous = monday - dt.timedelta(days=7)
    two_weeks = _window(scope, previous, monday + dt.timedelta(days=6))
    cuts = {}
    if metric in KPI_METRICS:  # a trend metric's weeks reach back for its trend chart (the same cells)
        first = monday - dt.timedelta(days=7 * (TREND_WEEKS - 1)) if metric in TREND_METRICS else previous
        cuts["weeks"] = metrics.Cut(Grain.WEEK, (), _window(scope, first, monday + dt.timedelta(days=6)))
        cuts["trailing"] = metrics.Cut(Grain.ALL, (), _window(scope, monday - dt.timedelta(days=7 * TRAILING_WEEKS),
                                                              monday - dt.timedelta(days=1)))
    if metric in MOVER_METRICS:
        cuts["cells"] = metrics.Cut(Grain.WEEK, MOVER_BY, two_weeks)
    return metrics.metric_tables(source, metric, cuts)


def _first(frame: pd.DataFrame, column: str, missing=np.nan):
    return frame[column].iloc[0] if len(frame) else missing


def kpi_row(tables: dict[str, metrics.MetricTable], monday: dt.date) -> dict:
    """The KPI tile of one metric: this week, last week, the trailing average and the change test."""
    weeks, m = tables["weeks"], tables["weeks"].definition
    table = weeks.table()
    now = table[table.period == pd.Timestamp(monday)]
    before = table[table.period == pd.Timestamp(monday - dt.timedelta(days=7))]
    value, prev = float(_first(now, "value")), float(_first(before, "value"))
    trail = float(_first(tables["trailing"].table(), "value"))
    if m.count:
        trail /= TRAILING_WEEKS  # a weekly average
    p = float(_first(weeks.changes(monday, monday - dt.timedelta(days=7)), "p_value"))
    delta = value - prev
    return {
        "metric": m.key, "label": m.label, "unit": m.unit, "higher_is_better": m.higher_is_better,
        "value": value, "ci_low": float(_first(now, "ci_low")), "ci_high": float(_first(now, "ci_high")),
        "n": int(_first(now, "n", 0)), "previous": prev, "previous_n": int(_first(before, "n", 0)),
        "trailing": trail, "delta": delta, "delta_trailing": value - trail,
        "p_value": p, "significant": bool(p < ALPHA) if not np.isnan(p) else False,
        "better": None if not m.judged or np.isnan(delta) or delta == 0 else bool((delta > 0) == m.higher_is_better),
    }


def cell_changes(table: metrics.MetricTable, monday: dt.date) -> pd.DataFrame:
    """Every channel × stage cell of ``table`` measured this week and last, with its change test and size."""
    m = table.definition
    pair = table.changes(monday, monday - dt.timedelta(days=7))
    return pd.DataFrame({
        "metric": pd.Series([m.key] * len(pair), dtype=object), "label": pd.Series([m.label] * len(pair), dtype=object),
        "channel": pair.channel, "journey_stage": pair.journey_stage, "previous": pair.previous.to_numpy(),
        "value": pair.value.to_numpy(), "delta": pair.delta.to_numpy(), "n": pair.n.to_numpy(),
        "previous_n": pair.previous_n.to_numpy(), "p_value": pair.p_value.to_numpy(),
        "size": m.normalised_change(pair.value.to_numpy(), pair.previous.to_numpy()),
        "higher_is_better": m.higher_is_better,
    })


def select_movers(changes: pd.DataFrame, min_n: int = DEFAULT_MIN_N) -> tuple[pd.DataFrame, int]:
    """The significant movers among cells with at least ``min_n`` responses in both weeks, by impact.

    Benjamini–Hochberg runs over every (metric, cell) change tested; returns the movers and how
    many changes were tested. Pure: no query.
    """
    if changes is None or changes.empty:
        return pd.DataFrame(columns=MOVER_COLUMNS), 0
    tested = changes[(changes.n >= min_n) & (changes.previous_n >= min_n) & changes.p_value.notna()]
    tested = tested.reset_index(drop=True)
    if tested.empty:
        return pd.DataFrame(columns=MOVER_COLUMNS), 0
    tested["q_value"] = sig.benjamini_hochberg(tested.p_value.to_numpy())
    tested["impact"] = tested["size"] * tested["n"]
    tested["better"] = (tested.delta > 0) == tested.higher_is_better
    movers = tested[tested.q_value < ALPHA].sort_values("impact", ascending=False, kind="stable")
    return movers[MOVER_COLUMNS].reset_index(drop=True), len(tested)


# --- churn, week by week ---------------------------------------------------------------------


def weekly_churn(source: Source, scope: Scope, monday: dt.date, weeks: int = 6) -> pd.DataFrame:
    """Churn events per week: customers whose ``churned_at`` falls in the week over those still customers at its start.

    One query for the ``weeks`` ISO weeks ending with the one starting ``monday``. This, not the
    share of active customers who ever churned, is the weekly churn rate: the latter falls in the
    newest weeks only because their customers have not had time to churn yet (right-censoring).
    Segment filters apply; channel and stage filters do not (churn belongs to the customer).

    Returns
    -------
    DataFrame
        ``period`` (Monday), ``n`` (customers at risk), ``successes`` (churned in the week),
        ``value``, ``ci_low``, ``ci_high`` (percent, Wilson).
    """
    import sqlalchemy as sa

    c = source.customers
    starts = [monday - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    items = []
    for k, start in enumerate(starts):
        lo = sa.literal(dt.datetime.combine(start, dt.time()), sa.DateTime())
        hi = sa.literal(dt.datetime.combine(start + dt.timedelta(days=7), dt.time()), sa.DateTime())
        at_risk = sa.and_(sa.or_(c.c.signup_at.is_(None), c.c.signup_at < hi),
                          sa.or_(c.c.churned_at.is_(None), c.c.churned_at >= lo))
        items += [sa.func.sum(sa.case((at_risk, 1), else_=0)).label(f"n{k}"),
                  sa.func.sum(sa.case((sa.and_(c.c.churned_at >= lo, c.c.churned_at < hi), 1), else_=0)).label(f"s{k}")]
    query = sa.select(*items).where(*segment_filter(c, scope))
    row = source.read(query).iloc[0]
    n = np.array([float(row[f"n{k}"] or 0) for k in range(weeks)])
    hits = np.array([float(row[f"s{k}"] or 0) for k in range(weeks)])
    value, low, high = metrics.wilson_interval(n, hits)
    return pd.DataFrame({"period": starts, "n": n.astype(int), "successes": hits, "value": value,
                         "ci_low": low, "ci_high": high})


def churn_row(source: Source, scope: Scope, monday: dt.date) -> dict:
    """The churn KPI tile: churn events this week among customers still there, against last week."""
    churn = metrics.lookup("churn", source.scales)
    weeks = weekly_churn(source, scope, monday)
    now, before, trailing = weeks.iloc[-1], weeks.iloc[-2], weeks.iloc[:-1].tail(TRAILING_WEEKS)
    p = float(churn.change_test(metrics.Statistics(weeks.iloc[[-1]]), metrics.Statistics(weeks.iloc[[-2]]))[0])
    delta = float(now.value - before.value)
    return {
        "metric": "churn", "label": "Churn this week", "unit": "%", "higher_is_better": churn.higher_is_better,
        "value": float(now.value), "ci_low": float(now.ci_low), "ci_high": float(now.ci_high), "n": int(now.n),
        "previous": float(before.value), "previous_n": int(before.n), "trailing": float(trailing.value.mean()),
        "delta": delta, "delta_trailing": float(now.value - trailing.value.mean()),
        "p_value": p, "significant": bool(p < ALPHA) if not np.isnan(p) else False,
        "better": None if np.isnan(delta) or delta == 0 else bool((delta > 0) == churn.higher_is_better),
    }


# --- the review ------------------------------------------------------------------------------


def week_metrics(source: Source, scope: Scope, monday: dt.date, available: set[str],
                 churn_dates: bool = True, cells: list | None = None,
                 trends: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The KPI rows and every channel × stage change of the week: one query per metric, one for churn.

    The churn tile counts churn events among customers still there (:func:`weekly_churn`), so it
    needs churn dates; without them there is no weekly churn to speak of, and no churn tile.
    ``trends``, when given, receives each trend metric's weekly table (:func:`trend_tables`).
    """
    rows, changes = [], []
    wanted = [metric for metric in dict.fromkeys((*KPI_METRICS, *MOVER_METRICS)) if metric in available]
    # the rows come back in the metrics' order, so the review is the same whatever query ends first
    read = source.each(lambda metric: read_week(source, scope, monday, metric), wanted)
    for tables, metric in zip(read, wanted):  # the reads first: their pool closes as the last is taken
        if "weeks" in tables:
            rows.append(kpi_row(tables, monday))
            if trends is not None and metric in TREND_METRICS:
                trends[metric] = tables["weeks"].table()
        if "cells" in tables and len(tables["cells"]):
            changes.append(cell_changes(tables["cells"], monday))
            if cells is not None:  # kept: the change is split into within and mix from them (Review.mix)
                cells.append((metric, tables["cells"].by, tables["cells"].cells))
    if "churn" in available and churn_dates:
        rows.append(churn_row(source, scope, monday))
    return pd.DataFrame(rows), (pd.concat(changes, ignore_index=True) if changes else pd.DataFrame())


def weekly_review(source: Source, week: str | dt.date | None = None, scope: Scope | None = None,
                  *, extras: bool = True, min_n: int = DEFAULT_MIN_N) -> Review:
    """Build the review of one ISO week.

    Parameters
    ----------
    source : Source
    week : str or date, optional
        ``2026-W47`` or a date inside the week; default: the last complete ISO week in the data.
    scope : Scope, optional
        Channels, stages and segments apply; the date range is replaced by the week.
    extras : bool
        Also list the week's critical incidents and newly at-risk customers (slower).
    min_n : int
        Cells with fewer responses in either week are not tested as movers (applied after the
        queries: :meth:`Review.with_min_n` changes it without a query).

    Returns
    -------
    Review
    """
    scope = scope or Scope()
    summary = summarize(source)
    monday = parse_week(week) if week is not None else default_week(summary.last, summary.first)
    if summary.first is not None and monday + dt.timedelta(days=6) < summary.first.date():
        raise ReviewError(f"{week_label(monday)} is before the first dated interaction ({summary.first.date()})")
    if summary.last is not None and monday > summary.last.date():
        raise ReviewError(f"{week_label(monday)} is after the last dated interaction ({summary.last.date()})")
    available = set(metrics.available(summary))
    cells: list = []
    trends: dict = {}
    kpis, changes = week_metrics(source, scope, monday, available,
                                 summary.column_counts.get("customers.churned_at", 0) > 0, cells, trends)
    review = Review(
        week=week_label(monday), start=monday, end=monday + dt.timedelta(days=6), kpis=kpis,
        movers=pd.DataFrame(columns=MOVER_COLUMNS), tested=0, sentences=(),
        scope=_window(scope, monday, monday + dt.timedelta(days=6)),
        source_label=source.label, generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        changes=changes, comment_themes=pd.DataFrame(columns=list(COMMENT_THEME_COLUMNS)), cells=tuple(cells), scales=source.scales,
        min_n=min_n, trends=trends,
    )
    if extras:
        return review.with_extras(_extras(source, scope, monday, summary))
    return review.with_min_n(min_n)


def review_extras(source: Source, week: str, scope: Scope, at_risk: bool = True) -> tuple:
    """What a review built with ``extras=False`` leaves out, for :meth:`Review.with_extras`: the
    week's critical incidents, unrecovered journeys, customers at risk and notes (seconds: the
    churn fit behind the at-risk list), the comment themes that grew, the headline scores by agent
    and team with their response rates, and the key drivers, so that a page can show the KPIs
    before them. ``at_risk=False`` leaves the at-risk list empty for a caller that ranks once per
    week for every filter (:func:`cx.review.extras.risk_ranking`, then :meth:`Review.with_at_risk`)."""
    return _extras(source, scope, parse_week(week), summarize(source), at_risk)


def week_risk_ranking(source: Source, week: str) -> pd.DataFrame:
    """:func:`cx.review.extras.risk_ranking` for the week, or an empty ranking where a review has no
    at-risk list (no churn flag; too many customers: :func:`cx.review.extras.at_risk_notes`)."""
    summary = summarize(source)
    if at_risk_notes(set(metrics.available(summary)), summary.customers):
        return no_at_risk()
    return risk_ranking(source, parse_week(week))


def _extras(source: Source, scope: Scope, monday: dt.date, summary, at_risk: bool = True) -> tuple:
    from cx.review.teams import week_key_drivers, week_teams

    available = set(metrics.available(summary))
    week = _window(scope, monday, monday + dt.timedelta(days=6))
    return (*week_extras(source, scope, monday, available, summary.customers, at_risk),
            week_comment_themes(source, scope, monday), *week_teams(source, week, available, summary),
            week_key_drivers(source, week, available))


def trend_tables(source: Source, review: Review, weeks: int = TREND_WEEKS,
                 wanted: tuple[str, ...] = TREND_METRICS) -> dict[str, pd.DataFrame]:
    """Weekly metric tables for the ``weeks`` weeks up to the reviewed one: those the review's own
    queries read (:func:`read_week`), else one query each."""
    window = _window(review.scope, review.start - dt.timedelta(days=7 * (weeks - 1)), review.end)
    present = set(review.kpis.metric) if len(review.kpis) else set()
    return {m: (review.trends[m] if weeks == TREND_WEEKS and m in review.trends
                else metrics.metric_table(source, m, Grain.WEEK, (), window)) for m in wanted if m in present}


def review_figures(source: Source, review: Review, tables: dict[str, pd.DataFrame] | None = None) -> dict:
    """The review's figures by name: ``movers`` and ``trend:<metric>`` (shared by the page and the report).

    ``tables`` are :func:`trend_tables` when the caller already has them.
    """
    from cx.charts import review as review_charts

    definitions = metrics.definitions(source.scales)
    figures = {}
    if len(review.movers):
        figures["movers"] = review_charts.movers_figure(review.movers,
                                                        units={k: d.unit for k, d in definitions.items()})
    for metric, table in (tables if tables is not None else trend_tables(source, review)).items():
        if len(table):
            d = definitions[metric]
            figures[f"trend:{metric}"] = review_charts.week_trend_figure(table, d.label, d.unit, review.start,
                                                                         review.min_n)
    return figures
