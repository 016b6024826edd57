"""Every page's "Copy link" (the box at the foot of the sidebar) reopens the exact view in a fresh browser.

Each test opens a page with page settings in its URL, changes one more thing in the UI (the sidebar's
time grain), reads the link from the sidebar's box and opens it in a NEW browser context (no cookies,
no session): the page, its title, every setting and what the page draws must be the same.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import wait_for_app

pytestmark = pytest.mark.e2e

# (path with page settings, a setting expected in the link, the title, controls that must show the settings)
PAGES = {
    "overview": ("/?week=2026-W40&channel=chat", "week", r"^Weekly review — 2026-W40$", ["2026-W40"]),
    "trends": ("/trends?metric=csat&by=journey_stage", "metric", r"^Trends$", ["CSAT", "Journey stage"]),
    "journeys": ("/journeys?heat=incident_rate&flow=channel&steps=3", "heat", r"^Journeys$",
                 ["Incident rate", "Channel", "3"]),
    "incidents": ("/incidents?sort=recency&journeys=unrecovered&customer=C0000030", "customer",
                  r"^Critical incidents$", ["Most recent", "unrecovered"]),
    "churn": ("/churn?segment=enterprise", "segment", r"^Churn", []),
}


def _view(page) -> dict:
    """What a person sees that defines the view: title, URL settings, sidebar choices, page controls."""
    main = page.locator("[data-testid=stMain]")
    sidebar = page.locator("[data-testid=stSidebar]")
    controls = main.locator("[data-testid=stButtonGroup] button[aria-checked=true], "
                            "[data-testid=stSelectbox] input, [data-testid=stMultiSelect] [data-tag], "
                            "[data-testid=stSliderThumbValue]")
    values = controls.evaluate_all(
        "els => els.map(e => e.tagName === 'INPUT' ? e.value : e.innerText.trim())")
    return {
        "title": main.locator("h1").first.inner_text(),
        "query": {k: v for k, v in parse_qs(urlparse(page.url).query).items()},
        "grain": sidebar.get_by_role("combobox", name="Time grain").input_value(),
        "controls": values,
        "subheadings": main.locator("h2, h3").all_inner_texts(),
    }


def _link(page) -> str:
    box = page.locator("[data-testid=stSidebar] [data-testid=stCode]").last
    box.scroll_into_view_if_needed()
    return box.inner_text().strip()


@pytest.mark.parametrize("name", list(PAGES))
def test_copy_link_reopens_the_exact_view_in_a_fresh_browser(app_url, page, browser, name):
    path, setting, title, shown = PAGES[name]
    page.goto(app_url + path)
    wait_for_app(page)
    page.locator("[data-testid=stSidebar]").get_by_role("combobox", name="Time grain").click()
    page.get_by_role("option", name="Month").click()
    wait_for_app(page)
    page.locator("[data-testid=stMain] h1").first.wait_for()
    before = _view(page)
    assert set(shown) <= set(before["controls"]), before  # the settings in the URL took effect
    assert re.match(title, before["title"]), before
    assert setting in before["query"] and before["query"]["grain"] == ["month"], before

    link = _link(page)
    assert link.startswith(app_url + "/"), link
    assert parse_qs(urlparse(link).query) == before["query"]  # the link is the view's URL, not a stale one

    fresh = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(60_000)
        other.goto(link)
        wait_for_app(other)
        after = _view(other)
        for _ in range(60):  # a busy machine: the first run of a new session may still be drawing
            if after == before:
                break
            other.wait_for_timeout(500)
            wait_for_app(other)
            after = _view(other)
        assert "Page not found" not in other.locator("body").inner_text()
        assert other.locator("[data-testid=stException]").count() == 0
        assert after == before
    finally:
        fresh.close()
