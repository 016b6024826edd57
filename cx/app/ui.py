"""The one module beside the pages that imports streamlit: session state, cached loaders, filters.

Pages call these and stay thin. User data (uploads) live only in ``st.session_state`` of the
session that loaded them; caches are keyed by the source's ``key`` and bounded.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

import pandas as pd
import streamlit as st

from cx import db as sources
from cx.db import Access, Source, SourceError, SourceSummary, url_entry_allowed, visitor_access
from cx.journeys.stages import stage_order
from cx.schema import Grain, IncidentRules
from cx.scope import QUERY_KEYS, Scope, View

SOURCE_KEY = "cx.source"
RULES_KEY = "cx.rules"
FILTER_KEYS = ("f.dates", "f.channels", "f.stages", "f.segments", "f.min_n", "f.grain")


# Sign-in lives in cx/app/auth.py; these names stay importable from here for older callers.
from cx.app.auth import require_sign_in  # noqa: E402, F401
from cx.app.auth import secrets_section as _secrets_section  # noqa: E402, F401


def named_connections() -> dict[str, str]:
    """``[connections.<name>] url = …`` from secrets.toml: warehouses the operator named (name → URL)."""
    found = {}
    for name, settings in _secrets_section("connections").items():
        try:
            url = settings.get("url") if hasattr(settings, "get") else None
        except Exception:  # a malformed block: skip it, never crash the page
            url = None
        if url:
            found[str(name)] = str(url)
    return found


def url_entry_access() -> Access | None:
    """What a URL typed on the Data page may reach, or None while typing URLs is off (the default).

    On with ``allow_url_entry = true`` under ``[access]``; ``data_folders`` and ``allowed_hosts``
    there restrict it (see :func:`cx.db.visitor_access`).
    """
    settings = _secrets_section("access")
    return visitor_access(settings) if url_entry_allowed(settings) else None


# --- the session's source --------------------------------------------------------------------


@st.cache_resource(show_spinner="Preparing the demo warehouse (first start only, a few seconds)…")
def _demo() -> Source:
    return sources.demo_source()


def loaded_source() -> Source:
    """The data this session works on, as loaded: what the user loaded, else the demo warehouse."""
    chosen = st.session_state.get(SOURCE_KEY)
    return chosen if chosen is not None else _demo()


def current_source() -> Source:
    """The source every page works on: the loaded data with this session's incident rules.

    Rules changed on the Incidents page apply to every page (journeys, churn, the review) until the
    data change; the source then carries its own key so that no cache mixes two sets of rules.
    """
    source = loaded_source()
    rules = st.session_state.get(RULES_KEY)
    if rules is None or rules == source.rules:
        return source
    digest = hashlib.sha1(json.dumps(rules.to_dict(), sort_keys=True).encode()).hexdigest()[:10]
    return dataclasses.replace(source, rules=rules, key=f"{source.key}#rules-{digest}")


def set_rules(rules: IncidentRules) -> None:
    """This session's incident rules (reset to the data's own, e.g. a saved mapping's, on a new load)."""
    st.session_state[RULES_KEY] = rules


def set_source(source: Source | None) -> None:
    """Make ``source`` this session's data (``None`` returns to the demo) and reset filters."""
    previous = st.session_state.get(SOURCE_KEY)
    if previous is not None and previous is not source:
        sources.release(previous)
    st.session_state[SOURCE_KEY] = source
    st.session_state.pop(RULES_KEY, None)
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.query_params.clear()


def cached_by_source(func=None, *, ttl: int = 3600, max_entries: int = 64):
    """Cache ``func(source, *args, **kwargs)`` under the source's key, bounded by ttl and max_entries.

    The demo's results are shared by every session; results computed from a user's own data
    (uploads, warehouses) are cached per session and released with it, so nothing of one user's
    data can be served to another.
    """

    def wrap(f):
        def shared_call(key, _source, *args, **kwargs):
            return f(_source, *args, **kwargs)

        def session_call(key, _source, *args, **kwargs):
            return f(_source, *args, **kwargs)

        for inner, suffix in ((shared_call, "shared"), (session_call, "session")):
            inner.__module__ = f.__module__
            inner.__qualname__ = f"{f.__qualname__}.{suffix}"
        shared = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False)(shared_call)
        private = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False, scope="session")(session_call)

        @functools.wraps(f)
        def wrapper(source: Source, *args, **kwargs):
            cached = shared if source.kind == "demo" else private
            return cached(source.key, source, *args, **kwargs)

        return wrapper

    return wrap(func) if func is not None else wrap


@cached_by_source
def _summary(source: Source) -> SourceSummary:
    return sources.summarize(source)


def source_summary(source: Source | None = None) -> SourceSummary:
    """Cached :func:`cx.source.summarize` of the current (or given) source (rules do not change it)."""
    loaded = loaded_source()
    if source is None or source.key.split("#rules-")[0] == loaded.key:
        source = loaded
    return _summary(source)


def source_banner(source: Source | None = None) -> None:
    """One line saying which data the page shows, with a hint to load one's own."""
    source = source or current_source()
    if source.kind == "demo":
        st.caption("Showing the **demo warehouse** (synthetic data). Load your own on the **Data** page.")
    else:
        st.caption(f"Data: **{source.label}**")


def show_error(message: str) -> None:
    """A clear message instead of a traceback."""
    st.error(message, icon="⚠️")


def page_start(title: str, caption: str | None = None) -> tuple[Source, Scope, SourceSummary]:
    """The top of an analysis page: which data it shows, its title, and the data's summary.

    Stops the page with one clear message when the source can't be summarised (e.g. a warehouse
    that went away).
    """
    source, scope = current_source(), current_scope()
    source_banner(source)
    st.title(title)
    if caption:
        st.caption(caption)
    try:
        summary = source_summary(source)
    except SourceError as exc:
        show_error(str(exc))
        st.stop()
    return source, scope, summary


# --- shared filters --------------------------------------------------------------------------


def _segments(source: Source, summary: SourceSummary) -> list[str]:
    if not summary.column_counts.get("customers.segment"):
        return []
    return _segment_values(source)


@cached_by_source
def _segment_values(source: Source) -> list[str]:
    import sqlalchemy as sa

    c = source.customers
    frame = source.read(sa.select(c.c.segment).where(c.c.segment.is_not(None)).distinct().order_by(c.c.segment).limit(200))
    return [str(v) for v in frame["segment"]]


def sidebar_filters() -> Scope:
    """Render the shared sidebar filters (once per run, from app.py) and mirror them in the URL.

    On a session's first run the widgets start from the URL query string, so a copied link
    reopens the same view; afterwards the widgets are the truth and the URL follows them.
    """
    source = current_source()
    try:
        summary = source_summary(source)
    except SourceError as exc:
        show_error(str(exc))
        return Scope()
    if "f.grain" not in st.session_state:
        _seed_from_url(summary)
    sb = st.sidebar
    sb.markdown("### Filters")
    first = summary.first.date() if summary.first is not None else None
    last = summary.last.date() if summary.last is not None else None
    if first and last:
        sb.date_input("Date range", min_value=first, max_value=last, key="f.dates", format="YYYY-MM-DD")
    channels = list(summary.channels)
    stages = stage_order(summary.stages)
    segments = _segments(source, summary)
    if channels:
        sb.multiselect("Channels", channels, key="f.channels", placeholder="All channels")
    if stages:
        sb.multiselect("Journey stages", stages, key="f.stages", placeholder="All stages")
    if segments:
        sb.multiselect("Segments", segments, key="f.segments", placeholder="All segments")
    sb.selectbox("Time grain", [g.value for g in Grain], key="f.grain", format_func=str.capitalize)
    sb.number_input("Minimum n per point", min_value=1, max_value=100_000, step=10, key="f.min_n",
                    help="Points with fewer responses are flagged (drawn hollow), never silently hidden.")
    dates = st.session_state.get("f.dates") or ()
    date_from, date_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, None)
    if first and date_from == first:
        date_from = None
    if last and date_to == last:
        date_to = None
    scope = Scope(
        date_from=date_from,
        date_to=date_to,
        channels=[c for c in st.session_state.get("f.channels", []) if c in channels],
        stages=[s for s in st.session_state.get("f.stages", []) if s in stages],
        segments=[s for s in st.session_state.get("f.segments", []) if s in segments],
    )
    view = View(grain=st.session_state.get("f.grain", "week"), min_n=int(st.session_state.get("f.min_n", 30)))
    _mirror_to_url(scope, view)
    st.session_state["cx.scope"] = scope
    st.session_state["cx.view"] = view
    return scope


def current_scope() -> Scope:
    """Which rows the sidebar chose in this run (all rows when called outside the app)."""
    return st.session_state.get("cx.scope", Scope())


def current_view() -> View:
    """How the sidebar asks results to be shown in this run (grain, minimum n)."""
    return st.session_state.get("cx.view", View())


def _seed_from_url(summary: SourceSummary) -> None:
    query = {k: st.query_params.get(k) for k in st.query_params.keys()}
    scope, view = Scope.from_query(query), View.from_query(query)
    first = summary.first.date() if summary.first is not None else None
    last = summary.last.date() if summary.last is not None else None
    if first and last:
        lo = min(max(scope.date_from or first, first), last)
        hi = max(min(scope.date_to or last, last), lo)
        st.session_state["f.dates"] = (lo, hi)
    st.session_state["f.channels"] = [c for c in scope.channels if c in summary.channels]
    st.session_state["f.stages"] = [s for s in scope.stages if s in summary.stages]
    st.session_state["f.segments"] = list(scope.segments)
    st.session_state["f.min_n"] = view.min_n
    st.session_state["f.grain"] = view.grain.value


def _mirror_to_url(scope: Scope, view: View) -> None:
    wanted = {**scope.to_query(), **view.to_query()}
    page_keys = {k: st.query_params.get(k) for k in st.query_params.keys() if k not in _FILTER_PARAMS}
    current = {k: st.query_params.get(k) for k in st.query_params.keys() if k in _FILTER_PARAMS}
    if current != wanted:
        st.query_params.from_dict({**page_keys, **wanted})


_FILTER_PARAMS = QUERY_KEYS


def url_state(key: str, default: str | None = None) -> str | None:
    """A page-level value kept in the URL (e.g. the chosen metric), so links reopen the view."""
    return st.query_params.get(key, default)


def set_url_state(key: str, value: str | None) -> None:
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def download_csv(label: str, frame: pd.DataFrame, file_name: str, key: str | None = None) -> None:
    """A CSV download with formula injection neutralised."""
    from cx.safe import to_safe_csv

    st.download_button(label, data=to_safe_csv(frame), file_name=file_name, mime="text/csv", key=key,
                       on_click="ignore")


# --- weekly review ---------------------------------------------------------------------------


@cached_by_source(ttl=1800, max_entries=32)
def _load_review(source: Source, week: str | None, scope: Scope):
    from cx.review.weekly import weekly_review

    return weekly_review(source, week, scope)


def load_review(source: Source, week: str | None, scope: Scope, min_n: int):
    """Cached :func:`cx.review.weekly_review` (with incidents and at-risk customers).

    Cached by source, week and scope only: a new minimum n re-selects the movers without a query.
    """
    return _load_review(source, week, scope).with_min_n(min_n)


@cached_by_source(ttl=1800, max_entries=32)
def _load_review_trends(source: Source, week: str | None, scope: Scope) -> dict:
    from cx.review.weekly import trend_tables

    return trend_tables(source, _load_review(source, week, scope))


def load_review_trends(source: Source, week: str | None, scope: Scope, min_n: int) -> dict:
    """Cached 12-week metric tables behind the review's trend charts and tile sparklines (``min_n`` only draws)."""
    return _load_review_trends(source, week, scope)


def md_escape(text: str) -> str:
    """Escape Markdown so that data values (file and channel names, comments, messages) render as the
    characters they are, in Markdown and in widget labels (``:`` too, which would start an emoji or
    icon shortcode)."""
    import re

    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=@])", r"\\\1", str(text))


def share_link(page: str) -> str:
    """The absolute URL of this view (page + every filter and page setting in the query string)."""
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    except Exception:
        base = ""
    query = {k: st.query_params.get(k) for k in st.query_params.keys()}
    return f"{base}/{page}" + (f"?{urlencode(query)}" if query else "")
