"""DataFrame in, plotly Figure out: pure chart builders (no database, no streamlit).

Trend charts take a metric table as returned by :func:`cx.metrics.metric_table` (columns
``period``, the breakdown columns, ``n``, ``value``, ``ci_low``, ``ci_high``, ``low_n``). Each
series is drawn as one line trace (``meta["role"] == "series"``) over one shaded band trace for its
95% interval (``meta["role"] == "band"``); points under the minimum n are hollow and labelled
with their n, never dropped. Every point's ``customdata`` carries what a click needs to find the
underlying interactions: ``[period (ISO date or "all"), series label, n, interval text, series label
as displayed]``. Series names (channel, touchpoint values: user data) are escaped wherever plotly would
read them as HTML (legend, titles, hover); the raw label stays in ``customdata[1]`` and ``meta``.
The look (template, colours, faded low-n marks) comes from :mod:`cx.charts.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cx.charts.theme import (
    BLUE,
    KNOWN_COLORS,
    LOW_N_OPACITY,
    PALETTE,
    diverging,
    low_n_opacity,
    low_n_veil,
    rgba,
    series_colors,
    style,
)
from cx.safe import plain_text

MISSING_LABEL = "(not recorded)"
SERIES_SEPARATOR = " · "
#: Above this many series a trend is drawn as small multiples (one panel per series).
SMALL_MULTIPLES_ABOVE = 8
#: With more series than this on one chart, only the ones that moved are drawn in full (with their
#: bands); the others are muted (thin, faint, no band) but keep their colour and legend entry.
HIGHLIGHT_ABOVE = 3
#: Opacity of a muted series.
MUTED_OPACITY = 0.28


def moved_series(table: pd.DataFrame, names: Sequence[str], top: int = 2) -> list[str]:
    """The series whose latest period moved most against their own earlier periods, biggest first.

    The move of a series is ``|last − mean of the earlier periods|`` divided by the half-width of
    the last period's 95% interval (so a wobble within noise scores under 1). At most ``top`` series,
    and only those scoring over 1 (outside their own noise); a count metric without intervals
    is scored by the change relative to its earlier mean.
    """
    scores = {}
    for name in names:
        rows = table[(table["series"] == name) & table["value"].notna()].sort_values("period")
        if len(rows) < 3:
            continue
        last, before = rows.iloc[-1], rows.iloc[:-1]["value"].astype(float)
        change = abs(float(last["value"]) - float(before.mean()))
        half = (float(last["ci_high"]) - float(last["ci_low"])) / 2 if pd.notna(last["ci_low"]) else np.nan
        if half == half and half > 0:
            scores[name] = change / half
        elif before.mean():
            scores[name] = 10 * change / abs(float(before.mean()))  # a count: 10% off its mean scores 1
    ranked = sorted((s for s in scores.items() if s[1] > 1), key=lambda s: -s[1])
    return [name for name, _ in ranked[:top]]


def _format(unit: str) -> str:
    return {"interactions": ",.0f", "currency": ",.0f"}.get(unit, ",.1f")


def _suffix(unit: str) -> str:
    return {"%": "%", "points": " pts", "minutes": " min", "hours": " h"}.get(unit, "")


def series_labels(table: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """One label per row naming its series: the breakdown values joined by " · " (or "All")."""
    by = list(by)
    if not by:
        return pd.Series(["All"] * len(table), index=table.index, dtype=object)
    parts = [table[b].map(lambda v: MISSING_LABEL if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
             for b in by]
    out = parts[0].astype(object)
    for part in parts[1:]:
        out = out + SERIES_SEPARATOR + part
    return out


def _interval_text(low, high, fmt: str, suffix: str, unit: str, p90=None) -> list[str]:
    """Hover text for each point's interval (and 90th percentile, for durations)."""
    out = []
    p90 = [None] * len(low) if p90 is None else list(p90)
    for lo, hi, tail in zip(low, high, p90):
        if unit == "interactions":
            text = "a count: no interval"
        elif pd.isna(lo) or pd.isna(hi):
            text = "no interval (too few responses)"
        else:
            text = f"95% CI {lo:{fmt}} – {hi:{fmt}}{suffix}"
        if tail is not None and not pd.isna(tail):
            text += f"<br>90th percentile {tail:{fmt}}{suffix}"
        out.append(text)
    return out


def _band(x, low, high, color: str, name: str) -> go.Scatter:
    """One closed polygon per run of points that have an interval (gaps stay gaps)."""
    xs: list = []
    ys: list = []
    run_x: list = []
    run_lo: list = []
    run_hi: list = []

    def flush():
        if run_x:
            xs.extend(run_x + run_x[::-1] + [None])
            ys.extend(run_hi + run_lo[::-1] + [None])
        run_x.clear(), run_lo.clear(), run_hi.clear()

    for xi, lo, hi in zip(x, low, high):
        if pd.isna(lo) or pd.isna(hi):
            flush()
        else:
            run_x.append(xi), run_lo.append(float(lo)), run_hi.append(float(hi))
    flush()
    return go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=rgba(color, 0.16),
                      line=dict(width=0, color=rgba(color, 0.0)), hoverinfo="skip", showlegend=False,
                      legendgroup=name, name=f"{plain_text(name)} (95% CI)", meta={"role": "band", "series": name})


#: The narrowest a trend's plotting area is drawn (the Trends page at 1024 px with the sidebar open), and the
#: width of an "n=123" label beside a low-n point: labels closer than that would be drawn over one another.
PLOT_WIDTH_PX, LABEL_WIDTH_PX = 640, 36


def room_for_labels(positions: Sequence[int], periods: int, width: float = PLOT_WIDTH_PX) -> bool:
    """Whether the "n=…" labels of one panel's low-n points (their periods' positions, every series drawn in
    full together) stand apart, each at least a label's width from the next. All or none: where they would
    crowd, the hollow points and the hover say n (and the page's caption counts them)."""
    if len(positions) < 2:
        return True
    gaps = np.diff(np.sort(np.asarray(positions)))
    return bool((gaps * (width / max(periods, 1)) >= LABEL_WIDTH_PX).all())


def _low_n_positions(rows: pd.DataFrame, periods: pd.Index | None) -> list[int]:
    """Positions (in ``periods``) of the series' low-n points that have a value."""
    shown = rows[rows["low_n"].fillna(False).astype(bool) & rows["value"].notna()]
    if periods is None or shown.empty:
        return []
    return periods.get_indexer(shown["period"]).tolist()


def _series_traces(rows: pd.DataFrame, name: str, color: str, label: str, unit: str,
                   periods: pd.Index | None, showlegend: bool, labels_on: bool = True) -> tuple[go.Scatter, go.Scatter]:
    fmt, suffix = _format(unit), _suffix(unit)
    if periods is not None:  # a missing period is a gap in the line, not a straight join
        rows = rows.set_index("period").reindex(periods).rename_axis("period").reset_index()
    x = list(rows["period"])
    low_n = rows["low_n"].fillna(False).astype(bool).to_numpy()
    n = rows["n"].fillna(0).astype("int64").to_numpy()
    has_value = rows["value"].notna().to_numpy()
    interval = _interval_text(rows["ci_low"], rows["ci_high"], fmt, suffix, unit, rows.get("p90"))
    period_text = [p if isinstance(p, str) else pd.Timestamp(p).date().isoformat() for p in rows["period"]]
    shown = plain_text(name)
    customdata = np.array([period_text, [name] * len(rows), n, interval, [shown] * len(rows)], dtype=object).T
    labels = [f"n={k}" if flag and ok and labels_on else "" for flag, k, ok in zip(low_n, n, has_value)]
    line = go.Scatter(
        x=x, y=rows["value"], name=shown, legendgroup=name, showlegend=showlegend,
        # a text layer only when a point has a label: the browser draws no empty text per point
        mode="lines+markers+text" if any(labels) else "lines+markers",
        line=dict(color=color, width=2),
        marker=dict(size=np.where(low_n, 9, 6), color=color, opacity=low_n_opacity(low_n),
                    symbol=np.where(low_n, "circle-open", "circle").tolist(), line=dict(width=2, color=color)),
        text=labels,
        textposition="top center", textfont=dict(size=10, color=rgba(color, LOW_N_OPACITY + 0.3)),
        customdata=customdata,
        hovertemplate=(f"<b>%{{customdata[4]}}</b><br>%{{customdata[0]}}<br>{label}: %{{y:{fmt}}}{suffix}"
                       "<br>%{customdata[3]}<br>n = %{customdata[2]:,}<extra></extra>"),
        meta={"role": "series", "series": name},
        connectgaps=False,
    )
    return _band(x, rows["ci_low"], rows["ci_high"], color, name), line


def trend_chart(
    table: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    label: str = "value",
    unit: str = "",
    min_n: int | None = None,
    small_multiples_above: int = SMALL_MULTIPLES_ABOVE,
    height: int | None = None,
    highlight: Sequence[str] | None = None,
) -> go.Figure:
    """Lines with shaded 95% interval bands, one per series; small multiples when there are many.

    A meeting reads one story at a time: with more than :data:`HIGHLIGHT_ABOVE` series on one
    chart, the series in ``highlight`` (by default :func:`moved_series`) are drawn in full with
    their bands and the others muted (thin, faint, no band; hover and legend still work). The
    figure's ``layout.meta["highlight"]`` names them.

    Parameters
    ----------
    table : DataFrame
        A metric table (see module docstring). With ``period == "all"`` the chart becomes a dot
        plot with interval whiskers, one trace per series.
    by : sequence of str
        The breakdown columns that name the series.
    label, unit : str
        Metric label and unit for the axis and hover (``"NPS"``, ``"points"``).
    min_n : int, optional
        Named in the caption of low-n points; hollow points come from ``table.low_n``.
    small_multiples_above : int
        More series than this are drawn as a grid of panels sharing both axes.
    height : int, optional
        Figure height in pixels (grows with the number of panels by default).
    highlight : sequence of str, optional
        Series to draw in full (``[]``: all in full); default: those that moved.

    Returns
    -------
    plotly.graph_objects.Figure
        Exactly one ``series`` trace and one ``band`` trace per series.
    """
    by = list(by)
    table = table.copy()
    table["series"] = series_labels(table, by)
    names = list(dict.fromkeys(table["series"]))
    colors = series_colors(names) if by else {name: BLUE for name in names}  # one series: the app's blue
    axis_title = f"{label} ({unit})" if unit and unit not in ("score",) else label
    if len(table) and (table["period"] == "all").all():
        fig = _dot_plot(table, names, colors, label, unit, axis_title, height)
        # Same layout.meta as the line chart: one dot per series, nothing to highlight.
        fig.update_layout(meta={"min_n": None if min_n is None else int(min_n), "highlight": []})
        return fig
    periods = pd.Index(sorted(table["period"].unique())) if len(table) else None

    many = len(names) > small_multiples_above
    if highlight is None:
        highlight = moved_series(table, names) if not many and len(names) > HIGHLIGHT_ABOVE else []
    highlight = [h for h in highlight if h in names]
    if many:
        cols = 3 if len(names) <= 12 else 4
        rows_n = -(-len(names) // cols)
        fig = make_subplots(rows=rows_n, cols=cols, shared_xaxes="all", shared_yaxes="all",
                            subplot_titles=[plain_text(name) for name in names], vertical_spacing=min(0.08, 0.5 / rows_n), horizontal_spacing=0.03)
    else:
        fig = go.Figure()
    parts = {name: table[table["series"] == name] for name in names}
    n_periods = len(periods) if periods is not None else 0
    if many:  # each panel its own series, a column's width
        labels_on = {name: room_for_labels(_low_n_positions(parts[name], periods), n_periods, PLOT_WIDTH_PX / cols)
                     for name in names}
    else:  # one panel: the labels of every series drawn in full (a muted one has none) share it
        full = [name for name in names if not highlight or name in highlight]
        together = room_for_labels([p for name in full for p in _low_n_positions(parts[name], periods)], n_periods)
        labels_on = dict.fromkeys(names, together)
    for k, name in enumerate(names):
        rows = parts[name]
        band, line = _series_traces(rows, name, colors[name], label, unit, periods, showlegend=not many,
                                    labels_on=labels_on[name])
        if highlight and name not in highlight:  # muted: no band, thin and faint, still hoverable
            band.visible = False
            line.opacity = MUTED_OPACITY
            line.line.width = 1.2
            line.mode = "lines+markers"
            line.marker.size = 4
        elif highlight:
            line.line.width = 3
        if many:
            r, c = divmod(k, cols)
            fig.add_trace(band, row=r + 1, col=c + 1)
            fig.add_trace(line, row=r + 1, col=c + 1)
        else:
            fig.add_trace(band)
            fig.add_trace(line)
    style(fig, height=height or (max(420, 190 * rows_n + 80) if many else 460),
          margin=dict(l=10, r=10, t=40 if many else 20, b=10), hovermode="closest", clickmode="event+select")
    if many:
        fig.update_annotations(font_size=12)
        fig.update_yaxes(title_text="", tickformat=_format(unit).replace(",.1f", ",~f"))
        fig.update_yaxes(title_text=axis_title, row=1, col=1)
    else:
        fig.update_yaxes(title_text=axis_title)
    fig.update_xaxes(title_text="")
    fig.update_layout(meta={"min_n": None if min_n is None else int(min_n), "highlight": list(highlight)})
    return fig


def _dot_plot(table, names, colors, label, unit, axis_title, height) -> go.Figure:
    fmt, suffix = _format(unit), _suffix(unit)
    fig = go.Figure()
    for name in names:
        rows = table[table["series"] == name]
        low_n = rows["low_n"].astype(bool).to_numpy()
        value, low, high = rows["value"].to_numpy(float), rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        shown = plain_text(name)
        customdata = np.array([["all"] * len(rows), [name] * len(rows), rows["n"].astype("int64").to_numpy(),
                               _interval_text(low, high, fmt, suffix, unit, rows.get("p90")), [shown] * len(rows)],
                              dtype=object).T
        fig.add_trace(go.Scatter(
            x=[shown] * len(rows), y=value, name=shown, mode="markers+text",
            marker=dict(size=11, color=colors[name], symbol=np.where(low_n, "circle-open", "circle").tolist(),
                        opacity=low_n_opacity(low_n), line=dict(width=2, color=colors[name])),
            error_y=dict(type="data", symmetric=False, array=np.nan_to_num(high - value),
                         arrayminus=np.nan_to_num(value - low), color=colors[name], thickness=1.5, width=6),
            text=[f"n={k}" if flag else "" for flag, k in zip(low_n, rows["n"])], textposition="top center",
            customdata=customdata, meta={"role": "series", "series": name},
            hovertemplate=(f"<b>%{{customdata[4]}}</b><br>{label}: %{{y:{fmt}}}{suffix}<br>%{{customdata[3]}}"
                           "<br>n = %{customdata[2]:,}<extra></extra>"),
            showlegend=False,
        ))
    style(fig, height=height or 420, margin=dict(l=10, r=10, t=20, b=10), clickmode="event+select")
    fig.update_yaxes(title_text=axis_title)
    return fig


def _display_order(values, preferred) -> list[str]:
    """Distinct values, the preferred ones first in their order, the others sorted."""
    values = list(dict.fromkeys(values))
    first = [v for v in (preferred or []) if v in values]
    return first + sorted(v for v in values if v not in first)


def _cell_grid(frame: pd.DataFrame, rows: str, columns: str, ys: list[str], xs: list[str], unit: str):
    """Per cell of the ``ys`` × ``xs`` grid: value, label, click data, low-n flag and weight (n)."""
    fmt, suffix = _format(unit), _suffix(unit)
    shape = (len(ys), len(xs))
    z, text = np.full(shape, np.nan), np.full(shape, "", dtype=object)
    low, weights = np.zeros(shape, dtype=bool), np.zeros(shape)
    custom = np.empty((*shape, 6), dtype=object)
    for yi, y in enumerate(ys):
        for xi, x in enumerate(xs):
            custom[yi, xi] = (y, x, 0, "no responses", plain_text(y), plain_text(x))
    for row in frame.itertuples(index=False):
        yi, xi = ys.index(getattr(row, rows)), xs.index(getattr(row, columns))
        z[yi, xi] = row.value
        low[yi, xi] = bool(row.low_n)
        weights[yi, xi] = 0 if pd.isna(row.value) else row.n
        text[yi, xi] = f"<b>{row.value:{fmt}}</b><br>n={row.n:,}" + (" · low n" if row.low_n else "")
        custom[yi, xi, 2] = int(row.n)
        custom[yi, xi, 3] = _interval_text([row.ci_low], [row.ci_high], fmt, suffix, unit, [getattr(row, "p90", None)])[0]
    return z, text, custom, low, weights


def breakdown_heatmap(
    table: pd.DataFrame,
    *,
    rows: str = "journey_stage",
    columns: str = "channel",
    row_order: Sequence[str] | None = None,
    column_order: Sequence[str] | None = None,
    label: str = "value",
    unit: str = "",
    higher_is_better: bool = True,
    height: int | None = None,
) -> go.Figure:
    """A rows × columns heatmap of a metric (e.g. journey stage × channel for one period).

    Cells are coloured by value on a diverging scale centred on all cells together (blue = better,
    vermilion = worse, whatever the metric's direction), show the value and n, and are faded and say
    "low n" under the minimum; empty combinations stay blank.

    Parameters
    ----------
    table : DataFrame
        A metric table broken down by ``rows`` and ``columns`` (one period).
    rows, columns : str
        The two breakdown columns.
    row_order, column_order : sequence of str, optional
        Display order (others follow, sorted).
    label, unit, higher_is_better :
        The metric's label, unit and direction.
    height : int, optional
        Figure height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace (``meta["role"] == "heatmap"``) under one transparent marker per filled cell
        (``meta["role"] == "cells"``) that carries the hover and makes cells clickable, then a veil
        over low-n cells (``meta["role"] == "low_n"``) when there are any. ``customdata`` per cell:
        ``[row value, column value, n, interval text, row and column as displayed]``.
    """
    fmt, suffix = _format(unit), _suffix(unit)
    frame = table.copy()
    for col in (rows, columns):
        frame[col] = frame[col].map(lambda v: MISSING_LABEL if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    ys = _display_order(frame[rows], row_order)
    xs = _display_order(frame[columns], column_order)
    z, text, custom, low, weights = _cell_grid(frame, rows, columns, ys, xs, unit)
    # Centred on the value of all cells together (n-weighted): blue = better than that, vermilion = worse.
    centre = float(np.average(np.nan_to_num(z), weights=weights)) if weights.sum() else None
    x_shown, y_shown = [plain_text(x) for x in xs], [plain_text(y) for y in ys]
    fig = go.Figure(go.Heatmap(
        z=z, x=x_shown, y=y_shown, text=np.where(low, "", text), texttemplate="%{text}",
        # a fixed size: left to plotly, the value and its n shrank to ~5 px in the cells of a 1024 px screen
        textfont=dict(size=11),
        colorscale=diverging(higher_is_better),
        zmid=centre, hoverinfo="skip", xgap=2, ygap=2, meta={"role": "heatmap", "centre": centre},
        colorbar=dict(title=dict(text=unit or label), thickness=12),
    ))
    # Plotly cannot select heatmap cells; a transparent marker on each filled cell carries the hover and
    # the click (a selected cell gets a light shade).
    filled = [(yi, xi) for yi in range(len(ys)) for xi in range(len(xs)) if not np.isnan(z[yi, xi])]
    fig.add_trace(go.Scatter(
        x=[x_shown[xi] for _, xi in filled], y=[y_shown[yi] for yi, _ in filled], mode="markers",
        marker=dict(symbol="square", size=44, color="rgba(0,0,0,0)"),
        selected=dict(marker=dict(color="rgba(0,0,0,0.18)")), unselected=dict(marker=dict(opacity=1)),
        customdata=[list(custom[yi, xi]) for yi, xi in filled],
        text=[f"{z[yi, xi]:{fmt}}" for yi, xi in filled],
        hovertemplate=(f"<b>%{{customdata[4]}} · %{{customdata[5]}}</b><br>{label}: %{{text}}{suffix}"
                       "<br>%{customdata[3]}<br>n = %{customdata[2]:,}<extra></extra>"),
        showlegend=False, meta={"role": "cells"},
    ))
    if low.any():
        fig.add_trace(low_n_veil(low, x_shown, y_shown, text))
    style(fig, height=height or max(260, 60 * len(ys) + 90), margin=dict(l=10, r=10, t=10, b=10),
          clickmode="event+select")
    fig.update_yaxes(autorange="reversed", title_text="", showgrid=False)
    fig.update_xaxes(side="top", title_text="", showgrid=False)
    return fig


__all__ = ["HIGHLIGHT_ABOVE", "KNOWN_COLORS", "MISSING_LABEL", "PALETTE", "SMALL_MULTIPLES_ABOVE", "breakdown_heatmap",
           "moved_series", "series_colors", "series_labels", "trend_chart"]
