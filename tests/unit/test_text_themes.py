"""Themes on the demo find what the generator planted (cx/demo.py: the chat outage week, the slow
email channel); settings round-trip through the app store; the JSON shape is DESIGN.md's."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cx.demo import OUTAGE_WEEK
from cx.scope import Scope
from cx.text import (
    KeywordTheme,
    ThemeSettings,
    analyse_comments,
    disagreements,
    load_settings,
    save_settings,
    themes_that_grew,
)
from cx.text.language import detect_all
from cx.text.sentiment import label, sentiment_all
from cx.text.themes import discover_themes, keyword_assignment, theme_split


@pytest.fixture(scope="module")
def demo_analysis(demo_source):
    return analyse_comments(demo_source)


def _theme_with(analysis, *words):
    for row in analysis.themes.itertuples():
        if all(any(w in t for t in row.terms) for w in words):
            return row.theme
    raise AssertionError(f"no theme with {words}: {analysis.themes[['theme', 'terms']].to_dict('records')}")


def test_slow_email_is_found_and_lives_in_the_email_channel(demo_analysis):
    email = _theme_with(demo_analysis, "email", "reply")
    split = theme_split(demo_analysis.analysed, "channel").set_index(["channel", "theme"])["share"]
    others = [split.get((c, email), 0.0) for c in ("chat", "phone", "social", "web", "app", "store")]
    assert split[("email", email)] > 5 * max(others)
    row = demo_analysis.themes.set_index("theme").loc[email]
    assert row.sentiment < -0.3  # planted as unhappy
    assert row.detractor_share > 5 * row.promoter_share


def test_chat_outage_is_found_in_its_week_and_grew_against_the_weeks_before(demo_source):
    scope = Scope(date_from=OUTAGE_WEEK[0] - dt.timedelta(weeks=4), date_to=OUTAGE_WEEK[1])
    analysis = analyse_comments(demo_source, scope)
    chat = _theme_with(analysis, "chat", "disconnected")
    grew = themes_that_grew(analysis, OUTAGE_WEEK[0])
    assert chat in set(grew.theme)
    assert grew.set_index("theme").loc[chat, "change"] > 10  # percentage points
    # and only there: the week after, nothing about chat grows
    after = analyse_comments(demo_source, Scope(date_from=OUTAGE_WEEK[0], date_to=OUTAGE_WEEK[1] + dt.timedelta(weeks=1)))
    assert not any("chat" in t for t in themes_that_grew(after, OUTAGE_WEEK[1] + dt.timedelta(days=1), 1).theme)


def test_planted_themes_top_what_to_fix_first(demo_analysis):
    impact = demo_analysis.impact.set_index("theme")
    email = _theme_with(demo_analysis, "email", "reply")
    assert impact.loc[email, "nps_high"] < 0 and impact.loc[email, "churn_low"] > 0
    happy = _theme_with(demo_analysis, "app", "easy")
    assert impact.loc[happy, "nps_low"] > 0
    assert impact.loc[email, "rank"] < impact.loc[happy, "rank"]


def test_languages_and_coverage_are_reported(demo_analysis):
    coverage = demo_analysis.coverage.set_index("reason")
    assert coverage["n"].sum() == len(demo_analysis.comments) == demo_analysis.in_scope
    assert 0.8 < coverage.loc["analysed", "share"] < 0.95
    assert {"unsupported", "too_short"} <= set(coverage.index)  # the demo's Spanish/German and "ok"
    languages = detect_all(["Muy buen servicio, gracias.", "Sehr schlechter Kundenservice, niemand hilft.",
                            "The parcel was late again", "ok", "", "12345"])
    assert languages.language.tolist()[:3] == ["es", "de", "en"]
    assert languages.reason.tolist() == ["unsupported", "unsupported", None, "too_short", "empty", "empty"]


def test_sentiment_sign_and_range():
    scores = sentiment_all(["Great service, thank you!", "Terrible service, nobody helped me, awful.", "The parcel came on Tuesday.", None])
    assert scores[0] > 0.5 and scores[1] < -0.5 and abs(scores[2]) < 0.05 and np.isnan(scores[3])
    assert label(scores[:3]).tolist() == ["positive", "negative", "neutral"]


def test_disagreements_are_scores_contradicted_by_words(demo_analysis):
    found = disagreements(demo_analysis)
    assert not found.empty
    promoters_angry = (found.nps >= 9) & (found.sentiment <= -0.5)
    detractors_glad = (found.nps <= 6) & (found.sentiment >= 0.5)
    csat_only = found.nps.isna()
    assert (promoters_angry | detractors_glad | csat_only).all()


def test_json_shape_is_designs(demo_analysis):
    doc = demo_analysis.to_dict()
    assert set(doc) == {"comments", "analysed", "themes"}
    theme = doc["themes"][0]
    assert set(theme) == {"name", "terms", "count", "share", "sentiment", "score_gap"}
    assert set(theme["score_gap"]) == {"value", "ci_low", "ci_high"}
    assert doc["analysed"] == sum(t["count"] for t in doc["themes"]) + int(demo_analysis.analysed.theme.isna().sum())
    rows = demo_analysis.assignments()
    assert list(rows.columns) == ["comment", "theme", "sentiment", "language"] and len(rows) == doc["analysed"]


def test_discovery_is_deterministic_and_order_free():
    texts = ["late delivery again", "the delivery was late", "rude agent on the phone", "agent was rude",
             "app keeps crashing", "the app crashed again"] * 5
    first, second = discover_themes(texts, 3), discover_themes(texts, 3)
    assert first.names == second.names and (first.assignment == second.assignment).all()
    shuffled = discover_themes(texts[::-1], 3)
    assert sorted(shuffled.names) == sorted(first.names)


def test_settings_rename_merge_pin_keywords_round_trip(tmp_path, demo_source):
    from cx.db.write import AppStore, StaleUpdate

    store = AppStore(f"sqlite:///{tmp_path / 'app.sqlite'}")
    settings, version = load_settings(store, "demo")
    assert settings == ThemeSettings() and version == 0
    base = analyse_comments(demo_source, Scope(date_from="2026-10-01"))
    names = base.themes.theme.tolist()
    chosen = ThemeSettings(renames=((names[0], "First"),), merges=((names[2], names[1]),), pinned=(names[1],),
                           keywords=(KeywordTheme("Refunds", ("refund", "charged")),))
    version = save_settings(store, "demo", chosen, version)
    loaded, version = load_settings(store, "demo")
    assert loaded == chosen and version == 1
    with pytest.raises(StaleUpdate):
        save_settings(store, "demo", chosen, 0)
    again = analyse_comments(demo_source, Scope(date_from="2026-10-01"), loaded)
    table = again.themes.set_index("theme")
    assert "First" in table.index and names[2] not in table.index
    assert again.themes.theme.iloc[0] == names[1]  # pinned first
    refunds = again.analysed.comment.str.lower().str.contains("refund|charged")
    assert table.loc["Refunds", "count"] == refunds.sum()


def test_keyword_assignment_takes_the_first_matching_theme():
    themes = (KeywordTheme("Refunds", ("Refund",)), KeywordTheme("Money", ("refund", "charged")))
    assert keyword_assignment(["REFUND please", "charged twice", "fine"], themes) == ["Refunds", "Money", None]
