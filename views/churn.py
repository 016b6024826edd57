"""Churn drivers: which experiences relate to customers leaving, how sure we are, and who is at risk now."""

import datetime as dt

import pandas as pd
import streamlit as st

from cx.charts import churn as churn_charts
from cx.churn import CAVEAT, METRIC_LABELS, ChurnModelError, CutoffRule, FeatureError, what_if
from cx.db import SourceError
from cx.display import currency, money
from cx.metrics import plausible as plausibility
from cx.outcomes import OutcomeError
from ui.cache import cached_by_source, ready
from ui.churn_fit import DEFAULT_RULE, MIN_POSITIVES, fit_report, load_outcomes
from ui.followup import open_case_control
from ui.state import set_url_state, url_state
from ui.widgets import (
    TILE_WIDTH,
    chart,
    dataframe,
    download_csv,
    end_page,
    md_escape,
    page_start,
    positive_options,
    positive_value,
    show_error,
    tile_row,
    top_first,
)


@cached_by_source(max_entries=64)
def load_what_if(source, outcome: str, positive, rule: CutoffRule, scope, attributes: tuple, min_positives: int,
                 allowed: tuple, driver: str, change: float, mode: str, segment: str | None, channel: str | None):
    report = fit_report(source, outcome, positive, rule, scope, attributes, min_positives, allowed).result()
    return what_if(report, driver, change, mode=mode, segment=segment, channel=channel)


def where(frame, moment: str):
    """ "chat · payment": a moment's channel and touchpoint in one cell (either alone when the other is
    unknown or not in the data; missing when neither is)."""
    missing = pd.Series(pd.NA, index=frame.index, dtype="string")
    channel, touchpoint = (frame[c].astype("string") if c in frame else missing
                           for c in (f"{moment}_channel", f"{moment}_touchpoint"))
    return channel.where(channel.isna() | touchpoint.isna(), channel + " · " + touchpoint).fillna(touchpoint)


source, scope, summary = page_start(
    "Churn drivers", "Which experiences relate to customers leaving, how sure we are, and who is at risk now — "
                     "a simple model, checked on customers it did not see, with a 95% interval on every number.")

yes_no, two_valued = load_outcomes(source)  # a SourceError ends the page in the shared frame (widgets.run_page)
outcomes = list(dict.fromkeys([*yes_no, *two_valued]))
if not outcomes:
    st.info("This data has no customer column with two values to model (such as *churned*): no churn column. Map one "
            "on the **Data** page (or pass --outcome to `cx churn`).")
    end_page()

# --- what to model -------------------------------------------------------------------------------
left, middle, right = st.columns([1, 1.4, 1.6])
wanted = url_state("outcome", outcomes[0])
outcome = left.selectbox("Outcome", outcomes, index=outcomes.index(wanted) if wanted in outcomes else 0,
                         key="churn.outcome", help="Any customer column with two values can replace churn.")
set_url_state("outcome", outcome if outcome != outcomes[0] else None)
positive = None
if outcome in two_valued:
    positive = left.selectbox("Counts as yes", positive_options(outcome, yes_no, two_valued), key=f"churn.positive.{outcome}",
                              format_func=str,  # "yes (as the column says)" was cut at 1024 px
                              help="Which of the two values is the outcome (e.g. Satisfied); \"yes\" reads the column as "
                                   "the yes/no it is. A good outcome ranks the customers least likely to reach it.")
    positive = positive_value(positive, outcome, yes_no)
rules = {"before_outcome": "Before each churn date", "window": "Observation window + horizon"}
rule_kind = middle.radio("Cut-off rule (no peeking at the future)", list(rules), format_func=rules.get,
                         key="churn.rule", horizontal=True, disabled=outcome != "churned")
attributes = right.multiselect("Add customer attributes (optional)", [a for a in ("segment", "region") if source.has(f"customers.{a}")]
                               + [a for a in source.customer_attributes if a != outcome],
                               key="churn.attributes", placeholder="Experience measures only",
                               help="The default model uses experience measures only; attributes join when picked.")
rule = DEFAULT_RULE
if rule_kind == "window" and outcome == "churned":
    last = summary.last.date() if summary.last is not None else dt.date.today()
    w1, w2 = st.columns(2)
    horizon = w2.number_input("Outcome horizon (days)", min_value=7, max_value=730, value=90, step=1, key="churn.horizon")
    default_cut = max(last - dt.timedelta(days=int(horizon)), summary.first.date() if summary.first is not None else last)
    cutoff = w1.date_input("Observation window ends", value=default_cut, max_value=last, key="churn.cutoff")
    rule = CutoffRule("window", cutoff=cutoff, horizon_days=int(horizon))
with st.expander("Guard rails"):
    min_positives = st.number_input("Minimum customers in each class", min_value=5, max_value=10_000, value=MIN_POSITIVES,
                                    step=5, key="churn.min_positives",
                                    help="Below this, no model is fitted: the intervals would span almost everything.")

# --- fit -----------------------------------------------------------------------------------------
try:
    report = ready(fit_report(source, outcome, positive, rule, scope, tuple(attributes), int(min_positives),
                              tuple(st.session_state.get("churn.allow_leak", []))),
                   "Fitting: building features in the database, checking on held-out customers, computing the intervals",
                   key="churn.fit")
    if report is None:
        end_page()
except ChurnModelError as exc:
    st.warning(f"**No model:** {exc}", icon="🛑")
    end_page()
except (FeatureError, OutcomeError, SourceError) as exc:
    show_error(str(exc))
    end_page()

card = report.card
st.info(f"**Cut-off rule in force.** {card.rule_text}", icon="✂️")
for message in report.warnings:
    if message.startswith("LEAK"):
        st.error(f"**{message.split(':', 1)[0]}:**{md_escape(message.split(':', 1)[1])}", icon="🚨")
    elif message.startswith("Suspected leak"):  # an attribute that predicts the outcome almost alone: kept, named
        st.warning(f"**Suspected leak:**{md_escape(message.split(':', 1)[1])}", icon="🕵️")
    else:
        st.warning(md_escape(message), icon="⚠️")
for message in plausibility.churn_report(report):
    st.warning(md_escape(message), icon="🤨")
if card.excluded:
    st.warning("**Left out as leaks (they carry the outcome, so they are neither inputs nor drivers):** "
               + "; ".join(f"*{md_escape(name)}* — {md_escape(why)}" for name, why in card.excluded.items()), icon="🚫")
st.multiselect("Keep a leak in the model anyway (its warning stays on this page)",
               sorted({*card.excluded, *card.allowed}), key="churn.allow_leak",
               help="Only when you know the column was recorded before the outcome and independently of it.")


def md_lines(text: str) -> str:
    """A note as the characters it holds, each of its lines ("• …") on a line of its own."""
    return md_escape(text).replace("\n", "  \n")


#: The model card's count of positives and their share, by how the outcome reads ("churning"): words, not a field name.
POSITIVES = {"churning": ("Churned", "Share churned")}
#: The share of the customers each round of cross-validation holds out, by the number of rounds: "a fifth" of 5.
HELD_OUT = {2: "half", 3: "third", 4: "quarter", 5: "fifth", 6: "sixth", 8: "eighth", 10: "tenth"}


def separation_words(yes: str, no: str, many: str) -> dict[str, tuple[str, str]]:
    """The three out-of-fold scores as a CX lead reads them (label, help); the method names are under "How
    this is computed"."""
    return {
        "roc_auc": (f"Ranks {many} higher",
                    f"How often the model gives {yes} a higher chance than {no} "
                    f"({METRIC_LABELS['roc_auc']}). 0.5 is a coin toss, 1 perfect."),
        "pr_auc": ("Precision at the top", f"How many of those the model ranks highest are {many}, "
                                           f"averaged down the list ({METRIC_LABELS['pr_auc']}). Higher is better."),
        "brier": ("Error of the chances", f"The mean squared gap between each chance and what happened "
                                          f"({METRIC_LABELS['brier']}). Lower is better."),
    }


# --- model card and scores -------------------------------------------------------------------------
st.subheader("Model card")
with st.container(border=True):
    tiles = tile_row()  # wraps instead of cutting a value at 1024 px
    tiles.metric("Customers", f"{card.n:,}", width=TILE_WIDTH,
                 help="the customers the model learns from: those in the filters whose outcome is known at the "
                      "cut-off. The Data page counts every customer in the data, so its number can be larger.")
    # the chosen value, named ("verdict = Satisfied"); the column's name and value as the characters they are
    named, value = md_escape(card.outcome), "yes" if card.positive is None else md_escape(card.positive)
    counted, share = POSITIVES.get(card.chance_of, (f"{named} = {value}", f"Share with {named} = {value}"))
    tiles.metric(counted, f"{card.positives:,}", width=TILE_WIDTH)
    tiles.metric(share, f"{card.positive_share:.1%}", width=TILE_WIDTH)
    tiles.metric("Features", f"{len(card.features)}", width=TILE_WIDTH)
    if card.sample:  # very many customers: the fit saw a stratified sample, the scores cover everyone
        st.caption(f"Customers: the model learned from a stratified sample of {card.sample.size:,} of the "
                   f"{card.sample.total:,} (see below); the at-risk list scores all {card.sample.total:,}.")
    rounds = len(report.folds)  # one round a fold
    st.markdown("**Model.** A simple, transparent model (each measure pushes the chance up or down by a fixed amount), "
                "so its reasons can be read below.  \n"
                "**Validation.** How well it separates is measured on customers the model did not see while it was "
                f"fitted ({rounds} rounds, each holding out a different {HELD_OUT.get(rounds, f'1 in {rounds}')} of the "
                f"customers).  \n**Data as of.** {card.as_of or 'undated interactions'}")
    with st.expander("How this is computed", icon=":material/calculate:"):
        st.caption(f"**Model.** {card.model_text}  \n**Validation.** {card.cv_scheme}"
                   + "".join("  \n" + md_lines(line) for line in card.details))
    with st.expander(f"{len(card.features)} features used"):
        st.write(", ".join(card.features))
    for note in card.notes:
        st.caption(md_lines(note))

st.subheader("How well it separates (on customers held out of each fit, 95% intervals)")
tiles = tile_row()
yes, no, many = ("a churner", "a stayer", "churners") if card.chance_of == "churning" else ("a yes", "a no", "yeses")
for metric, (label, help_text) in separation_words(yes, no, many).items():
    iv = report.cv[metric]
    tile = tiles.container(width=TILE_WIDTH)
    tile.metric(label, f"{iv.value:.3f}", help=help_text)
    tile.caption(f"95% interval {iv.ci_low:.3f} – {iv.ci_high:.3f}")
st.caption(f"By chance alone: 0.5 for the ranking, {card.positive_share:.3f} for the top of the list (the share of "
           f"{many}); the error of a constant guess of that share: "
           f"{card.positive_share * (1 - card.positive_share):.3f}.")
with st.expander("How this is computed", icon=":material/calculate:"):
    st.caption(f"{METRIC_LABELS['roc_auc']} (the ranking), {METRIC_LABELS['pr_auc']} (average precision: the top of "
               f"the list) and {METRIC_LABELS['brier']} (the mean squared error of the chances), each on out-of-fold "
               f"predictions ({rounds}-fold cross-validation), with 95% intervals: DeLong's for the ROC AUC, the percentile "
               "bootstrap's for the other two. Calibration: intercept "
               f"{report.calibration_fit[0]:+.2f}, slope {report.calibration_fit[1]:.2f} (ideal 0 and 1).")
top_first()  # a new browser draws the tiles before it loads the code of the charts and tables below them
chart(churn_charts.calibration_plot(report.calibration), key="churn.calibration")

# --- drivers -------------------------------------------------------------------------------------
st.subheader("Which measures matter")
chart(churn_charts.feature_set_comparison(report.feature_sets), key="churn.sets")
st.caption("Each set is fitted and cross-validated the same way; overlapping intervals mean the data cannot "
           "tell those sets apart.")
# Read whole at 1024 px: the measure, which way it goes, its odds ratio with the interval; the AUC lost (also
# charted below), its spread and the size of 1 SD in a detail table under it.
drivers_table = report.drivers_table()
# "higher → less likely churned" in the column's label and its cells: "Higher → churned", "less likely"
drivers_table.insert(drivers_table.columns.get_loc("direction"), "effect", drivers_table.pop("direction").str.removeprefix(
    "higher → ").str.removesuffix(f" {card.outcome}"))
dataframe(drivers_table, hide_index=True, key="churn.drivers", more=["importance", "importance_sd", "sd"],
          more_label="More columns: AUC lost when shuffled and its spread, 1 SD in the measure's units",
          column_order=["feature", "effect", "odds_ratio", "ci_low", "ci_high"],
          column_config={"feature": "Measure",
                         "effect": st.column_config.TextColumn(f"Higher → {card.outcome}",
                                                               help="more / less likely: the 95% interval of the odds "
                                                                    "ratio lies above / below 1; unclear: it includes 1"),
                         "odds_ratio": st.column_config.NumberColumn("Odds ratio", format="%.2f",
                                                                     help="per standard deviation of the measure"),
                         "ci_low": st.column_config.NumberColumn("Low", format="%.2f", help="95% bootstrap interval"),
                         "ci_high": st.column_config.NumberColumn("High", format="%.2f", help="95% bootstrap interval"),
                         "importance": st.column_config.NumberColumn("AUC lost", format="%.3f",
                                                                     help="ROC AUC lost when the measure is shuffled"),
                         "importance_sd": st.column_config.NumberColumn("AUC lost ± SD", format="%.4f"),
                         "sd": st.column_config.NumberColumn("1 SD =", format="%.3g")})
# one under the other: side by side, their titles were cut off at 1024 px
chart(churn_charts.odds_ratio_forest(report.odds_ratios, top=15,
                                     title="Odds ratios, strongest evidence first (95% intervals)"),
      key="churn.odds")
chart(churn_charts.permutation_importance_chart(report.importance), key="churn.importance")
st.caption("Odds ratios per standard deviation of each measure (the table gives 1 SD in the measure's own units); "
           "vermilion: more likely, blue: less likely, grey: the 95% interval includes 1. Permutation importance: held-out "
           "ROC AUC lost when the measure is shuffled.")

# --- what-if -------------------------------------------------------------------------------------
st.subheader("What if…")
drivers = report.drivers()
if not drivers:
    st.info("No experience measure in the model to move (only customer attributes): nothing to try here.")
else:
    # two controls a row: four side by side cut "End of journey (index)" and "All segments" at 1024 px
    w1, w2 = st.columns([1.4, 1])
    w3, w4 = st.columns(2)
    # the default is the driver with the strongest evidence (on the demo: the end of the journey)
    strongest = report.strongest_driver()
    driver = w1.selectbox("Move this driver", drivers, format_func=lambda d: report.labels.get(d, d), key="churn.driver",
                          index=drivers.index(strongest) if strongest in drivers else 0)
    if driver == "recovery":
        change = w2.slider("Share of unrecovered incidents recovered", 0, 100, 50, step=5, format="%d%%",
                           key="churn.share") / 100
        mode = "share"
    elif driver.endswith("_index") or driver.startswith("tp: "):
        change = float(w2.slider("Change (index points)", -30, 30, 10, step=1, key="churn.points"))
        mode = "absolute"
    else:
        change = w2.slider("Change (%)", -50, 50, -20, step=5, format="%d%%", key="churn.pct") / 100
        mode = "relative"
    segment = w3.selectbox("Segment", [None, *report.segments()], format_func=lambda s: "All segments" if s is None else s,
                           key="churn.segment")
    channel = w4.selectbox("Channel", [None, *report.channels()], format_func=lambda c: "All channels" if c is None else c,
                           key="churn.channel")
    result = load_what_if(source, outcome, positive, rule, scope, tuple(attributes), int(min_positives),
                          tuple(st.session_state.get("churn.allow_leak", [])), driver, change, mode, segment, channel)
    if result.customers == 0:
        st.info("No customer at risk matches this segment and channel.")
    else:
        tiles = tile_row()
        m1, m2, m3 = (tiles.container(width=TILE_WIDTH) for _ in range(3))
        m1.metric("Customers affected", f"{result.customers:,}")
        # the outcome's own words and direction: more "being Satisfied" is good news (green), more churn is not
        m2.metric(f"Chance of {result.chance_of}", f"{result.churn_after:.1%}",
                  f"{(result.churn_after - result.churn_before) * 100:+.2f} pts",
                  delta_color="normal" if result.good else "inverse")
        cc = result.churners_change
        m2.caption(f"{cc.value:+,.1f} customers {md_escape(result.chance_of)} (95% CI {cc.ci_low:+,.1f} to "
                   f"{cc.ci_high:+,.1f})")
        lc = result.ltv_at_risk_change
        if "lifetime_value" in report.population and report.population["lifetime_value"].notna().any():
            m3.metric("Lifetime value at risk", money(result.ltv_at_risk_before + lc.value), money(lc.value, signed=True),
                      delta_color="inverse")
            m3.caption(f"95% CI {money(lc.ci_low, signed=True)} to {money(lc.ci_high, signed=True)}")
        else:
            m3.metric("Lifetime value at risk", "—", help="No lifetime value is mapped in this data.")
        st.caption(md_escape(result.headline()) + ".")
        if cc.includes(0):
            st.caption("The interval includes no change: in this data, moving this driver is not clearly related to "
                       f"{outcome}.")
st.info(CAVEAT, icon="ℹ️")

# --- at risk -------------------------------------------------------------------------------------
st.subheader("At risk now")
st.caption(f"The customers {card.risk_words}"
           + (f" (among those with {outcome} = yes now)" if card.good_outcome else f" (among those without {outcome} = yes)")
           + ", ranked by that chance × lifetime value, with their worst "
           "moment and last interaction. Probabilities are out-of-fold (each from a model that never saw the customer), "
           "recalibrated by the calibration line.")
# Read whole at 1024 px: who, how likely, what is at stake, when it went worst and when we last heard from
# them; the segment, lifetime value, where those moments happened (channel · touchpoint), incidents and
# recovery in a detail table under it; every column as it is in the download.
at_risk = report.at_risk.assign(worst_where=lambda f: where(f, "worst"), last_where=lambda f: where(f, "last"))
dataframe(at_risk.drop(columns=["worst_channel", "worst_touchpoint", "last_channel", "last_touchpoint"], errors="ignore"),
          hide_index=True, key="churn.at_risk",
          column_order=["customer_id", "rank", "probability", "value_at_risk", "worst_at", "last_at"],
          more=["segment", "lifetime_value", "worst_moment_index", "worst_where", "incidents", "recovery", "last_where"],
          more_label="More columns: segment, lifetime value, where the worst moment and the last contact were, "
                     "incidents, recovery",
          column_config={"rank": st.column_config.NumberColumn("#", format="%d", width=44),
                         "customer_id": st.column_config.TextColumn("Customer"),
                         "probability": st.column_config.ProgressColumn("Chance", format="percent", min_value=0.0,
                                                                        max_value=1.0, width=110),
                         "lifetime_value": st.column_config.NumberColumn(f"Lifetime value ({currency()})",
                                                                         format="localized", step=1),
                         "value_at_risk": st.column_config.NumberColumn(
                             f"At risk ({currency()})", format="localized", step=1,
                             help="chance × lifetime value"),
                         "worst_moment_index": st.column_config.NumberColumn("Worst (index)", format="%.0f",
                                                                             help="the worst moment's index, 0–100"),
                         "worst_at": st.column_config.DatetimeColumn("Worst moment", format="YYYY-MM-DD",
                                                                     help="the customer's worst-scored interaction"),
                         "worst_where": st.column_config.TextColumn("Worst: where", help="channel · touchpoint"),
                         "last_at": st.column_config.DatetimeColumn("Last contact", format="YYYY-MM-DD"),
                         "last_where": st.column_config.TextColumn("Last: where", help="channel · touchpoint"),
                         "segment": "Segment",
                         "incidents": st.column_config.NumberColumn("Incidents", format="%d"),
                         "recovery": "Recovery"})
download_csv("Download the at-risk list (CSV)", report.at_risk, f"at-risk-{outcome}.csv", key="churn.download")
open_case_control(source, "at_risk", report.at_risk["customer_id"], key="churn")
st.caption(f"Fitted in {report.seconds:.1f} s.")
