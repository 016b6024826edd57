"""The Churn drivers page in a real browser: it fits, shows the model, and the at-risk list downloads."""

from __future__ import annotations

import csv
import io

import pytest

from .conftest import wait_for_app


@pytest.mark.e2e
def test_churn_page_downloads_the_at_risk_list(app_url, page, tmp_path):
    page.goto(app_url + "/churn")
    wait_for_app(page, timeout=180_000)
    page.get_by_role("heading", name="At risk now").wait_for(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    assert page.get_by_text("Cut-off rule in force").is_visible()
    assert page.locator("[data-testid=stMetric]").filter(has_text="Ranks churners higher").count() == 1
    button = page.get_by_role("button", name="Download the at-risk list (CSV)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "at-risk-churned.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so that spreadsheets read accents right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 500
    assert {"rank", "customer_id", "probability", "lifetime_value", "value_at_risk", "worst_moment_index",
            "last_at"} <= set(rows[0])
    values = [float(r["value_at_risk"]) for r in rows]
    assert values == sorted(values, reverse=True)
    assert all(0 < float(r["probability"]) < 1 for r in rows)
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values() if cell)
