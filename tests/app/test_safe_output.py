"""Safe output (issue 13): what a person can export is formula-safe, user text is never Markdown.

- Tables: Streamlit's own table toolbar ("Download as CSV") exports exactly what ``st.dataframe``
  receives, so the pages hand it cells a spreadsheet will not run (``=``, ``+``, ``-``, ``@``
  prefixed with ``'``), on the Overview, the Incidents list and the Trends drill-down.
- Text: a link or an image written into a URL parameter, a channel or touchpoint value or an
  uploaded file's name renders as those characters — checked by rendering every Markdown-bearing
  element of the page with a GFM-like parser (links, images, autolinks).
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from streamlit.proto.WidgetStates_pb2 import WidgetState

from cx.db import memory_source
from cx.safe import FORMULA_PREFIXES
from ui.state import SOURCE_KEY
from ui.widgets import WORD_JOINER

LINK = "[Session expired – sign in](https://evil.example/login)"
IMAGE = "![](http://x.example/y.png)"
HOSTILE_TEXT = f"{LINK} {IMAGE}"
RENDER = MarkdownIt("gfm-like")
# What GitHub-flavoured Markdown (Streamlit's renderer) turns into links in a text *after* escapes are
# resolved: bare URLs, www. addresses and e-mail addresses (mdast-util-gfm-autolink-literal).
GFM_AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)[-\w]+\.[-\w.]+|[-.\w+]+@[-\w]+(?:\.[-\w]+)+")


def _shown(markdown: str) -> str:
    """The characters a reader sees once ``markdown`` is rendered (invisible word joiners dropped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", RENDER.render(markdown))).replace(WORD_JOINER, "").strip()


def _links(markdown: str) -> list[str]:
    """Links and images the browser would draw for ``markdown``: Markdown ones and GFM autolinks."""
    rendered = RENDER.render(markdown)
    found = re.findall(r"<(?:a|img)\b[^>]*>", rendered)
    return found + GFM_AUTOLINK.findall(html.unescape(re.sub(r"<[^>]+>", "", rendered)))


def _hostile_upload(label: str = "Uploaded: exports.csv") -> object:
    """Six weeks of contacts whose ids, channels, touchpoints and comments are formulas or Markdown."""
    customers = ["=1+1", "+44 20 7946 0000", "@SUM(A1:A9)", "-2+3", "C5", "C6", "C7", "C8"]
    channels = ["+chat", "@web", "-phone", "=cmd|' /C calc'!A0", "[chat](https://evil.example)"]
    touchpoints = [IMAGE, LINK, "checkout", "=HYPERLINK(\"http://evil.example\",\"x\")"]
    rows = []
    start = pd.Timestamp("2026-02-02 09:00")
    for day in range(42):
        for k, customer in enumerate(customers):
            if (day + k) % 3:
                continue
            rows.append({
                "customer_id": customer, "occurred_at": start + pd.Timedelta(days=day, hours=k),
                "channel": channels[(day + k) % len(channels)], "journey_stage": ["purchase", "retention"][day % 2],
                "touchpoint": touchpoints[(day + 2 * k) % len(touchpoints)],
                "nps": [1, 9, 2, 10, 6, 8][(day + k) % 6], "csat": [1, 5, 2, 4][(day + k) % 4],
                "comment": ["=HYPERLINK(\"http://evil.example\",\"click\")", HOSTILE_TEXT, "+33 6 12 34 56 78",
                            "fine"][(day + k) % 4],
            })
    return memory_source(pd.DataFrame(rows), label=label)


def _open(app, page: str, source, query: dict | None = None):
    at = app()
    at.session_state[SOURCE_KEY] = source
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page != "views/overview.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at, *columns: str, without: str = "") -> pd.DataFrame:
    """The frame an ``st.dataframe`` with these columns received (what its toolbar exports)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns)
                and without not in d.value.columns)


def _assert_formula_safe(frame: pd.DataFrame) -> int:
    """No text cell or header starts a formula; returns how many cells were neutralised."""
    neutralised = 0
    for column in frame.columns:
        assert not str(column).startswith(FORMULA_PREFIXES), column
        for value in frame[column]:
            if isinstance(value, str):
                assert not value.startswith(FORMULA_PREFIXES), (column, value)
                neutralised += value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES)
    return neutralised


def _click(at, key: str, point: dict):
    """Select one point of ``st.plotly_chart(key=…, on_select=…)``, as a click in the browser does."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    states = at._tree.get_widget_states()
    state = WidgetState(id=chart.proto.id)
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [point["point_index"]],
                                                   "box": [], "lasso": []}})
    states.widgets.append(state)
    return at._run(states)


def test_tables_hand_the_toolbar_formula_safe_cells(app):
    source = _hostile_upload()
    overview = _open(app, "views/overview.py", source)
    assert _assert_formula_safe(_frame(overview, "severity", "reasons")) > 0

    incidents = _open(app, "views/incidents.py", source)
    shown = _frame(incidents, "severity", "is_worst")
    assert _assert_formula_safe(shown) > 0
    assert "'=1+1" in set(shown["customer_id"])  # the value, still readable, with the quote in front

    trends = _open(app, "views/trends.py", source, {"metric": "nps", "by": "channel"})
    figure = json.loads(next(c for c in trends.get("plotly_chart") if c.proto.id.endswith("trends.chart")).proto.spec)
    line = next(t for t in figure["data"] if (t.get("meta") or {}).get("role") == "series"
                and str(t["meta"]["series"]).startswith("+"))
    custom = line["customdata"][0]
    trends = _click(trends, "trends.chart", {"curve_number": figure["data"].index(line), "point_number": 0,
                                             "point_index": 0, "x": line["x"][0],
                                             "customdata": custom})
    assert not trends.exception
    assert any(s.value.startswith("Interactions behind") for s in trends.subheader)
    drill = _frame(trends, "occurred_at", "channel", "comment", without="severity")
    assert len(drill) == int(custom[2]) and set(drill["channel"]) == {"'" + line["meta"]["series"]}
    assert _assert_formula_safe(drill) > 0


def _markdown_texts(at) -> list[str]:
    """Every text of the page that Streamlit renders as Markdown (bodies, labels, help, options)."""
    texts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        if proto is None or getattr(node, "type", None) in ("code", "text", "dataframe", "plotly_chart"):
            continue
        fields = {f.name for f in proto.DESCRIPTOR.fields}
        texts += [getattr(proto, f) for f in ("body", "label", "help", "placeholder") if f in fields and getattr(proto, f)]
        if getattr(node, "type", None) in ("radio", "button_group"):
            texts += [o if isinstance(o, str) else o.content for o in proto.options]
    return texts


def _assert_no_link_or_image(at, *must_show: str) -> None:
    texts = _markdown_texts(at)
    assert len(texts) > 5
    for text in texts:
        assert not _links(text), text
    for value in must_show:  # shown, as the characters it is
        assert any(value in _shown(t) for t in texts), value


def test_a_customer_from_the_url_is_text(app, small_demo):
    at = app("views/incidents.py")
    at.query_params["customer"] = HOSTILE_TEXT
    at.run()
    assert not at.exception
    heading = next(s.value for s in at.subheader if s.value.startswith("Customer"))
    assert _shown(heading) == f"Customer {HOSTILE_TEXT}"  # the characters, no markup
    assert not _links(heading)
    _assert_no_link_or_image(at)


@pytest.mark.parametrize("page", ["views/overview.py", "views/trends.py", "views/journeys.py", "views/incidents.py"])
def test_channel_and_touchpoint_values_are_text(app, page):
    query = {"by": "touchpoint"} if page.endswith("trends.py") else {"customer": "-2+3"}
    at = _open(app, page, _hostile_upload(), query)
    _assert_no_link_or_image(at)


def test_a_trends_drill_down_into_a_hostile_touchpoint_is_text(app):
    at = _open(app, "views/trends.py", _hostile_upload(), {"metric": "nps", "by": "touchpoint", "grain": "all"})
    figure = json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith("trends.chart")).proto.spec)
    dot = next(t for t in figure["data"] if (t.get("meta") or {}).get("series") == LINK)
    at = _click(at, "trends.chart", {"curve_number": figure["data"].index(dot), "point_number": 0, "point_index": 0,
                                     "x": dot["x"][0], "customdata": dot["customdata"][0]})
    assert not at.exception
    heading = next(s.value for s in at.subheader if s.value.startswith("Interactions behind"))
    assert not _links(heading) and LINK in _shown(heading)
    _assert_no_link_or_image(at)


@pytest.mark.parametrize("page", ["views/overview.py", "views/trends.py", "views/data.py"])
def test_an_uploaded_file_name_is_text(app, page):
    label = f"Uploaded: {LINK}.csv, {IMAGE}.xlsx"
    at = _open(app, page, _hostile_upload(label=label))
    _assert_no_link_or_image(at, f"{LINK}.csv")


def test_a_table_without_its_index_pins_its_first_column_and_keeps_its_label_and_format():
    """Issue 14 (layout): a table wider than the page at 1024 px keeps each row's name in view when
    scrolled sideways; the caller's label, format and hidden columns are kept."""
    import streamlit as st

    from ui.widgets import pin_first

    plain = pin_first(None, ["customer_id", "severity"])
    assert plain["customer_id"]["pinned"] is True and plain["customer_id"]["label"] is None
    labelled = pin_first({"customer_id": "Customer", "severity": "Severity"}, ["customer_id", "severity"])
    assert labelled["customer_id"]["label"] == "Customer" and labelled["customer_id"]["pinned"] is True
    assert labelled["severity"] == "Severity"
    formatted = pin_first({"when": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD")}, ["when", "x"])
    assert formatted["when"]["pinned"] is True and formatted["when"]["type_config"]["format"] == "YYYY-MM-DD"
    assert pin_first({"a": None}, ["a", "b"]) == {"a": None}  # a hidden column stays hidden, nothing else pinned
    assert pin_first({"a": {"label": "A", "pinned": False}}, ["a"])["a"]["pinned"] is False  # the caller's choice
