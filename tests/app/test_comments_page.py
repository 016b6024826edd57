"""AppTest of the Comments page on the small demo warehouse (fixture ``app`` in tests/app/conftest.py)."""

from __future__ import annotations

import pytest

from .tables import assert_nothing_lost


@pytest.fixture(autouse=True)
def _own_app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")


def test_comments_page_shows_themes_impact_and_words(app):
    at = app("views/comments.py", timeout=180).run()
    assert not at.exception
    assert "Comments" in [t.value for t in at.title]
    assert {"Themes", "What to fix first", "Over time, by channel and by journey stage", "Comments behind a theme",
            "Sentiment beside the score", "Words that set two groups apart", "Your themes"} <= {s.value for s in at.subheader}
    assert any("analysed" in c.value and "not analysed" in c.value for c in at.caption)
    themes = at.dataframe[0].value
    assert len(themes) >= 4 and any("email" in t for t in themes["terms"])
    # what does not fit at 1024 px is in a detail table under each table, nothing lost
    shown = assert_nothing_lost(at)
    assert shown[0] == (["theme", "count", "share", "sentiment", "detractor_share", "promoter_share"],
                        ["theme", "terms", "pinned"])
    assert shown[1][0] == ["theme", "points_lost", "nps_gap", "churn_gap", "count"]
    assert len(at.get("plotly_chart")) >= 4
    assert at.get("download_button")
    # the comments behind a theme are the analysed, masked texts of that theme
    at.selectbox(key="comments.theme").set_value(themes["theme"].iloc[-1]).run()
    assert not at.exception
    behind = [d.value for d in at.dataframe if "comment" in d.value.columns and "sentiment" in d.value.columns][0]
    assert len(behind) > 0
    # distinctive words of the email channel
    at.selectbox(key="comments.versus").set_value("channel email vs the rest").run()
    assert not at.exception
    words = [d.value for d in at.dataframe if "log_odds" in d.value.columns][0]
    assert "email" in words["term"].head(5).tolist()


def test_comments_page_saves_a_keyword_theme_and_counts_it_in_the_database(app):
    at = app("views/comments.py", timeout=180).run()
    at.text_input(key="comments.keyword_name").set_value("Refunds")
    at.text_input(key="comments.keyword_words").set_value("refund, charged")
    at.button[-1].click().run()
    assert not at.exception
    assert "Refunds" in at.dataframe[0].value["theme"].tolist()
    counts = [d.value for d in at.dataframe if "Refunds" in d.value.columns]
    assert counts and counts[0]["Refunds"].sum() > 0


def test_comments_page_on_own_data_without_nps_or_customers(app, tmp_path):
    """CSAT only, no customers table, hostile and personal text: plain text, masked, no churn column."""
    import pandas as pd

    from ui.state import SOURCE_KEY

    from .sources import Warehouse, backend_url

    texts = ["The refund never came, call me on +44 20 7946 0958", "Delivery was late and the box was damaged",
             "Great support, quick and friendly staff",
             "=HYPERLINK(\"http://x\") <script>alert(1)</script> the refund was slow and nobody answered my emails",
             "Lovely staff, really helpful and friendly", "ok", "Late delivery again, the box arrived damaged",
             "Still waiting for my refund after two weeks", "Friendly staff and a quick answer", "Delivery late by a week"]
    n = 120  # a multiple of the 10 texts and of the 6 CSAT values
    interactions = pd.DataFrame({
        "customer_id": [f"c{i % 40}" for i in range(n)],
        "occurred_at": pd.date_range("2026-01-01", periods=n, freq="D"),
        "channel": ["email", "chat", "phone"] * (n // 3),
        "journey_stage": ["purchase"] * n,
        "csat": [1.0, 2.0, 5.0, 1.0, 5.0, 3.0] * (n // 6),
        "comment": texts * (n // 10),
    })
    warehouse = Warehouse(backend_url("sqlite", tmp_path))
    try:
        at = app(timeout=180)
        at.session_state[SOURCE_KEY] = warehouse.source(interactions, None, label="Own survey")
        at.run()
        at.switch_page("views/comments.py").run()
        assert not at.exception and not at.error
        assert any("not analysed" in c.value and "too short" in c.value for c in at.caption)
        shown = pd.concat([d.value for d in at.dataframe if "comment" in d.value.columns], ignore_index=True)
        assert not shown["comment"].str.contains("7946").any()
        impact = [d.value for d in at.dataframe if "churn_gap" in d.value.columns][0]
        assert impact["churn_gap"].isna().all() and impact["csat_gap"].notna().any()
        tables = assert_nothing_lost(at)  # the CSAT gap in the impact table, the empty churn gap in its detail table
        assert ["theme", "points_lost", "csat_gap", "count"] in [main for main, more in tables]
    finally:
        warehouse.close()


def test_comments_page_renames_merges_and_pins(app):
    at = app("views/comments.py", timeout=180).run()
    names = at.dataframe[0].value["theme"].tolist()
    at.selectbox(key="comments.rename_from").set_value(names[0])
    at.text_input(key="comments.rename_to").set_value("Renamed theme")
    at.multiselect(key="comments.merge_from").set_value([names[2]])
    at.selectbox(key="comments.merge_into").set_value(names[1])
    at.multiselect(key="comments.pinned").set_value([names[3]])
    at.button[-1].click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    shown = table["theme"].tolist()
    assert "Renamed theme" in shown and names[0] not in shown and names[2] not in shown
    assert shown[0] == names[3] and bool(table["pinned"].iloc[0])
    assert len(shown) == len(names) - 1


def test_method_names_only_under_how_this_is_computed(app):
    """Issue 14 (a CX lead's words): the methods' names are in a "How this is computed" expander, not in the
    captions a person reads first."""
    at = app("views/comments.py", timeout=180).run()
    assert not at.exception
    methods = ("VADER", "TF-IDF", "NMF", "Dirichlet")
    hidden = {id(c.proto) for e in at.expander if e.label == "How this is computed" for c in e.caption}
    assert hidden and any(m in c.value for c in at.caption if id(c.proto) in hidden for m in methods)
    said = [c.value for c in at.caption if id(c.proto) not in hidden and any(m in c.value for m in methods)]
    assert not said, said
