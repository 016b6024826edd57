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
    fig.update_layout(title={"text": label, "x": 0, "font": {"size": 16}}, showlegend=False,
                      margin={"l": 50, "r": 10, "t": 40, "b": 30})
    return fig


def movers_figure(movers: pd.DataFrame, top: int = 12) -> go.Figure:
    """The biggest significant changes as horizontal bars (change against last week), coloured by direction."""
    rows = movers.head(top).iloc[::-1]
    names = [f"{r.label} · {r.channel} · {r.journey_stage}" for r in rows.itertuples()]
    colors = [BETTER if b else WORSE for b in rows.better]
    text = [f"{p:,.1f} → {v:,.1f}" for p, v in zip(rows.previous, rows.value)]
    fig = go.Figure(go.Bar(
        x=rows.delta, y=names, orientation="h", marker_color=colors, text=text, textposition="auto",
        customdata=np.c_[rows.n, rows.q_value],
        hovertemplate="%{y}<br>change %{x:+,.1f}<br>%{text}<br>n = %{customdata[0]:,}<br>q = %{customdata[1]:.2g}<extra></extra>",
    ))
    fig.update_layout(
        title={"text": "Significant movers (change vs previous week; blue = better, orange = worse)", "x": 0, "font": {"size": 16}},
        height=max(220, 38 * len(rows) + 90), margin={"l": 10, "r": 10, "t": 50, "b": 30},
        xaxis={"title": "change (metric units)", "zeroline": True, "zerolinecolor": "#999"},
        yaxis={"automargin": True},  # the labels ("CSAT · chat · purchase") get the room they need, in print too
        plot_bgcolor="white",
    )
    return fig
