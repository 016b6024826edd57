"""A cached figure comes back as it was built (issue 14: every run unpickles the cached charts, so ui.cache
rebuilds them from their spec without plotly's validators)."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import plotly.graph_objects as go
import plotly.io
from plotly.subplots import make_subplots

import ui.cache  # noqa: F401  (registers how a Figure pickles)


def _spec(figure: go.Figure) -> dict:
    return json.loads(plotly.io.to_json(figure, validate=False))


def _figure() -> go.Figure:
    fig = make_subplots(rows=2, cols=1, subplot_titles=["points", "minutes"])
    fig.add_trace(go.Scatter(x=np.arange(5), y=np.linspace(0, 1, 5), mode="lines+markers",
                             marker={"size": np.where(np.arange(5) > 2, 9, 6)}, name="NPS · chat"), row=1, col=1)
    fig.add_trace(go.Bar(x=[1.5, -2.0], y=["a", "b"], orientation="h"), row=2, col=1)
    fig.add_vrect(x0=1, x1=2, fillcolor="#E69F00", opacity=0.18, line_width=0, row=1, col=1)
    fig.update_layout(height=300, title={"text": "NPS"})
    return fig


def test_a_pickled_figure_comes_back_with_the_same_spec_and_its_subplot_grid():
    built = _figure()
    back = pickle.loads(pickle.dumps(built))
    assert isinstance(back, go.Figure) and back is not built
    assert _spec(back) == _spec(built)
    assert _spec(copy.deepcopy(built)) == _spec(built)
    back.add_hline(y=0.5, row=2, col=1)  # the grid (make_subplots) is still there to draw on
    back.add_trace(go.Scatter(x=[0], y=[0]), row=2, col=1)
    assert back.data[-1].yaxis == "y2"
    assert _spec(built) == _spec(_figure())  # the original is untouched


def test_a_figure_rebuilt_from_the_cache_is_not_validated_again(monkeypatch):
    built = _figure()
    data = pickle.dumps(built)
    calls = []
    original = go.Scatter.__init__

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("_validate", True))
        original(self, *args, **kwargs)

    monkeypatch.setattr(go.Scatter, "__init__", counting)
    pickle.loads(data)
    assert calls and not any(calls)  # every trace rebuilt with _validate=False
