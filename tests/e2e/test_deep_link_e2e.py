"""The views/ guard: a deep link as a fresh server's very first request still gets the router's frame.

Why the pages live in views/ and not in a pages/ folder: when a pages/ folder sits next to the
entry script, Streamlit maps ``/trends`` to ``pages/trends.py`` by itself. On a server that has not
run app.py yet — a fresh start, the first visitor arriving by a shared link — that file then runs
on its own, without the router: no sign-in gate, no sidebar filters, Streamlit's file-name menu
instead of ours. ``st.navigation`` only takes over once app.py has run in some session, which is
why an older version of this check passed only because another test had opened ``/`` first.

So each test here starts its OWN server and makes the deep link its first request (the health
check before it runs no script). The last test builds the same app with a pages/ folder and shows
that such a layout fails the check.
"""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import ROOT, running_app, wait_for_app

pytestmark = pytest.mark.e2e

DEEP_LINK = "/trends?channel=chat&grain=month"


def _sidebar_filters(page) -> dict:
    """What the sidebar shows: its menu, whether the filters are there, the chosen channels and grain."""
    sidebar = page.locator("[data-testid=stSidebar]")
    text = sidebar.inner_text() if sidebar.count() else ""
    menu = page.locator("[data-testid=stSidebarNav]")
    channels = sidebar.locator("[data-testid=stMultiSelect]").filter(has_text="Channels")
    grain = sidebar.get_by_role("combobox", name="Time grain")
    return {
        "menu": menu.inner_text() if menu.count() else "",
        "filters": "Filters" in text,
        "channels": channels.locator("[data-tag]").evaluate_all("tags => tags.map(t => t.getAttribute('aria-label'))")
        if channels.count() else [],
        "grain": grain.input_value() if grain.count() else None,
    }


def test_a_filtered_deep_link_as_the_first_request_gets_the_router_frame(e2e_demo, page, chromium):
    with running_app(e2e_demo) as base:
        page.goto(base + DEEP_LINK)
        wait_for_app(page)
        page.get_by_role("heading", name="Trends").wait_for()
        page.wait_for_selector(".js-plotly-plot")
        frame = _sidebar_filters(page)
        assert frame["filters"], frame
        assert frame["channels"] == ["chat"] and frame["grain"] == "Month", frame
        assert "Churn drivers" in frame["menu"] and "app" not in frame["menu"].split(), frame  # the router's menu
        series = page.evaluate("() => document.querySelector('.js-plotly-plot').data"
                               ".filter(t => (t.meta || {}).role === 'series').map(t => t.name)")
        assert series == ["chat"]
        query = parse_qs(urlparse(page.url).query)
        assert query["channel"] == ["chat"] and query["grain"] == ["month"]
        assert page.locator("[data-testid=stException]").count() == 0


def test_a_deep_link_as_the_first_request_meets_the_sign_in_gate(e2e_demo, page, chromium, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:9/oauth2callback"\n'
        f'cookie_secret = "{"x" * 32}"\n'
        'client_id = "cx"\n'
        'client_secret = "not-used"\n'
        'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n'
        "[access]\n"
        'allowed = ["@example.org"]\n')
    with running_app(e2e_demo, extra_args=("--secrets.files", str(secrets))) as base:
        page.goto(base + DEEP_LINK)
        wait_for_app(page)
        page.get_by_role("button", name="Sign in").wait_for()
        assert page.get_by_role("heading", name="Trends").count() == 0
        assert page.locator(".js-plotly-plot").count() == 0
        assert not _sidebar_filters(page)["filters"]


def test_a_pages_folder_would_fail_this_guard(e2e_demo, page, chromium, tmp_path):
    """The same app with its pages in pages/: the first deep link runs pages/trends.py without the router."""
    tree = tmp_path / "pages-layout"
    shutil.copytree(ROOT / "views", tree / "pages")
    shutil.copytree(ROOT / ".streamlit", tree / ".streamlit", ignore=shutil.ignore_patterns("secrets.toml"))
    (tree / "app.py").write_text((ROOT / "app.py").read_text().replace('"views/', '"pages/'))
    with running_app(e2e_demo, script="app.py", root=tree) as base:
        page.goto(base + DEEP_LINK)
        wait_for_app(page)
        page.get_by_role("heading", name="Trends").wait_for()
        frame = _sidebar_filters(page)
        assert not frame["filters"] and frame["channels"] == [], frame  # no router: no filters
        assert "app" in frame["menu"].split(), frame  # Streamlit's own menu of file names
