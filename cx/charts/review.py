"""Figures of the weekly review (Overview page and the exported report): pure, DataFrame in, Figure out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx.charts.trends import trend_chart

#: Up/down colours that respect metric direction: blue = better, vermilion = worse (Okabe–Ito).
BETTER, WORSE, NEUTRAL = "#0072B2", "#D55E00", "#6B7280"


def week_trend_figure(table: pd.DataFrame, label: str, unit: str, week_start: dt.date, min_n: int) -> go.Figure:
    """A KPI's weekly trend with its 95% band, the reviewed week shaded."""
    fig = trend_chart(table, label=label, unit=unit, min_n=min_n, height=260)
    fig.add_vrect(x0=pd.Timestamp(week_start) - pd.Timedelta(days=3.5), x1=pd.Timestamp(week_start) + pd.Timedelta(days=3.5),
                  fillcolor="#E69F00", opacity=0.18, line_width=0, layer="below")
    # Margins sized here rather than by plotly's automargin, which draws every chart twice to find them
    # (the Overview's four trends took ~2x the browser's time on each click, round 12).
    fig.update_layout(title={"text": label, "x": 0, "font": {"size": 16}}, showlegend=False,
                      margin={"l": _left_margin(table), "r": 10, "t": 40, "b": 40})
    fig.update_xaxes(automargin=False)
    fig.update_yaxes(automargin=False)
    return fig


def _left_margin(table: pd.DataFrame) -> int:
    """Pixels for the y axis' tick labels (plotly's own, like "22.5" or "1.2k": at most the integer digits of the
    largest value, a decimal, a minus sign) and its rotated title, at the template's 13 px font."""
    values = pd.to_numeric(pd.concat([table.get(c, pd.Series(dtype=float)) for c in ("value", "ci_low", "ci_high")]),
                           errors="coerce").dropna()
    largest = float(values.abs().max()) if len(values) else 0.0
    digits = min(len(f"{largest:.0f}"), 4) + 2  # past 9,999 plotly writes "12k": no longer than "9999.5"
    negative = bool((values < 0).any())
    return 30 + 8 * (digits + negative)


_UNIT_TITLES = {"%": "change (percentage points)", "points": "change (points)", "minutes": "change (minutes)",
                "hours": "change (hours)", "interactions": "change (interactions)"}


def movers_figure(movers: pd.DataFrame, top: int = 12, units: dict[str, str] | None = None) -> go.Figure:
    """The biggest real changes as horizontal bars (change against last week), coloured by direction.

    Like units share an axis and unlike ones never do: one panel per unit (minutes, points, hours…),
    each with its own x axis titled with that unit; every bar is labelled with its raw change and the
    values before and after.

    Parameters
    ----------
    movers : DataFrame
        :attr:`cx.review.weekly.Review.movers`.
    top : int
        At most this many bars (the biggest impact first).
    units : dict, optional
        Metric key → unit (``"%"``, ``"points"``, ``"minutes"``…); from the metric registry by default.
    """
    from plotly.subplots import make_subplots

    from cx.charts.theme import style
    from cx.review.narrative import format_value

    rows = movers.head(top).copy()
    if units is None:
        from cx.metrics.registry import registry

        units = {m: getattr(registry().get(m), "unit", "") for m in rows.metric.unique()}
    rows["unit"] = [units.get(m, "") for m in rows.metric]
    order = list(dict.fromkeys(rows["unit"]))
    counts = [int((rows["unit"] == u).sum()) for u in order]
    fig = make_subplots(rows=max(1, len(order)), cols=1, row_heights=counts or None, vertical_spacing=0.12 if len(order) > 1 else 0,
                        subplot_titles=[_UNIT_TITLES.get(u, "change") for u in order])
    for k, unit in enumerate(order, start=1):
        part = rows[rows["unit"] == unit].iloc[::-1]
        names = [f"{r.label} · {r.channel} · {r.journey_stage}" for r in part.itertuples()]
        text = [f"{format_value(d, unit, signed=True)} ({format_value(p, unit)} → {format_value(v, unit)})"
                for d, p, v in zip(part.delta, part.previous, part.value)]
        fig.add_trace(go.Bar(
            x=part.delta, y=names, orientation="h", marker_color=[BETTER if b else WORSE for b in part.better],
            text=text, textposition="auto", customdata=np.c_[part.n], showlegend=False,
            hovertemplate="%{y}<br>%{text}<br>n = %{customdata[0]:,}<extra></extra>", meta={"unit": unit},
        ), row=k, col=1)
        fig.update_xaxes(zeroline=True, zerolinecolor="#999", row=k, col=1)
    style(fig, height=max(240, 40 * len(rows) + 90 * len(order)), margin={"l": 10, "r": 10, "t": 60, "b": 30},
          title="Real changes against last week (blue = better, orange = worse)")
    fig.update_annotations(font_size=12, x=0, xanchor="left")
    fig.update_yaxes(automargin=True)  # the labels ("CSAT · chat · purchase") get the room they need, in print too
    return fig
