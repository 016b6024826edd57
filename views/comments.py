"""Comments: what customers write, in themes and sentiment, tied to their scores and to churn."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import streamlit as st

from cx import text
from cx.charts import text as text_charts
from cx.db.write import StaleUpdate, app_store
from cx.text import comments as comment_sql
from cx.text import sentiment as sentiment_method
from cx.text.terms import comments_with_term, distinctive_terms
from cx.text.themes import KeywordTheme, theme_split, theme_trend
from ui.cache import cached_by_source
from ui.widgets import chart, dataframe, download_csv, end_page, md, page_start, show_error

SHOWN = 200
# Comment tables read whole at 1024 px: the date, the scores and the comment, wrapped on two lines.
ROW_HEIGHT = 52
COMMENT_COLUMNS = {
    "occurred_at": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD"), "channel": "Channel",
    "journey_stage": "Journey stage", "nps": st.column_config.NumberColumn("NPS", format="%d"),
    "csat": st.column_config.NumberColumn("CSAT", format="%g"),
    "sentiment": st.column_config.NumberColumn("Sentiment", format="%.2f"), "theme": "Theme",
    "comment": st.column_config.TextColumn("Comment", width=260)}


@cached_by_source
def load_analysis(source, scope, settings):
    """The analysis, with a progress bar while it runs (made and cleared inside, so a cache hit shows none)."""
    bar = st.progress(0.0, text="Reading comments…")
    result = text.analyse_comments(source, scope, settings,
                                   progress=lambda f, step: bar.progress(min(f, 1.0), text=f"{step}…"))
    bar.empty()
    return result


@cached_by_source
def load_keyword_counts(source, scope, keywords):
    return comment_sql.keyword_counts(source, scope, keywords, "week")


def saved_settings(source):
    return text.load_settings(app_store(), source.label)


source, scope, summary = page_start(
    "Comments", "What customers write: themes found without labels, sentiment beside the score, what "
    "to fix first, and the words that set two groups apart. E-mail addresses, phone and card numbers "
    "are masked.")
if not summary.column_counts.get("comment"):
    st.info("These data have no comments. Map a free-text column as **comment** on the **Data** page.")
    end_page()

settings, version = saved_settings(source)
analysis = load_analysis(source, scope, settings)
if analysis.in_scope == 0:
    st.info("No comments match these filters.")
    end_page()

read, analysed = len(analysis.comments), analysis.analysed
left_out = ", ".join(f"{row.n:,} {row.label}" for row in analysis.coverage.itertuples() if row.reason != "analysed")
st.caption(
    f"{analysis.in_scope:,} comments in scope" + (f", the newest {read:,} read" if read < analysis.in_scope else "")
    + f" · {len(analysed):,} analysed ({len(analysed) / max(read, 1):.0%})"
    + (f" · not analysed: {left_out}" if left_out else ""))
if analysed.empty:
    st.info("None of these comments could be analysed (themes and sentiment are English-only).")
    end_page()

themes, impact = analysis.themes, analysis.impact
if themes.empty:
    st.info("No themes: too few of these comments share words. Widen the filters or load more comments.")
    end_page()
has_nps = analysed["nps"].notna().any()

# --- themes --------------------------------------------------------------------------------------
st.subheader("Themes")
table = themes.assign(terms=themes["terms"].map(", ".join))
# Read whole at 1024 px; each theme's words (and whether it is pinned) in a detail table under it.
dataframe(table[["theme", "terms", "count", "share", "sentiment", "detractor_share", "promoter_share", "pinned"]],
          hide_index=True, key="comments.themes", more=["terms", "pinned"],
          more_label="More columns: the words of each theme, pinned",
          column_config={"theme": "Theme", "terms": "Words", "count": st.column_config.NumberColumn("Comments", format="localized", step=1),
                         "share": st.column_config.NumberColumn("Share", format="percent"),
                         "sentiment": st.column_config.NumberColumn("Sentiment", format="%.2f", help="−1 (negative) to 1 (positive)"),
                         "detractor_share": st.column_config.NumberColumn(
                             "Detractors" if has_nps else "Low CSAT", format="percent",
                             help="share of the detractors' comments that raise the theme"),
                         "promoter_share": st.column_config.NumberColumn(
                             "Promoters" if has_nps else "Top-two CSAT", format="percent",
                             help="share of the promoters' comments that raise the theme"),
                         "pinned": st.column_config.CheckboxColumn("Pinned")})
if has_nps:
    chart(text_charts.theme_groups_chart(themes), key="comments.groups")
else:
    chart(text_charts.theme_groups_chart(themes, "low_csat_share", "high_csat_share", "low CSAT", "top-two CSAT"),
          key="comments.groups")
st.caption("Share of each group's comments that raise the theme; each comment goes to its strongest theme. "
           "Sentiment: −1 (negative) to 1 (positive).")
with st.expander("How this is computed", icon=":material/calculate:"):
    st.caption("Themes: TF-IDF + NMF over words and two-word phrases. Sentiment: VADER's compound score (a lexicon "
               "rated by people, with rules for negation and emphasis), −1 to 1.")

# --- what to fix first -------------------------------------------------------------------------
st.subheader("What to fix first")
column, unit = ("nps", "NPS points") if has_nps else ("csat", "CSAT percentage points")
chart(text_charts.theme_impact_chart(impact, column, unit), key="comments.impact")
# Read whole at 1024 px: the theme, the points it costs, its gap in the score and in churn; the intervals,
# the other score and the rank in a detail table under it.
other = "csat" if has_nps else "nps"
churn = ["churn_gap"] if impact["churn_gap"].notna().any() else []  # no churn column: its gaps go to the detail table
gap_help = "score of the responses that raised the theme − the others'"
dataframe(impact, hide_index=True, key="comments.impact_table",
          column_order=["theme", "points_lost", f"{column}_gap", *churn, "count"],
          more=[c for c in ("share", f"{column}_low", f"{column}_high", "churn_gap", "churn_low", "churn_high",
                            f"{other}_gap", f"{other}_low", f"{other}_high", "rank") if c not in churn],
          more_label="More columns: 95% intervals, share, the other score's gap, rank",
          column_config={"theme": "Theme", "count": st.column_config.NumberColumn("Comments", format="localized", step=1),
                         "share": st.column_config.NumberColumn("Share", format="percent"),
                         "points_lost": st.column_config.NumberColumn("Points lost", format="%.1f",
                                                                      help=f"{unit} the overall score would gain if "
                                                                           "these responses scored like the rest"),
                         "nps_gap": st.column_config.NumberColumn("NPS gap", format="%+.1f", help=gap_help),
                         "nps_low": st.column_config.NumberColumn("NPS low", format="%+.1f"),
                         "nps_high": st.column_config.NumberColumn("NPS high", format="%+.1f"),
                         "csat_gap": st.column_config.NumberColumn("CSAT gap", format="%+.1f", help=gap_help),
                         "csat_low": st.column_config.NumberColumn("CSAT low", format="%+.1f"),
                         "csat_high": st.column_config.NumberColumn("CSAT high", format="%+.1f"),
                         "churn_gap": st.column_config.NumberColumn("Churn gap", format="%+.1f",
                                                                    help="churn (%) of the customers who raised it − "
                                                                         "the other commenting customers'"),
                         "churn_low": st.column_config.NumberColumn("Churn low", format="%+.1f"),
                         "churn_high": st.column_config.NumberColumn("Churn high", format="%+.1f"),
                         "rank": st.column_config.NumberColumn("Rank", format="%d")})
st.caption("Gap = score of the responses that raised the theme − the others' (95% interval); churn gap compares "
           "customers who raised it with the other commenting customers. Ranked by impact × volume: the points "
           "the overall score would gain if those responses scored like the rest.")

# --- over time and by channel / stage ------------------------------------------------------------
st.subheader("Over time, by channel and by journey stage")
names = themes["theme"].tolist()
picked = st.multiselect("Themes to follow", names, default=names[:4], key="comments.trend_themes")
trend = theme_trend(analysed)
if picked and not trend.empty:
    chart(text_charts.theme_trend_chart(trend, picked), key="comments.trend")
by = st.segmented_control("Split by", ["channel", "journey_stage", "touchpoint"], default="channel",
                          key="comments.by", required=True) or "channel"
chart(text_charts.theme_split_heatmap(theme_split(analysed, by), by, names), key="comments.split")

# --- the comments behind a theme -------------------------------------------------------------------
st.subheader("Comments behind a theme")
theme_name = st.selectbox("Theme", names, key="comments.theme")
behind = analysed[analysed["theme"] == theme_name]
st.caption(f"{len(behind):,} comments, newest first (at most {SHOWN} shown). Shown as plain text.")
dataframe(behind[["occurred_at", "channel", "journey_stage", "nps", "csat", "sentiment", "comment"]].head(SHOWN),
          hide_index=True, key="comments.behind", more=["journey_stage", "sentiment"],
          more_label="More columns: journey stage, sentiment", row_height=ROW_HEIGHT, column_config=COMMENT_COLUMNS)
download_csv("Download every analysed comment with its theme (CSV, masked)", analysis.assignments(),
             file_name="comment_themes.csv", key="comments.csv")

# --- sentiment beside the score ------------------------------------------------------------------
st.subheader("Sentiment beside the score")
scored = analysed.dropna(subset=["nps"]) if has_nps else analysed.dropna(subset=["csat"])
if not scored.empty:
    score = "nps" if has_nps else "csat"
    by_score = scored.groupby(score)["sentiment"].agg(["mean", "size"]).reset_index()
    dataframe(by_score.rename(columns={"mean": "mean sentiment", "size": "comments"}), hide_index=True,
              key="comments.by_score",
              column_config={score: st.column_config.NumberColumn(score.upper(), format="%g"),
                             "mean sentiment": st.column_config.NumberColumn("Mean sentiment", format="%.2f"),
                             "comments": st.column_config.NumberColumn("Comments", format="localized", step=1)})
odd = text.disagreements(analysis)
st.caption(f"Scores the words contradict (a promoter with sentiment ≤ −0.5, a detractor with ≥ 0.5): "
           f"{len(odd):,} shown. A comment reads negative at a sentiment ≤ {sentiment_method.NEGATIVE}, positive "
           f"≥ {sentiment_method.POSITIVE} (−1 to 1; how it is computed: under the themes' chart).")
dataframe(odd, hide_index=True, key="comments.disagreements", more=["channel", "theme"],
          more_label="More columns: channel, theme", row_height=ROW_HEIGHT, column_config=COMMENT_COLUMNS)

# --- distinctive words ---------------------------------------------------------------------------
st.subheader("Words that set two groups apart")
choices = ["detractors vs promoters", "low vs top-two CSAT", "this week vs last week"]
channels = sorted(analysed["channel"].dropna().unique())
choices += [f"channel {c} vs the rest" for c in channels]
versus = st.selectbox("Compare", choices, key="comments.versus")
if versus == "detractors vs promoters":
    a, b = analysed["nps"] <= 6, analysed["nps"] >= 9
elif versus == "low vs top-two CSAT":
    a, b = analysed["csat_top"] == 0, analysed["csat_top"] == 1
elif versus == "this week vs last week":
    last_day = analysed["occurred_at"].max()
    monday = (last_day - pd.Timedelta(days=last_day.weekday())).normalize() if pd.notna(last_day) else pd.NaT
    day = analysed["occurred_at"]
    a = (day >= monday) & (day < monday + dt.timedelta(days=7))
    b = (day >= monday - dt.timedelta(days=7)) & (day < monday)
else:
    chosen = versus.removeprefix("channel ").removesuffix(" vs the rest")
    a, b = analysed["channel"] == chosen, analysed["channel"] != chosen
words = distinctive_terms(analysed.loc[a, "comment"].tolist(), analysed.loc[b, "comment"].tolist())
if words.empty:
    st.info("One of the two groups has no comments here.")
else:
    first, second = versus.split(" vs ")
    words = words.assign(side=words["side"].map({"a": first, "b": second}))
    # the word, the group that uses it more and how strongly; the counts, shares and log-odds in a detail table
    number = st.column_config.NumberColumn
    dataframe(words, hide_index=True, key="comments.words", column_order=["term", "side", "z"],
              more=["count_a", "count_b", "share_a", "share_b", "log_odds"],
              more_label="More columns: counts and shares of each word in the two groups, log-odds",
              column_config={"term": "Word", "side": "More used by",
                             "z": number("Strength (z)", format="%.1f", help="|z| > 1.96 is distinctive"),
                             "count_a": number(f"Count: {first}", format="localized", step=1),
                             "count_b": number(f"Count: {second}", format="localized", step=1),
                             "share_a": number(f"Per 1,000 words: {first}", format="%.1f"),
                             "share_b": number(f"Per 1,000 words: {second}", format="%.1f"),
                             "log_odds": number("Log-odds", format="%.2f")})
    st.caption("Strength: how much more one group uses the word than the other; above 1.96 it is more than chance "
               "would explain. Counts are of words; shares per 1,000 words.")
    with st.expander("How this is computed", icon=":material/calculate:"):
        st.caption("Strength is the z-score of the log-odds ratio with an informative Dirichlet prior (Monroe, "
                   "Colaresi & Quinn 2008); |z| > 1.96 is distinctive.")
    term = st.selectbox("Comments with the word", words["term"].tolist(), key="comments.term")
    hits = comments_with_term(analysed.loc[a | b, "comment"], term, limit=SHOWN)
    dataframe(hits.to_frame("comment"), hide_index=True, key="comments.term_hits", column_config={"comment": st.column_config.TextColumn("Comment")})

# --- your own themes -----------------------------------------------------------------------------
st.subheader("Your themes")
if settings.keywords:
    counts = load_keyword_counts(source, scope, settings.keywords)
    st.caption("Themes defined by keywords, counted over every comment in scope in the database "
               "(a comment counts when it contains any keyword).")
    dataframe(counts, hide_index=True, key="comments.keyword_counts")
with st.form("comments.edit"):
    st.caption(md("Saved with the settings of {label}, so next week's numbers use the same themes.",
                  label=source.label))
    n_themes = st.slider("Themes to discover", 2, 20, settings.n_themes, key="comments.n_themes")
    rename_from = st.selectbox("Rename theme", ["—"] + names, key="comments.rename_from")
    rename_to = st.text_input("New name", key="comments.rename_to")
    merge_from = st.multiselect("Merge these themes…", names, key="comments.merge_from")
    merge_into = st.selectbox("…into", ["—"] + names, key="comments.merge_into")
    pinned = st.multiselect("Pin (shown first)", sorted(set(names) | set(settings.pinned)),
                            default=list(settings.pinned), key="comments.pinned")
    keyword_name = st.text_input("Keyword theme: name", key="comments.keyword_name")
    keyword_words = st.text_input("Keyword theme: keywords, comma-separated (empty removes it)",
                                  key="comments.keyword_words")
    saved = st.form_submit_button("Save themes")
if saved:
    roots = {shown: settings.root(d) for d, shown in analysis.discovered.items()}
    new = dataclasses.replace(settings, n_themes=int(n_themes), pinned=tuple(pinned))
    if rename_from != "—" and rename_to.strip() and rename_from in roots:
        new = new.renamed(roots[rename_from], rename_to)
    if merge_from and merge_into != "—" and merge_into in roots:
        new = new.merged([d for d, shown in analysis.discovered.items() if shown in merge_from], roots[merge_into])
    if keyword_name.strip():
        new = new.with_keywords(KeywordTheme(keyword_name.strip(), tuple(keyword_words.split(","))))
    try:
        text.save_settings(app_store(), source.label, new, version)
    except StaleUpdate as exc:
        show_error(exc)
    else:
        st.rerun()
