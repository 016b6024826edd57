"""Open a customer's journey from the incident list, in the real app, and come back to it by URL."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import wait_for_app

pytestmark = pytest.mark.e2e

HEADER_PX = 35  # st.dataframe: header row height
ROW_PX = 35  # and data row height (the selection checkbox sits in the left-most column)


def _click_row(page, row: int) -> None:
    """Click the selection checkbox of the incident list's ``row`` (0 = the first), the list whole in view and
    no longer moving: a click above the viewport, or where a late-drawn part above has moved it from, selects
    nothing."""
    grid = page.locator("[data-testid=stDataFrame]").first
    box = None
    for _ in range(40):  # whole in the viewport (a list partly in view is not scrolled by scroll_into_view_if_needed)
        grid.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(250)
        now = grid.bounding_box()
        if box is not None and now == box and now["y"] >= 0:
            break
        box = now
    page.mouse.click(box["x"] + 18, box["y"] + HEADER_PX + ROW_PX * (row + 0.5))


def test_selecting_an_incident_opens_the_customer_timeline(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("link", name="Incidents", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="Incident list").wait_for()
    assert page.get_by_text("Select an incident above to see that customer's journey.").is_visible()

    _click_row(page, 0)  # the first incident's checkbox
    wait_for_app(page)

    heading = page.get_by_role("heading", name=re.compile(r"^Customer \S+"))
    heading.wait_for()
    customer = heading.inner_text().split()[-1]
    timeline = page.locator(".stPlotlyChart, [data-testid=stPlotlyChart]").filter(
        has=page.locator("text=Experience index (0–100)"))
    timeline.first.wait_for()
    assert page.locator("text=worst").first.is_visible() or page.locator("text=end").first.is_visible()
    assert parse_qs(urlparse(page.url).query).get("customer") == [customer]

    # the chosen customer lives in the URL: a copied link reopens the same journey
    page.goto(f"{app_url}/incidents?customer={customer}")
    wait_for_app(page)
    page.get_by_role("heading", name=f"Customer {customer}").wait_for()


def test_a_customer_in_the_link_is_shown_as_text(app_url, page):
    """A link that plants Markdown in ?customer= shows its characters: no link to follow, no image fetched."""
    from urllib.parse import quote

    hostile = "[Session expired – sign in](https://evil.example/login) ![](http://x.example/y.png)"
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_url}/incidents?customer={quote(hostile)}")
    wait_for_app(page)
    heading = page.get_by_role("heading", name=re.compile(r"^Customer \["))
    heading.wait_for()
    assert heading.inner_text().replace("\u2060", "") == f"Customer {hostile}"  # its characters, as typed
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src*='x.example']").count() == 0
    assert not [u for u in requests if urlparse(u).hostname in ("x.example", "evil.example")]
    assert page.locator("[data-testid=stException]").count() == 0


def test_re_sorting_the_list_keeps_the_open_customer(app_url, page):
    """Issue 14: re-sorting the incident list silently swapped the customer whose journey was open
    (the selection was a row position). The open customer is kept by id."""
    page.goto(f"{app_url}/incidents")
    wait_for_app(page)
    _click_row(page, 2)  # the third incident's checkbox
    wait_for_app(page)
    heading = page.get_by_role("heading", name=re.compile(r"^Customer \S+"))
    try:
        heading.wait_for(timeout=30_000)
    except Exception:
        page.screenshot(path="test-results/incidents_resort_failure.png", full_page=True)
        raise
    customer = heading.inner_text().split()[-1]

    page.get_by_text("Most recent", exact=True).click()
    wait_for_app(page)
    assert page.get_by_role("heading", name=re.compile(r"^Customer \S+")).inner_text().split()[-1] == customer
    assert parse_qs(urlparse(page.url).query).get("customer") == [customer]
    assert parse_qs(urlparse(page.url).query).get("sort") == ["recency"]
    page.get_by_text("Most severe", exact=True).click()
    wait_for_app(page)
    assert page.get_by_role("heading", name=re.compile(r"^Customer \S+")).inner_text().split()[-1] == customer
