"""Issue 14 (first visits ≤ 3 s, tiles first): a new browser session's first run of a page with KPI tiles ends
under them (``ui.widgets.top_first``); the next run draws the whole page. Pages whose answer is a chart draw it
at once. The Overview's own case is in test_overview_page.py."""

from __future__ import annotations

import pytest

PENDING = "Drawing the charts and lists"


def _pending(at) -> list[str]:
    return [c.value for c in at.caption if PENDING in c.value]


@pytest.mark.parametrize(("page", "tiles"), [("views/churn.py", 7), ("views/incidents.py", 4)])
def test_a_page_with_tiles_draws_them_first_and_the_rest_in_the_next_run(app, monkeypatch, page, tiles):
    monkeypatch.setenv("CX_TOP_FIRST", "1")
    at = app(page, timeout=180).run()
    assert not at.exception
    assert len(at.metric) == tiles, [m.label for m in at.metric]
    assert not at.get("plotly_chart") and not at.dataframe  # their code would hold the tiles back in a new browser
    assert _pending(at)
    first = [(m.label, m.value) for m in at.metric]
    at.run()  # what the browser's timer asks for
    assert not at.exception and not _pending(at)
    assert [(m.label, m.value) for m in at.metric][:tiles] == first
    assert at.get("plotly_chart") and at.dataframe
    at.sidebar.number_input(key="f.min_n").set_value(5).run()  # a later run of the session: the whole page at once
    assert not at.exception and not _pending(at) and at.get("plotly_chart") and at.dataframe


@pytest.mark.parametrize("page", ["views/trends.py", "views/journeys.py"])
def test_a_page_whose_answer_is_a_chart_draws_it_in_the_first_run(app, monkeypatch, page):
    monkeypatch.setenv("CX_TOP_FIRST", "1")
    at = app(page).run()
    assert not at.exception and not _pending(at)
    assert at.get("plotly_chart")
    # but not "Copy link": its code block's code held back the chart in a new browser (~0.5 s on Trends)
    assert not at.sidebar.code
    chart = at.get("plotly_chart")[0].proto.spec
    at.run()  # what the browser's timer asks for: the link, the same chart
    assert not at.exception
    assert [c.value for c in at.sidebar.code] and at.get("plotly_chart")[0].proto.spec == chart


def test_a_later_run_or_a_page_with_tiles_draws_the_link_as_it_goes(app, monkeypatch):
    """Only a new browser's first run leaves "Copy link" for later; ``top_first``'s own rerun draws it."""
    monkeypatch.setenv("CX_TOP_FIRST", "1")
    at = app("views/trends.py").run()
    at.run()
    at.sidebar.number_input(key="f.min_n").set_value(5).run()
    assert not at.exception and [c.value for c in at.sidebar.code]
    monkeypatch.setenv("CX_TOP_FIRST", "0")  # no browser (AppTest runs): every run draws it
    assert [c.value for c in app("views/trends.py").run().sidebar.code]
