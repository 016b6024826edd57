"""Drivers: why a score moved (mix shift or real change), what relates to it, and who is no longer answering."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cx import metrics
from cx.charts import drivers as figures
from cx.drivers.cohort import cohort_trend
from cx.drivers.keydrivers import DriversError, key_drivers
from cx.drivers.mix import decomposable, mix_shift
from cx.outcomes import outcome_candidates
from cx.review.weeks import default_week
from cx.schema import DIMENSIONS
from ui.cache import cached_by_source
from ui.widgets import chart, dataframe, md_escape, page_start, show_error

BY_LABELS = {"channel": "Channel", "journey_stage": "Journey stage", "touchpoint": "Touchpoint",
             "segment": "Customer segment", "region": "Region"}


@cached_by_source(ttl=1800, max_entries=32)
def load_mix(source, metric: str, by: str, before: tuple, after: tuple, scope):
    return mix_shift(source, metric, by, before, after, scope)


@cached_by_source(ttl=1800, max_entries=16)
def load_drivers(source, metric: str, outcome: str | None, scope):
    return key_drivers(source, metric, scope, outcome=outcome)


@cached_by_source(ttl=1800, max_entries=16)
def load_outcomes(source) -> list[str]:
    return outcome_candidates(source, numeric=True)


@cached_by_source(ttl=1800, max_entries=16)
def load_cohort(source, metric: str, grain: str, scope):
    return cohort_trend(source, metric, grain, scope)


def date_range(label: str, default: tuple[dt.date, dt.date], key: str, bounds) -> tuple[dt.date, dt.date] | None:
    picked = st.date_input(label, value=default, min_value=bounds[0], max_value=bounds[1], key=key)
    return tuple(picked) if isinstance(picked, (tuple, list)) and len(picked) == 2 else None


source, scope, summary = page_start(
    "Drivers", "Why a score moved — a real change or a shift in who answered where — and what relates to it.")
available = metrics.available(summary)
definitions = metrics.definitions(source.scales)

# --- why it moved: within channels, or a shift in mix ------------------------------------------
st.subheader("Why it moved")
movable = [m for m in available if decomposable(definitions[m]) is None and not definitions[m].per_customer]
cuts = [d for d in BY_LABELS if summary.column_counts.get(d if DIMENSIONS.get(d) == "interactions" else f"customers.{d}", 0)]
if summary.last is None or not movable or not cuts:
    st.info("A mix-shift split needs dated scores and a channel, stage or segment column.")
else:
    left, middle = st.columns(2)
    metric = left.selectbox("Metric", movable, format_func=lambda m: definitions[m].label, key="drivers.mix_metric")
    by = middle.selectbox("Cells", cuts, format_func=BY_LABELS.get, key="drivers.mix_by")
    monday = default_week(summary.last, summary.first)
    bounds = (summary.first.date(), summary.last.date())
    a, b = st.columns(2)
    with a:
        before = date_range("Before", (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)),
                            "drivers.before", bounds)
    with b:
        after = date_range("After", (monday, monday + dt.timedelta(days=6)), "drivers.after", bounds)
    if before is None or after is None:
        st.info("Pick a start and an end day for both periods.")
    else:
        try:
            shift = load_mix(source, metric, by, before, after, scope)
        except metrics.MetricError as exc:
            show_error(exc)
        else:
            warning = shift.warning()
            if warning:
                st.warning(md_escape(warning), icon=":material/swap_vert:")
            st.markdown(md_escape(shift.explanation()))
            one, two = st.columns(2)
            with one:
                chart(figures.mix_waterfall(shift), key="drivers.waterfall")
            with two:
                chart(figures.mix_cells(shift), key="drivers.cells")
            st.caption("within = Σ average share × change of the cell's score; mix = Σ change of share × the cell's "
                       "average score (relative to the average level); the two sum exactly to the change.")
            # read whole at 1024 px: each cell's score before and after and its part of the change; answers and
            # shares in a detail table under it
            number = st.column_config.NumberColumn
            dataframe(shift.cells.round(3), hide_index=True, key="drivers.mix_table",
                      column_order=[by, "value_before", "value_after", "within", "mix", "change"],
                      more=["n_before", "n_after", "weight_before", "weight_after"],
                      more_label="More columns: answers and share of answers in each period",
                      column_config={by: BY_LABELS.get(by, by), "value_before": number("Before", format="%.1f"),
                                     "value_after": number("After", format="%.1f"),
                                     "within": number("Within", format="%+.2f", help="the cell's own change, weighted"),
                                     "mix": number("Mix", format="%+.2f", help="the cell's change of share"),
                                     "change": number("Change", format="%+.2f", help="within + mix"),
                                     "n_before": number("Answers before", format="localized", step=1),
                                     "n_after": number("Answers after", format="localized", step=1),
                                     "weight_before": number("Share before", format="percent"),
                                     "weight_after": number("Share after", format="percent")})

# --- what drives the score ----------------------------------------------------------------------
st.subheader("What drives the score")
scores = [m for m in ("nps", "csat") if m in available]
if not scores:
    st.info("Key drivers explain NPS or CSAT answers; these data have neither.")
else:
    left, right = st.columns(2)
    metric = left.selectbox("Score", scores, format_func=lambda m: definitions[m].label, key="drivers.metric")
    outcomes = ["(each answer)"] + [o for o in load_outcomes(source) if o != "churned"]
    outcome = right.selectbox("Explain", outcomes, key="drivers.outcome",
                              help="Each answer: its channel, stage, touchpoint and service times. A customer column "
                                   "(an overall verdict of a wide survey): the touchpoint ratings as drivers.")
    try:
        with st.spinner("Splitting the explained variance between the drivers (bootstrap)…"):
            found = load_drivers(source, metric, None if outcome == outcomes[0] else outcome, scope)
    except DriversError as exc:
        show_error(exc)
    else:
        top = found.table.iloc[0]
        st.markdown(md_escape(
            f"Together the drivers explain {100 * found.r2:.1f}% of the variance of "
            f"{definitions[metric].label if found.design == 'contact' else found.metric} "
            f"(95% CI {100 * found.r2_low:.1f}–{100 * found.r2_high:.1f}%); the strongest is {top.driver} "
            f"({top.share:.0f}% of what is explained)."))
        for row in found.table[found.table["kind"] == "measure"].itertuples():
            st.markdown(md_escape(f"- {row.driver}: {row.share:.0f}% of what is explained; performance "
                                  f"{row.performance:.0f} ({row.performance_means})"))
        # one above the other: side by side at 1024 px their axis titles and point labels were cut
        chart(figures.driver_importance(found.table, found.r2), key="drivers.importance")
        chart(figures.focus_areas(found.table), key="drivers.focus")
        st.caption(md_escape(f"{found.n:,} rows analysed: {found.sample}. Importance: each driver's share of what "
                             "the drivers together explain, with its 95% interval; performance is on 0–100 "
                             "(see the table). " + " ".join(found.notes)))
        with st.expander("How this is computed", icon=":material/calculate:"):
            st.caption("Importance = Shapley share of R² (general dominance: a driver's average gain in R² over "
                       "every subset of the other drivers); 95% bootstrap intervals.")
        # read whole at 1024 px; the kind of driver and what its performance measures in a detail table under it
        number = st.column_config.NumberColumn
        dataframe(found.table.round(4), hide_index=True, key="drivers.table", more=["kind", "performance_means"],
                  more_label="More columns: kind of driver, what its performance is",
                  column_order=["driver", "share", "importance", "ci_low", "ci_high", "performance"],
                  column_config={"driver": "Driver", "kind": "Kind",
                                 "share": number("Share (%)", format="%.0f", help="share of what is explained"),
                                 "importance": number("R²", format="%.3f", help="the part of R² the driver explains"),
                                 "ci_low": number("Low", format="%.3f", help="95% bootstrap interval of R²"),
                                 "ci_high": number("High", format="%.3f", help="95% bootstrap interval of R²"),
                                 "performance": number("Performance", format="%.0f", help="0–100"),
                                 "performance_means": "Performance is"})

# --- survivorship: the fixed cohort -----------------------------------------------------------
st.subheader("Who is no longer answering")
has_churn = summary.column_counts.get("customers.churned", 0) > 0
if not scores or summary.last is None or not has_churn:
    st.info("The fixed-cohort view needs dated NPS or CSAT answers and a churn flag per customer.")
else:
    left, right = st.columns(2)
    metric = left.selectbox("Score", scores, format_func=lambda m: definitions[m].label, key="drivers.cohort_metric")
    grain = right.selectbox("Grain", ["month", "quarter", "week"], key="drivers.cohort_grain")
    try:
        trend = load_cohort(source, metric, grain, scope)
    except metrics.MetricError as exc:
        show_error(exc)
    else:
        st.markdown(md_escape(trend.explanation()))
        chart(figures.cohort_chart(trend, definitions[metric].label), key="drivers.cohort")
        st.caption(f"Cohort: the {trend.size:,} customers who answered between {trend.cohort[0]:%d %b %Y} and "
                   f"{trend.cohort[1]:%d %b %Y}. Shaded: every departed member counted as not satisfied (bottom) "
                   "or as satisfied (top); members still customers who did not answer are left out.")
        # read whole at 1024 px: the usual view beside the cohort's; the cohort's counts in a detail table under it
        number = st.column_config.NumberColumn
        dataframe(trend.table.round({c: 2 for c in trend.table.columns if c != "period"}), hide_index=True,
                  key="drivers.cohort_table", more=["lost", "silent", "churned"],
                  more_label="More columns: members lost, silent and churned",
                  column_config={"period": st.column_config.DateColumn("Period", format="YYYY-MM-DD"),
                                 "usual": number("Every answer", format="%.1f", help="as the Trends page shows it"),
                                 "respondents": number("Cohort answers", format="%.1f",
                                                       help="cohort members who answered, each once"),
                                 "fixed": number("Departed: low", format="%.1f",
                                                 help="departed members counted as not satisfied"),
                                 "fixed_high": number("Departed: high", format="%.1f",
                                                      help="departed members counted as satisfied"),
                                 "answered": number("Answered", format="localized", step=1),
                                 "lost": number("Lost", format="localized", step=1, help="churned by the period's end, no answer"),
                                 "silent": number("Silent", format="localized", step=1, help="still customers, no answer"),
                                 "churned": number("Churned", format="localized", step=1, help="cumulative churned members")})
