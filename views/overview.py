"""Overview: the weekly review meeting's screen — what moved, is it real, what broke, who needs a call."""

import dataclasses
import datetime as dt
import time

import streamlit as st

from cx.charts import add_goal_lines, theme
from cx.display import currency
from cx.loop.targets import status as target_status
from cx.review import weekly as reviews
from cx.review.export import html_bytes, pdf_bytes, report_name
from cx.review.weekly import format_value
from cx.scope import Scope
from ui import churn_fit, followup, state
from ui.cache import (
    cached_by_source,
    in_background,
    quickest_seconds,
    ready,
    record_seconds,
    seconds_from_env,
)
from ui.notes import current_notes
from ui.widgets import (
    TILE_WIDTH,
    chart,
    dataframe,
    end_page,
    first_paint,
    md,
    md_escape,
    page_start,
    show_error,
    tile_row,
    top_first,
    with_why,
)


@in_background(max_entries=64, guess=True)
def prepare_review(source, week: str, scope, *, _min_n: int) -> dict:
    """A view the room will likely ask for next, read in the background while it looks at this one (the
    week before; this week with one more channel; a week around it): its review, movers, headline mix split
    and charts, as the functions below would make them. The question ("and the week before?", "and on the
    phone?", "and a month ago?") then waits for no query and no chart. A view nobody opens costs a few queries
    on the guesses' one worker, once no job a page asked for is left (``in_background(guess=True)``); those not
    begun when the session moves on are called off. One job per week and scope: ``_min_n`` (the asking
    session's) is not in its key."""
    review = _read_review(source, week, scope)
    chosen, trends = review.with_min_n(_min_n), reviews.trend_tables(source, review)
    return {"review": review, "trends": trends, "headline": review.headline_mix("channel"),
            "min_n": _min_n, "chosen": chosen, "figures": reviews.review_figures(source, chosen, trends)}


def _read_review(source, week: str | None, scope):
    started = time.monotonic()
    review = reviews.weekly_review(source, week, scope, extras=False)
    record_seconds("review", source.key, time.monotonic() - started)
    return review


def channel_read_ahead_seconds() -> float:
    """The channels and the weeks around are read ahead only where a recent read took at most this long
    (``CX_READ_AHEAD_SECONDS``, default 1; the demo's take 0.2–0.5 s on a quiet 2-core machine): on a warehouse
    where a week's review is a matter of seconds, a dozen guesses would cost it a dozen times that. The quickest
    of the recent reads is judged: a read that shared the cores with a model fit took longer than the warehouse
    needs (the demo's took over 1 s beside the at-risk fit, and judged by the last read alone the guesses
    stopped)."""
    return seconds_from_env("CX_READ_AHEAD_SECONDS", 1.0)


#: How many weeks around the one shown are read ahead (``CX_READ_AHEAD_WEEKS``): a quarter. A meeting steps back
#: through the recent weeks ("and a month ago?"); each is one background review (0.3–0.4 s of CPU on the demo),
#: read once for every session on the source.
READ_AHEAD_WEEKS = 12


def nearby_weeks(week: str, offered: list[str], count: int) -> list[str]:
    """Up to ``count`` weeks of ``offered`` (newest first) around ``week``, nearest first, the earlier one first
    at equal distance (a meeting steps back more often than forward): the weeks its next clicks most likely open."""
    if week not in offered:
        return []
    at = offered.index(week)
    order = sorted((i for i in range(len(offered)) if i != at), key=lambda i: (abs(i - at), -i))
    return [offered[i] for i in order[:max(count, 0)]]


def read_ahead(source, week: str, offered: list[str], scope, channels, min_n: int, *, more: bool = True) -> None:
    """Queue the views this one's likely next clicks open, as guesses (:func:`prepare_review`): the week before; then,
    once this view's own jobs are done (``more``) and where reading a view is quick (see
    :func:`channel_read_ahead_seconds`), this week with each of ``channels`` not chosen yet added to the
    filter, and the other weeks around it (:data:`READ_AHEAD_WEEKS`, nearest first). The session's read-aheads
    of the view before, if not begun, are called off; those already read are kept for every session."""
    around = nearby_weeks(week, offered, int(seconds_from_env("CX_READ_AHEAD_WEEKS", READ_AHEAD_WEEKS)))
    before = offered[offered.index(week) + 1] if week in offered[:-1] else None
    views = [(before, scope)] if before else []
    quickest = quickest_seconds("review", source.key)
    if more and quickest is not None and quickest <= channel_read_ahead_seconds():
        views += [(week, dataclasses.replace(scope, channels=(*scope.channels, c)))
                  for c in channels if c not in scope.channels]
        views += [(w, scope) for w in around if w != before]
    prepare_review.many(source, [((w, s), {"_min_n": min_n}) for w, s in views])


#: How long a click waits for a read-ahead of its week that is running (seconds): on a busy server a job at
#: the workers' low priority can take far longer than the click reading the week itself.
PREPARED_WAIT = 10.0


def prepared(source, week: str | None, scope, part: str, min_n: int | None = None):
    """``part`` of the week's :func:`prepare_review` when a background job has read it or is reading it
    (it is waited for, at most :data:`PREPARED_WAIT` seconds), else None: a job still queued is cancelled,
    and the caller reads the week itself. The parts that depend on the minimum n ("chosen", "figures") only
    when the job used ``min_n``."""
    job = prepare_review.asked(source, week, scope)
    if job is None or job.cancel() or not job.wait(PREPARED_WAIT):
        return None
    if job.future.exception() is not None:  # the click's own read says what went wrong, where it went wrong
        return None
    result = job.result()
    return result[part] if min_n is None or result["min_n"] == min_n else None


@cached_by_source(ttl=1800, max_entries=32)
def _load_review(source, week: str | None, scope):
    ready_made = prepared(source, week, scope, "review")
    return ready_made if ready_made is not None else _read_review(source, week, scope)


@cached_by_source(ttl=1800, max_entries=64)
def load_review(source, week: str | None, scope, min_n: int):
    """The week's review (KPIs, story, movers); incidents, customers at risk and comment themes come
    from :func:`load_extras`.

    Read once per source, week and scope: a new minimum n re-selects the movers without a query; the
    selection is kept too, so a new session or another click does not redo it.
    """
    ready_made = prepared(source, week, scope, "chosen", min_n)
    return ready_made if ready_made is not None else _load_review(source, week, scope).with_min_n(min_n)


@cached_by_source(ttl=1800, max_entries=64)
def load_headline_mix(source, week: str | None, scope):
    """Why the first KPI moved, by channel (the full split is for the report): split once per week and scope."""
    ready_made = prepared(source, week, scope, "headline")
    return ready_made if ready_made is not None else _load_review(source, week, scope).headline_mix("channel")


@in_background(max_entries=16, after_run=True)
def load_extras(source, week: str, scope):
    """The week's incidents, comment themes, teams and key drivers, in the background once per
    source, week and scope (shared by every session on the demo); the customers at risk come from
    :func:`load_risk_ranking`."""
    return reviews.review_extras(source, week, scope, at_risk=False)


@in_background(max_entries=8, after_run=True)
def load_risk_ranking(source, week: str):
    """The churn model's ranking up to the week's end: the fit takes seconds, so it runs in the
    background, once per source and week. No filter enters it (a customer's risk does not depend on
    what a page shows), so a filter change refits nothing. How long a fit took tells whether the Churn page's
    default fit is quick enough to read ahead (:func:`ui.churn_fit.read_ahead`)."""
    started = time.monotonic()
    ranking = reviews.week_risk_ranking(source, week)
    if not ranking.empty:  # a model was fitted (none without a churn flag, or beyond the review's customers)
        churn_fit.record_fit_seconds(source, time.monotonic() - started)
    return ranking


@cached_by_source(ttl=1800, max_entries=64)
def load_at_risk(source, week: str, scope, ranking):
    """The ranked customers active in the week within the filters (one small query)."""
    return reviews.week_at_risk(source, scope, reviews.parse_week(week), ranking=ranking)


@cached_by_source(ttl=1800, max_entries=32)
def load_review_trends(source, week: str | None, scope) -> dict:
    """The 12-week metric tables behind the review's trend charts and tile sparklines."""
    ready_made = prepared(source, week, scope, "trends")
    return ready_made if ready_made is not None else reviews.trend_tables(
        source, _load_review(source, week, scope))


@cached_by_source(ttl=1800, max_entries=32)
def load_figures(source, week: str | None, scope, min_n: int) -> dict:
    """The review's charts (movers, trends), built once per source, week, scope and minimum n: a grain
    change or a redraw when a background part is done cannot alter them and rebuilds none."""
    ready_made = prepared(source, week, scope, "figures", min_n)
    return ready_made if ready_made is not None else reviews.review_figures(
        source, load_review(source, week, scope, min_n), load_review_trends(source, week, scope))


def review_range(summary, scope) -> tuple[dt.date, dt.date]:
    """The days the week under review is chosen from: the sidebar's date range within the data's."""
    first, last = summary.first.date(), summary.last.date()
    lo = max(first, scope.date_from) if scope.date_from else first
    hi = min(last, scope.date_to) if scope.date_to else last
    return (lo, hi) if lo <= hi else (first, last)


def review_weeks(summary, scope=None) -> list[str]:
    """ISO weeks with data in the sidebar's date range, the default (last complete) week first."""
    first, last = review_range(summary, scope or Scope())
    default = reviews.default_week(last, first)
    start = reviews.parse_week(first)
    return [reviews.week_label(default - dt.timedelta(days=7 * i)) for i in range(0, (default - start).days // 7 + 1)]


def chosen_week(summary) -> str | None:
    """The week under review: the picker's, else the URL's, else the default (None without dates)."""
    if summary is None or summary.last is None:
        return None
    weeks = review_weeks(summary, state.current_scope())
    return state.start_from_url("overview.week", "week", weeks, weeks[0])


def title(summary) -> str:
    week = chosen_week(summary)
    return f"Weekly review — {week}" if week else "Weekly review"


TILE_HEIGHT = 214  # one height: tiles without a sparkline line up with the others
INCIDENT_COLUMNS = {
    "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD"),
    "customer_id": "Customer", "channel": "Channel", "journey_stage": "Stage", "touchpoint": "Touchpoint",
    "severity": st.column_config.NumberColumn("Severity", help="number of incident rules broken"),
    "journey_class": "Journey", "comment": st.column_config.TextColumn("Comment", width="large"),
}


def at_risk_columns(symbol: str) -> dict:
    """Labels for the at-risk table: a person's words, money in the configured currency."""
    money = f"{symbol.replace('%', '%%')}%,.0f"
    return {
        "customer_id": "Customer", "segment": "Segment",
        "probability": st.column_config.ProgressColumn("Chance of leaving", format="percent", min_value=0, max_value=1),
        "lifetime_value": st.column_config.NumberColumn("Lifetime value", format=money),
        "value_at_risk": st.column_config.NumberColumn("Value at risk", format=money,
                                                       help="chance of leaving × lifetime value"),
        "recovery": "Journey", "incidents": st.column_config.NumberColumn("Incidents", format="%d"),
        "last_at": st.column_config.DatetimeColumn("Last contact", format="YYYY-MM-DD"),
        "last_channel": "Last channel", "last_touchpoint": "Last touchpoint",
    }


source, scope, summary = page_start(title)
view = state.current_view()
if summary.last is None:
    st.info("These data have no dated interactions, so there is no week to review. Trends over time need "
            "an `occurred_at` column; the Journeys and Churn pages still work.")
    end_page()

first_day, last_day = review_range(summary, scope)
offered = review_weeks(summary, scope)
week = st.selectbox("Week under review", offered, key="overview.week", index=offered.index(chosen_week(summary)),
                    help="ISO weeks, Monday to Sunday, within the sidebar's date range. The default is the last "
                         "complete week in that range.")
state.set_url_state("week", week)

try:
    with st.spinner(f"Comparing {week} with the weeks before…"):
        review = load_review(source, week, scope, view.min_n)
        tables = load_review_trends(source, week, scope)
        saved_targets = followup.saved_targets(source)[0]  # read once a run: the alerts and the tiles' goals
        followup.start_alerts(source, week, saved_targets)  # first in the workers' queue, whatever the filters
        extras_job = load_extras(source, review.week, review.scope)  # starts when this run has drawn the page
        ranking_job = load_risk_ranking(source, review.week)  # once per week, whatever the filters
except (reviews.ReviewError, ValueError) as exc:
    show_error(exc)
    end_page()

span = f"{review.start:%a %d %b} – {review.end:%a %d %b %Y}"
st.caption(md("{span} against the previous week and the 4-week average before it · {label} · "
              "change on each tile: against last week · ● = a real change (more than chance would explain)", span=span, label=review.source_label))
if scope.date_from or scope.date_to:
    st.caption(f"Weeks offered: those in the sidebar's date range ({first_day:%d %b %Y} – {last_day:%d %b %Y}). "
               "The comparison weeks before the one under review are read even when they fall before the range; "
               "the other filters (channels, stages, segments) apply to every number here.")

goals = {t.metric: t for t in saved_targets if not t.cell}  # overall targets only
tiles, sparkless = tile_row(), first_paint()
for row in review.kpis.itertuples():
    color = "gray" if row.better is None or not row.significant else ("blue" if row.better else "orange")
    # the sparkline comes with the rest of the page in a new browser session (``first_paint``)
    spark = tables[row.metric]["value"].dropna().tolist() if row.metric in tables and not sparkless else None
    with tiles:
        st.metric(
            f"{row.label}{' ●' if row.significant else ''}",
            format_value(row.value, row.unit),
            delta=None if row.delta != row.delta else format_value(row.delta, row.unit, signed=True),
            delta_color=color, border=True, chart_data=spark, width=TILE_WIDTH, height=TILE_HEIGHT,
            help=f"Likely range {format_value(row.ci_low, row.unit)} – {format_value(row.ci_high, row.unit)} · "
                 f"{row.n:,} responses (last week {row.previous_n:,}) · 4-week average "
                 f"{format_value(row.trailing, row.unit)}"
                 + (" · ● a real change against last week" if row.significant else ""),
        )
        if row.metric in goals:
            goal = goals[row.metric]
            st.caption(f"Target {goal.describe()}: **{target_status(row.value, row.ci_low, row.ci_high, goal.value, goal.higher_is_better)}**")

top_first()  # a new browser draws the tiles before it loads the code of the tables and charts below them
headline_mix = load_headline_mix(source, week, scope)
if headline_mix is not None:
    (st.warning if headline_mix.simpson else st.caption)(md_escape(headline_mix.warning() or headline_mix.explanation()))

extras = ready(extras_job, "Listing this week's critical incidents and what customers wrote", key="overview.extras")
ranking = ready(ranking_job, "Fitting the churn model for the customers at risk (once a week, for every filter)",
                key="overview.ranking")
# guesses: the channels and the weeks around once this view's own jobs are done, then the Churn page's model for
# these filters (where a fit is quick); they never slow what is asked for
own_jobs_done = extras is not None and ranking is not None
read_ahead(source, week, offered, scope, summary.channels, view.min_n, more=own_jobs_done)
churn_fit.read_ahead(source, scope, wanted=own_jobs_done)
if extras is not None:
    review = review.with_extras(extras)
    if ranking is not None and not review.notes:
        review = review.with_at_risk(load_at_risk(source, review.week, review.scope, ranking))
figures = load_figures(source, week, scope, view.min_n)  # a copy: notes and goal lines are drawn on it below
trends = {name.split(":", 1)[1]: fig for name, fig in figures.items() if name.startswith("trend:")}
noted, _ = current_notes(source)
for name, fig in trends.items():  # the notes on dates (added on the Trends page) and targets, on every trend
    theme.mark_dates(fig, noted, first=review.start - dt.timedelta(weeks=12), last=review.end)
    add_goal_lines(fig, followup.goal_lines(source, name, (), saved_targets))

st.subheader("What happened")
for sentence in review.sentences:  # the link under its sentence: a side column cut it at 1024 px
    st.markdown(md_escape(sentence.text))
    st.page_link(f"views/{sentence.page}.py", label=f"Open {sentence.page}", icon=":material/arrow_forward:",
                 query_params=sentence.query)

with st.expander("How this is computed", icon=":material/calculate:"):
    st.markdown(
        "A **real change** is one larger than chance would explain. Each KPI tile compares this week with the "
        "previous one by a two-sample test at the 5% level (● = the test says so); its range is the 95% "
        "confidence interval. The channel × stage changes are tested together, "
        f"{review.tested:,} comparisons, with the Benjamini–Hochberg false-discovery correction (q < 0.05), so "
        "that checking many segments does not turn noise into news.")
    details = [s.detail for s in review.sentences if s.detail]
    details += [f"{row.label}: p = {row.p_value:.2g}" for row in review.kpis.itertuples()
                if row.p_value == row.p_value and not any(d.startswith(f"Overall {row.label}:") for d in details)]
    for detail in details:
        st.markdown("- " + md_escape(detail))

st.subheader("What moved")
if review.movers.empty:
    st.info(f"No detectable change: none of the {review.tested:,} channel × stage comparisons moved more than "
            "chance would explain.")
else:
    chart(figures["movers"], key="overview.movers")
    st.caption(f"{len(review.movers)} of {review.tested:,} channel × stage comparisons are real changes (more than "
               "chance would explain), biggest impact (size of change × responses) first; one panel per unit.")

followup.alert_panel(source, week, scope, key="overview", saved=saved_targets)

trend_names = list(trends)
if trend_names:
    st.subheader("Trends")
    for left, right in zip(trend_names[::2], trend_names[1::2] + [None]):
        a, b = st.columns(2)
        with a:
            chart(trends[left], key=f"overview.trend.{left}")
        if right:
            with b:
                chart(trends[right], key=f"overview.trend.{right}")

if extras is None:
    st.caption("Critical incidents, customers at risk and what customers wrote appear here when ready (see the "
               "progress line under the tiles).")
    end_page()

st.subheader(f"Critical incidents this week ({review.incidents_total:,})")
if review.incidents.empty:
    st.caption("No critical incident this week.")
else:
    listed, why = with_why(review.incidents.fillna({"comment": ""}), source.rules, source.scales)
    dataframe(listed, hide_index=True, key="overview.incidents", column_config={**INCIDENT_COLUMNS, **why},
              # the customer first; the rest under "More columns" (fits 1024 px)
              column_order=["customer_id", "occurred_at", "channel", "severity", "why"],
              more=["reasons", "journey_stage", "touchpoint", "journey_class", "comment"])
    shown = (f"The {len(review.incidents):,} worst are listed. " if len(review.incidents) < review.incidents_total
             else "")
    st.caption(f"{shown}{review.unrecovered:,} journeys ended on an unrecovered incident. Drill into any of them on "
               "the Incidents page.")
    followup.open_case_control(source, ("incident", "detractor"), review.incidents["customer_id"],
                               key="overview.incidents")
if ranking is None and not review.notes:
    st.subheader("Customers newly at risk")
    st.caption("They appear here when the churn model is fitted (see the progress line under the tiles).")
    end_page()
st.subheader(f"Customers newly at risk ({len(review.at_risk):,})")
for note in review.notes:
    st.caption(md_escape(note))
if review.at_risk.empty and not review.notes:
    st.caption("No customer active this week is among the model's highest value at risk.")
else:
    dataframe(review.at_risk, hide_index=True, key="overview.at_risk", column_config=at_risk_columns(currency()),
              column_order=["customer_id", "probability", "value_at_risk", "incidents", "last_at"],
              more=["segment", "lifetime_value", "recovery", "last_channel", "last_touchpoint"])
    followup.open_case_control(source, "at_risk", review.at_risk["customer_id"], key="overview.at_risk")

st.subheader("What customers wrote about this week")
if review.comment_themes.empty:
    st.caption("No theme of the comments grew significantly against the four weeks before. See the Comments page.")
else:
    dataframe(review.comment_themes, hide_index=True, key="overview.comment_themes",
              column_config={"theme": "Theme", "share": st.column_config.NumberColumn("Share this week", format="percent"),
                             "before_share": st.column_config.NumberColumn("4 weeks before", format="percent"),
                             "example": st.column_config.TextColumn("For example", width="large")})
    st.caption("Themes whose share of the week's comments grew by more than chance would explain (checked "
               "together, Benjamini–Hochberg q < 0.05); examples are masked comments shown as plain text.")

st.subheader("Share")
st.caption("The sidebar's **Copy link** reopens exactly this view; or export the report:")
left, right = st.columns(2)
left.download_button("Download report (HTML)", data=lambda: html_bytes(review, figures, source.scales),
                     file_name=report_name(review, "html"), mime="text/html", on_click="ignore",
                     icon=":material/download:", key="overview.html")
right.download_button("Download report (PDF)", data=lambda: pdf_bytes(review, figures, source.scales),
                      file_name=report_name(review, "pdf"), mime="application/pdf", on_click="ignore",
                      icon=":material/picture_as_pdf:", key="overview.pdf")
