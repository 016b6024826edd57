"""Overview: the weekly review meeting's screen — what moved, is it real, what broke, who needs a call."""

import datetime as dt

import streamlit as st

from cx.app import followup, state
from cx.app.cache import cached_by_source, in_background, ready
from cx.app.widgets import chart, dataframe, md, md_escape, page_start, share_link, show_error
from cx.charts import add_goal_lines
from cx.loop.targets import status as target_status
from cx.review import weekly as reviews
from cx.review.export import html_bytes, pdf_bytes, report_name
from cx.review.weekly import format_value


@cached_by_source(ttl=1800, max_entries=32)
def _load_review(source, week: str | None, scope):
    return reviews.weekly_review(source, week, scope, extras=False)


def load_review(source, week: str | None, scope, min_n: int):
    """The week's review (KPIs, story, movers); incidents and customers at risk come from :func:`load_extras`.

    Cached by source, week and scope only: a new minimum n re-selects the movers without a query.
    """
    return _load_review(source, week, scope).with_min_n(min_n)


@in_background(max_entries=16)
def load_extras(source, week: str, scope):
    """The week's incidents and customers at risk: the churn fit behind them takes seconds, so it runs
    in the background, once per source, week and scope (shared by every session on the demo)."""
    return reviews.review_extras(source, week, scope)


@cached_by_source(ttl=1800, max_entries=32)
def load_review_trends(source, week: str | None, scope) -> dict:
    """The 12-week metric tables behind the review's trend charts and tile sparklines."""
    return reviews.trend_tables(source, _load_review(source, week, scope))


def review_weeks(summary) -> list[str]:
    """ISO weeks with data, the default (last complete) week first."""
    default = reviews.default_week(summary.last, summary.first)
    first = reviews.parse_week(summary.first.date())
    return [reviews.week_label(default - dt.timedelta(days=7 * i)) for i in range(0, (default - first).days // 7 + 1)]


def chosen_week(summary) -> str | None:
    """The week under review: the picker's, else the URL's, else the default (None without dates)."""
    if summary is None or summary.last is None:
        return None
    weeks = review_weeks(summary)
    state.start_from_url("overview.week", "week", weeks, weeks[0])
    return st.session_state["overview.week"]


def title(summary) -> str:
    week = chosen_week(summary)
    return f"Weekly review — {week}" if week else "Weekly review"


source, scope, summary = page_start(title)
view = state.current_view()
if summary.last is None:
    st.info("These data have no dated interactions, so there is no week to review. Trends over time need "
            "an `occurred_at` column; the Journeys and Churn pages still work.")
    st.stop()

week = st.selectbox("Week under review", review_weeks(summary), key="overview.week",
                    help="ISO weeks, Monday to Sunday. The default is the last complete week in the data.")
state.set_url_state("week", week)

try:
    with st.spinner(f"Comparing {week} with the weeks before…"):
        review = load_review(source, week, scope, view.min_n)
        tables = load_review_trends(source, week, scope)
        extras_job = load_extras(source, review.week, review.scope)  # starts now; drawn below the tiles
except (reviews.ReviewError, ValueError) as exc:
    show_error(exc)
    st.stop()

span = f"{review.start:%a %d %b} – {review.end:%a %d %b %Y}"
st.caption(md("{span} against the previous week and the 4-week average before it · {label} · "
              "● = significant at 5%", span=span, label=review.source_label))

goals = {t.metric: t for t in followup.saved_targets(source)[0] if not t.cell}  # overall targets only
columns = st.columns(4)
for i, row in enumerate(review.kpis.itertuples()):
    color = "gray" if row.better is None or not row.significant else ("blue" if row.better else "orange")
    spark = tables[row.metric]["value"].dropna().tolist() if row.metric in tables else None
    with columns[i % 4]:
        st.metric(
            f"{row.label}{' ●' if row.significant else ''}",
            format_value(row.value, row.unit),
            delta=None if row.delta != row.delta else format_value(row.delta, row.unit, signed=True),
            delta_color=color, delta_description="vs last week", border=True, chart_data=spark,
            help=f"95% CI {format_value(row.ci_low, row.unit)} – {format_value(row.ci_high, row.unit)} · "
                 f"n = {row.n:,} (last week {row.previous_n:,}) · 4-week average {format_value(row.trailing, row.unit)}"
                 + ("" if row.p_value != row.p_value else f" · p = {row.p_value:.2g}"),
        )
        if row.metric in goals:
            goal = goals[row.metric]
            st.caption(f"Target {goal.describe()}: **{target_status(row.value, row.ci_low, row.ci_high, goal.value, goal.higher_is_better)}**")

headline_mix = next((shift for shift in review.mix if shift.by == ("channel",)), None)  # why the first KPI moved
if headline_mix is not None:
    (st.warning if headline_mix.simpson else st.caption)(md_escape(headline_mix.warning() or headline_mix.explanation()))

extras = ready(extras_job, "Listing this week's critical incidents and fitting the churn model for the customers "
                           "at risk", key="overview.extras")
if extras is not None:
    review = review.with_extras(extras)
figures = reviews.review_figures(source, review, tables)
trends = {name.split(":", 1)[1]: fig for name, fig in figures.items() if name.startswith("trend:")}
for name in trends:
    add_goal_lines(trends[name], followup.goal_lines(source, name, ()))

st.subheader("What happened")
for sentence in review.sentences:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(md_escape(sentence.text))
    right.page_link(f"views/{sentence.page}.py", label=f"Open {sentence.page}", icon=":material/arrow_forward:",
                    query_params=sentence.query)

st.subheader("What moved")
if review.movers.empty:
    st.info(f"None of the {review.tested} channel × stage changes tested is significant after the "
            "Benjamini–Hochberg correction: this week's differences are within noise.")
else:
    chart(figures["movers"], key="overview.movers")
    st.caption(f"{len(review.movers)} of {review.tested} channel × stage changes are significant after the "
               "Benjamini–Hochberg correction (q < 0.05), sorted by impact = size of change × responses.")

followup.alert_panel(source, week, scope, key="overview")

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
    pass  # the progress line under the tiles says what is coming; the page fills in when it is ready
elif review.incidents.empty:
    st.subheader("Critical incidents this week (0)")
    st.caption("No critical incident this week.")
else:
    st.subheader(f"Critical incidents this week ({len(review.incidents):,})")
    dataframe(review.incidents, hide_index=True, key="overview.incidents")
    st.caption(f"{review.unrecovered:,} journeys ended on an unrecovered incident. Drill into any of them on the "
               "Incidents page.")
    followup.open_case_control(source, ("incident", "detractor"), review.incidents["customer_id"],
                               key="overview.incidents")
if extras is not None:
    st.subheader(f"Customers newly at risk ({len(review.at_risk):,})")
    for note in review.notes:
        st.caption(md_escape(note))
    if review.at_risk.empty and not review.notes:
        st.caption("No customer active this week is among the model's highest value at risk.")
    else:
        dataframe(review.at_risk, hide_index=True, key="overview.at_risk")
        followup.open_case_control(source, "at_risk", review.at_risk["customer_id"], key="overview.at_risk")

    st.subheader("What customers wrote about this week")
    if review.comment_themes.empty:
        st.caption("No theme of the comments grew significantly against the four weeks before. See the Comments page.")
    else:
        dataframe(review.comment_themes, hide_index=True, key="overview.comment_themes",
                  column_config={"share": st.column_config.NumberColumn("share this week", format="percent"),
                                 "before_share": st.column_config.NumberColumn("4 weeks before", format="percent"),
                                 "example": st.column_config.TextColumn("for example", width="large")})
        st.caption("Themes whose share of the week's comments grew significantly (Benjamini–Hochberg q < 0.05); "
                   "examples are masked comments shown as plain text.")

st.subheader("Share")
st.code(share_link(""), language=None)  # the start page lives at "/" ("/overview" is not a page of its own)
st.caption("Copy the link (button at the right of the box) to reopen exactly this view, or export the report.")
left, right = st.columns(2)
if extras is None:
    st.caption("The report can be downloaded once the incidents and customers at risk are ready.")
    st.stop()
left.download_button("Download report (HTML)", data=lambda: html_bytes(review, figures, source.scales),
                     file_name=report_name(review, "html"), mime="text/html", on_click="ignore",
                     icon=":material/download:", key="overview.html")
right.download_button("Download report (PDF)", data=lambda: pdf_bytes(review, figures, source.scales),
                      file_name=report_name(review, "pdf"), mime="application/pdf", on_click="ignore",
                      icon=":material/picture_as_pdf:", key="overview.pdf")
