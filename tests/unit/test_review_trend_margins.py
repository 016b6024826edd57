"""The Overview's trend charts size their own margins (issue 14: plotly's automargin draws each chart twice)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cx.charts.review import week_trend_figure


def _table(values, spread=5.0) -> pd.DataFrame:
    periods = pd.date_range("2026-08-03", periods=len(values), freq="7D")
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"period": periods, "value": values, "ci_low": values - spread, "ci_high": values + spread,
                         "n": 200, "low_n": False})


def _margin(values, spread=5.0) -> int:
    fig = week_trend_figure(_table(values, spread), "NPS", "points", dt.date(2026, 10, 19), 30)
    assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False
    assert fig.layout.margin.b >= 40  # room for plotly's two-line date labels ("Aug 9 / 2026")
    return fig.layout.margin.l


def test_the_left_margin_grows_with_the_tick_labels_it_must_hold():
    small, large = _margin([20, 25, 30]), _margin([2000, 2500, 3000])
    assert 50 <= small < large <= 110
    assert _margin([-30, 10, 20]) > _margin([30, 40, 50])  # a minus sign takes room too
    assert _margin([12_000, 15_000]) == _margin([9_000, 9_500])  # plotly writes "12k": no longer than "9500"
