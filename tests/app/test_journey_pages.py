"""AppTest of the Journeys and Incidents pages on a small demo warehouse (see tests/app/conftest.py)."""

from __future__ import annotations

import pytest

PAGES = [
    ("views/journeys.py", "Journeys", ["journeys.heat", "journeys.flow_by"], 4),
    ("views/incidents.py", "Critical incidents", ["incidents.sort", "incidents.outcome"], 2),
]


@pytest.mark.parametrize(("page", "heading", "keys", "charts"), PAGES)
def test_page_runs_and_shows_its_parts(app, page, heading, keys, charts):
    at = app(page).run()
    assert not at.exception
    assert heading in [t.value for t in at.title]
    for key in keys:
        assert at.session_state[key] is not None
    assert len(at.get("plotly_chart")) == charts


def test_journeys_page_switches_views(app):
    at = app("views/journeys.py").run()
    at.session_state["journeys.heat"] = "incident_rate"
    at.session_state["journeys.flow_by"] = "channel"
    at.run()
    assert not at.exception
    assert at.query_params["heat"] == ["incident_rate"] or at.query_params["heat"] == "incident_rate"
    subheaders = [s.value for s in at.subheader]
    assert {"Funnel", "Metrics by stage", "Stage × channel", "Where customers go next"} <= set(subheaders)


def test_incidents_page_verdict_and_customer_from_url(app):
    at = app("views/incidents.py")
    at.query_params["customer"] = "C0000003"
    at.run()
    assert not at.exception
    assert any(s.value == "Customer C0000003" for s in at.subheader)
    verdicts = [m.value for m in at.success] + [m.value for m in at.info]
    assert any("average" in v for v in verdicts)  # the remember panel always names the average
    assert at.dataframe  # the incident list


def test_incidents_page_numeric_outcome(app):
    at = app("views/incidents.py").run()
    at.selectbox(key="incidents.outcome").set_value("lifetime_value").run()
    assert not at.exception
    assert any("lifetime_value" in c.value for c in at.caption)


@pytest.mark.parametrize("page", ["views/journeys.py", "views/incidents.py"])
def test_pages_run_on_an_upload_without_customers_or_stages(app, page):
    import pandas as pd

    from cx import ui
    from cx.source import memory_source

    upload = memory_source(pd.DataFrame({
        "customer_id": ["A", "A", "B", "B", "B"],
        "seq": [1, 2, 1, 2, 3],
        "channel": ["chat", "email", "chat", "chat", "phone"],
        "csat": [1, 5, 4, 2, 5],
        "comment": ["<script>alert(1)</script>", None, "=1+1", None, "fine"],
    }))
    at = app(page)
    at.session_state[ui.SOURCE_KEY] = upload
    at.run()
    assert not at.exception
    if page.endswith("incidents.py"):
        assert any("Load a customers table" in i.value for i in at.info)
    else:
        assert any("no journey stages" in i.value for i in at.info)
