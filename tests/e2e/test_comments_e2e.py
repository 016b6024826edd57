"""The Comments page in a real browser: themes and charts show, and the masked assignments download."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import wait_for_app


@pytest.mark.e2e
def test_comments_page_shows_themes_and_downloads_them(app_url, page, tmp_path):
    page.goto(app_url + "/comments")
    wait_for_app(page, timeout=180_000)
    page.get_by_role("heading", name="What to fix first").wait_for(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    for heading in ("Themes", "Comments behind a theme", "Words that set two groups apart"):
        assert page.get_by_role("heading", name=heading, exact=True).count() == 1
    # plotly draws each chart after the script run has ended: wait for the four, not count them at once
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=60_000)
    assert page.get_by_text("analysed", exact=False).first.is_visible()
    button = page.get_by_role("button", name="Download every analysed comment with its theme (CSV, masked)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "comment_themes.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows and set(rows[0]) == {"comment", "theme", "sentiment", "language"}
    assert any("email" in r["theme"] for r in rows)
    assert all(-1 <= float(r["sentiment"]) <= 1 for r in rows)
