"""AppTest fixtures: the app runs against a small demo warehouse in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx import demo

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("apptest") / "demo.duckdb"
    demo.generate(path, customers=3000, interactions=45_000)
    return path


@pytest.fixture
def app(small_demo, monkeypatch):
    """``app(page=None)`` → a ready-to-run AppTest of app.py (optionally switched to a page file)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(demo, "DEFAULT_PATH", small_demo)
    monkeypatch.setenv("CX_WAIT_SECONDS", "600")  # no browser to redraw: pages wait for background jobs
    monkeypatch.setenv("CX_TOP_FIRST", "0")  # and none to ask for the rest of a first run's page (ui.widgets.top_first)
    monkeypatch.setenv("CX_READ_AHEAD_FIT_DELAY", "0")  # a guessed fit is queued at once, so cache.wait_idle covers it
    st.cache_data.clear()
    st.cache_resource.clear()

    def factory(page: str | None = None, timeout: float = 60) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=timeout)
        if page:
            at.switch_page(page)
        return at

    return factory
