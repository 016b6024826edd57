"""Trends: how a metric moves over time, by channel, journey stage, touchpoint or customer group."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from cx import charts, metrics
from cx.charts import theme
from cx.metrics import plausible
from cx.schema import DIMENSIONS, STAGES, Grain
from cx.teams.response import (
    RESPONSE_METRICS,
    has_offers,
    nonresponse_sensitivity,
    pooled_rates,
    response_rates,
    response_warning,
    sensitivity_of,
)
from ui import followup, state
from ui.cache import cached_by_source
from ui.notes import notes_panel
from ui.widgets import chart, dataframe, download_csv, end_page, figure_once, md, page_start, show_error

DRILL_LIMIT = 200
BREAKDOWN_LABELS = {"none": "No breakdown", "channel": "Channel", "journey_stage": "Journey stage",
                    "touchpoint": "Touchpoint", "agent": "Agent", "team": "Team", "segment": "Customer segment",
                    "region": "Region"}


@cached_by_source
def load_metric_table(source, metric: str, grain: str, by: tuple[str, ...], scope):
    return metrics.metric_table(source, metric, grain, list(by), scope)


def metric_table(source, metric: str, grain: str, by: tuple[str, ...], scope, min_n: int):
    """The cached table with its low-n flags for this view's minimum n (a change of n re-queries nothing).

    A channel or stage filter on a table broken down by that column is a cut of the unfiltered table
    (:func:`cx.metrics.covering_scope`: the same cells, the same numbers), so a new channel reads nothing.
    """
    wider, cuts = metrics.covering_scope(scope, by)
    table = metrics.cut_cells(load_metric_table(source, metric, grain, by, wider), cuts)
    return table.assign(low_n=table["n"] < min_n)


@cached_by_source
def _load_response_rates(source, metric: str, grain: str, by: tuple[str, ...], scope):
    return response_rates(source, metric, grain, list(by), scope)


def load_response_rates(source, metric: str, grain: str, by: tuple[str, ...], scope):
    """Response rates per period and cell; a channel or stage filter on the breakdown cuts the unfiltered table."""
    wider, cuts = metrics.covering_scope(scope, by)
    return metrics.cut_cells(_load_response_rates(source, metric, grain, by, wider), cuts)


@cached_by_source
def load_sensitivity(source, metric: str, by: str, scope):
    return nonresponse_sensitivity(source, metric, by, scope)


def sensitivity(source, summary, metric: str, grain: str, by: str, scope, rates, scores):
    """The non-response sensitivity over the whole range: from the tables the page already holds (no
    query) when they cover every counted row (grain "all", or a source without undated rows), else
    its own two queries."""
    if grain == Grain.ALL.value or summary.undated_rows == 0:
        return sensitivity_of(rates, scores, definitions[metric], by)
    return load_sensitivity(source, metric, by, scope)


@cached_by_source
def load_interactions(source, metric: str, scope, grain: str, period: str | None, cell: tuple, limit: int):
    return metrics.interactions_for_cell(source, metric, scope, grain=grain, period=period, cell=dict(cell),
                                         limit=limit)


def focus(on: str) -> None:
    """Remember which chart was clicked last; a click on the trend also moves the heatmap to that period."""
    st.session_state["trends.focus"] = on
    if on == "chart":
        points = st.session_state["trends.chart"].selection.points
        if points and points[0].get("customdata"):  # the period selector starts again, from the URL
            st.session_state.pop("trends.heatmap_period", None)
            state.set_url_state("period", points[0]["customdata"][0])


def picked(key: str) -> dict | None:
    state = st.session_state.get(key)
    points = state.selection.points if state else []
    return points[0] if points and points[0].get("customdata") else None


def cell_of_series(table, by: list[str], name: str) -> dict:
    labels = charts.series_labels(table, by)
    rows = table[labels == name]
    return {b: rows.iloc[0][b] for b in by} if len(rows) else {}


source, scope, summary = page_start("Trends")
available = metrics.available(summary)
if not available:
    st.info("These data have no scores, durations or flags to trend yet. Map some columns on the **Data** page.")
    end_page()
definitions = metrics.definitions(source.scales)
breakdowns = ["none"] + [d for d in DIMENSIONS if summary.column_counts.get(d if DIMENSIONS[d] == "interactions"
                                                                            else f"customers.{d}", 0) > 0]

metric = st.segmented_control("Metric", available, format_func=lambda m: definitions[m].label,
                              default=state.start_from_url("trends.metric", "metric", available, available[0]),
                              key="trends.metric", required=True, wrap=True) or available[0]
controls = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
by_name = controls.selectbox("Break down by", breakdowns, format_func=BREAKDOWN_LABELS.get, key="trends.by", width=220,
                             index=breakdowns.index(state.start_from_url(
                                 "trends.by", "by", breakdowns, "channel" if "channel" in breakdowns else "none")))
goal = controls.container(width="content")
about = controls
state.set_url_state("metric", metric)
state.set_url_state("by", None if by_name == "none" else by_name)
definition = definitions[metric]
with about.popover("Definitions", icon=":material/info:", width="content"):
    for d in [definition] + [d for k, d in definitions.items() if k != metric and k in available]:
        st.markdown(f"**{d.label}** ({d.unit}) — {d.definition}  \n`{d.formula}`  \n*Interval:* {d.interval}")

by = [] if by_name == "none" else [by_name]
view = state.current_view()
grain = view.grain.value
try:
    table = metric_table(source, metric, grain, tuple(by), scope, view.min_n)
except metrics.MetricError as exc:
    show_error(exc)
    end_page()
if table.empty:
    st.info(f"No responses to show — {metrics.why_empty(source, metric, grain, scope).removeprefix('no rows: ')}.")
    end_page()

with goal:
    followup.target_editor(source, metric, {b: sorted({str(v) for v in table[b].dropna()}) for b in by
                                            if b in ("channel", "journey_stage", "segment")}, key="trends")
for warning in plausible.metric_table(table, by):
    st.warning(warning, icon="🤨")
st.caption(f"**{definition.label}** — {definition.definition}")
lines = state.start_from_url("trends.all", "lines", ["all", "moved"], "moved")
show_all = lines == "all"
series = charts.series_labels(table, by)
one_panel = len(series.unique()) <= charts.SMALL_MULTIPLES_ABOVE  # goal lines fit
goals = followup.goal_lines(source, metric, by) if one_panel else []
notes, first_day, last_day = [], None, None
if grain != Grain.ALL.value:
    day_range = (summary.first.date(), summary.last.date()) if summary.first is not None else (None, None)
    notes = notes_panel(source, *day_range, key="trends")
    first_day, last_day = scope.date_from or day_range[0], scope.date_to or day_range[1]


def trend_figure():
    figure = charts.trend_chart(table, by=by, label=definition.label, unit=definition.unit, min_n=view.min_n,
                                highlight=[] if show_all else None)
    if one_panel:
        charts.add_goal_lines(figure, goals, series=series)
    if grain != Grain.ALL.value:
        theme.mark_dates(figure, notes, first=first_day, last=last_day)
    return figure


# built again only when something it shows changed (not on a click elsewhere, a filter set back…)
figure = figure_once("trends.chart", (table, tuple(by), definition.label, definition.unit, view.min_n, show_all,
                                      tuple(goals), tuple(notes), first_day, last_day, grain), trend_figure)
moved = figure.layout.meta["highlight"]
chart(figure, key="trends.chart", on_select=lambda: focus("chart"), selection_mode=("points",))
if moved or show_all:
    if moved:
        st.caption(md("In full: {names}, which moved most in the latest " + grain + " (beyond its own 95% "
                        "interval); the others are muted. Click a legend entry to hide or show a series.",
                        names=" and ".join(moved)))
    st.segmented_control("Lines", ["moved", "all"], key="trends.all", required=True, default=lines,
                            format_func={"moved": "Highlight movers", "all": "All in full"}.get,
                            label_visibility="collapsed")
state.set_url_state("lines", "all" if show_all else None)
unit_word = "interactions" if definition.count else ("customers" if definition.per_customer else "responses")
low = int(table.low_n.sum())
st.caption(
    f"{int(table.n.sum()):,} {unit_word} · {grain} buckets (ISO weeks start on Monday) · "
    + ("a count: no interval" if definition.count else "shaded bands are 95% confidence intervals")
    + (f" · {low} hollow point{'s' if low != 1 else ''} with n under {view.min_n}" if low else "")
    + " · click a point to see its interactions"
)
if metric in RESPONSE_METRICS and has_offers(source, summary):  # the response rate beside the score (cx.teams.response)
    rates = load_response_rates(source, metric, grain, tuple(by), scope)
    scores = table
    table = table.merge(rates[["period", *by, "offered", "response_rate"]], on=["period", *by], how="left")
    overall = pooled_rates(rates).iloc[0]
    st.caption(f"Response rate {overall.response_rate:.0f}%: {int(overall.answered):,} answers of "
               f"{int(overall.offered):,} contacts offered a survey (each point's rate is in the CSV download)")
    if by and (warning := response_warning(pooled_rates(rates, by), by[0])):
        st.warning(warning, icon=":material/how_to_vote:")
    if by:
        shift = sensitivity(source, summary, metric, grain, by[0], scope, rates, scores)
        st.caption(f"Non-response sensitivity: if every {BREAKDOWN_LABELS.get(by_name, by_name).lower()} had answered at the "
                   f"same rate, {definition.label} over the whole range would be {shift.reweighted:.1f} instead of "
                   f"{shift.measured:.1f} ({shift.difference:+.1f}; assumes the silent resemble those who answered "
                   "in their group)")
download_csv("Download table (CSV)", table, file_name=f"trend_{metric}_{grain}_{by_name}.csv", key="trends.csv")

# --- journey stage × channel for one period ------------------------------------------------
period, scoped = "all", scope
if {"journey_stage", "channel"} <= set(breakdowns):
    st.subheader("Journey stage × channel")
    periods = ["all"] + ([] if grain == Grain.ALL.value else
                         sorted({p.date().isoformat() for p in table.period}, reverse=True))
    period = st.selectbox(
        "Period", periods, key="trends.heatmap_period",
        index=periods.index(state.start_from_url("trends.heatmap_period", "period", periods, "all")),
        format_func=lambda p: "Whole date range" if p == "all" else f"{grain.capitalize()} starting {p}",
        help="Clicking a point of the trend above moves the heatmap to that period.")
    state.set_url_state("period", None if period == "all" else period)
    if period != "all":
        start = dt.date.fromisoformat(period)
        end = metrics.period_end(start, grain)
        scoped = dataclasses.replace(scope, date_from=max(scope.date_from or start, start),
                                     date_to=min(scope.date_to or end, end))
    cells = metric_table(source, metric, Grain.ALL.value, ("journey_stage", "channel"), scoped, view.min_n)
    if cells.empty:
        st.info("No responses in this period.")
    else:
        heatmap = figure_once(
            "trends.heatmap", (cells, tuple(summary.channels), definition.label, definition.unit,
                               definition.higher_is_better),
            lambda: charts.breakdown_heatmap(cells, rows="journey_stage", columns="channel", row_order=STAGES,
                                             column_order=list(summary.channels), label=definition.label,
                                             unit=definition.unit, higher_is_better=definition.higher_is_better))
        chart(heatmap, key="trends.heatmap", on_select=lambda: focus("heatmap"), selection_mode=("points",))

# --- drill-down -------------------------------------------------------------------------------
chart_point, heat_point = picked("trends.chart"), picked("trends.heatmap")
target = None
if heat_point and (st.session_state.get("trends.focus") == "heatmap" or not chart_point):
    stage, channel = heat_point["customdata"][0], heat_point["customdata"][1]
    cell = {"journey_stage": None if stage == charts.MISSING_LABEL else stage,
            "channel": None if channel == charts.MISSING_LABEL else channel}
    target = (f"{stage} · {channel}, " + ("whole date range" if period == "all" else f"{grain} of {period}"),
              scoped, Grain.ALL.value, None, cell, int(heat_point["customdata"][2]))
elif chart_point and (not by or cell_of_series(table, by, chart_point["customdata"][1])):
    # (a point picked before the breakdown changed names a series that is gone: ignore it)
    period_iso, series = chart_point["customdata"][0], chart_point["customdata"][1]
    target = (f"{series}, " + ("whole date range" if period_iso == "all" else f"{grain} of {period_iso}"),
              scope, grain, None if period_iso == "all" else period_iso, cell_of_series(table, by, series),
              int(chart_point["customdata"][2]))

if target is None:
    st.caption("Select a point of the trend or a cell of the heatmap to list the interactions behind it.")
else:
    title, drill_scope, drill_grain, drill_period, cell, total = target
    rows = load_interactions(source, metric, drill_scope, drill_grain, drill_period, tuple(sorted(cell.items())),
                             DRILL_LIMIT)
    st.subheader(md("Interactions behind {title}", title=title))
    if definition.per_customer:
        note = f"{len(rows):,} interactions of the {total:,} customers counted in this point"
    elif len(rows) < total:
        note = f"the first {len(rows):,} of its {total:,} interactions"
    else:
        note = f"all {total:,} interactions"
    st.caption(f"Showing {note}, earliest first (at most {DRILL_LIMIT}). Comments are shown as plain text.")
    if "comment" in rows:
        rows = rows.assign(comment=rows["comment"].fillna(""))
    labels = {d: BREAKDOWN_LABELS.get(d, d.replace("_", " ").capitalize()) for d in rows.columns}
    labels.update({key: d.label for key, d in definitions.items() if key in rows})
    dataframe(rows, hide_index=True, key="trends.drill", column_config={
        **labels, "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
        "customer_id": "Customer", "comment": st.column_config.TextColumn("Comment", width="large")})
