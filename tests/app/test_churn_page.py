"""AppTest of the Churn drivers page on the small demo warehouse (fixture ``app`` in tests/app/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from .tables import assert_nothing_lost


def test_churn_page_shows_model_card_scores_and_at_risk(app):
    at = app("views/churn.py", timeout=180).run()
    assert not at.exception
    assert "Churn drivers" in [t.value for t in at.title]
    assert {"Model card", "How well it separates (on customers held out of each fit, 95% intervals)",
            "Which measures matter", "What if…",
            "At risk now"} <= {s.value for s in at.subheader}
    assert any("Cut-off rule in force" in i.value for i in at.info)
    labels = {m.label for m in at.metric}
    # plain words on the tiles (issue 14), the method names under "How this is computed"
    assert {"Ranks churners higher", "Precision at the top", "Error of the chances", "Customers", "Churned",
            "Share churned"} <= labels  # the share says of what ("Share of them" did not)
    assert not [label for label in labels if "AUC" in label or "Brier" in label or "= yes" in label], labels
    assert any("ROC AUC" in c.value and "Brier score" in c.value for c in at.caption)
    # the model card in a CX lead's words; the model's and the validation's method names under "How this is computed"
    hidden = {id(c.proto) for e in at.expander if e.label == "How this is computed" for c in e.caption}
    face = [m.value for m in [*at.markdown, *at.caption, *at.info] if id(m.proto) not in hidden]
    assert any("**Model.** A simple, transparent model" in v and "(5 rounds, each holding out a different fifth of the "
               "customers)" in v and "**Data as of.**" in v for v in face), face
    assert not [v for v in face if "DeLong" in v or "Logistic regression" in v or "L2 penalty" in v]
    methods = [c.value for c in at.caption if id(c.proto) in hidden]
    assert any("Logistic regression, L2 penalty" in v and "ROC AUC with DeLong's 95% CI" in v for v in methods), methods
    assert len(at.get("plotly_chart")) == 4
    import json

    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert not [t for t in titles if "AUC" in t or "ermutation" in t], titles  # method names in the axes and help only
    assert at.session_state["churn.outcome"] == "churned"
    # drivers and the at-risk list, each with a detail table of the columns that would not fit at 1024 px
    assert len(at.dataframe) >= 4 and len(at.dataframe[2].value) > 0
    (drivers, drivers_more), (at_risk, at_risk_more) = assert_nothing_lost(at)
    assert drivers[:2] == ["feature", "effect"] and "importance" in drivers_more
    assert at_risk[:4] == ["customer_id", "rank", "probability", "value_at_risk"] and "worst_where" in at_risk_more
    where = at.dataframe[2].value["worst_where"].dropna()
    assert len(where) and where.str.contains(" · ").all()  # "chat · payment"; the download keeps them apart
    assert set(at.dataframe[0].value["effect"]) <= {"less likely", "more likely", "unclear", ""}
    assert at.get("download_button")


def test_detail_tables_fit_a_1024_px_screen(app):
    """Issue 14 (layout): the at-risk list's seven detail columns (786 px at 1024 px, in a 528 px box) are
    split into detail tables that each fit (measured in Chromium by tests/e2e/test_layout_e2e.py), each led
    by the customer, in the list's order."""
    from .tables import shown, tables

    at = app("views/churn.py", timeout=180).run()
    assert not at.exception
    at_risk, details = next((t, d) for t, d in tables(at) if shown(t)[0] == "customer_id" and d)
    assert len(details) >= 2
    assert all(shown(d)[0] == "customer_id" for d in details)
    assert [c for d in details for c in shown(d)[1:]] == ["segment", "lifetime_value", "worst_moment_index",
                                                          "worst_where", "incidents", "recovery", "last_where"]


def test_churn_page_what_if_and_window_rule(app):
    at = app("views/churn.py", timeout=180).run()
    at.selectbox(key="churn.driver").set_value("end_index").run()
    assert not at.exception
    assert any("End of journey" in c.value for c in at.caption)
    assert "Chance of churning" in {m.label for m in at.metric}  # the outcome's words (issue 12)
    assert any("chance of churning" in c.value and "points, better" in c.value for c in at.caption)
    at.radio(key="churn.rule").set_value("window").run()
    assert not at.exception
    assert any("Observation window and outcome horizon" in i.value for i in at.info)


def test_what_if_money_is_in_the_configured_currency(app, monkeypatch):
    """Issue 14: the "Lifetime value at risk" tile, its change and its interval read in the app's currency."""
    monkeypatch.setenv("CX_CURRENCY", "€")
    at = app("views/churn.py", timeout=180).run()
    assert not at.exception
    tile = next(m for m in at.metric if m.label == "Lifetime value at risk")
    assert tile.value.startswith("€") and tile.value[1:].replace(",", "").isdigit(), tile.value
    assert tile.delta[:2] in ("+€", "-€"), tile.delta
    assert any(c.value.startswith("95% CI ") and c.value.count("€") == 2 for c in at.caption)


def test_churn_page_guard_rail_message(app):
    at = app("views/churn.py", timeout=180).run()
    at.number_input(key="churn.min_positives").set_value(5000).run()
    assert not at.exception
    assert any("No model" in w.value and "at least 5,000" in w.value for w in at.warning)


def test_the_sidebar_view_never_refits_and_own_data_stay_in_their_session(app, monkeypatch, small_demo):
    """Grain and minimum n (the View) re-draw without a refit; a user's own data are cached per session."""
    import dataclasses

    from cx.db import demo_source
    from ui import churn_fit
    from ui.state import SOURCE_KEY

    fits = []
    fit_churn = churn_fit.fit_churn

    def counting(source, *args, **kwargs):
        fits.append(source.key)
        return fit_churn(source, *args, **kwargs)

    monkeypatch.setattr(churn_fit, "fit_churn", counting)  # the page's fit (ui.churn_fit.fit_report) calls it
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


def _corpus_source(name: str, mapping: dict, tmp_path):
    """A real-export corpus file loaded as a user's own upload (tests/data/real)."""
    import dataclasses
    import json
    from pathlib import Path

    from cx.cli import _open_source

    real = Path(__file__).resolve().parents[1] / "data" / "real"
    file = real / json.loads((real / f"{name}.expected.json").read_text(encoding="utf-8"))["file"]
    path = tmp_path / f"{name}.mapping.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return dataclasses.replace(_open_source([str(file)], path), kind="upload", key=f"upload:{name}:{tmp_path.name}")


def _expected_mapping(name: str) -> dict:
    import json
    from pathlib import Path

    real = Path(__file__).resolve().parents[1] / "data" / "real"
    return json.loads((real / f"{name}.expected.json").read_text(encoding="utf-8"))["mapping"]


def test_a_two_valued_text_outcome_with_its_positive_value_and_the_at_risk_words(app, tmp_path):
    from ui.state import SOURCE_KEY

    mapping = _expected_mapping("airline_satisfaction")
    mapping = {**mapping, "columns": {**mapping["columns"], "Satisfaction": "customers.verdict"}, "booleans": {}}
    at = app("views/churn.py", timeout=240)
    at.session_state[SOURCE_KEY] = _corpus_source("airline_satisfaction", mapping, tmp_path)
    at.run()
    at.selectbox(key="churn.outcome").set_value("verdict").run()
    assert not at.exception
    box = at.selectbox(key="churn.positive.verdict")
    assert list(box.options) == ["Neutral or Dissatisfied", "Satisfied"]
    box.set_value("Satisfied").run()
    assert not at.exception
    assert any("least likely to be Satisfied" in c.value for c in at.caption)
    labels = {m.label for m in at.metric}  # the value chosen, named on the tiles (not "verdict = yes")
    assert {"verdict = Satisfied", "Share with verdict = Satisfied"} <= labels and not any("= yes" in x for x in labels)


def test_leaks_are_named_kept_out_and_can_be_kept_in_with_the_warning_visible(app, tmp_path):
    from ui.state import SOURCE_KEY

    mapping = _expected_mapping("telco_churn_ibm")
    mapping = {**mapping, "shape": "interactions",
               "scales": {**mapping["scales"], "csat": {"low": 0, "high": 100, "higher_is_better": True,
                                                        "zero_means_na": False}},
               "columns": {**mapping["columns"], "Churn Score": "csat", "Churn Value": "revenue",
                           "Churn Reason": "touchpoint"}}
    at = app("views/churn.py", timeout=240)
    at.session_state[SOURCE_KEY] = _corpus_source("telco_churn_ibm", mapping, tmp_path)
    at.run()
    assert not at.exception
    assert any("No model" in w.value and "Left out as leaks" in w.value for w in at.warning)
    at.multiselect(key="churn.attributes").set_value(["segment"]).run()
    assert not at.exception
    assert any("Left out as leaks" in w.value and "Mean CSAT" in w.value for w in at.warning)
    leak = "Attitude of support person (touchpoint index)"
    assert leak in at.multiselect(key="churn.allow_leak").options
    at.multiselect(key="churn.allow_leak").set_value([leak]).run()
    assert not at.exception
    assert any("LEAK kept in the model" in e.value for e in at.error)


def test_a_good_outcome_reads_in_its_words_and_a_restating_attribute_is_suspected(app, tmp_path):
    """Skytrax seat reviews (real export): 'recommended' as the outcome, the overall rating ticked as an attribute."""
    import dataclasses
    import json

    from cx import cli
    from cx.db import demo_source
    from ui.state import SOURCE_KEY

    real = Path(__file__).resolve().parents[1] / "data" / "real"
    mapping = tmp_path / "skytrax.json"
    mapping.write_text(json.dumps(json.loads((real / "skytrax_seat_reviews.expected.json").read_text())["mapping"]))
    warehouse = tmp_path / "skytrax.duckdb"
    assert cli.main(["load", str(real / "skytrax_seat_reviews.csv"), "--mapping", str(mapping), "--into",
                     str(warehouse)]) == 0
    at = app("views/churn.py", timeout=180)
    at.session_state[SOURCE_KEY] = dataclasses.replace(demo_source(warehouse), kind="upload", key="upload:skytrax")
    at.run()
    at.selectbox(key="churn.outcome").set_value("recommended").run()
    assert not at.exception
    assert {"Chance of being recommended", "recommended = yes", "Share with recommended = yes"} <= {m.label for m in at.metric}
    assert any("chance of being recommended" in c.value and "points, better" in c.value for c in at.caption)
    assert not any("Suspected leak" in w.value for w in at.warning)
    at.multiselect(key="churn.attributes").set_value(["overall_rating"]).run()
    assert not at.exception
    [suspect] = [w.value for w in at.warning if "Suspected leak" in w.value]
    assert "predicts 'recommended' almost alone (ROC AUC 0.970" in suspect.replace("\\", "")


def test_a_sampled_fit_says_how_many_of_how_many(app, monkeypatch):
    """Above SAMPLE_ABOVE customers the fit sees a stratified sample: the card's caption gave the number of
    all customers as the sample's size."""
    from cx.churn import sampling

    monkeypatch.setattr(sampling, "SAMPLE_ABOVE", 500)
    monkeypatch.setattr(sampling, "SAMPLE_SIZE", 400)
    at = app("views/churn.py", timeout=180).run()
    assert not at.exception
    customers = next(int(m.value.replace(",", "")) for m in at.metric if m.label == "Customers")
    captions = [c.value for c in at.caption if c.value.startswith("Customers: the model learned from")]
    assert customers == 400 and len(captions) == 1, (customers, captions)
    total = int(captions[0].split(" of the ")[1].split(" ")[0].replace(",", ""))
    assert "a stratified sample of 400 of the" in captions[0] and total > 500, captions
    assert f"scores all {total:,}" in captions[0]


def test_counts_as_yes_on_a_yes_no_outcome_is_yes_never_an_empty_box(app):
    at = app("views/churn.py", timeout=240).run()
    assert not at.exception
    box = at.selectbox(key="churn.positive.churned")
    assert box.value == "yes" and list(box.options)[0] == "yes" and "None" not in box.options


def _fits(monkeypatch) -> list:
    """Every fit of the Churn page's model from now on, as (thread, scope): "cx-job" for a background worker."""
    import threading

    from ui import churn_fit

    fits, fit = [], churn_fit.fit_churn

    def counting(source, outcome, rule, scope, **kwargs):
        fits.append((threading.current_thread().name.split("_")[0], scope))
        return fit(source, outcome, rule, scope, **kwargs)

    monkeypatch.setattr(churn_fit, "fit_churn", counting)
    return fits


def test_the_overview_reads_the_churn_model_ahead_where_a_fit_is_quick(app, monkeypatch):
    """Issue 14 (speed: Churn's first visit on a server drew its model 4–6 s after it opened, the time of its fit):
    once the Overview's own jobs are done, and where its weekly fit took at most ``CX_READ_AHEAD_FIT_SECONDS``,
    the Churn page's default fit for the same filters is read in the background. The Churn page then draws its
    model card in its first run, fitting nothing itself."""
    from cx.scope import Scope
    from ui import cache

    assert cache.wait_idle(120)  # another test's jobs are not this one's
    fits = _fits(monkeypatch)
    monkeypatch.setenv("CX_READ_AHEAD_SECONDS", "0")  # no channel or week guessed: the fit is the guess here
    monkeypatch.setenv("CX_READ_AHEAD_FIT_SECONDS", "600")  # a loaded test machine stretches the demo's fit
    at = app(timeout=180).run()
    assert not at.exception and at.title[0].value.startswith("Weekly review")
    assert cache.wait_idle(180)
    assert fits == [("cx-job", Scope())]  # read ahead by a worker, for the Overview's filters
    at.switch_page("views/churn.py").run()
    assert not at.exception
    assert fits == [("cx-job", Scope())], "the Churn page fitted its model again"
    assert {"Customers", "Churned", "Share churned", "Ranks churners higher"} <= {m.label for m in at.metric}
    assert not [c for c in at.caption if "Fitting" in c.value]


def test_no_churn_model_is_read_ahead_where_a_fit_is_slow(app, monkeypatch):
    """The same where the Overview's weekly fit took longer than ``CX_READ_AHEAD_FIT_SECONDS`` (here 0): nothing
    is guessed, and the Churn page fits its model when it is opened."""
    from ui import cache

    assert cache.wait_idle(120)
    fits = _fits(monkeypatch)
    monkeypatch.setenv("CX_READ_AHEAD_FIT_SECONDS", "0")
    at = app(timeout=180).run()
    assert not at.exception
    assert cache.wait_idle(180)
    assert fits == []
    at.switch_page("views/churn.py").run()
    assert not at.exception and len(fits) == 1
