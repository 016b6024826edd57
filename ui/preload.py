"""The modules every page needs, imported when the server starts rather than by the first visitor.

A fresh server otherwise spends the first session's first seconds importing pandas, SQLAlchemy,
scipy.stats, plotly and the core (about 2 s of a 3.6 s first Overview on two cores, BENCHMARKS.md):
``serve.py`` calls :func:`preload` before Streamlit answers, so the server is up a moment later
and no visitor waits for it. The list holds what the router, the sidebar and the Overview import
at module level; each page's own rarer imports (the model's scikit-learn, the Data page's file
readers) stay with the page that needs them.
"""

from __future__ import annotations

import importlib

MODULES = ("ui.sidebar", "ui.widgets", "ui.followup", "ui.notes", "cx.review.weekly", "cx.review.export",
           "cx.charts", "cx.charts.review", "cx.journeys", "plotly.graph_objects", "scipy.stats")


def preload(modules: tuple[str, ...] = MODULES) -> None:
    for name in modules:
        importlib.import_module(name)
