"""The Streamlit adapter's old single face, kept so older callers keep working.

New code imports the module of one purpose instead: :mod:`cx.app.state` (the session's data,
rules, scope and what pages hand to each other), :mod:`cx.app.cache` (per-source caches),
:mod:`cx.app.sidebar` (the shared filters) and :mod:`cx.app.widgets` (the page frame and
preamble, errors, safe tables and downloads, links, Markdown escaping).
"""

from __future__ import annotations

import streamlit as st

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

# --- sign-in (optional) ----------------------------------------------------------------------


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}) or {})
    except FileNotFoundError:  # no secrets.toml at all
        return {}
    except Exception:  # a malformed secrets.toml must not crash every page
        return {}


def require_sign_in() -> None:
    """When ``[auth]`` is configured, stop the run for anyone not signed in and on the allow-list.

    Off by default: without ``[auth]`` in secrets.toml this does nothing.
    """
    from cx.app.auth import is_allowed

    if not _secrets_section("auth"):
        return
    if not st.user.is_logged_in:
        st.title("CX Dashboard")
        st.write("Sign in with your company account to see the dashboard.")
        st.button("Sign in", type="primary", on_click=st.login, key="auth.login")
        st.stop()
    email = st.user.get("email")
    if not is_allowed(email, _secrets_section("access").get("allowed")):
        st.title("CX Dashboard")
        st.error(f"{email or 'This account'} is not on this dashboard's allow-list. Ask its administrator for access.")
        st.button("Sign out", on_click=st.logout, key="auth.logout")
        st.stop()
    st.sidebar.caption(f"Signed in as {email}")
    st.sidebar.button("Sign out", on_click=st.logout, key="auth.logout")
