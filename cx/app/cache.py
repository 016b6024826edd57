"""Per-source caches: results computed from the session's data, never served to another user.

``@cached_by_source`` is the only cache the pages use. The demo's results are shared by every
session (same public data); results of a user's own data (uploads, warehouses) are cached per
session and released with it. Loaders raise :class:`~cx.db.SourceError` when the data
cannot be read; the page frame (:func:`cx.app.widgets.run_page`) turns that into one clear line.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
import streamlit as st

from cx import db as sources
from cx.app import state
from cx.db import Source, SourceSummary


def cached_by_source(func=None, *, ttl: int = 3600, max_entries: int = 64):
    """Cache ``func(source, *args, **kwargs)`` under the source's key, bounded by ttl and max_entries.

    The other arguments must be hashable values (a Scope, a tuple, a string); the source itself is
    represented by its ``key`` (which changes with the data and the session's incident rules).
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
    """Cached :func:`cx.db.source.summarize` of the current (or given) source (rules do not change it)."""
    loaded = state.loaded_source()
    if source is None or source.key.split("#rules-")[0] == loaded.key:
        source = loaded
    return _summary(source)


@cached_by_source
def segment_values(source: Source) -> list[str]:
    """The customers' segments (at most 200), for the sidebar's segment filter."""
    c = source.customers
    frame = source.read(sa.select(c.c.segment).where(c.c.segment.is_not(None)).distinct().order_by(c.c.segment).limit(200))
    return [str(v) for v in frame["segment"]]
