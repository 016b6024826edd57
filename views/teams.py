"""Teams: scores by agent or team, shrunk by their n, with intervals and rank intervals, and response rates."""

from __future__ import annotations

import streamlit as st

from cx import metrics
from cx.charts import teams as team_charts
from cx.teams import TEAM_METRICS, extremes, team_scores
from cx.teams.response import RESPONSE_METRICS, has_offers, response_rates, response_warning
from ui.cache import cached_by_source
from ui.widgets import chart, dataframe, download_csv, end_page, md, page_start, show_error

GROUP_LABELS = {"agent": "Agent", "team": "Team"}


@cached_by_source
def load_scores(source, metric: str, by: str, scope, min_n: int):
    scores = team_scores(source, metric, by=by, scope=scope, min_n=min_n)
    return scores, dict(scores.attrs)


@cached_by_source
def load_response_rates(source, metric: str, by: str, scope):
    return response_rates(source, metric, by=[by], scope=scope)


def signed(value: float, unit: str) -> str:
    return f"{value:+.0f}" if unit == "points" else f"{value:.1f}"


source, scope, summary = page_start(
    "Teams and agents",
    "A rating is credited to the agent who handled the contact when it was rated. Scores are pulled toward "
    "the overall level as far as their number of answers warrants, so an agent with six "
    "lucky ratings does not top the table.")
groups = [g for g in GROUP_LABELS if summary.column_counts.get(g, 0) > 0]
if not groups:
    st.info("These data say nobody handled the contacts: map an agent or team column "
            "(assignee, queue, group…) on the **Data** page.")
    end_page()
definitions = metrics.definitions(source.scales)
available = [m for m in TEAM_METRICS if m in metrics.available(summary)]
if not available:
    st.info("These data have no scores or service times to compare across agents or teams.")
    end_page()

metric = st.segmented_control("Metric", available, format_func=lambda m: definitions[m].label,
                              key="teams.metric", default=available[0], required=True) or available[0]
by_col, n_col = st.columns([2, 3])
by = by_col.segmented_control("Compare", groups, format_func=GROUP_LABELS.get, key="teams.by", default=groups[0],
                              required=True) or groups[0]
min_n = n_col.slider("Minimum n", 5, 200, 30, step=5, key="teams.min_n",
                     help="Groups with fewer answers are faded and flagged low_n (their scores are shrunk either way).")
definition = definitions[metric]
try:
    scores, about = load_scores(source, metric, by, scope, min_n)
except metrics.MetricError as exc:
    show_error(exc)
    end_page()
if scores.empty:
    st.info(f"No {definition.label} answers are credited to any {by} under these filters.")
    end_page()
scores.attrs.update(about)
unit = definition.unit

# --- who stands out, always with n and the rank interval ---------------------------------------
found = extremes(scores)


def ranks(row) -> str:
    """ "1–3" for a rank interval, "25" when it is one rank."""
    return f"{row['rank_low']}" if row["rank_low"] == row["rank_high"] else f"{row['rank_low']}–{row['rank_high']}"


best, worst, raw_best, raw_worst = found["best"], found["worst"], found["raw_best"], found["raw_worst"]
k = len(scores)
st.markdown(md(
    "**Most likely best:** {best} — {label} {shrunk} (95% interval {lo} to {hi}), n = {n}, rank {rank} of {k}.  \n"
    "**Most likely worst:** {worst} — {label} {wshrunk} (95% interval {wlo} to {whi}), n = {wn}, rank {wrank} of {k}.",
    best=best[by], label=definition.label, shrunk=signed(best["shrunk"], unit), lo=signed(best["ci_low"], unit),
    hi=signed(best["ci_high"], unit), n=f"{best['n']:,}", rank=ranks(best), k=k,
    worst=worst[by], wshrunk=signed(worst["shrunk"], unit), wlo=signed(worst["ci_low"], unit),
    whi=signed(worst["ci_high"], unit), wn=f"{worst['n']:,}", wrank=ranks(worst)))
for leader, word in ((raw_best, "best"), (raw_worst, "worst")):
    if leader[by] != (best if word == "best" else worst)[by]:
        st.warning(md(
            "**{name}** has the {word} raw {label} ({raw} on {n} answers) but is not the {word} {group}: with "
            "{few} answers the score is pulled toward the overall level {overall}, to {shrunk} (95% interval {lo} "
            "to {hi}), and the rank could be anywhere from {rl} to {rh} of {k}.",
            name=leader[by], word=word, label=definition.label, raw=signed(leader["raw"], unit),
            n=f"{leader['n']:,}", group=by, few="so few" if leader["low_n"] else "these",
            overall=signed(scores.attrs["overall"], unit), shrunk=signed(leader["shrunk"], unit),
            lo=signed(leader["ci_low"], unit), hi=signed(leader["ci_high"], unit), rl=leader["rank_low"],
            rh=leader["rank_high"], k=k), icon=":material/casino:")

# one under the other: side by side, their titles were cut off at 1024 px
chart(team_charts.caterpillar_chart(scores, by, definition.label, unit), key="teams.caterpillar")
chart(team_charts.rank_chart(scores, by), key="teams.ranks")
low = int(scores["low_n"].sum())
st.caption(
    f"{int(scores['n'].sum()):,} answers credited to {k} {by}s · {definition.definition} · "
    "filled marks: shrunk score with its 95% credible interval; hollow: the raw score"
    + (f" · {low} faded {by}{'s' if low != 1 else ''} with n under {min_n}" if low else "")
    + " · the range of ranks each could hold, 95% of the time")
with st.expander("How this is computed", icon=":material/calculate:"):
    st.caption("Scores are shrunk by empirical Bayes (beta-binomial for shares, normal-normal with a REML "
               "between-agent variance for means and NPS); the intervals are 95% credible intervals, and the rank "
               "intervals are simulated from the posteriors (4,000 draws).")

shown = scores[[by, "n", "raw", "shrunk", "ci_low", "ci_high", "rank_low", "rank_high", "raw_rank", "low_n",
                "standing"]].round({"raw": 2, "shrunk": 2, "ci_low": 2, "ci_high": 2})
interval = "95% credible interval of the shrunk score"
score_format = "%.1f" if unit == "points" else "%.2f"
# Read whole at 1024 px: who, on how many answers, the shrunk score with its interval and rank interval, and
# where it stands; the raw score and rank and the low-n flag in a detail table under it (all in the download).
dataframe(shown, hide_index=True, key="teams.table", more=["raw", "raw_rank", "low_n"],
          more_label="More columns: raw score, raw rank, fewer answers than the minimum n",
          column_config={
              by: GROUP_LABELS[by], "n": st.column_config.NumberColumn("Answers", format="localized", step=1),
              "shrunk": st.column_config.NumberColumn("Score", format=score_format, help="pulled toward the overall level as far as the n "
                                                                    "warrants"),
              "ci_low": st.column_config.NumberColumn("Low", format=score_format, help=interval),
              "ci_high": st.column_config.NumberColumn("High", format=score_format, help=interval),
              "rank_low": st.column_config.NumberColumn("Best rank", format="%d", help="95% rank interval"),
              "rank_high": st.column_config.NumberColumn("Worst rank", format="%d", help="95% rank interval"),
              "raw": st.column_config.NumberColumn("Raw score", format=score_format),
              "raw_rank": st.column_config.NumberColumn("Raw rank", format="%d"),
              "low_n": st.column_config.CheckboxColumn(f"n under {min_n}"),
              "standing": st.column_config.TextColumn("vs overall", help="above / below: the whole interval lies on that "
                                                                        "side of the overall level; within: it crosses it")})
download_csv("Download table (CSV)", shown, file_name=f"teams_{metric}_{by}.csv", key="teams.csv")

# --- response rates by the same groups ----------------------------------------------------------
if metric in RESPONSE_METRICS:
    st.subheader("Response rates")
    if not has_offers(source, summary):
        st.caption("These data do not mark which contacts were offered a survey, so response rates are unknown: "
                   "map a survey-offered column on the **Data** page.")
    else:
        rates = load_response_rates(source, metric, by, scope)
        warning = response_warning(rates, by)
        if warning:
            st.warning(warning, icon=":material/how_to_vote:")
        rate_interval = "95% interval of the response rate (%)"
        dataframe(rates.drop(columns="period").round({"response_rate": 1, "ci_low": 1, "ci_high": 1}),
                  hide_index=True, key="teams.rates",
                  column_config={by: GROUP_LABELS[by], "offered": st.column_config.NumberColumn("Offered", format="localized", step=1),
                                 "answered": st.column_config.NumberColumn("Answered", format="localized", step=1),
                                 "response_rate": st.column_config.NumberColumn("Response rate (%)", format="%.1f"),
                                 "ci_low": st.column_config.NumberColumn("Low", format="%.1f", help=rate_interval),
                                 "ci_high": st.column_config.NumberColumn("High", format="%.1f", help=rate_interval)})
        st.caption(f"Share of the contacts offered a survey that carry a {definition.label} answer, by {by}; "
                   "a score speaks for those who answered.")
