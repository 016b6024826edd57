"""The modules every page needs, imported when the server starts rather than by the first visitor.

A fresh server otherwise spends the first session's first seconds importing pandas, SQLAlchemy,
scipy.stats, plotly and the core (about 2 s of a 3.6 s first Overview on two cores, BENCHMARKS.md):
``serve.py`` calls :func:`preload` before Streamlit answers, so the server is up a moment later
and no visitor waits for it. The list holds what the router, the sidebar and the Overview import
at module level, the router's scikit-learn (``app.py`` imports ``cx.churn`` on its first run) and the
embedded warehouse's driver; each page's own rarer imports (the Data page's file readers) stay with the
page that needs them. A first session after start measured 1.05–1.12 s of server time against 1.21–1.54 s
with the shorter list (``streamlit.testing`` run of the Overview, round 12).
"""

from __future__ import annotations

import importlib

MODULES = ("ui.sidebar", "ui.widgets", "ui.followup", "ui.churn_fit", "ui.notes", "ui.auth", "cx.review.weekly", "cx.review.export",
           "cx.review.teams", "cx.charts", "cx.charts.review", "cx.journeys", "cx.metrics.plausible", "plotly.graph_objects",
           "scipy.stats",
           # the router's own import (app.py: scikit-learn, ~0.3 s), and what opening the demo warehouse imports
           "cx.churn", "cx.db.local", "cx.db.session", "cx.demo", "duckdb", "duckdb_engine")


def preload(modules: tuple[str, ...] = MODULES) -> None:
    for name in modules:
        importlib.import_module(name)
