"""The Streamlit adapter's old single face, kept so older callers keep working.

New code imports the module of one purpose instead: :mod:`cx.app.state` (the session's data,
rules, scope and what pages hand to each other), :mod:`cx.app.cache` (per-source caches),
:mod:`cx.app.sidebar` (the shared filters) and :mod:`cx.app.widgets` (the page frame and
preamble, errors, safe tables and downloads, links, Markdown escaping).
"""

from __future__ import annotations

# Sign-in lives in cx/app/auth.py; these names stay importable from here for older callers.
from cx.app.auth import require_sign_in  # noqa: E402, F401
from cx.app.auth import secrets_section as _secrets_section  # noqa: E402, F401
from cx.app.cache import cached_by_source, source_summary  # noqa: F401
from cx.app.sidebar import render as sidebar_filters  # noqa: F401
from cx.app.state import (  # noqa: F401
    FILTER_KEYS,
    RULES_KEY,
    SOURCE_KEY,
    current_scope,
    current_source,
    current_view,
    loaded_source,
    set_rules,
    set_source,
    set_url_state,
    url_state,
)
from cx.app.widgets import (  # noqa: F401
    download_csv,
    md_escape,
    page_start,
    share_link,
    show_error,
    source_banner,
)
from cx.db import Access, url_entry_allowed, visitor_access


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
