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
