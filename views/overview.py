"""Overview: the weekly review meeting's screen — what moved, is it real, what broke, who needs a call."""

import datetime as dt

import streamlit as st

from cx.app import ui
from cx.review import weekly as reviews
from cx.review.export import html_bytes, pdf_bytes, report_name
from cx.review.weekly import format_value

source = ui.current_source()
scope = ui.current_scope()
view = ui.current_view()
summary = ui.source_summary(source)

if summary.last is None:
    st.title("Weekly review")
    st.info("These data have no dated interactions, so there is no week to review. Trends over time need "
            "an `occurred_at` column; the Journeys and Churn pages still work.")
    st.stop()

default = reviews.default_week(summary.last, summary.first)
first = reviews.parse_week(summary.first.date())
weeks = [reviews.week_label(default - dt.timedelta(days=7 * i)) for i in range(0, (default - first).days // 7 + 1)]
asked = ui.url_state("week", weeks[0])
st.selectbox("Week under review", weeks, index=weeks.index(asked) if asked in weeks else 0, key="overview.week",
             help="ISO weeks, Monday to Sunday. The default is the last complete week in the data.")
week = st.session_state["overview.week"]
ui.set_url_state("week", week)

try:
    with st.spinner(f"Comparing {week} with the weeks before…"):
        review = ui.load_review(source, week, scope, view.min_n)
        tables = ui.load_review_trends(source, week, scope, view.min_n)
        figures = reviews.review_figures(source, review, tables)
except (reviews.ReviewError, ValueError) as exc:
    ui.show_error(str(exc))
    st.stop()

st.title(f"Weekly review — {review.week}")
st.caption(f"{review.start:%a %d %b} – {review.end:%a %d %b %Y} against the previous week and the 4-week average "
           f"before it · {review.source_label} · ● = significant at 5%")

trends = {name.split(":", 1)[1]: fig for name, fig in figures.items() if name.startswith("trend:")}
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

st.subheader("What happened")
for sentence in review.sentences:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.markdown(ui.md_escape(sentence.text))
    right.page_link(f"views/{sentence.page}.py", label=f"Open {sentence.page}", icon=":material/arrow_forward:",
                    query_params=sentence.query)

st.subheader("What moved")
if review.movers.empty:
    st.info(f"None of the {review.tested} channel × stage changes tested is significant after the "
            "Benjamini–Hochberg correction: this week's differences are within noise.")
else:
    st.plotly_chart(figures["movers"], key="overview.movers")
    st.caption(f"{len(review.movers)} of {review.tested} channel × stage changes are significant after the "
               "Benjamini–Hochberg correction (q < 0.05), sorted by impact = size of change × responses.")

trend_names = list(trends)
if trend_names:
    st.subheader("Trends")
    for left, right in zip(trend_names[::2], trend_names[1::2] + [None]):
        a, b = st.columns(2)
        a.plotly_chart(trends[left], key=f"overview.trend.{left}")
        if right:
            b.plotly_chart(trends[right], key=f"overview.trend.{right}")

st.subheader(f"Critical incidents this week ({len(review.incidents):,})")
if review.incidents.empty:
    st.caption("No critical incident this week.")
else:
    st.dataframe(review.incidents, hide_index=True)
    st.caption(f"{review.unrecovered:,} journeys ended on an unrecovered incident. Drill into any of them on the "
               "Incidents page.")
st.subheader(f"Customers newly at risk ({len(review.at_risk):,})")
for note in review.notes:
    st.caption(note)
if review.at_risk.empty and not review.notes:
    st.caption("No customer active this week is among the model's highest value at risk.")
else:
    st.dataframe(review.at_risk, hide_index=True)

st.subheader("Share")
link = ui.share_link("overview")
st.code(link, language=None)
st.caption("Copy the link (button at the right of the box) to reopen exactly this view, or export the report.")
left, right = st.columns(2)
left.download_button("Download report (HTML)", data=lambda: html_bytes(review, figures, source.scales),
                     file_name=report_name(review, "html"), mime="text/html", on_click="ignore",
                     icon=":material/download:", key="overview.html")
right.download_button("Download report (PDF)", data=lambda: pdf_bytes(review, figures, source.scales),
                      file_name=report_name(review, "pdf"), mime="application/pdf", on_click="ignore",
                      icon=":material/picture_as_pdf:", key="overview.pdf")
