"""AppTest of the Trends page inside the whole app (router + sidebar filters) on a small demo warehouse.

app.py is run through a one-line shim in a temporary directory, so the tests hold whatever sits next
to app.py: each rerun goes through the router and its sidebar filters, which these tests need.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx import charts, demo, metrics
from cx.scope import Scope

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
TRENDS = str(ROOT / "views" / "trends.py")
BREAKDOWNS = ["none", "channel", "journey_stage", "touchpoint", "segment", "region"]


@pytest.fixture
def trends(small_demo, monkeypatch, tmp_path):
    """``trends(query=None)`` → an AppTest showing the Trends page (after the app's first run)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CX_DEMO_PATH", str(small_demo))
    monkeypatch.setattr(demo, "DEFAULT_PATH", small_demo)
    st.cache_data.clear()
    st.cache_resource.clear()
    shim = tmp_path / "app_shim.py"
    shim.write_text(f"import runpy\nrunpy.run_path({APP!r}, run_name='__main__')\n")

    def factory(query: dict | None = None, state: dict | None = None):
        at = AppTest.from_file(str(shim), default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        for key, value in (state or {}).items():
            at.session_state[key] = value
        at.run()
        return at.switch_page(TRENDS).run()

    return factory


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _roles(figure: dict, role: str) -> list[dict]:
    return [t for t in figure["data"] if (t.get("meta") or {}).get("role") == role]


def _query(at, key):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def test_every_metric_and_breakdown_renders_one_trace_per_series(trends, small_demo):
    from cx.db import demo_source

    source = demo_source(small_demo)
    at = trends()
    assert not at.exception
    assert [t.value for t in at.title] == ["Trends"]
    assert at.sidebar.multiselect(key="f.channels")  # the router's filters are there
    metric_options = at.segmented_control(key="trends.metric").options
    assert len(metric_options) == len(metrics.METRICS)
    for metric in metrics.METRICS:
        for by in BREAKDOWNS:
            at.segmented_control(key="trends.metric").set_value(metric)
            at.selectbox(key="trends.by").set_value(by)
            at.run()
            assert not at.exception, (metric, by)
            trend, heat = _figures(at)
            table = metrics.metric_table(source, metric, "week", [] if by == "none" else [by], Scope())
            series = set(charts.series_labels(table, [] if by == "none" else [by]))
            assert {t["name"] for t in _roles(trend, "series")} == series, (metric, by)
            assert len(_roles(trend, "series")) == len(series) == len(_roles(trend, "band"))
            assert _roles(heat, "heatmap")
            assert (_query(at, "metric"), _query(at, "by")) == (metric, None if by == "none" else by)


def test_link_reopens_the_same_view(trends):
    at = trends({"metric": "ttr", "by": "journey_stage", "channel": "email", "grain": "month"})
    assert not at.exception
    assert at.segmented_control(key="trends.metric").value == "ttr"
    assert at.selectbox(key="trends.by").value == "journey_stage"
    assert at.sidebar.multiselect(key="f.channels").value == ["email"]
    assert any("month buckets" in c.value for c in at.caption)
    trend = _figures(at)[0]
    assert {t["name"] for t in _roles(trend, "series")} <= {"awareness", "consideration", "purchase", "retention",
                                                             "advocacy"}


def test_filter_change_updates_url_and_chart(trends):
    at = trends()
    before = len(_roles(_figures(at)[0], "series"))
    at.sidebar.multiselect(key="f.channels").set_value(["chat", "email"]).run()
    assert not at.exception
    assert _query(at, "channel") == "chat,email"
    assert [t["name"] for t in _roles(_figures(at)[0], "series")] == ["chat", "email"] and before > 2


def test_heatmap_period_and_outage_week(trends):
    at = trends({"metric": "csat"})
    at.selectbox(key="trends.heatmap_period").set_value("2026-03-09").run()
    assert not at.exception
    heat = _roles(_figures(at)[1], "heatmap")[0]
    chat = heat["x"].index("chat")
    email = heat["x"].index("email")
    chat_values = [row[chat] for row in heat["z"] if row[chat] is not None]
    email_values = [row[email] for row in heat["z"] if row[email] is not None]
    assert max(chat_values) < min(email_values)  # the planted chat outage, stage by stage


def test_definitions_download_and_drill_hint(trends):
    at = trends({"metric": "csat"})
    texts = " ".join(m.value for m in at.markdown)
    assert "top two boxes" in texts and "Wilson" in texts
    assert at.get("download_button")
    assert any("Select a point" in c.value for c in at.caption)


def test_runs_on_an_upload_without_customers_or_stages(trends):
    import pandas as pd

    from cx.db import memory_source
    from ui import state

    upload = memory_source(pd.DataFrame({
        "customer_id": ["A", "B", "C"], "occurred_at": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-14"]),
        "channel": ["chat", "email", "chat"], "nps": [9, 3, 10]}))
    at = trends(state={state.SOURCE_KEY: upload})
    assert not at.exception
    assert at.segmented_control(key="trends.metric").options == ["NPS", "Contact volume"]
    assert at.selectbox(key="trends.by").options == ["No breakdown", "Channel"]
    assert len(_figures(at)) == 1  # no stage × channel heatmap without stages


def test_a_note_on_a_date_is_saved_with_the_data_and_drawn_on_the_trend(trends, tmp_path, monkeypatch):
    import datetime as dt

    from cx import notes
    from cx.db import write

    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")
    at = trends()
    assert not at.exception
    day = at.date_input(key="trends.note_day").value  # the data's last day
    at.text_input(key="trends.note_text").set_value("chat outage")
    at.button[[b.label for b in at.button].index("Add")].click().run()
    assert not at.exception
    found, _ = notes.read_notes(write.app_store(f"sqlite:///{tmp_path / 'app.sqlite'}"), "Demo warehouse (synthetic)")
    assert [(n.day, n.text) for n in found] == [(day, "chat outage")]
    assert "chat outage" in at.get("plotly_chart")[0].proto.spec  # drawn on the trend
    assert isinstance(day, dt.date)


def test_a_rerun_that_changes_nothing_shown_builds_no_trend_or_heatmap_again(trends, monkeypatch):
    built = {"trend": 0, "heatmap": 0}
    trend_chart, breakdown_heatmap = charts.trend_chart, charts.breakdown_heatmap

    def counting(name, build):
        def wrapper(*args, **kwargs):
            built[name] += 1
            return build(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(charts, "trend_chart", counting("trend", trend_chart))
    monkeypatch.setattr(charts, "breakdown_heatmap", counting("heatmap", breakdown_heatmap))
    at = trends()
    first = at.get("plotly_chart")[0].proto.spec
    assert built == {"trend": 1, "heatmap": 1}
    at.run()  # nothing changed
    assert built == {"trend": 1, "heatmap": 1} and at.get("plotly_chart")[0].proto.spec == first
    at.sidebar.multiselect(key="f.channels").set_value(["chat"]).run()  # a new scope: both built
    assert built == {"trend": 2, "heatmap": 2}
    at.sidebar.multiselect(key="f.channels").set_value([]).run()  # set back: the first figures again
    assert built == {"trend": 2, "heatmap": 2} and at.get("plotly_chart")[0].proto.spec == first
    at.sidebar.number_input(key="f.min_n").set_value(1000).run()  # other hollow points and faded cells: both
    assert not at.exception
    assert built == {"trend": 3, "heatmap": 3} and at.get("plotly_chart")[0].proto.spec != first
    at.sidebar.selectbox(key="f.grain").set_value("month").run()  # other periods: the trend only
    assert built == {"trend": 4, "heatmap": 3}
