"""Trend and heatmap figures: one line and one band per series, hollow labelled low-n points, hover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx import charts


def _table(series: list[str], periods: int = 4, low_at: int | None = None, by: str = "channel") -> pd.DataFrame:
    rows = []
    for s, name in enumerate(series):
        for k in range(periods):
            n = 12 if k == low_at else 200
            rows.append({"period": pd.Timestamp("2026-03-02") + pd.Timedelta(weeks=k), by: name, "metric": "nps",
                         "n": n, "value": 10.0 * s + k, "ci_low": 10.0 * s + k - 5, "ci_high": 10.0 * s + k + 5,
                         "low_n": n < 30})
    return pd.DataFrame(rows)


def _traces(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


def test_one_line_and_one_band_per_series():
    fig = charts.trend_chart(_table(["chat", "email", "phone"]), by=["channel"], label="NPS", unit="points")
    assert [t.name for t in _traces(fig, "series")] == ["chat", "email", "phone"]
    assert len(_traces(fig, "band")) == 3 and len(fig.data) == 6
    band = _traces(fig, "band")[0]
    assert band.fill == "toself" and band.hoverinfo == "skip"
    line = _traces(fig, "series")[1]
    assert list(line.customdata[0][:3]) == ["2026-03-02", "email", 200]
    assert "95% CI" in line.customdata[0][3] and "n = %{customdata[2]:,}" in line.hovertemplate


def test_low_n_points_are_hollow_and_labelled():
    line = _traces(charts.trend_chart(_table(["chat"], low_at=2), by=["channel"]), "series")[0]
    assert list(line.marker.symbol) == ["circle", "circle", "circle-open", "circle"]
    assert list(line.text) == ["", "", "n=12", ""]


def test_low_n_labels_are_drawn_only_where_they_stand_apart():
    """Issue 14 (readable charts): on dense weeks the "n=…" labels were drawn over one another. All of a
    panel's labels or none: none where two would be closer than a label's width; the points stay hollow."""
    assert charts.trends.room_for_labels([2], 52) and charts.trends.room_for_labels([], 52)
    assert charts.trends.room_for_labels([0, 3], 52, width=640)  # 3 weeks × 12.3 px apart: 37 px
    assert not charts.trends.room_for_labels([0, 2], 52, width=640)  # 24.6 px: they would touch
    assert not charts.trends.room_for_labels([5, 5], 4)  # two series low at the same period
    # two series low in the same week: no label on either, both still hollow
    table = _table(["chat", "email"], low_at=2)
    lines = _traces(charts.trend_chart(table, by=["channel"], highlight=[]), "series")
    assert [list(line.text) for line in lines] == [[""] * 4, [""] * 4]
    assert all(line.marker.symbol[2] == "circle-open" for line in lines)
    # a year of weeks with low-n points two weeks apart: too close at this width; eight weeks apart: labelled
    weeks = _table(["chat"], periods=52)
    weeks.loc[weeks.index % 2 == 0, ["n", "low_n"]] = [12, True]
    assert not any(_traces(charts.trend_chart(weeks, by=["channel"]), "series")[0].text)
    weeks["low_n"], weeks["n"] = weeks.index % 8 == 0, np.where(weeks.index % 8 == 0, 12, 200)
    assert list(_traces(charts.trend_chart(weeks, by=["channel"]), "series")[0].text).count("n=12") == 7
    # small multiples: each panel judged on its own, a third of the width
    many = _table([f"s{k}" for k in range(9)], periods=8, low_at=3)
    assert all(list(line.text) == ["", "", "", "n=12", "", "", "", ""] for line in _traces(
        charts.trend_chart(many, by=["channel"]), "series"))


def test_missing_period_is_a_gap_and_breaks_the_band():
    table = _table(["chat", "email"])
    table = table[~((table.channel == "email") & (table.period == pd.Timestamp("2026-03-16")))]
    fig = charts.trend_chart(table, by=["channel"])
    email = _traces(fig, "series")[1]
    assert len(email.x) == 4 and np.isnan(email.y[2])
    band = _traces(fig, "band")[1]
    assert list(band.x).count(None) == 2  # two closed polygons, one each side of the gap


def test_points_without_interval_have_no_band():
    table = _table(["chat"])
    table[["ci_low", "ci_high"]] = np.nan
    fig = charts.trend_chart(table, by=["channel"], unit="interactions")
    assert len(_traces(fig, "band")[0].x) == 0
    assert "a count: no interval" in _traces(fig, "series")[0].customdata[0][3]


def test_many_series_become_small_multiples():
    names = [f"touchpoint {k}" for k in range(10)]
    fig = charts.trend_chart(_table(names, by="touchpoint"), by=["touchpoint"])
    assert len(_traces(fig, "series")) == 10
    assert {t.xaxis for t in _traces(fig, "series")} == {"x"} | {f"x{k}" for k in range(2, 11)}
    assert [a.text for a in fig.layout.annotations] == names
    few = charts.trend_chart(_table(names[:8], by="touchpoint"), by=["touchpoint"])
    assert {t.xaxis for t in few.data} == {None}  # eight still share one chart


def test_no_breakdown_and_missing_values_are_named():
    table = _table(["chat", None])
    assert set(charts.series_labels(table, ["channel"])) == {"chat", charts.MISSING_LABEL}
    assert set(charts.series_labels(table.drop(columns="channel"), [])) == {"All"}


def test_whole_range_is_a_dot_plot():
    table = _table(["chat", "email"], periods=1).assign(period="all")
    fig = charts.trend_chart(table, by=["channel"], label="CSAT", unit="%")
    series = _traces(fig, "series")
    assert [t.x[0] for t in series] == ["chat", "email"]
    assert series[0].error_y.array[0] == pytest.approx(5.0)


def test_heatmap_cells_show_value_n_and_low_n():
    rows = [{"journey_stage": s, "channel": c, "metric": "ttr", "n": n, "value": v, "ci_low": v - 1, "ci_high": v + 1,
             "low_n": n < 30, "p90": 2 * v}
            for s, c, n, v in [("purchase", "email", 50, 40.0), ("purchase", "chat", 10, 8.0), ("awareness", "chat", 80, 7.0)]]
    fig = charts.breakdown_heatmap(pd.DataFrame(rows), row_order=["awareness", "purchase"], column_order=["chat", "email"],
                                   label="TTR", unit="hours", higher_is_better=False)
    heat = fig.data[0]
    assert heat.meta["role"] == "heatmap" and list(heat.y) == ["awareness", "purchase"] and list(heat.x) == ["chat", "email"]
    assert np.isnan(heat.z[0][1]) and heat.z[1][1] == 40.0  # no awareness email: blank
    veil = fig.data[2]  # low-n cells: faded under a veil that carries their label
    assert veil.meta["role"] == "low_n" and "low n" in veil.text[1][0] and heat.text[1][0] == ""
    assert "low n" not in heat.text[1][1] and veil.text[1][1] == ""
    cells = fig.data[1]
    assert cells.meta["role"] == "cells" and len(cells.x) == 3  # one clickable marker per filled cell
    email = list(cells.x).index("email")
    assert list(cells.customdata[email][:3]) == ["purchase", "email", 50]
    assert "90th percentile 80.0 h" in cells.customdata[email][3]
    assert heat.colorscale[0][1] != charts.breakdown_heatmap(pd.DataFrame(rows)).data[0].colorscale[0][1]  # direction
    assert heat.textfont.size >= 11  # readable at 1024 px (left to plotly, ~5 px there)


def test_a_channel_keeps_its_colour_across_views():
    nps = charts.trend_chart(_table(["app", "chat", "email"]), by=["channel"])
    ttr = charts.trend_chart(_table(["chat", "email", "zeppelin"]), by=["channel"])
    colour = {t.name: t.line.color for t in _traces(nps, "series")}
    assert {t.name: t.line.color for t in _traces(ttr, "series")}["chat"] == colour["chat"]
    assert len(set(charts.series_colors(["chat", "email", "zeppelin", "blimp"]).values())) == 4
