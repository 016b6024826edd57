"""How wide every table is at the two screens a meeting uses (1024×768 and 1440×900), against its box.

Starts the real app from this checkout (tests/e2e/conftest.py's ``running_app``) on a small demo warehouse
(3,000 customers, 45,000 interactions: the e2e suite's) and opens each page in the system Chromium. Streamlit
1.67 draws a table with glide-data-grid: a canvas in a scrolling div (``.dvn-scroller``) whose inner div is
as wide as the sum of the column widths (stretched to the box when they are narrower), so a table's width is
that div's scroll width, its box the div's client width. Each page is measured as it opens (tables in a
closed expander or a hidden tab are not drawn), then with every "More columns" expander opened (the detail
tables), and on the Data page each preview tab in turn.

    PYTHONPATH=. .venv/bin/python bench/table_widths.py [page ...]

For a baseline, run the copy of this script in another checkout (e.g. ``git archive <commit>`` unpacked,
with this file copied in). Prints one Markdown row per table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM_ARGS, chromium_path, running_app, wait_for_app  # noqa: E402

PAGES = ["overview", "incidents", "churn", "teams", "comments", "drivers", "data"]
SIZES = [(1024, 768), (1440, 900)]
TABLES = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
  .filter(el => el.getBoundingClientRect().width > 0 && el.querySelector('.dvn-scroller')).map(el => {
    const scroller = el.querySelector('.dvn-scroller');
    return {detail: !!el.closest('[data-testid=stExpanderDetails]'), width: scroller.scrollWidth, box: scroller.clientWidth,
            columns: [...el.querySelectorAll('[role=columnheader]')].map(h => h.innerText.trim()).filter(Boolean)};
  })"""

# every table in sight drawn (glide-data-grid mounts its scroller a moment after the element appears)
DRAWN = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
  .filter(el => el.getBoundingClientRect().width > 0 && !el.closest('[data-testid=stExpanderDetails][inert]'))
  .every(el => el.querySelector('.dvn-scroller'))"""


def measure(page, name: str) -> list[dict]:
    rows = [dict(t, how="as it opens") for t in page.evaluate(TABLES)]
    for tab in page.locator("[data-testid=stMain] [role=tab]").all()[1:]:
        tab.click()
        page.wait_for_timeout(800)
        rows += [dict(t, how=f"tab {tab.inner_text()}") for t in page.evaluate(TABLES)[-1:]]
    for summary in page.locator("[data-testid=stMain] [data-testid=stExpander] summary", has_text="More columns").all():
        if summary.is_visible():  # not one inside a closed expander
            summary.click()
    page.wait_for_timeout(500)
    page.wait_for_function(DRAWN, timeout=30_000)
    rows += [dict(t, how="detail (expander opened)") for t in page.evaluate(TABLES) if t["detail"]]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from cx import demo

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        demo.generate(path, customers=3000, interactions=45_000)
        with running_app(path) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            print("| size | page | table (first columns) | how | width px | box px | fits |")
            print("|---|---|---|---|---|---|---|")
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.set_default_timeout(120_000)
                for name in args.pages:
                    page.goto(f"{base}/{'' if name == 'overview' else name}")
                    wait_for_app(page, timeout=120_000)
                    page.wait_for_timeout(800)
                    page.wait_for_function(DRAWN, timeout=30_000)
                    for t in measure(page, name):
                        first = ", ".join(t["columns"][:3])
                        print(f"| {width} | {name} | {first} … | {t['how']} | {t['width']:,} | {t['box']:,} | "
                              f"{'yes' if t['width'] <= t['box'] + 1 else 'no'} |")
                context.close()
            browser.close()


if __name__ == "__main__":
    main()
