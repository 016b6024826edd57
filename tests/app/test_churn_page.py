"""AppTest of the Churn drivers page on the small demo warehouse (fixture ``app`` in tests/app/conftest.py)."""

from __future__ import annotations


def test_churn_page_shows_model_card_scores_and_at_risk(app):
    at = app("views/churn.py", timeout=180).run()
    assert not at.exception
    assert "Churn drivers" in [t.value for t in at.title]
    assert {"Model card", "How well it separates (out-of-fold, 95% CI)", "Which measures matter", "What if…",
            "At risk now"} <= {s.value for s in at.subheader}
    assert any("Cut-off rule in force" in i.value for i in at.info)
    labels = {m.label for m in at.metric}
    assert {"ROC AUC", "PR AUC", "Brier score", "Customers"} <= labels
    assert len(at.get("plotly_chart")) == 4
    assert at.session_state["churn.outcome"] == "churned"
    assert len(at.dataframe) == 2 and len(at.dataframe[1].value) > 0  # drivers and the at-risk list
    assert at.get("download_button")


def test_churn_page_what_if_and_window_rule(app):
    at = app("views/churn.py", timeout=180).run()
    at.selectbox(key="churn.driver").set_value("end_index").run()
    assert not at.exception
    assert any("End of journey" in c.value for c in at.caption)
    at.radio(key="churn.rule").set_value("window").run()
    assert not at.exception
    assert any("Observation window and outcome horizon" in i.value for i in at.info)


def test_churn_page_guard_rail_message(app):
    at = app("views/churn.py", timeout=180).run()
    at.number_input(key="churn.min_positives").set_value(5000).run()
    assert not at.exception
    assert any("No model" in w.value and "at least 5,000" in w.value for w in at.warning)


def test_the_sidebar_view_never_refits_and_own_data_stay_in_their_session(app, monkeypatch, small_demo):
    """Grain and minimum n (the View) re-draw without a refit; a user's own data are cached per session."""
    import dataclasses

    import cx.churn
    from cx.app.ui import SOURCE_KEY
    from cx.db import demo_source

    fits = []
    fit_churn = cx.churn.fit_churn

    def counting(source, *args, **kwargs):
        fits.append(source.key)
        return fit_churn(source, *args, **kwargs)

    monkeypatch.setattr(cx.churn, "fit_churn", counting)  # the page imports it from cx.churn on every run
    at = app("views/churn.py", timeout=180).run()
    assert not at.exception and len(fits) == 1
    for grain, min_n in (("month", 30), ("month", 50), ("quarter", 5)):
        at.sidebar.selectbox(key="f.grain").set_value(grain).run()
        at.sidebar.number_input(key="f.min_n").set_value(min_n).run()
        assert not at.exception and "At risk now" in {s.value for s in at.subheader}
    assert len(fits) == 1, "changing the grain or the minimum n refitted the churn model"

    # data of one's own (here: the demo file under another name) is cached in the session, and goes
    # with it; the demo's model is shared by every session (AppTest runs every session under one id,
    # so the end of a session is played by clearing that id's caches, as the server does)
    from streamlit.runtime.caching import clear_session_data_cache, clear_session_resource_cache

    def clear_session_cache(session_id):  # what the server does when a session ends (AppSession.clear_session_caches)
        clear_session_data_cache(session_id)
        clear_session_resource_cache(session_id)

    own = dataclasses.replace(demo_source(small_demo), kind="upload", key="upload:own-data")
    at.session_state[SOURCE_KEY] = own
    at.run()
    at.sidebar.selectbox(key="f.grain").set_value("week").run()
    assert not at.exception and fits == [fits[0], "upload:own-data"]
    clear_session_cache("test session id")
    at.run()
    assert fits[2:] == ["upload:own-data"], "the model of a user's own data outlived the session"
    at.session_state[SOURCE_KEY] = None  # back to the demo: its model was cached for everyone
    at.run()
    assert not at.exception and len(fits) == 3
