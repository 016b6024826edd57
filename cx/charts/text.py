"""Charts of what customers write: DataFrame in, plotly Figure out (pure: no data access, no streamlit).

Theme names come from comments or from the user, so every label goes through
:func:`cx.safe.plain_text` before plotly sees it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx.charts.theme import BETTER, NEUTRAL, PALETTE, SEQUENTIAL, WORSE, style
from cx.safe import plain_text


def _labels(names) -> list[str]:
    return [plain_text(n) for n in names]


def theme_groups_chart(themes: pd.DataFrame, low: str = "detractor_share", high: str = "promoter_share",
                       low_label: str = "detractors (0–6)", high_label: str = "promoters (9–10)") -> go.Figure:
    """Share of the unhappy and the happy customers' comments that raise each theme (grouped bars)."""
    data = themes.iloc[::-1]
    labels = _labels(data["theme"])
    fig = go.Figure()
    for column, name, color in ((high, high_label, BETTER), (low, low_label, WORSE)):
        fig.add_trace(go.Bar(y=labels, x=data[column], name=name, orientation="h", marker_color=color,
                             hovertemplate="%{y}<br>%{x:.1%} of " + name + "' comments<extra></extra>"))
    fig.update_xaxes(title="share of the group's comments", tickformat=".0%")
    # the legend above the plot (the template's place): below it, it lay over the axis title at 1024 px
    return style(fig, height=max(260, 34 * len(data) + 110), barmode="group", margin=dict(l=10, r=20, t=40, b=50))


def theme_impact_chart(impact: pd.DataFrame, column: str = "nps", unit: str = "NPS points") -> go.Figure:
    """Each theme's score gap (raised it − did not) with its 95% interval, in "fix first" order."""
    data = impact.dropna(subset=[f"{column}_gap"]).iloc[::-1]
    gap, lo, hi = data[f"{column}_gap"], data[f"{column}_low"], data[f"{column}_high"]
    colors = np.where(hi < 0, WORSE, np.where(lo > 0, BETTER, NEUTRAL))
    fig = go.Figure(go.Scatter(
        x=gap, y=_labels(data["theme"]), mode="markers", marker=dict(color=colors, size=10),
        error_x=dict(type="data", symmetric=False, array=hi - gap, arrayminus=gap - lo, color=NEUTRAL, thickness=1.5),
        customdata=np.column_stack([lo, hi, data["count"]]),
        hovertemplate="%{y}<br>%{x:+.1f} " + unit + " (95% CI %{customdata[0]:.1f} to %{customdata[1]:.1f})"
                      "<br>%{customdata[2]:,} comments<extra></extra>"))
    fig.add_vline(x=0, line_color=NEUTRAL, line_dash="dot")
    fig.update_xaxes(title=f"difference in {unit}: raised it − did not")
    return style(fig, height=max(240, 34 * len(data) + 90), showlegend=False, margin=dict(l=10, r=20, t=20, b=50))


def theme_trend_chart(trend: pd.DataFrame, themes: list[str]) -> go.Figure:
    """Weekly share of comments raising each theme (one line per theme)."""
    fig = go.Figure()
    for n, name in enumerate(themes):
        rows = trend[trend["theme"] == name]
        fig.add_trace(go.Scatter(x=rows["period"], y=rows["share"], mode="lines+markers", name=plain_text(name),
                                 line=dict(color=PALETTE[n % len(PALETTE)], width=2), marker=dict(size=4),
                                 customdata=np.column_stack([rows["count"], rows["comments"]]),
                                 hovertemplate="week of %{x|%Y-%m-%d}<br>%{y:.1%} · %{customdata[0]:,} of "
                                               "%{customdata[1]:,} comments<extra>%{fullData.name}</extra>"))
    fig.update_yaxes(title="share of the week's comments", tickformat=".0%", rangemode="tozero")
    return style(fig, height=380, margin=dict(l=10, r=20, t=40, b=40))  # legend above: below, it hid the dates


def theme_split_heatmap(split: pd.DataFrame, by: str, themes: list[str]) -> go.Figure:
    """Share of each group's comments (rows: channel, stage, …) raising each theme (columns)."""
    table = split.pivot(index=by, columns="theme", values="share").reindex(columns=themes).fillna(0.0)
    shares = table.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=shares, x=_labels(table.columns), y=_labels(table.index), colorscale=SEQUENTIAL,
        zmin=0, text=[[f"{v:.0%}" for v in row] for row in shares], texttemplate="%{text}",
        hovertemplate="%{y} · %{x}<br>%{z:.1%} of the comments<extra></extra>", colorbar=dict(tickformat=".0%")))
    fig.update_xaxes(tickangle=-30)
    return style(fig, height=max(260, 40 * len(table) + 140), margin=dict(l=10, r=20, t=20, b=120))
