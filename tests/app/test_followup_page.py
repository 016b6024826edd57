"""The loop in the app: the Follow-up page lists and changes cases (and refuses a lost update from a
second session), the Overview shows the week's alerts with the cells behind them and opens cases,
targets show on the Overview tiles and as goal lines on the Trends page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx.db import write
from cx.loop import cases, targets

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(ROOT / "views" / "followup.py")
TRENDS = str(ROOT / "views" / "trends.py")


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A fresh app-owned database for the test (CX_APP_DB), and the store the app will use."""
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")
    return write.app_store()


def _followup(app):
    at = app().run()
    return at.switch_page(FOLLOWUP).run()


def test_followup_page_lists_filters_and_changes_a_case(app, app_db):
    first = cases.open_case(app_db, "Demo warehouse (synthetic)", "detractor", "C00007", owner="ann@example.org",
                            due="2026-01-01")
    cases.open_case(app_db, "Demo warehouse (synthetic)", "at_risk", "C00009", owner="bob@example.org")
    at = _followup(app)
    assert not at.exception
    assert at.title[0].value == "Follow-up"
    labels = {m.label: m.value for m in at.metric}
    assert labels["Open cases"] == "2" and labels["Overdue"] == "1" and labels["Median time to first contact"] == "–"
    assert at.selectbox(key="followup.case").value == first.id  # the overdue one first
    at.selectbox(key="followup.owner").select("bob@example.org").run()
    assert at.selectbox(key="followup.case").options == [f"#2 — {cases.KINDS['at_risk']}: C00009"]
    at.selectbox(key="followup.owner").select("everyone").run()
    at.selectbox(key="followup.case").select(first.id).run()
    edit = f"followup.edit.{first.id}.1"
    at.radio(key=f"{edit}.status").set_value("contacted")
    at.text_area(key=f"{edit}.notes").input("Called: a refund is on its way")
    at.button[0].click().run()  # the form's Save
    assert not at.exception
    saved = cases.get_case(app_db, first.id)
    assert (saved.status, saved.notes, saved.version, saved.updated_by) == ("contacted", "Called: a refund is on its way",
                                                                           2, "anonymous")
    assert any("saved" in s.value for s in at.success)
    labels = {m.label: m.value for m in at.metric}
    assert labels["Median time to first contact"].endswith(" h")  # the follow-up metric moved


def test_a_change_from_another_session_is_never_overwritten(app, app_db):
    case = cases.open_case(app_db, "Demo warehouse (synthetic)", "incident", "C00011")
    mine = _followup(app)
    edit = f"followup.edit.{case.id}.1"
    cases.update_case(app_db, case.id, 1, status="resolved", user="bob@example.org")  # the other session
    mine.radio(key=f"{edit}.status").set_value("contacted")
    mine.button[0].click().run()
    assert not mine.exception
    shown = [e.value.replace("\\", "").replace("\u2060", "") for e in mine.error]
    assert any("changed by bob@example.org" in e and "nothing was saved" in e for e in shown), shown
    assert cases.get_case(app_db, case.id).status == "resolved"  # their change stands
    mine.multiselect(key="followup.status").set_value(["resolved"]).run()
    assert mine.radio(key=f"followup.edit.{case.id}.2.status").value == "resolved"  # and is what is shown now


def test_overview_alert_panel_and_open_case(app, app_db):
    at = app()
    at.query_params["week"] = "2026-W11"
    at.run()
    assert not at.exception
    assert any(h.value.startswith("Alerts (") and h.value != "Alerts (0)" for h in at.subheader)
    assert any("false discovery rate controlled at 5%" in c.value for c in at.caption)
    behind = [e for e in at.expander if "chat" in e.label]
    assert behind, [e.label for e in at.expander]
    at.selectbox(key="overview.alert.case_subject").select_index(0)
    at.text_input(key="overview.alert.case_owner").input("ann@example.org")
    form_buttons = [b for b in at.button if b.label == "Open the case"]
    form_buttons[0].click().run()
    assert not at.exception
    opened = cases.list_cases(app_db, "Demo warehouse (synthetic)")
    assert opened["kind"].tolist() == ["alert"] and "chat" in opened["subject"][0]
    assert opened["owner"][0] == "ann@example.org"
    assert len(write.app_store().engine.dialect.name) and alerts_remembered(app_db)


def test_the_overview_shows_the_whole_sources_alerts_and_filters_choose_which(app, app_db, monkeypatch):
    """Issue 14 (one truth, speed): the Overview's alerts are the week's run for every customer (the one
    `cx alerts` records and sends); a filter chooses which are shown, says so, and reads nothing new; a
    week change reads only the new week's baselines."""
    from cx.loop import alerts
    from cx.metrics import query

    reads = []
    metric_tables = query.metric_tables

    def counting(source, metric, cuts, **kwargs):
        reads.append(tuple(cuts))
        return metric_tables(source, metric, cuts, **kwargs)

    monkeypatch.setattr(alerts, "metric_tables", counting)
    at = app()
    at.query_params["week"] = "2026-W11"
    at.run()
    assert not at.exception
    everyone = next(h.value for h in at.subheader if h.value.startswith("Alerts ("))
    chat = [e.label for e in at.expander if "chat" in e.label]
    assert everyone != "Alerts (0)" and chat
    first = len(reads)
    assert any("weeks" in cuts for cuts in reads)  # the weekly history, read once
    at.multiselect(key="f.channels").set_value(["email"]).run()
    assert not at.exception and len(reads) == first, "a filter change re-read the alerts"
    assert "Alerts (0)" in [h.value for h in at.subheader]
    assert any(f"0 of the week's {everyone[8:-1]}" in c.value for c in at.caption), [c.value for c in at.caption]
    at.multiselect(key="f.channels").set_value(["chat"]).run()
    assert [e.label for e in at.expander if "chat" in e.label] == chat  # the same alerts, the same words
    at.query_params["week"] = "2026-W10"
    at.multiselect(key="f.channels").set_value([]).run()
    assert not at.exception
    assert all("weeks" not in cuts for cuts in reads[first:]), "a week change re-read the weekly history"
    recorded = alerts.fired_alerts(app_db, "Demo warehouse (synthetic)", "2026-03-09")
    assert len(recorded) == int(everyone[len("Alerts ("):-1])  # what the run fired, whatever was shown


def alerts_remembered(store) -> bool:
    from cx.loop import alerts

    return not alerts.fired_alerts(store, "Demo warehouse (synthetic)", "2026-03-09").empty


def test_targets_on_tiles_and_goal_lines_on_trends(app, app_db):
    version = targets.set_target(app_db, "Demo warehouse (synthetic)", targets.Target("csat", 10.0), version=0)
    targets.set_target(app_db, "Demo warehouse (synthetic)", targets.Target("nps", 95.0), version=version)
    at = app().run()
    assert not at.exception
    shown = " ".join(c.value for c in at.caption)
    assert "Target CSAT ≥ 10: **on track**" in shown and "Target NPS ≥ 95: **off track**" in shown
    at.switch_page(TRENDS).run()
    at.segmented_control(key="trends.metric").set_value("csat").run()
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    goals = [s for s in figure["layout"].get("shapes", []) if s.get("name") == "goal"]
    assert [g["y0"] for g in goals] == [10.0]


def test_the_overview_reads_the_saved_targets_once_a_run(app, app_db, monkeypatch):
    """Issue 14 (speed): the tiles' goals, the alerts started early and the alert panel share one read of the
    app database's targets per run (it was read by each)."""
    targets.set_target(app_db, "Demo warehouse (synthetic)", targets.Target("csat", 10.0), version=0)
    reads = []
    load_targets = targets.load_targets
    monkeypatch.setattr(targets, "load_targets", lambda *a, **k: reads.append(1) or load_targets(*a, **k))
    at = app()
    at.query_params["week"] = "2026-W11"
    at.run()
    assert not at.exception and len(reads) == 1
    assert "Target CSAT ≥ 10: **on track**" in " ".join(c.value for c in at.caption)
    assert any(h.value.startswith("Alerts (") for h in at.subheader)
    at.selectbox(key="overview.week").set_value("2026-W12").run()
    assert not at.exception and len(reads) == 2  # every run reads them again: another session may have saved


def test_the_signed_in_user_owns_and_signs_what_they_do(app, app_db, monkeypatch):
    from ui import followup

    monkeypatch.setattr(followup, "current_user", lambda: "lead@example.org")
    at = app()
    at.switch_page(str(ROOT / "views" / "incidents.py")).run()
    assert not at.exception
    assert at.text_input(key="incidents.case_owner").value == "lead@example.org"  # the owner by default
    at.selectbox(key="incidents.case_kind").select("detractor")
    [b for b in at.button if b.label == "Open the case"][0].click().run()
    assert not at.exception
    case = cases.list_cases(app_db, "Demo warehouse (synthetic)").iloc[0]
    assert (case["kind"], case["owner"], case["created_by"]) == ("detractor", "lead@example.org", "lead@example.org")
    assert cases.history(app_db, int(case["id"]))["by"].tolist() == ["lead@example.org"]


def test_the_overview_works_when_the_app_database_is_down(app, monkeypatch, tmp_path):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'missing' / 'folder' / 'app.sqlite'}")
    at = app().run()
    assert not at.exception
    assert len(at.metric) >= 6  # the review still shows
    assert len([c for c in at.caption if "Targets are not shown" in c.value]) == 1  # said once, not per reader


def test_alerts_are_written_to_the_app_database_once_not_on_every_rerun(app, app_db, monkeypatch):
    from cx.loop import alerts

    writes = []
    record = alerts.record_alerts
    monkeypatch.setattr(alerts, "record_alerts", lambda *a, **k: writes.append(1) or record(*a, **k))
    at = app()
    at.query_params["week"] = "2026-W11"
    at.run()
    at.sidebar.selectbox(key="f.grain").set_value("month").run()
    at.multiselect(key="f.channels").set_value(["chat"]).run()
    assert not at.exception and len(writes) == 1
    assert not alerts.fired_alerts(app_db, "Demo warehouse (synthetic)", "2026-03-09").empty
