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
