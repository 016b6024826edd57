"""Trends in the real app: a sidebar filter change updates the URL and the chart; the link reopens the view."""

from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import RESULTS, wait_for_app

pytestmark = pytest.mark.e2e


def _series(page) -> int:
    """Number of plotted series in the trend chart (each is one line trace beside its band)."""
    return page.evaluate(
        "() => { const g = document.querySelector('.js-plotly-plot');"
        " return g ? g.data.filter(t => (t.meta || {}).role === 'series').length : -1; }")


def test_filter_change_updates_url_and_chart(app_url, page):
    page.goto(f"{app_url}/trends?metric=csat&by=channel")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot")
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot');"  # drawn, not mid-redraw
                           " return g && (g.data || []).some(t => (t.meta || {}).role === 'series'); }", timeout=30_000)
    before = _series(page)
    assert before >= 6  # one series per channel of the demo

    channels = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").first
    channels.click()
    page.get_by_role("option", name="chat", exact=True).click()
    wait_for_app(page)
    page.keyboard.press("Escape")
    channels.click()
    page.get_by_role("option", name="email", exact=True).click()
    wait_for_app(page)
    page.keyboard.press("Escape")
    wait_for_app(page)

    query = parse_qs(urlparse(page.url).query)
    assert query.get("channel") == ["chat,email"]
    assert query.get("metric") == ["csat"] and query.get("by") == ["channel"]
    page.wait_for_function("() => document.querySelector('.js-plotly-plot').data"
                           ".filter(t => (t.meta || {}).role === 'series').length === 2")
    assert _series(page) == 2
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "trends_filtered.png"), full_page=True)

    # the copied link reopens the same view in a fresh session
    shared = page.url
    other = page.context.browser.new_context().new_page()
    try:
        other.goto(shared)
        wait_for_app(other)
        other.wait_for_selector(".js-plotly-plot")
        assert _series(other) == 2
    finally:
        other.context.close()
