"""Critical incidents: the moments that will dominate memory, how journeys end after them, and whether
the peak-end view tracks the outcome better than the average on these data."""

from __future__ import annotations

import dataclasses
import hashlib

import streamlit as st

from cx import journeys
from cx.charts import journeys as journey_charts
from cx.ingest.editor import mappings_json
from cx.metrics import plausible
from cx.outcomes import parse_outcome, two_valued_outcomes
from cx.schema import IncidentRules
from ui import state
from ui.cache import cached_by_source, in_background, ready
from ui.followup import open_case_control
from ui.widgets import (
    TILE_WIDTH,
    chart,
    dataframe,
    download_csv,
    download_on_request,
    end_page,
    md,
    md_escape,
    page_start,
    positive_options,
    positive_value,
    show_error,
    tile_row,
    top_first,
    with_why,
)

SORTS = {"severity": "Most severe", "recency": "Most recent"}
LIST_LIMIT = 500
SHOWN = ["occurred_at", "customer_id", "channel", "journey_stage", "touchpoint", "index", "severity", "reasons",
         "journey_class", "is_worst", "is_end", "comment"]


def _features(source, scope, rules, outcome: str | None, positive=None):
    """Every journey's features (with the outcome, parsed as the page asks), as the database gives them."""
    if outcome:
        features = journeys.journey_outcomes(source, outcome, scope, rules)
        if positive is not None:
            features[outcome] = parse_outcome(features[outcome], outcome, positive)
        return features
    return journeys.journey_features(source, scope, rules)


# A warehouse gives a million journeys and their query takes tens of seconds: it runs in the background
# (once per source, scope, rules and outcome; demo sessions share it) while the page shows a progress line,
# and only the totals and a narrow frame for the statistics are kept (journeys.compact), never the full one.
@in_background(max_entries=16)
def build_features(source, scope, rules, outcome: str | None, positive=None):
    features = _features(source, scope, rules, outcome, positive)
    return journeys.summarize_journeys(features), journeys.compact(features, outcome)


@in_background(max_entries=32)
def find_incidents(source, scope, rules, sort: str, classes: tuple, kinds: tuple, limit: int):
    return journeys.incidents(source, scope, rules, sort=sort, classes=classes, kinds=kinds, limit=limit)


@cached_by_source
def load_journey(source, scope, rules, outcome: str | None, positive, customer_id: str):
    """One customer's journey features (the same numbers as their row among everyone's)."""
    if outcome:
        return journeys.journey_outcomes(source, outcome, scope, rules, customer_id=customer_id)
    return journeys.journey_features(source, scope, rules, customer_id=customer_id)


@in_background
def compare(source, scope, rules, outcome: str, positive=None, *, _features):
    """The bootstrap comparison (seconds): in the background, once per source, scope, rules and outcome."""
    return journeys.compare_predictors(_features, outcome)


def load_comparison(source, scope, rules, outcome: str, positive, features):
    """The comparison when it is ready, else None (a progress line is drawn instead)."""
    job = compare(source, scope, rules, outcome, positive, _features=features)
    return ready(job, "Comparing what customers remember (bootstrap resamples)", key="incidents.compare")


@cached_by_source
def load_outcomes(source) -> tuple[list[str], dict[str, list]]:
    return journeys.outcome_columns(source), two_valued_outcomes(source)


@cached_by_source
def load_timeline(source, customer_id: str, scope, rules):
    return journeys.customer_timeline(source, customer_id, scope, rules)


def rules_editor(base: IncidentRules) -> IncidentRules:
    """The incident rules for this session, starting from the source's (saved with its mapping)."""
    with st.expander("Incident rules", icon=":material/tune:"):
        left, middle, right = st.columns(3)
        use_nps = left.checkbox("Use the NPS rule", base.nps_at_most is not None, key="incidents.rule.use_nps")
        nps = left.number_input("NPS at or below", 0, 10, base.nps_at_most if base.nps_at_most is not None else 2,
                                key="incidents.rule.nps", disabled=not use_nps)
        csat = middle.checkbox("CSAT at the bottom of its scale", base.csat_bottom, key="incidents.rule.csat")
        ces = middle.checkbox("Effort at the worst end of its scale", base.ces_worst, key="incidents.rule.ces")
        slow = middle.checkbox("Resolution slower than the channel's 95th percentile",
                               base.resolution_above_channel_p95, key="incidents.rule.slow")
        use_days = right.checkbox("Use the repeat-contact rule", base.repeat_contact_days is not None,
                                  key="incidents.rule.use_days")
        days = right.number_input("Repeat contact within (days) after an unresolved first contact", 1, 90,
                                  base.repeat_contact_days or 7, key="incidents.rule.days", disabled=not use_days)
        good = right.number_input("A good end has an index of at least", 0.0, 100.0, float(base.good_end_index),
                                  step=5.0, key="incidents.rule.good")
        st.caption("An interaction is a critical incident when any rule holds. The experience index is NPS × 10, "
                   "CSAT and effort rescaled to 0–100 on their declared scales (effort reversed when higher = "
                   "harder), averaged over the scores an interaction has. The rules apply to every page "
                   "(journeys, churn drivers, the weekly review) for this session.")
        rules = IncidentRules(nps_at_most=int(nps) if use_nps else None, csat_bottom=csat, ces_worst=ces,
                              resolution_above_channel_p95=slow, repeat_contact_days=int(days) if use_days else None,
                              good_end_index=float(good))
        save_with_mapping(rules)
    return rules


def save_with_mapping(rules: IncidentRules) -> None:
    """Offer the loaded upload's mapping with these rules, so that next week's export uses the same ones."""
    upload = state.loaded_upload()
    if upload is None or not upload.mappings:
        st.caption("Uploads save their rules with the mapping (Data → Save mapping); "
                   "these changes last for this session.")
        return
    saved = {name: dataclasses.replace(mapping, rules=rules) for name, mapping in upload.mappings.items()}
    st.download_button("Save the mapping with these rules (JSON)", data=mappings_json(saved), file_name="mapping.json",
                       mime="application/json", key="incidents.save_mapping", on_click="ignore",
                       help="Load it with next week's export on the Data page: the columns, scales and these rules.")


source, scope, summary = page_start(
    "Critical incidents", "People remember an experience by its worst moment and its end (the peak-end rule). "
                          "These are the moments that will dominate your customers' memory of you.")
state.set_rules(rules_editor(source.rules))
source = state.current_source()
rules = source.rules

readable, two_valued = load_outcomes(source)
outcomes = list(dict.fromkeys([*readable, *two_valued]))
outcome = state.start_from_url("incidents.outcome", "outcome", outcomes, outcomes[0]) if outcomes else None
positive = None  # the "Counts as yes" box is drawn further down; its last choice (or its default) is read here
if outcome in two_valued:
    offered = positive_options(outcome, readable, two_valued)
    default = 0 if outcome in readable else len(offered) - 1  # the box's own default, below
    positive = positive_value(st.session_state.get(f"incidents.positive.{outcome}", offered[default]), outcome, readable)

try:
    built = ready(build_features(source, scope, rules, outcome, positive),
                  "Building every customer's journey in the database (on a large warehouse this takes a while)",
                  key="incidents.features")
except ValueError as exc:  # an outcome column that cannot be read as yes/no or a number
    show_error(exc)
    end_page()
totals, features = built if built is not None else (None, None)
if totals is not None and totals.journeys == 0:
    st.info("No interactions match these filters.")
    end_page()
if totals is not None:
    tiles = tile_row()
    tiles.metric("Critical incidents", f"{totals.incidents:,}",
                   help="in the whole history of the journeys shown; the list below shows those inside the filters",
                   width=TILE_WIDTH)
    tiles.metric("Journeys with an incident", f"{totals.journeys_with_incident:,}",
                   help=f"of {totals.journeys:,} journeys: one per customer with an interaction in these filters "
                        "(customers who never got in touch have no journey, so this can be fewer than all customers)",
                   width=TILE_WIDTH)
    tiles.metric("Recovered", f"{totals.recovered:,}", help="an incident, then a good end", width=TILE_WIDTH)
    tiles.metric("Unrecovered", f"{totals.unrecovered:,}", width=TILE_WIDTH)
    top_first()  # a new browser draws the tiles before it loads the code of the tables and charts below them

# --- the list ----------------------------------------------------------------------------------
st.subheader("Incident list")
sort_col = class_col = kind_col = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
sort = sort_col.segmented_control("Order", list(SORTS), format_func=SORTS.get, key="incidents.sort",
                                  default=state.start_from_url("incidents.sort", "sort", list(SORTS), "severity"),
                                  required=True) or "severity"
state.set_url_state("sort", None if sort == "severity" else sort)
classes = class_col.multiselect("Journeys", ["recovered", "unrecovered"], key="incidents.classes",
                                default=state.start_list_from_url("incidents.classes", "journeys",
                                                                  ["recovered", "unrecovered"]),
                                placeholder="Recovered and unrecovered", width=260)
labels = journeys.rule_labels(rules, source.scales)
kinds = kind_col.multiselect("Rules", list(labels), format_func=labels.get, key="incidents.kinds",
                             default=state.start_list_from_url("incidents.kinds", "rules", list(labels)),
                             placeholder="Any rule", width=320)
state.set_url_list("journeys", classes)
state.set_url_list("rules", kinds)
found = ready(find_incidents(source, scope, rules, sort, tuple(classes), tuple(kinds), LIST_LIMIT),
              "Finding the critical incidents", key="incidents.list")

selected = None
if found is None:
    pass  # the progress line is drawn; the list fills in when it is found
elif found.empty:
    st.info("No critical incidents match these filters and rules.")
else:
    # A selection is a row position; a re-sorted or re-filtered list is a new table with no selection,
    # so the customer whose journey is open (kept by id, in the URL) never silently changes.
    listing = hashlib.sha1(repr((sort, classes, kinds, scope, rules)).encode()).hexdigest()[:10]
    shown, why = with_why(found[SHOWN].fillna({"comment": "", "touchpoint": ""}), rules, source.scales)
    event = dataframe(
        shown, hide_index=True, key=f"incidents.table.{listing}",
        on_select="rerun",
        selection_mode="single-row",
        height=360,
        # the customer first (pinned), what a meeting reads in 1024 px; the rest under "More columns"
        column_order=["customer_id", "occurred_at", "channel", "severity", "why"],
        more=["reasons", "journey_stage", "touchpoint", "index", "journey_class", "is_worst", "is_end", "comment"],
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
            "customer_id": "Customer", "channel": "Channel", "journey_stage": "Stage", "touchpoint": "Touchpoint",
            "index": st.column_config.NumberColumn("Index", format="%.0f", help="experience index, 0–100"),
            "severity": st.column_config.NumberColumn("Severity", help="number of incident rules broken"),
            **why,
            "journey_class": "Journey",
            "is_worst": st.column_config.CheckboxColumn("Worst", help="the journey's worst moment"),
            "is_end": st.column_config.CheckboxColumn("End", help="the journey's last scored moment"),
            "comment": st.column_config.TextColumn("Comment", width="large"),
        },
    )
    rows = event.selection.rows if event and event.selection else []
    if rows:
        selected = str(found.iloc[rows[0]]["customer_id"])
    st.caption(f"{len(found):,} incidents shown (at most {LIST_LIMIT}) · select a row to open that customer's "
               "journey · comments are shown as plain text.")
    download_csv("Download incidents (CSV)", found, file_name=f"incidents_{sort}.csv", key="incidents.csv")
    open_case_control(source, ("incident", "detractor"), [selected, *found["customer_id"]], key="incidents")

# --- the customer's journey ----------------------------------------------------------------------
if selected is not None:
    state.set_url_state("customer", selected)
customer = selected or state.url_state("customer")  # from a link: any text, shown as the characters it is
if customer:
    timeline = load_timeline(source, customer, scope, rules)
    st.subheader(md("Customer {customer}", customer=customer))
    mine = load_journey(source, scope, rules, outcome, positive, customer)
    if timeline.empty or mine.empty:
        st.info("This customer has no interactions under the current filters.")
    else:
        row = mine.iloc[0]
        stats = tile_row()
        for label, value in [("Average", row["mean"]), ("Worst", row["worst"]), ("End", row["end"]),
                             ("Peak-end", row["peak_end"])]:
            stats.metric(label, "–" if value != value else f"{value:.0f}", width=110)
        stats.metric("Journey", str(row["journey_class"]).capitalize(), width=TILE_WIDTH)
        chart(journey_charts.timeline_chart(timeline, rules.good_end_index), key="incidents.timeline")
        said = timeline[timeline["comment"].notna()][["occurred_at", "channel", "index", "comment"]]
        if len(said):
            dataframe(said, hide_index=True, key="incidents.comments",
                         column_config={"occurred_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD"),
                                        "index": st.column_config.NumberColumn("Index", format="%.0f"),
                                        "comment": st.column_config.TextColumn("What they said", width="large")})
else:
    st.caption("Select an incident above to see that customer's journey.")

# --- outcomes ----------------------------------------------------------------------------------
st.subheader("How journeys end, and what follows")
if not outcomes:
    st.info("Load a customers table with an outcome (e.g. churned) to compare clean, recovered and unrecovered "
            "journeys.")
    end_page()
choose_outcome, choose_positive = st.columns(2)
choose_outcome.selectbox("Outcome", outcomes, key="incidents.outcome", index=outcomes.index(outcome),
                         help="Any yes/no, two-valued or numeric customer column. For churn, journeys are cut at the "
                              "churn date.")
if outcome in two_valued:
    choose_positive.selectbox("Counts as yes", offered, key=f"incidents.positive.{outcome}",
                              format_func=str,  # "yes (as the column says)" was cut at 1024 px
                              index=default,
                              help="Which of the two values is the outcome; \"yes\" reads the column as the yes/no it is.")
state.set_url_state("outcome", None if outcome == outcomes[0] else outcome)
if features is None:
    st.caption("The comparison follows once every journey is built (see the progress line above).")
    end_page()
try:
    by_class = journeys.outcome_by_class(features, outcome)
except ValueError as exc:
    show_error(exc)
    end_page()
binary = (by_class["kind"] == "binary").all()
for row in by_class.itertuples() if binary else ():
    warning = plausible.check("churn" if outcome == "churned" and positive is None else "outcome", row.value, row.n,
                              f"among {row.journey_class} journeys")
    if warning:
        st.warning(warning, icon="🤨")
left, right = st.columns(2)
with left:
    chart(journey_charts.outcome_by_class_chart(by_class, outcome), key="incidents.by_class")
    st.caption("Recovered: an incident followed by a good end (index ≥ "
               f"{rules.good_end_index:g}). Whiskers are 95% confidence intervals.")
    with st.expander("How this is computed", icon=":material/calculate:"):
        st.caption("The whiskers: " + ("Wilson score intervals of each class's rate."
                                       if (by_class["kind"] == "binary").all() else "t intervals of each class's mean."))

with right:
    st.markdown("#### What do your customers remember?")
    comparison = load_comparison(source, scope, rules, outcome, positive, features)
    if comparison is None:
        pass  # the progress line is drawn; the page fills in when the comparison is done
    elif comparison.best is None:
        st.info(comparison.headline)
    else:
        (st.success if comparison.clear and comparison.best != "mean" else st.info)(md_escape(comparison.headline))
        chart(journey_charts.predictor_forest(comparison.table, comparison.measure), key="incidents.forest")
        measure = "AUC" if comparison.measure == "auc" else "correlation"
        with st.expander("How this is computed", icon=":material/calculate:"):
            st.markdown(md_escape(comparison.details))
            st.caption(md(f"Each bar: how well one summary of a journey (the {measure}) separates {{outcome}}; "
                          f"{comparison.direction}. Whiskers are 95% intervals.", outcome=outcome))
download_on_request("journey features", lambda: _features(source, scope, rules, outcome, positive),
                    file_name="journeys.csv", key="incidents.features_csv",
                    what=f"a file of all {totals.journeys:,} journeys with their features")
