"""Every page at the two screens a meeting uses (1024×768 projector, 1440×900 laptop): screenshots into
test-results/ (open them and look), no KPI tile value cut off and no control pushed out of sight."""

from __future__ import annotations

import pytest

from .conftest import RESULTS, wait_for_app

pytestmark = pytest.mark.e2e

SIZES = [(1024, 768), (1440, 900)]
PAGES = ["overview", "trends", "journeys", "incidents", "churn", "data"]

# Elements whose text must fit their box: KPI tile values and labels, segmented-control buttons.
CUT_OFF = """() => {
  const cut = [];
  const check = (el, what) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0) return;
    if (el.scrollWidth > el.clientWidth + 1) cut.push(what + ': ' + el.innerText.trim());
  };
  for (const [selector, what] of [['[data-testid=stMetricValue]', 'tile value'], ['[data-testid=stMetricLabel]', 'tile label'],
                                  ['[data-testid=stButtonGroup] button', 'button'], ['[data-testid=stPopover] button', 'button']]) {
    document.querySelectorAll(selector).forEach(el => {
      check(el, what);
      el.querySelectorAll('*').forEach(inner => check(inner, what));
    });
  }
  return [...new Set(cut)];
}"""
# Controls that lie (partly) outside the column or block that holds them (clipped, so out of sight).
OUT_OF_SIGHT = """() => {
  const out = [];
  document.querySelectorAll('[data-testid=stMain] button, [data-testid=stMain] input').forEach(el => {
    const holder = el.closest('[data-testid=stColumn]') || document.querySelector('[data-testid=stMain]');
    const box = el.getBoundingClientRect(), room = holder.getBoundingClientRect();
    if (box.width > 0 && box.right > room.right + 1) out.push('out of sight: ' + (el.innerText || el.getAttribute('aria-label')));
  });
  return out;
}"""
# Pages owned by other work (churn: the churn helper; data: the data/upload helper): their findings are
# reported in the report rather than failed here.
ELSEWHERE = {"churn", "data"}


@pytest.mark.parametrize("width,height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_the_screen(app_url, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(90_000)
    problems = {}
    try:
        for name in PAGES:
            page.goto(f"{app_url}/{'' if name == 'overview' else name}")
            wait_for_app(page, timeout=120_000)
            page.wait_for_timeout(500)  # charts finish their layout
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / f"layout-{name}-{width}x{height}.png"), full_page=True)
            found = page.evaluate(CUT_OFF) + page.evaluate(OUT_OF_SIGHT)
            assert page.locator("[data-testid=stException]").count() == 0, name
            if found and name not in ELSEWHERE:
                problems[name] = found
            elif found:
                print(f"layout finding on {name} at {width}x{height}: {found}")
        if "incidents" in PAGES:
            page.goto(f"{app_url}/incidents")
            wait_for_app(page, timeout=120_000)
            button = page.get_by_text("Most recent", exact=True)
            assert button.is_visible()
            box = button.bounding_box()
            assert box and box["x"] + box["width"] <= width
    finally:
        context.close()
    assert not problems, problems
