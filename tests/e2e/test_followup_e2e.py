"""The closed loop in the real app, in two browser sessions: an alert on the Overview → the cells
behind it → a case assigned → its status changed in another session → the follow-up metric moves."""

from __future__ import annotations

import re

import pytest

from cx.db.write import AppStore
from cx.loop import cases

from .conftest import running_app, wait_for_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def loop_app(chromium, e2e_demo, tmp_path, monkeypatch):
    """The app with an app-owned database of this test's own."""
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("CX_APP_DB", url)
    with running_app(e2e_demo) as base:
        yield base, AppStore(url)


def _visible(locator):
    return locator.locator("visible=true").first


def _tile(page, label: str) -> str:
    tile = page.locator("[data-testid=stMetric]").filter(has=page.get_by_text(label, exact=True))
    return tile.locator("[data-testid=stMetricValue]").inner_text()


def test_alert_to_case_to_another_session_to_metric(loop_app, browser):
    base, store = loop_app
    lead = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    agent = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    for page in (lead, agent):
        page.set_default_timeout(90_000)

    # the lead: the outage week's alerts, and the cells behind the first
    lead.goto(f"{base}/?week=2026-W11")
    wait_for_app(lead)
    heading = lead.get_by_role("heading", name=re.compile(r"^Alerts \((\d+)\)"))
    try:
        heading.wait_for()
    except Exception:
        lead.screenshot(path="test-results/followup_heading_failure.png", full_page=True)
        raise
    assert heading.inner_text() != "Alerts (0)"
    assert lead.get_by_text(re.compile("false discovery rate controlled at 5%")).first.is_visible()
    alert = lead.locator("[data-testid=stExpander]").filter(has_text="chat") \
        .filter(has_not_text="How this is computed").first  # that expander explains the review's tests
    alert.locator("summary").click()
    try:
        _visible(alert.get_by_text(re.compile("Every cell this rule checked"))).wait_for()
    except Exception:
        lead.screenshot(path="test-results/followup_alert_failure.png", full_page=True)
        raise
    alert.locator("[data-testid=stDataFrame]").first.wait_for()  # the table's grid is loaded after the caption is drawn
    assert alert.locator("[data-testid=stDataFrame]").count() == 1

    # … becomes a case, owned by Ann
    lead.get_by_role("button", name=re.compile("Open a case for an alert")).click()
    _visible(lead.get_by_role("textbox", name="Owner")).fill("ann@example.org")
    _visible(lead.get_by_role("button", name="Open the case")).click()
    wait_for_app(lead)
    _visible(lead.get_by_text(re.compile(r"Case #1 opened"))).wait_for()
    case = cases.get_case(store, 1)
    assert (case.kind, case.owner, case.status) == ("alert", "ann@example.org", "open") and "chat" in case.subject

    lead.goto(f"{base}/followup")
    wait_for_app(lead)
    assert _tile(lead, "Median time to first contact") == "–"
    assert _tile(lead, "Open cases") == "1"

    # another session (Ann's) contacts the customer
    agent.goto(f"{base}/followup")
    wait_for_app(agent)
    agent.get_by_role("radiogroup").get_by_text("contacted", exact=True).click()
    agent.get_by_role("button", name="Save").click()
    wait_for_app(agent)
    _visible(agent.get_by_text("Case #1 saved.")).wait_for()
    assert cases.get_case(store, 1).status == "contacted"

    # the lead's form still shows version 1: saving it is refused, Ann's change stands
    lead.get_by_role("radiogroup").get_by_text("resolved", exact=True).click()
    lead.get_by_role("button", name="Save").click()
    wait_for_app(lead)
    _visible(lead.get_by_text(re.compile("nothing was saved"))).wait_for()
    assert cases.get_case(store, 1).status == "contacted"

    # reloaded, the lead's page shows the follow-up metric moved
    lead.reload()
    wait_for_app(lead)
    assert re.fullmatch(r"\d+\.\d h", _tile(lead, "Median time to first contact"))
    assert cases.history(store, 1)["field"].tolist() == ["opened", "status"]
