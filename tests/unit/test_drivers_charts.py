"""The drivers' figures show the numbers they are given (pure: no data access)."""

from __future__ import annotations

import pandas as pd
import pytest

from cx.charts import drivers as figures
from cx.charts.theme import VERMILION
from cx.drivers.mix import decompose
from cx.metrics.registry import NPS


def _shift():
    before = pd.DataFrame({"channel": ["chat", "email"], "n": [80, 20], "promoters": [40, 4], "detractors": [8, 10]})
    after = pd.DataFrame({"channel": ["chat", "email"], "n": [20, 80], "promoters": [11, 20], "detractors": [1, 32]})
    return decompose(NPS, before, after, ["channel"])


def test_waterfall_steps_add_up():
    shift = _shift()
    trace = figures.mix_waterfall(shift).data[0]
    assert list(trace.measure) == ["absolute", "relative", "relative", "total"]
    before, within, mix, after = trace.y
    assert before + within + mix == pytest.approx(after)
    assert (within, mix) == pytest.approx((shift.within, shift.mix))
    bars = figures.mix_cells(shift).data
    assert sum(bars[0].x) + sum(bars[1].x) == pytest.approx(shift.total)


def test_importance_and_focus_areas():
    table = pd.DataFrame({"driver": ["a", "b", "c"], "importance": [0.2, 0.1, 0.02], "ci_low": [0.15, 0.05, 0.0],
                          "ci_high": [0.25, 0.15, 0.05], "share": [62.5, 31.25, 6.25], "performance": [25.0, 80.0, 40.0],
                          "performance_means": ["x", "y", "z"]})
    bars = figures.driver_importance(table, 0.32).data[0]
    assert list(bars.y) == ["c", "b", "a"]  # most important on top
    assert list(bars.error_x.array) == pytest.approx([0.03, 0.05, 0.05])
    points = figures.focus_areas(table).data[0]
    colours = dict(zip(points.text, points.marker.color))
    assert colours["a"] == VERMILION and colours["b"] != VERMILION and colours["c"] != VERMILION


def test_focus_labels_clear_of_each_other_and_the_cohort_legend_above_the_plot():
    """Issue 14 (readable charts): the demo's drivers of like importance and performance got labels drawn over
    one another; the cohort chart's legend, under the plot at a fixed distance, covered the dates at 1024 px
    (both also checked in Chromium by tests/e2e/test_layout_e2e.py)."""
    import types

    table = pd.DataFrame({"driver": ["resolution time", "channel", "first response time", "first-contact resolution"],
                          "share": [28.0, 26.0, 25.0, 19.0], "performance": [73.0, 37.0, 64.0, 71.0],
                          "performance_means": ["x"] * 4})
    places = list(figures.focus_areas(table).data[0].textposition)
    assert places != ["top center", "bottom center"] * 2  # the old alternation drew the last two over each other
    assert places == figures._label_places(table["share"].tolist(), table["performance"].tolist(),
                                           table["driver"].tolist(), (-0.2 * 28, 1.3 * 28), (0, 105))
    periods = pd.date_range("2025-07-01", periods=3, freq="MS")
    trend = types.SimpleNamespace(table=pd.DataFrame({
        "period": periods, "usual": [1.0, 2, 3], "respondents": [1.0, 2, 3], "fixed": [0.0, 1, 2],
        "fixed_high": [2.0, 3, 4], "lost": [0, 1, 2], "churned": [0, 1, 1]}))
    legend = figures.cohort_chart(trend, "NPS").layout
    assert legend.legend.y is None or legend.legend.y >= 1  # the template's: above the plot, where plotly makes room
