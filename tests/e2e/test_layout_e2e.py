"""Every page at the two screens a meeting uses (1024×768 projector, 1440×900 laptop): screenshots into
test-results/ (open them and look), no KPI tile value, dropdown text or field value cut off, no control
pushed out of sight, no chart legend over its axis labels nor point labels over one another, and no table
wider than its box (columns hidden until scrolled sideways), its detail tables ("More columns") opened too,
on every page of the app (a finding on any page fails the test)."""

from __future__ import annotations

import pytest

from .conftest import RESULTS, wait_for_app

pytestmark = pytest.mark.e2e

SIZES = [(1024, 768), (1440, 900)]
PAGES = ["overview", "trends", "journeys", "incidents", "churn", "followup", "teams", "comments", "drivers", "data"]
# Pages whose wide tables may scroll sideways at 1024 px, keeping each row's name in view (the first column
# pinned by widgets.dataframe): none since round 5 (their secondary columns are under "More columns").
SCROLLING_TABLES: set[str] = set()

# Elements whose text must fit their box: KPI tile values and labels, segmented-control buttons, page links.
CUT_OFF = """() => {
  const cut = [];
  const check = (el, what) => {
    const box = el.getBoundingClientRect();
    if (box.width === 0) return;
    if (el.scrollWidth > el.clientWidth + 1) cut.push(what + ': ' + el.innerText.trim());
  };
  for (const [selector, what] of [['[data-testid=stMetricValue]', 'tile value'], ['[data-testid=stMetricLabel]', 'tile label'],
                                  ['[data-testid=stButtonGroup] button', 'button'], ['[data-testid=stPopover] button', 'button'],
                                  ['[data-testid=stPageLink-NavLink]', 'page link']]) {
    document.querySelectorAll(selector).forEach(el => {
      check(el, what);
      el.querySelectorAll('*').forEach(inner => check(inner, what));
    });
  }
  return [...new Set(cut)];
}"""
# Dropdowns and text boxes whose shown text does not fit (Streamlit 1.67 draws a selectbox or multiselect as a
# react-aria combobox: the placeholder or chosen value is the text of an <input>, which the browser clips
# without an ellipsis and without a scrollbar, so its box never overflows; the text is measured in the
# input's own font against the input's content width instead). Chosen values of a multiselect are tags
# in a container that hides what does not fit (checked by its scroll width), each tag's label with an
# ellipsis (checked the same way).
CUT_INPUTS = """() => {
  const cut = [], ctx = document.createElement('canvas').getContext('2d');
  const label = el => {
    const widget = el.closest('[data-testid=stMultiSelect], [data-testid=stSelectbox], [data-testid=stTextInput], ' +
                              '[data-testid=stNumberInput], [data-testid=stDateInput], [data-testid=stTextArea]');
    const text = widget && widget.querySelector('[data-testid=stWidgetLabel]');
    return (text ? text.innerText.trim() : el.getAttribute('aria-label') || 'field');
  };
  document.querySelectorAll('[data-testid=stSidebar] input, [data-testid=stMain] input').forEach(el => {
    if (['range', 'file', 'checkbox', 'radio', 'hidden'].includes(el.type) || !(el.getBoundingClientRect().width > 0)) return;
    const style = getComputedStyle(el);
    const text = el.value || el.placeholder || '';
    ctx.font = style.font;
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (text && (ctx.measureText(text).width > room + 1 || el.scrollWidth > el.clientWidth + 1))
      cut.push('dropdown or field "' + label(el) + '": ' + text);
  });
  document.querySelectorAll('[data-testid=stSidebar] [data-testid=stMultiSelect] *, [data-testid=stMain] [data-testid=stMultiSelect] *, ' +
                            '[data-testid=stSidebar] [data-testid=stSelectbox] *, [data-testid=stMain] [data-testid=stSelectbox] *').forEach(el => {
    if (el.tagName === 'INPUT' || !(el.getBoundingClientRect().width > 0)) return;
    if (el.scrollWidth > el.clientWidth + 1) cut.push('dropdown "' + label(el) + '": ' + el.innerText.trim().replace(/\\n/g, ', '));
  });
  return [...new Set(cut)];
}"""
# Controls that lie (partly) outside the column or block that holds them, or beyond the window's right
# edge (clipped, so out of sight), and tab bars whose last tabs are scrolled out of sight. A slider is
# judged by its widget (its range input is an invisible helper that may stick out).
OUT_OF_SIGHT = """() => {
  const out = [];
  const name = el => (el.innerText || el.getAttribute('aria-label') || el.tagName).trim().split('\\n')[0];
  const controls = '[data-testid=stMain] button, [data-testid=stMain] input:not([type=range]), [data-testid=stMain] [data-testid=stSlider], ' +
                   '[data-testid=stMain] [data-testid=stPageLink-NavLink]';
  document.querySelectorAll(controls).forEach(el => {
    const holder = el.closest('[data-testid=stColumn]') || document.querySelector('[data-testid=stMain]');
    const box = el.getBoundingClientRect(), room = holder.getBoundingClientRect();
    if (box.width > 0 && (box.right > room.right + 1 || box.right > window.innerWidth + 1)) out.push('out of sight: ' + name(el));
  });
  document.querySelectorAll('[data-testid=stMain] [role=tablist]').forEach(el => {
    if (el.getBoundingClientRect().width > 0 && el.scrollWidth > el.clientWidth + 1) out.push('tabs scrolled out of sight: ' + name(el));
  });
  return out;
}"""
# Text of a chart that reaches past the chart's left or right edge, where plotly clips it: titles, axis
# titles (a y axis title, turned upright, past its top or bottom), notes (annotations) and the labels beside
# points. (The box of a two-line note is taller than its drawn lines, so notes are judged across only.)
CUT_TITLES = """() => {
  const kinds = [['.gtitle', 'chart title'], ['.xtitle', 'axis title'], ['.ytitle', 'axis title'],
                 ['.annotation-text', 'chart note'], ['.textpoint text', 'point label']];
  const cut = [];
  for (const [selector, what] of kinds) {
    document.querySelectorAll('[data-testid=stMain] .js-plotly-plot ' + selector).forEach(text => {
      const box = text.getBoundingClientRect(), room = text.closest('svg').getBoundingClientRect();
      const across = box.left < room.left - 1 || box.right > room.right + 1;
      const upright = selector === '.ytitle' && (box.top < room.top - 1 || box.bottom > room.bottom + 1);
      if (box.width > 0 && text.textContent.trim() && (across || upright)) cut.push(what + ': ' + text.textContent);
    });
  }
  return [...new Set(cut)];
}"""

# A chart's legend drawn over its axes' labels (the dates under a trend, the names beside bars) or axis titles,
# and labels beside points drawn over one another.
LEGEND_OVER_LABELS = """() => {
  const over = [];
  const meets = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  document.querySelectorAll('[data-testid=stMain] .js-plotly-plot').forEach(plot => {
    plot.querySelectorAll('.legend .traces').forEach(entry => {
      const box = entry.getBoundingClientRect();
      if (!(box.width > 0)) return;
      plot.querySelectorAll('.xtick text, .ytick text, .xtitle, .ytitle').forEach(label => {
        const room = label.getBoundingClientRect();
        if (room.width > 0 && label.textContent.trim() && meets(box, room))
          over.push('legend "' + entry.textContent.trim() + '" over the axis label "' + label.textContent.trim() + '"');
      });
    });
    // and the labels that name points (the drivers on the Drivers page's focus chart), over one another; not the
    // faded "n=…" marks beside a trend's low-n points (the Trends page's weeks of several series: see its n)
    const labels = [...plot.querySelectorAll('.textpoint text')].filter(t => t.textContent.trim() && !/^n=/.test(t.textContent.trim())
                                                                          && t.getBoundingClientRect().width > 0);
    labels.forEach((a, i) => labels.slice(i + 1).forEach(b => {
      if (meets(a.getBoundingClientRect(), b.getBoundingClientRect()))
        over.push('point label "' + a.textContent.trim() + '" over "' + b.textContent.trim() + '"');
    }));
  });
  return [...new Set(over)];
}"""

# Tables wider than their box, so that some columns are out of sight until the table is scrolled sideways.
# Streamlit 1.67 draws st.dataframe with glide-data-grid: a <canvas> inside a scrolling div (.dvn-scroller)
# whose inner div is as wide as the sum of the column widths; a table fits when that div scrolls by nothing.
# A table in a closed expander (Streamlit marks its content inert and draws no grid there until it opens) or
# in a tab not shown is not judged: it is a detail view, opened on demand.
SHOWN_TABLES = """[...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
  .filter(el => el.getBoundingClientRect().width > 0 && !el.closest('[data-testid=stExpanderDetails][inert]'))"""
WIDE_TABLES = """() => {
  const wide = [];
  """ + SHOWN_TABLES + """.forEach(el => {
    const scroller = el.querySelector('.dvn-scroller');
    if (!scroller) return;
    if (scroller.scrollWidth > scroller.clientWidth + 1) {
      const header = [...el.querySelectorAll('[role=columnheader]')].map(h => h.innerText.trim()).filter(Boolean);
      wide.push(`table ${scroller.scrollWidth} px wide in ${scroller.clientWidth} px (${header.slice(0, 3).join(', ')}, …)`);
    }
  });
  return wide;
}"""
# Every table drawn (glide-data-grid mounts its scroller a moment after the element appears).
TABLES_DRAWN = "() => " + SHOWN_TABLES + ".every(el => el.querySelector('.dvn-scroller'))"

def detail_tables_too_wide(page) -> list[str]:
    """Open every "More columns" expander (the columns a table leaves out to fit 1024 px) and say which of
    their tables are wider than their box: at 1024 px as at 1440 px, a detail table is read whole too."""
    for summary in page.locator("[data-testid=stMain] [data-testid=stExpander] summary", has_text="More columns").all():
        if summary.is_visible():  # not one inside a closed expander
            summary.click()
    page.wait_for_timeout(300)
    page.wait_for_function(TABLES_DRAWN, timeout=20_000)
    return [f"with its details open, {found}" for found in page.evaluate(WIDE_TABLES)]


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
            page.wait_for_function(TABLES_DRAWN, timeout=20_000)
            found = (page.evaluate(CUT_OFF) + page.evaluate(CUT_INPUTS) + page.evaluate(OUT_OF_SIGHT)
                     + page.evaluate(CUT_TITLES) + page.evaluate(LEGEND_OVER_LABELS)
                     + ([] if name in SCROLLING_TABLES else page.evaluate(WIDE_TABLES)))
            assert page.locator("[data-testid=stException]").count() == 0, name
            # the whole page in one picture: the main area scrolls inside the window, so the window is made
            # as tall as the page for the screenshot (same width, so the same layout), then set back
            RESULTS.mkdir(exist_ok=True)
            tall = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
            page.set_viewport_size({"width": width, "height": max(height, tall)})
            page.wait_for_timeout(500)
            page.screenshot(path=str(RESULTS / f"layout-{name}-{width}x{height}.png"))
            page.set_viewport_size({"width": width, "height": height})
            if name not in SCROLLING_TABLES:
                found += detail_tables_too_wide(page)
            if found:
                problems[name] = found
        if "incidents" in PAGES:
            page.goto(f"{app_url}/incidents")
            wait_for_app(page, timeout=120_000)
            button = page.get_by_text("Most recent", exact=True)
            assert button.is_visible()
            box = button.bounding_box()
            assert box and box["x"] + box["width"] <= width
    finally:
        context.close()
    assert not problems, "\n".join(f"{name}: {found}" for name, found in problems.items())
