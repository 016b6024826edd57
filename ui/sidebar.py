"""The shared sidebar: which rows (Scope) and how they are shown (View), mirrored in the URL.

Rendered once per run by the router (app.py), before the page, so every page — and every deep
link — gets the same filters. On a session's first run the widgets start from the URL query
string, so a copied link reopens the same view; afterwards the widgets are the truth and the URL
follows them.
"""

from __future__ import annotations

import streamlit as st

from cx.db import Source, SourceSummary
from cx.journeys.stages import stage_order
from cx.schema import Grain
from cx.scope import QUERY_KEYS, Scope, View
from ui import cache, state


def render() -> Scope:
    """Draw the filters for the current source and record the chosen Scope and View for the page.

    Raises
    ------
    SourceError
        When the data cannot be summarised; the page frame shows it as one line.
    """
    source = state.current_source()
    summary = cache.source_summary(source)
    start = _start_from_url(summary)
    sb = st.sidebar
    sb.markdown("### Filters")
    first = summary.first.date() if summary.first is not None else None
    last = summary.last.date() if summary.last is not None else None
    if first and last:
        sb.date_input("Date range", value=start["f.dates"], min_value=first, max_value=last, key="f.dates",
                      format="YYYY-MM-DD")
    channels = list(summary.channels)
    stages = stage_order(summary.stages)
    segments = _segments(source, summary)
    # multiselect options are drawn as plain text (not markdown): a channel named "[x](…)" stays those characters
    if channels:
        sb.multiselect("Channels", channels, default=_known(start["f.channels"], channels), key="f.channels",
                       placeholder="All channels")
    if stages:
        sb.multiselect("Journey stages", stages, default=_known(start["f.stages"], stages), key="f.stages",
                       placeholder="All stages")
    if segments:
        sb.multiselect("Segments", segments, default=_known(start["f.segments"], segments), key="f.segments",
                       placeholder="All segments")
    grains = [g.value for g in Grain]
    sb.selectbox("Time grain", grains, index=grains.index(start["f.grain"]), key="f.grain", format_func=str.capitalize)
    sb.number_input("Minimum n per point", value=start["f.min_n"], min_value=1, max_value=100_000, step=10,
                    key="f.min_n",
                    help="Points with fewer responses are flagged (drawn faded and hollow), never silently hidden.")
    date_from, date_to = _date_range(st.session_state.get("f.dates"), first, last)
    scope = Scope(
        date_from=date_from,
        date_to=date_to,
        channels=[c for c in st.session_state.get("f.channels", []) if c in channels],
        stages=[s for s in st.session_state.get("f.stages", []) if s in stages],
        segments=[s for s in st.session_state.get("f.segments", []) if s in segments],
    )
    view = View(grain=st.session_state.get("f.grain", "week"), min_n=int(st.session_state.get("f.min_n", 30)))
    _mirror_to_url(scope, view)
    state.set_scope(scope, view)
    return scope


def _date_range(dates, first, last):
    """The chosen (from, to) days; a bound at the data's own first or last day means "no bound"."""
    dates = dates or ()
    date_from, date_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, None)
    if first and date_from == first:
        date_from = None
    if last and date_to == last:
        date_to = None
    return date_from, date_to


def _segments(source: Source, summary: SourceSummary) -> list[str]:
    if not summary.column_counts.get("customers.segment"):
        return []
    return cache.segment_values(source)


def _start_from_url(summary: SourceSummary) -> dict:
    """The value each filter is drawn with: the widget's own once it has one, else the URL's (a copied link
    reopens the same view).

    Passed as the widget's default, never written into the session state: the browser falls back to a
    widget's default when it draws the widget again, and a default other than the value shown (the smallest
    minimum n, no channel) silently changed the view behind a share link.
    """
    query = {k: st.query_params.get(k) for k in st.query_params.keys()}
    scope, view = Scope.from_query(query), View.from_query(query)
    first = summary.first.date() if summary.first is not None else None
    last = summary.last.date() if summary.last is not None else None
    dates = None
    if first and last:
        lo = min(max(scope.date_from or first, first), last)
        dates = (lo, max(min(scope.date_to or last, last), lo))
    from_url = {"f.dates": dates, "f.channels": [c for c in scope.channels if c in summary.channels],
                "f.stages": [s for s in scope.stages if s in summary.stages], "f.segments": list(scope.segments),
                "f.min_n": view.min_n, "f.grain": view.grain.value}
    return {key: st.session_state.get(key, value) for key, value in from_url.items()}


def _known(values, options) -> list:
    """The chosen values still among the options (a multiselect refuses a default it does not offer)."""
    return [v for v in values or [] if v in options]


def _mirror_to_url(scope: Scope, view: View) -> None:
    wanted = {**scope.to_query(), **view.to_query()}
    page_keys = {k: st.query_params.get(k) for k in st.query_params.keys() if k not in QUERY_KEYS}
    current = {k: st.query_params.get(k) for k in st.query_params.keys() if k in QUERY_KEYS}
    if current != wanted:
        st.query_params.from_dict({**page_keys, **wanted})
