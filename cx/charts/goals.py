"""Goal lines: a metric's targets drawn on a trend (dashed, labelled, in the series' colour).

Pure: takes a figure and plain (label, value, series) triples — :mod:`cx.loop.targets` turns
saved targets into them — and returns the figure. Lines are shapes, not traces, so the trend's
one-series-one-band contract (and click-through ``customdata``) is untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import plotly.graph_objects as go

from cx.charts.theme import GREY, color_for
from cx.safe import plain_text


class GoalLine(NamedTuple):
    """One goal: its text (``"NPS ≥ 40"``), value on the y axis and the series it belongs to (None: all)."""

    text: str
    value: float
    series: str | None = None


def add_goal_lines(fig: go.Figure, goals: Iterable[GoalLine], series: Iterable[str] | None = None) -> go.Figure:
    """Draw each goal as a dashed horizontal line labelled "Target: …".

    Parameters
    ----------
    fig : Figure
        A trend (one panel) or a tile's sparkline figure.
    goals : iterable of GoalLine
    series : iterable of str, optional
        The series drawn in ``fig``; a goal for a series not among them is left out.

    Returns
    -------
    Figure
        ``fig``, with one ``layout.shapes`` line (``name == "goal"``) per goal drawn.
    """
    shown = None if series is None else set(series)
    for goal in goals:
        if goal.series is not None and shown is not None and goal.series not in shown:
            continue
        color = GREY if goal.series is None else color_for(goal.series)
        fig.add_hline(y=goal.value, line_dash="dash", line_width=1.5, line_color=color, name="goal",
                      annotation_text=plain_text(f"Target: {goal.text}"), annotation_position="top right",
                      annotation_font_color=color, annotation_font_size=11,
                      annotation_bgcolor="rgba(255,255,255,0.85)")
    return fig


def goal_lines_of(fig: go.Figure) -> list[float]:
    """The y values of the goal lines drawn on ``fig`` (for tests and captions)."""
    return [shape.y0 for shape in fig.layout.shapes if shape.name == "goal"]


__all__ = ["GoalLine", "add_goal_lines", "goal_lines_of"]
