"""Charts of why a score moved and what moves it: mix waterfall, driver importances, focus areas, cohort.

DataFrame (or a :mod:`cx.drivers` result) in, plotly Figure out; pure, no data access, and every
figure ends with :func:`cx.charts.theme.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx.charts.theme import BETTER, BLUE, GREY, NEUTRAL, ORANGE, VERMILION, WORSE, style


def _label(row, by) -> str:
    return " / ".join("(missing)" if row[b] is None else str(row[b]) for b in by)


def mix_waterfall(shift, *, title: str | None = None, height: int = 380) -> go.Figure:
    """The change from one period to the next: within-cell change and mix shift, summing to the total.

    Parameters
    ----------
    shift : cx.drivers.mix.MixShift
    """
    label = shift.label or shift.metric
    fig = go.Figure(go.Waterfall(
        x=[f"{label} before", f"within {' × '.join(shift.by).replace('_', ' ')}", "shift in mix", f"{label} after"],
        y=[shift.before, shift.within, shift.mix, shift.after],
        measure=["absolute", "relative", "relative", "total"],
        increasing=dict(marker=dict(color=BETTER)), decreasing=dict(marker=dict(color=WORSE)),
        totals=dict(marker=dict(color=NEUTRAL)), connector=dict(line=dict(color=GREY, width=1)),
        text=[f"{shift.before:.1f}", f"{shift.within:+.2f}", f"{shift.mix:+.2f}", f"{shift.after:.1f}"],
        textposition="outside", hovertemplate="%{x}: %{text}<extra></extra>",
    ))
    low = min(shift.before, shift.after, shift.before + shift.within)
    high = max(shift.before, shift.after, shift.before + shift.within)
    pad = max(high - low, 1.0) * 0.6
    fig.update_yaxes(range=[low - pad, high + pad], title=f"{label} ({shift.unit})")
    return style(fig, height=height, title=title, showlegend=False)


def mix_cells(shift, *, height: int = 360) -> go.Figure:
    """Each cell's share of the change: within (its own change) and mix (its change of share), side by side."""
    cells = shift.cells.iloc[::-1]
    names = [_label(row, shift.by) for _, row in cells.iterrows()]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=cells["within"], name="within", orientation="h", marker_color=BLUE,
                         hovertemplate="%{y}: within %{x:+.2f}<extra></extra>"))
    fig.add_trace(go.Bar(y=names, x=cells["mix"], name="shift in mix", orientation="h", marker_color=ORANGE,
                         customdata=np.column_stack([100 * cells["weight_before"], 100 * cells["weight_after"]]),
                         hovertemplate="%{y}: mix %{x:+.2f} (share %{customdata[0]:.1f}% → %{customdata[1]:.1f}%)"
                                       "<extra></extra>"))
    fig.add_vline(x=0, line=dict(color=GREY))
    fig.update_xaxes(title=f"contribution to the change ({shift.unit})")
    return style(fig, height=max(height, 60 + 34 * len(names)), barmode="group")


def driver_importance(table: pd.DataFrame, r2: float, *, height: int = 360) -> go.Figure:
    """Importance of each driver (its share of R²) with its bootstrap interval, most important on top."""
    rows = table.iloc[::-1]
    fig = go.Figure(go.Bar(
        y=rows["driver"], x=rows["importance"], orientation="h", marker_color=BLUE,
        error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["importance"],
                     arrayminus=rows["importance"] - rows["ci_low"], color=GREY, thickness=1.2),
        customdata=np.column_stack([rows["ci_low"], rows["ci_high"], rows["share"]]),
        hovertemplate=("%{y}: %{x:.4f} of R² (%{customdata[2]:.0f}%)<br>95% CI %{customdata[0]:.4f}–"
                       "%{customdata[1]:.4f}<extra></extra>"),
    ))
    fig.update_xaxes(title=f"R² each driver explains (all drivers together: R² = {r2:.3f})", rangemode="tozero")
    return style(fig, height=max(height, 60 + 30 * len(rows)), showlegend=False)


def _top(x) -> float:
    return float(np.nanmax(x)) if len(x) and np.isfinite(np.nanmax(x)) else 1.0


#: Where a point's label may go, in the order tried, and its box's offset from the point (in label widths and
#: heights: left edge, bottom edge, with y up).
_PLACES = {"top center": (-0.5, 0.4), "bottom center": (-0.5, -1.4), "middle right": (0.04, -0.5),
           "middle left": (-1.04, -0.5), "top right": (0.0, 0.4), "bottom right": (0.0, -1.4),
           "top left": (-1.0, 0.4), "bottom left": (-1.0, -1.4)}


def _label_places(xs, ys, labels, x_range, y_range, *, width: float = 480, height: float = 340) -> list[str]:
    """A ``textposition`` for each point's label that covers no label placed before it and no other point,
    judged on a plot of ``width`` × ``height`` pixels (the chart at 1024 px: the narrowest screen), about
    7 px a character and 16 px a line; the first place tried when none is free.

    >>> _label_places([10, 11], [50, 50], ["first response time", "resolution time"], (0, 20), (0, 100))
    ['top center', 'bottom center']
    """
    sx = width / ((x_range[1] - x_range[0]) or 1)
    sy = height / ((y_range[1] - y_range[0]) or 1)
    points = [((x - x_range[0]) * sx, (y - y_range[0]) * sy) for x, y in zip(xs, ys)]
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for k, ((px, py), label) in enumerate(zip(points, labels)):
        w, h = 7.0 * len(label), 16.0
        choice = None
        for place, (dx, dy) in _PLACES.items():
            box = (px + dx * w, py + dy * h, px + dx * w + w, py + dy * h + h)
            clear = all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in placed)
            clear = clear and all(not (box[0] - 6 < qx < box[2] + 6 and box[1] - 6 < qy < box[3] + 6)
                                  for j, (qx, qy) in enumerate(points) if j != k and np.isfinite(qx) and np.isfinite(qy))
            if clear:
                choice = (place, box)
                break
        if choice is None:
            dx, dy = _PLACES["top center"]
            choice = ("top center", (px + dx * w, py + dy * h, px + dx * w + w, py + dy * h + h))
        out.append(choice[0])
        placed.append(choice[1])
    return out


def focus_areas(table: pd.DataFrame, *, height: int = 440) -> go.Figure:
    """Importance × current performance: important drivers that perform poorly (bottom right) come first."""
    x, y = table["share"], table["performance"]
    mid_x, mid_y = float(np.nanmedian(x)) if len(x) else 0.0, float(np.nanmedian(y)) if len(y) else 50.0
    focus = (x >= mid_x) & (y < mid_y)
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers+text", text=table["driver"], cliponaxis=False,
        # each label where it covers no other label or point (drivers of like importance and performance)
        textposition=_label_places(x.tolist(), y.tolist(), table["driver"].astype(str).tolist(),
                                   (-0.2 * _top(x), 1.3 * _top(x)), (0, 105)),
        marker=dict(size=12, color=[VERMILION if f else BLUE for f in focus]),
        customdata=np.column_stack([table["performance_means"]]),
        hovertemplate="%{text}<br>%{x:.0f}% of R²<br>performance %{y:.0f}: %{customdata[0]}<extra></extra>",
    ))
    fig.add_vline(x=mid_x, line=dict(color=GREY, dash="dot"))
    fig.add_hline(y=mid_y, line=dict(color=GREY, dash="dot"))
    fig.add_annotation(x=1, y=0, xref="paper", yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                       text="focus here:<br>important, performing below the median", align="right",
                       font=dict(color=VERMILION))
    top = _top(x)
    # room for half a label beside the least and the most important driver (labels are centred on their point)
    fig.update_xaxes(title="importance (% of explained variance)", range=[-0.2 * top, 1.3 * top])
    fig.update_yaxes(title="current performance (0–100)", range=[0, 105])
    return style(fig, height=height, showlegend=False)


def cohort_chart(trend, label: str, *, height: int = 400) -> go.Figure:
    """The usual trend beside the fixed cohort, with the band between 'departed unhappy' and 'departed happy'."""
    t = trend.table
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=pd.concat([t["period"], t["period"][::-1]]),
                             y=pd.concat([t["fixed_high"], t["fixed"][::-1]]), fill="toself",
                             fillcolor="rgba(213,94,0,0.12)", line=dict(width=0), hoverinfo="skip",
                             name="fixed cohort, whatever the departed would say"))
    fig.add_trace(go.Scatter(x=t["period"], y=t["usual"], mode="lines+markers", name="usual view (everyone who answered)",
                             line=dict(color=BLUE), hovertemplate="%{x|%b %Y}: %{y:.1f}<extra>usual</extra>"))
    fig.add_trace(go.Scatter(x=t["period"], y=t["respondents"], mode="lines", name="cohort members who answered",
                             line=dict(color=GREY, dash="dot"),
                             hovertemplate="%{x|%b %Y}: %{y:.1f}<extra>cohort respondents</extra>"))
    fig.add_trace(go.Scatter(x=t["period"], y=t["fixed"], mode="lines+markers",
                             name="fixed cohort (departed = not satisfied)", line=dict(color=VERMILION),
                             customdata=np.column_stack([t["lost"], t["churned"]]),
                             hovertemplate="%{x|%b %Y}: %{y:.1f}<br>%{customdata[0]:,} departed without answering"
                                           "<extra>fixed cohort</extra>"))
    fig.update_yaxes(title=label)
    # the legend above the plot (the template's), where plotly makes room for its lines: under it, at a fixed
    # distance, its two or three lines at 1024 px covered the dates
    return style(fig, height=height)


__all__ = ["cohort_chart", "driver_importance", "focus_areas", "mix_cells", "mix_waterfall"]
