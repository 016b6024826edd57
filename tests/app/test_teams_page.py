"""AppTest of the Teams page on the small demo warehouse (fixture ``app`` in tests/app/conftest.py)."""

from __future__ import annotations

from cx import demo

from .tables import assert_nothing_lost


def _warning_texts(at) -> list[str]:
    return [w.value for w in at.warning]


def test_teams_page_shows_shrunk_scores_rank_intervals_and_the_lucky_new_agent(app):
    at = app("views/teams.py").run()
    assert not at.exception
    assert "Teams and agents" in [t.value for t in at.title]
    assert at.segmented_control(key="teams.metric").value == "nps"
    assert at.segmented_control(key="teams.by").options == ["Agent", "Team"]
    figures = at.get("plotly_chart")
    assert len(figures) == 2  # caterpillar (raw vs shrunk) and rank intervals
    table = at.dataframe[0].value
    assert {"agent", "n", "raw", "shrunk", "ci_low", "ci_high", "rank_low", "rank_high"} <= set(table.columns)
    # the raw score and rank leave the table for its detail table (the table fits 1024 px), none is lost
    (main, more), _rates = assert_nothing_lost(at)
    assert "raw" not in main and more == ["agent", "raw", "raw_rank", "low_n"]
    # the best and the worst are named with their n and rank interval
    best = next(m.value for m in at.markdown if "Most likely best" in m.value)
    assert demo.STAR_AGENT in best and "rank" in best and "n =" in best
    # the new agent's perfect raw score is explained, not crowned
    assert table.loc[table["raw_rank"].idxmin(), "agent"] == demo.NEW_AGENT
    assert any(demo.NEW_AGENT in w and "is not the best agent" in w for w in _warning_texts(at))
    assert "Response rates" in [s.value for s in at.subheader]


def test_teams_page_by_team_other_metrics_and_minimum_n(app):
    at = app("views/teams.py").run()
    at.segmented_control(key="teams.by").set_value("team").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["team"].iloc[0] == "Borealis" and table["team"].iloc[-1] == "Delta"
    for metric in ("csat", "ces", "fcr", "frt", "ttr"):
        at.segmented_control(key="teams.metric").set_value(metric).run()
        assert not at.exception, metric
        assert len(at.dataframe[0].value) == 4
    at.segmented_control(key="teams.by").set_value("agent").run()
    at.slider(key="teams.min_n").set_value(200).run()
    assert not at.exception
    assert at.dataframe[0].value["low_n"].any()


def test_teams_page_without_agents_says_what_to_map(app, small_demo, tmp_path):
    from ui.state import SOURCE_KEY

    from .sources import Warehouse, backend_url, demo_frames

    rows, people = demo_frames(small_demo, customers=200)
    warehouse = Warehouse(backend_url("sqlite", tmp_path))
    try:
        own = warehouse.source(rows.drop(columns=["agent", "team", "survey_offered"]), people)
        at = app("views/teams.py").run()
        at.session_state[SOURCE_KEY] = own
        at.run()
        assert not at.exception
        assert any("map an agent or team column" in i.value for i in at.info)
    finally:
        warehouse.close()


def test_trends_page_shows_the_response_rate_beside_the_score(app):
    at = app("views/trends.py").run()
    assert not at.exception
    assert any(c.value.startswith("Response rate") for c in at.caption)
    at.segmented_control(key="trends.metric").set_value("csat").run()
    at.selectbox(key="trends.by").set_value("channel").run()
    assert not at.exception
    assert any(c.value.startswith("Response rate") for c in at.caption)
    assert any(c.value.startswith("Non-response sensitivity: if every channel") for c in at.caption)
    assert any("Response rates differ a lot between channels" in w.value for w in at.warning)


def test_method_names_only_under_how_this_is_computed_and_one_rank_said_once(app):
    """Issue 14 (a CX lead's words): "empirical Bayes", "posteriors" and "credible" only in the "How this is
    computed" expander; a rank interval of one rank reads "rank 25 of 25", not "rank 25–25"."""
    import re

    at = app("views/teams.py", timeout=180).run()
    assert not at.exception
    methods = ("empirical Bayes", "posterior", "REML")
    hidden = {id(c.proto) for e in at.expander if e.label == "How this is computed" for c in e.caption}
    assert hidden and any(m in c.value for c in at.caption if id(c.proto) in hidden for m in methods)
    said = [c.value for c in [*at.caption, *at.markdown] if id(c.proto) not in hidden and any(m in c.value for m in methods)]
    assert not said, said
    said = " ".join(m.value for m in at.markdown)
    assert not [(a, b) for a, b in re.findall(r"rank (\d+)–(\d+)", said) if a == b], said
