"""This session's state behind typed accessors: the data it works on, its incident rules, what the
sidebar chose, and what one page hands to another (the loaded upload, the warehouse connection).

Pages never read each other's raw ``st.session_state`` keys: they call these functions, so a value
has one owner and one type. Widget keys private to a page (``"trends.metric"``) stay in the page.
User data (uploads) live only in this session's state and are released when replaced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
import streamlit as st

from cx import db as sources
from cx.db import Source
from cx.schema import IncidentRules
from cx.scope import Scope, View

SOURCE_KEY = "cx.source"
RULES_KEY = "cx.rules"
SCOPE_KEY = "cx.scope"
VIEW_KEY = "cx.view"
UPLOAD_KEY = "cx.upload"
WAREHOUSE_KEY = "cx.warehouse"
#: The sidebar's widget keys (ui.sidebar): reset when the data change.
FILTER_KEYS = ("f.dates", "f.channels", "f.stages", "f.segments", "f.min_n", "f.grain")


# --- the session's data ----------------------------------------------------------------------


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


def session_rules() -> IncidentRules | None:
    """The incident rules this session chose on the Incidents page (None: the data's own)."""
    return st.session_state.get(RULES_KEY)


def set_rules(rules: IncidentRules) -> None:
    """This session's incident rules (reset to the data's own, e.g. a saved mapping's, on a new load)."""
    st.session_state[RULES_KEY] = rules


def set_source(source: Source | None) -> None:
    """Make ``source`` this session's data (``None`` returns to the demo); reset rules and filters.

    The previous data are released (an upload's in-memory database is closed), and so is the
    record of the upload they came from.
    """
    previous = st.session_state.get(SOURCE_KEY)
    if previous is not None and previous is not source:
        sources.release(previous)
    st.session_state[SOURCE_KEY] = source
    st.session_state.pop(RULES_KEY, None)
    st.session_state.pop(UPLOAD_KEY, None)
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
    st.query_params.clear()


def current_user() -> str | None:
    """The signed-in user's e-mail address, or None (no sign-in configured, or not signed in)."""
    try:
        user = st.user.to_dict()
    except Exception:  # no sign-in configured: st.user is empty or unavailable
        return None
    return user.get("email") if user.get("is_logged_in") else None


def share_key(source: Source) -> str | None:
    """Who may share results computed from ``source`` across sessions (None: this session only).

    The demo is public: every session shares it. A warehouse table is shared by the sessions of the
    same signed-in user on the same connection (its name and masked URL, with the database user, are
    in the source's label and key; never the password), so a second tab or a colleague's link to the
    same view does not recompute what the first computed, while another user, who may have other
    rights, never sees it. Uploads are never shared (each is one session's own data).
    """
    if source.kind == "demo":
        return "demo"
    if source.kind == "warehouse":
        return f"warehouse|{source.label}|user={current_user() or ''}"
    return None


# --- what the sidebar chose ------------------------------------------------------------------


def current_scope() -> Scope:
    """Which rows the sidebar chose in this run (all rows when called outside the app)."""
    return st.session_state.get(SCOPE_KEY, Scope())


def current_view() -> View:
    """How the sidebar asks results to be shown in this run (grain, minimum n)."""
    return st.session_state.get(VIEW_KEY, View())


def set_scope(scope: Scope, view: View) -> None:
    """Record the sidebar's choice for the pages of this run (called by :mod:`ui.sidebar`)."""
    st.session_state[SCOPE_KEY] = scope
    st.session_state[VIEW_KEY] = view


# --- what the Data page hands to the others ----------------------------------------------------


@dataclass(frozen=True)
class LoadedUpload:
    """The files behind the uploaded data in use: their mappings (to save with the session's rules)
    and each file's load result (rows read, loaded, quarantined)."""

    source_key: str
    file_ids: frozenset[str]
    mappings: dict = field(default_factory=dict)
    results: tuple = ()


def remember_upload(source: Source, file_ids: set[str], mappings: dict, results: Sequence) -> None:
    """Record that ``source`` (already this session's data) was loaded from these files."""
    st.session_state[UPLOAD_KEY] = LoadedUpload(source.key, frozenset(file_ids), dict(mappings), tuple(results))


def loaded_upload() -> LoadedUpload | None:
    """The upload behind the data in use, or None when the session shows other data."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None or upload.source_key != loaded_source().key:
        return None
    return upload


@dataclass(frozen=True)
class Warehouse:
    """A warehouse connection opened on the Data page (read-only), before a table is chosen."""

    engine: sa.Engine
    label: str
    warnings: tuple[str, ...] = ()


def warehouse() -> Warehouse | None:
    """This session's open warehouse connection, if any."""
    return st.session_state.get(WAREHOUSE_KEY)


def set_warehouse(connection: Warehouse | None) -> None:
    """Keep ``connection`` for this session; the one it replaces is closed unless the data in use read it."""
    previous = st.session_state.get(WAREHOUSE_KEY)
    in_use = st.session_state.get(SOURCE_KEY)
    if previous is not None and previous is not connection and (in_use is None or in_use.engine is not previous.engine):
        previous.engine.dispose()
    st.session_state[WAREHOUSE_KEY] = connection


# --- page settings in the URL ------------------------------------------------------------------


def url_state(key: str, default: str | None = None) -> str | None:
    """A page-level value kept in the URL (e.g. the chosen metric), so links reopen the view."""
    return st.query_params.get(key, default)


def set_url_state(key: str, value: str | None) -> None:
    """Put a page-level value in the URL (``None`` removes it)."""
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def start_from_url(widget_key: str, url_key: str, options: Sequence[str], default: str) -> str:
    """The value a page's widget is drawn with: its own once it has one that is still among ``options``;
    else (its first render, or other data were loaded) the URL's, so a copied link reopens the same view.

    Pass it as the widget's default (``index=``, ``default=``, ``value=``) and never write it into the
    session state: the browser falls back to a widget's default when it draws the widget again, and a
    default other than the value shown silently changed the view (a share link's slider went to its
    minimum, its multiselect emptied).
    """
    current = st.session_state.get(widget_key)
    if current in options:
        return current
    st.session_state.pop(widget_key, None)  # a value from other data: the widget starts again from the URL
    value = url_state(url_key, default)
    return value if value in options else default


def start_list_from_url(widget_key: str, url_key: str, options: Sequence[str]) -> list[str]:
    """:func:`start_from_url` for a multiselect: a comma-separated list in the URL, unknown values dropped."""
    current = st.session_state.get(widget_key)
    if current is not None and set(current) <= set(options):
        return list(current)
    st.session_state.pop(widget_key, None)
    wanted = [v for v in (url_state(url_key) or "").split(",") if v]
    return [v for v in options if v in wanted]


def set_url_list(key: str, values: Sequence[str]) -> None:
    """Put a multiselect's choice in the URL (an empty choice removes it)."""
    set_url_state(key, ",".join(values) if values else None)
