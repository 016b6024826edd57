"""One chart look (cx.charts.theme): one template on every figure, one colour per channel everywhere,
scales without red–green, low-n marks faded, user text escaped in labels and hovers."""

from __future__ import annotations

import colorsys

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from cx import charts
from cx.charts import journeys as journey_charts
from cx.charts import theme

HOSTILE = '<a href="https://evil.example">x</a>'


def _metric_table(series, by="channel", low_at=None, periods=3):
    rows = []
    for s, name in enumerate(series):
        for k in range(periods):
            n = 5 if k == low_at else 200
            rows.append({"period": pd.Timestamp("2026-03-02") + pd.Timedelta(weeks=k), by: name, "n": n,
                         "value": 10.0 * s + k, "ci_low": 10.0 * s + k - 3, "ci_high": 10.0 * s + k + 3,
                         "low_n": n < 30})
    return pd.DataFrame(rows)


def _cells():
    return pd.DataFrame([
        {"journey_stage": s, "channel": c, "n": n, "value": v, "ci_low": v - 2, "ci_high": v + 2, "low_n": n < 30}
        for s, c, n, v in [("purchase", "email", 300, 80.0), ("purchase", "chat", 100, 40.0),
                           ("awareness", "chat", 3, 10.0), ("awareness", "email", 100, 60.0)]])


def _matrix():
    return pd.DataFrame([
        {"journey_stage": s, "channel": c, "interactions": n, "customers": n, "scored": n, "mean_index": v,
         "incidents": i, "incident_rate": 100 * i / n}
        for s, c, n, v, i in [("purchase", "email", 300, 80.0, 3), ("purchase", "chat", 100, 40.0, 20),
                              ("awareness", "chat", 4, 10.0, 2), ("awareness", "email", 100, 60.0, 1)]])


def _figures():
    """One figure from every builder of cx/charts/trends.py and cx/charts/journeys.py."""
    funnel = pd.DataFrame({"journey_stage": ["awareness", "purchase"], "reached": [100, 40], "share_of_first": [100, 40],
                           "customers": [100, 40], "conversion": [100, 40]})
    stage_metrics = pd.DataFrame({"metric": ["nps", "nps"], "journey_stage": ["awareness", "purchase"], "n": [10, 300],
                                  "value": [20.0, 30.0], "ci_low": [10.0, 25.0], "ci_high": [30.0, 35.0],
                                  "low_n": [True, False]})
    flows = pd.DataFrame({"step": [1, 1], "source": ["chat", "email"], "target": ["phone", "chat"], "customers": [5, 7]})
    timeline = pd.DataFrame({"occurred_at": pd.to_datetime(["2026-03-02", "2026-03-05"]), "position": [1, 2],
                             "index": [20.0, 80.0], "nps": [2, 9], "csat": [None, None], "ces": [None, None],
                             "channel": ["chat", "email"], "journey_stage": ["purchase", "retention"],
                             "touchpoint": ["checkout", None], "resolution_hours": [None, 2.0],
                             "reasons": ["NPS ≤ 2", ""], "comment": [HOSTILE, None], "incident": [1, 0],
                             "is_worst": [1, 0], "is_end": [0, 1]})
    by_class = pd.DataFrame({"journey_class": ["clean", "recovered", "unrecovered"], "kind": ["binary"] * 3,
                             "n": [100, 20, 10], "value": [10.0, 20.0, 40.0], "ci_low": [5.0, 10.0, 20.0],
                             "ci_high": [15.0, 30.0, 60.0]})
    forest = pd.DataFrame({"predictor": ["mean", "worst", "end", "peak_end"], "value": [0.6, 0.62, 0.61, 0.65],
                           "ci_low": [0.55] * 4, "ci_high": [0.7] * 4})
    return {
        "trend": charts.trend_chart(_metric_table(["chat", "email"]), by=["channel"]),
        "small multiples": charts.trend_chart(_metric_table([f"tp {k}" for k in range(10)], by="touchpoint"),
                                              by=["touchpoint"]),
        "dot plot": charts.trend_chart(_metric_table(["chat"], periods=1).assign(period="all"), by=["channel"]),
        "heatmap": charts.breakdown_heatmap(_cells()),
        "funnel": journey_charts.funnel_chart(funnel),
        "stage metrics": journey_charts.stage_metrics_chart(stage_metrics, {"nps": ("NPS", "points")}),
        "stage × channel": journey_charts.stage_channel_heatmap(_matrix(), "mean_index", min_n=30),
        "sankey": journey_charts.flow_sankey(flows),
        "timeline": journey_charts.timeline_chart(timeline, 60.0),
        "by class": journey_charts.outcome_by_class_chart(by_class, "churned"),
        "forest": journey_charts.predictor_forest(forest, "auc"),
        "empty": journey_charts.funnel_chart(funnel.iloc[:0]),
    }


def test_the_template_is_registered_once_and_on_every_figure():
    assert pio.templates[theme.TEMPLATE_NAME] == theme.TEMPLATE
    assert pio.templates.default != theme.TEMPLATE_NAME  # a notebook's own figures are left alone
    for name, fig in _figures().items():
        layout = fig.layout.template.layout
        assert list(layout.colorway) == list(theme.PALETTE), name
        assert layout.font.family == theme.TEMPLATE.layout.font.family, name


def _hue(color: str) -> float:
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return colorsys.rgb_to_hsv(r, g, b)[0] * 360


def test_scales_run_vermilion_to_blue_never_red_to_green():
    for higher_is_better in (True, False):
        scale = theme.diverging(higher_is_better)
        ends = [_hue(scale[0][1]), _hue(scale[-1][1])]
        worse, better = (ends[0], ends[1]) if higher_is_better else (ends[1], ends[0])
        assert 10 <= worse <= 40 and 190 <= better <= 220
        assert not any(70 <= _hue(color) <= 170 for _, color in scale)  # no green stop anywhere
    assert all(190 <= _hue(color) <= 220 for _, color in theme.SEQUENTIAL[1:])
    for name, fig in _figures().items():
        for trace in fig.data:
            scale = getattr(trace, "colorscale", None)
            if scale is not None and (trace.meta or {}).get("role") != "low_n":
                assert not any(70 <= _hue(color) <= 170 for _, color in scale), name


def test_diverging_heatmaps_are_centred_on_all_cells_together():
    heat = charts.breakdown_heatmap(_cells()).data[0]
    assert heat.zmid == pytest.approx((300 * 80 + 100 * 40 + 3 * 10 + 100 * 60) / 503)
    grid = journey_charts.stage_channel_heatmap(_matrix(), "incident_rate").data[0]
    rates = _matrix()
    assert grid.zmid == pytest.approx(np.average(rates["incident_rate"], weights=rates["interactions"]))
    assert grid.colorscale[0][1] == theme.diverging(higher_is_better=False)[0][1]  # high rate = vermilion end


def test_one_colour_per_channel_in_every_chart():
    trend = charts.trend_chart(_metric_table(["phone", "chat", "email"]), by=["channel"])
    lines = {t.name: t.line.color for t in trend.data if (t.meta or {}).get("role") == "series"}
    flows = pd.DataFrame({"step": [1, 1], "source": ["chat", "email"], "target": ["phone", "chat"], "customers": [5, 7]})
    sankey = journey_charts.flow_sankey(flows).data[0].node
    nodes = dict(zip(sankey.label, sankey.color))
    for channel in ("chat", "email", "phone"):
        assert lines[channel] == nodes[channel] == theme.CHANNEL_COLORS[channel] == theme.color_for(channel)
    # a channel of one's own keeps its colour whichever other series are drawn, and never takes a known one's
    alone = charts.series_colors(["zeppelin"])["zeppelin"]
    assert charts.series_colors(["chat", "zeppelin", "email"])["zeppelin"] == alone
    assert alone not in theme.KNOWN_COLORS.values()


def test_low_n_marks_are_faded():
    line = [t for t in charts.trend_chart(_metric_table(["chat"], low_at=1), by=["channel"]).data
            if t.meta["role"] == "series"][0]
    assert list(line.marker.opacity) == [1.0, theme.LOW_N_OPACITY, 1.0]
    heat = charts.breakdown_heatmap(_cells())
    veil = [t for t in heat.data if (t.meta or {}).get("role") == "low_n"]
    assert len(veil) == 1 and veil[0].opacity == pytest.approx(1 - theme.LOW_N_OPACITY)
    covered = [(y, x) for y, row in zip(veil[0].y, veil[0].z) for x, v in zip(veil[0].x, row) if v == v]
    assert covered == [("awareness", "chat")]  # only the n = 3 cell
    grid = journey_charts.stage_channel_heatmap(_matrix(), "mean_index", min_n=30)
    assert [t.meta["role"] for t in grid.data] == ["heatmap", "low_n"]
    assert len([t for t in journey_charts.stage_channel_heatmap(_matrix(), "mean_index").data]) == 1
    bars = _figures()["stage metrics"].data[0]
    assert list(bars.marker.opacity) == [theme.LOW_N_OPACITY, 1.0]


def test_user_text_is_escaped_in_labels_and_hovers_but_kept_for_clicks():
    fig = charts.trend_chart(_metric_table([HOSTILE, "chat"]), by=["channel"])
    series = [t for t in fig.data if t.meta["role"] == "series"]
    assert "<a" not in series[0].name and "&lt;a" in series[0].name
    assert series[0].customdata[0][1] == HOSTILE  # what a click hands to the drill-down
    assert "<a" not in series[0].customdata[0][4] and "customdata[4]" in series[0].hovertemplate
    assert "customdata[1]" not in series[0].hovertemplate
    cells = _cells().assign(channel=lambda f: f["channel"].replace("chat", HOSTILE))
    heat = charts.breakdown_heatmap(cells)
    assert not any("<a" in x for x in heat.data[0].x)
    marker = heat.data[1]
    assert HOSTILE in {c[1] for c in marker.customdata} and "customdata[5]" in marker.hovertemplate
    assert not any("<a" in c[5] for c in marker.customdata)


def test_small_multiples_share_one_y_range_across_every_row():
    """Issue 14: panels in different rows had different y ranges, so a flat line could look steep."""
    fig = charts.trend_chart(_metric_table([f"tp {k}" for k in range(10)], by="touchpoint"), by=["touchpoint"])
    layout = fig.to_dict()["layout"]
    axes = [k for k in layout if k.startswith("yaxis")]
    assert len(axes) == 12  # 4 rows × 3 columns
    matches = [layout[k].get("matches") for k in axes]
    anchor = {m for m in matches if m}
    assert len(anchor) == 1 and matches.count(None) == 1  # every panel follows one axis: one range
    assert layout["yaxis" + next(iter(anchor))[1:]].get("matches") is None


def test_a_busy_trend_highlights_the_series_that_moved_and_mutes_the_rest():
    table = _metric_table(["chat", "email", "phone", "social", "web"], periods=6)
    # chat jumps in its last period, far outside its interval (±3); the others drift by 1 per period
    table.loc[(table.channel == "chat") & (table.period == table.period.max()), "value"] += 25
    assert charts.moved_series(table.assign(series=table.channel), ["chat", "email", "phone", "social", "web"]) == ["chat"]
    fig = charts.trend_chart(table, by=["channel"])
    assert fig.layout.meta["highlight"] == ["chat"]
    lines = {t.name: t for t in fig.data if t.meta["role"] == "series"}
    bands = {t.meta["series"]: t for t in fig.data if t.meta["role"] == "band"}
    assert lines["chat"].opacity in (None, 1) and bands["chat"].visible is not False
    assert all(lines[n].opacity < 0.5 and bands[n].visible is False for n in ("email", "phone", "social", "web"))
    assert lines["email"].line.color == theme.CHANNEL_COLORS["email"]  # muted, but still its own colour
    # nothing moved beyond noise: every series in full; few series: never muted
    calm = _metric_table(["chat", "email", "phone", "social", "web"], periods=6)
    assert charts.trend_chart(calm, by=["channel"]).layout.meta["highlight"] == []
    assert charts.trend_chart(table[table.channel.isin(["chat", "email"])], by=["channel"]).layout.meta["highlight"] == []


def test_movers_never_put_unlike_units_on_one_axis():
    """Issue 14: minutes, points and hours shared one x axis. One panel per unit, raw change in the label."""
    from cx.charts.review import movers_figure

    movers = pd.DataFrame({
        "metric": ["frt", "csat", "ttr", "fcr"], "label": ["First response time", "CSAT", "Time to resolution", "FCR"],
        "channel": ["chat"] * 4, "journey_stage": ["purchase"] * 4, "previous": [1.8, 70.3, 7.5, 77.0],
        "value": [26.5, 7.9, 11.6, 25.1], "delta": [24.7, -62.4, 4.1, -51.9], "n": [187, 140, 187, 183],
        "better": [False] * 4})
    units = {"frt": "minutes", "csat": "%", "ttr": "hours", "fcr": "%"}
    fig = movers_figure(movers, units=units)
    bars = [t for t in fig.data if t.type == "bar"]
    assert sorted(t.meta["unit"] for t in bars) == ["%", "hours", "minutes"]
    assert len({t.xaxis for t in bars}) == 3  # each unit on its own axis
    by_unit = {t.meta["unit"]: t for t in bars}
    assert sorted(by_unit["%"].y) == ["CSAT · chat · purchase", "FCR · chat · purchase"]
    assert by_unit["minutes"].text[0] == "+24.7 min (1.8 min → 26.5 min)"
    assert fig.layout.template.layout.font.family == theme.TEMPLATE.layout.font.family


def test_style_gives_the_template_unchecked_but_the_same_and_leaves_the_shared_template_alone():
    import plotly.graph_objects as go

    fast = theme.style(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), height=300, title="t", margin=dict(l=5))
    checked = go.Figure(go.Scatter(x=[1, 2], y=[3, 4])).update_layout(template=theme.TEMPLATE, height=300,
                                                                      title_text="t", margin=dict(l=5))
    assert fast.to_dict() == checked.to_dict()
    size = theme.TEMPLATE.layout.font.size
    fast.layout.template.layout.font.size = size + 20  # one figure's template changed in place…
    assert theme.TEMPLATE.layout.font.size == size  # …not the app's
    assert theme.style(go.Figure()).layout.template.layout.font.size == size


def test_every_funnel_stage_says_its_count_under_its_name():
    """Issue 14 (layout): inside the bars, the last stages' counts shrank to a few pixels at 1024 px (and beside
    a bar, the chart's edge cut them): each count is under its stage's name, in dark text."""
    funnel = pd.DataFrame({"journey_stage": ["awareness", "advocacy"], "reached": [2908, 547],
                           "share_of_first": [100.0, 18.8], "customers": [2908, 547], "conversion": [100.0, 18.8]})
    fig = journey_charts.funnel_chart(funnel)
    assert fig.data[0].textinfo == "none"
    assert [t.split("<br>")[0] for t in fig.layout.yaxis.ticktext] == ["awareness", "advocacy"]
    assert "547 (19%)" in fig.layout.yaxis.ticktext[1] and list(fig.layout.yaxis.tickvals) == ["awareness", "advocacy"]


def test_stage_metrics_lie_down_in_funnel_order_with_upright_labels():
    """Upright bars turned the stage names 30° and ran them together at 1024 px: the bars lie down, stages
    top to bottom in the table's (funnel) order, one stage axis per row of panels, the interval on x."""
    stages = ["awareness", "consideration", "purchase", "retention", "advocacy"]
    table = pd.DataFrame([{"metric": m, "journey_stage": s, "n": 100, "value": 1.0 + k, "ci_low": 0.5 + k,
                           "ci_high": 1.5 + k, "low_n": False} for m in ("nps", "csat", "ces") for k, s in enumerate(stages)])
    fig = journey_charts.stage_metrics_chart(table, {"nps": ("NPS", "points"), "csat": ("CSAT", "%"), "ces": ("CES", "")})
    assert [t.orientation for t in fig.data] == ["h"] * 3
    assert all(list(t.y) == stages for t in fig.data) and list(fig.data[0].error_x.array) == [0.5] * 5
    axes = [fig.layout[name] for name in fig.layout if name.startswith("yaxis")]
    assert all(list(a.categoryarray) == stages and a.autorange == "reversed" for a in axes)
    assert not any(a.tickangle for a in axes)
    assert fig.layout.yaxis2.matches == "y" or not fig.layout.yaxis2.showticklabels  # one stage axis a row
