"""Journeys: how customers move through the stages, how each stage and channel feels, where they flow next."""

from __future__ import annotations

import streamlit as st

from cx import metrics
from cx.charts import journeys as journey_charts
from cx.journeys import stages as journeys_stages
from ui import state
from ui.cache import in_background, ready
from ui.widgets import chart, download_csv, end_page, page_start

FLOW_BY = {"journey_stage": "Journey stage", "channel": "Channel", "touchpoint": "Touchpoint"}
HEAT_VALUES = {"mean_index": "Experience index", "incident_rate": "Incident rate", "interactions": "Volume"}


# Each part is one or a few queries over every interaction: seconds on a warehouse of millions. They run
# in the background (once per source and scope; demo sessions share them), two at a time, and each part
# is drawn when its numbers are in, with a progress line until then.
@in_background(max_entries=16)
def find_funnel(source, scope):
    return journeys_stages.stage_funnel(source, scope)


@in_background(max_entries=16)
def find_stage_metrics(source, scope):
    return journeys_stages.stage_metrics(source, scope)


@in_background(max_entries=16)
def find_matrix(source, scope, rules):
    return journeys_stages.stage_channel_matrix(source, scope, rules)


@in_background(max_entries=32)
def find_flows(source, scope, by: str, steps: int):
    return journeys_stages.journey_flows(source, scope, by=by, steps=steps)


source, scope, summary = page_start(
    "Journeys", "How far customers get, how each stage and channel feels, and where customers go next. "
                "The experience index puts NPS, CSAT and effort on one 0–100 scale (100 = best).")
min_n = state.current_view().min_n
if not summary.stages:
    st.info("These data have no journey stages. Map a stage column on the **Data** page to see the funnel.")

# --- funnel and metrics by stage ---------------------------------------------------------------
funnel_col, metrics_col = st.columns([2, 3])
with funnel_col:
    st.subheader("Funnel")
    funnel = ready(find_funnel(source, scope), "Counting the customers at each stage", key="journeys.funnel")
    if funnel is not None:
        chart(journey_charts.funnel_chart(funnel), key="journeys.funnel")
    if scope.stages:
        st.caption("The funnel shows every stage: the stage filter does not apply to it.")
with metrics_col:
    st.subheader("Metrics by stage")
    by_stage = ready(find_stage_metrics(source, scope), "Computing the metrics of each stage",
                     key="journeys.stage_metrics")
    if by_stage is not None:
        by_stage = by_stage.assign(low_n=by_stage["n"] < min_n)
        labels = {k: (d.label, d.unit) for k, d in metrics.definitions(source.scales).items()}
        chart(journey_charts.stage_metrics_chart(by_stage, labels), key="journeys.stage_metrics")
    st.caption("All dates in the filter pooled · whiskers are 95% confidence intervals · faded, hatched bars "
               f"have fewer than {min_n} responses.")

# --- stage × channel ---------------------------------------------------------------------------
st.subheader("Stage × channel")
heat = st.segmented_control("Show", list(HEAT_VALUES), format_func=HEAT_VALUES.get, key="journeys.heat",
                            default=state.start_from_url("journeys.heat", "heat", list(HEAT_VALUES), "mean_index"),
                            required=True) or "mean_index"
state.set_url_state("heat", None if heat == "mean_index" else heat)
matrix = ready(find_matrix(source, scope, source.rules), "Following every journey through stages and channels "
               "(incidents need each customer's whole history)", key="journeys.matrix")
if matrix is not None:
    chart(journey_charts.stage_channel_heatmap(matrix, heat, min_n=min_n), key="journeys.heatmap")
    counted = "scored interactions" if heat == "mean_index" else "interactions"
    st.caption(("" if heat == "interactions" else "Blue: better than the whole grid, vermilion: worse · ")
               + f"faded cells have fewer than {min_n} {counted}.")
    download_csv("Download grid (CSV)", matrix, file_name="stage_by_channel.csv", key="journeys.matrix_csv")

# --- flows -------------------------------------------------------------------------------------
st.subheader("Where customers go next")
flow_options = [k for k in FLOW_BY if summary.column_counts.get(k, 0) > 0]
if not flow_options:
    st.info("No stage, channel or touchpoint column to follow.")
    end_page()
by_col = steps_col = st.container(horizontal=True, wrap=True, vertical_alignment="bottom", gap="large")
flow_by = by_col.segmented_control("Follow", flow_options, format_func=FLOW_BY.get, key="journeys.flow_by",
                                   default=state.start_from_url("journeys.flow_by", "flow", flow_options,
                                                                flow_options[0]),
                                   required=True) or flow_options[0]
wanted = state.url_state("steps", "4")  # the slider's default is the value shown (see ui.state.start_from_url)
steps = steps_col.slider("Steps", min_value=2, max_value=6, key="journeys.steps", width=220,
                         value=st.session_state.get("journeys.steps", int(wanted) if wanted in list("23456") else 4))
state.set_url_state("steps", None if steps == 4 else str(steps))
state.set_url_state("flow", None if flow_by == flow_options[0] else flow_by)
flows = ready(find_flows(source, scope, flow_by, steps), "Following each customer's steps", key="journeys.flows")
if flows is not None:
    chart(journey_charts.flow_sankey(flows), key="journeys.sankey")
    st.caption("Consecutive interactions with the same value are one step; each link counts customers.")
    download_csv("Download flows (CSV)", flows, file_name=f"flows_{flow_by}.csv", key="journeys.flows_csv")
