"""DataFrame in, plotly Figure out: the journey and incident charts (pure, no database, no streamlit).

Each builder takes a frame as returned by :mod:`cx.journeys` (queries, stages, peak_end). User
text (comments, stage and channel names) is escaped before it reaches a label or hover, so it shows
as plain text. The look — template, one colour per channel and stage, scales, faded low-n marks —
comes from :mod:`cx.charts.theme`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cx.charts.theme import (
    AXIS,
    BLACK,
    BLUE,
    GREEN,
    GREY,
    SEQUENTIAL,
    TEXT,
    VERMILION,
    diverging,
    low_n_opacity,
    low_n_veil,
    rgba,
    series_colors,
    style,
)
from cx.safe import plain_text

CLASS_COLORS = {"clean": GREEN, "recovered": BLUE, "unrecovered": VERMILION}
CLASS_LABELS = {"clean": "Clean", "recovered": "Recovered", "unrecovered": "Unrecovered"}
CLASS_HELP = {"clean": "no critical incident", "recovered": "an incident, then a good end",
              "unrecovered": "an incident without a good end after it"}
PREDICTOR_LABELS = {"mean": "Average", "worst": "Worst moment", "end": "Last moment", "peak_end": "Peak-end"}


def _empty(message: str, height: int = 240) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height=height)


def funnel_chart(funnel: pd.DataFrame) -> go.Figure:
    """Customers reaching each stage (:func:`cx.journeys_stages.stage_funnel`)."""
    if funnel.empty:
        return _empty("No journey stages recorded.")
    labels = [plain_text(s) for s in funnel["journey_stage"]]
    text = [f"{r:,} ({s:.0f}%)" for r, s in zip(funnel["reached"], funnel["share_of_first"])]
    fig = go.Figure(go.Funnel(
        # each stage's count under its name, beside the bars: inside a bar, the last stages' "547 (19%)" shrank to
        # ~4 px at 1024 px, and beside a bar it was cut by the chart's edge
        y=labels, x=funnel["reached"], textinfo="none", marker={"color": BLUE}, connector={"fillcolor": rgba(BLUE, 0.15)},
        customdata=np.column_stack([funnel["customers"], funnel["conversion"]]),
        hovertemplate="<b>%{y}</b><br>%{x:,} customers reached this stage or a later one"
                      "<br>%{customdata[1]:.0f}% of the previous stage"
                      "<br>%{customdata[0]:,} had an interaction at this stage<extra></extra>",
    ))
    fig.update_yaxes(tickfont={"size": 14}, tickmode="array", tickvals=labels,
                     ticktext=[f"{label}<br><span style='font-size:12px;color:{TEXT}'>{t}</span>"
                               for label, t in zip(labels, text)])
    return style(fig, height=90 + 70 * len(funnel), title="Customers reaching each stage")


def stage_metrics_chart(table: pd.DataFrame, labels: dict[str, tuple[str, str]]) -> go.Figure:
    """One small panel per metric: its value by journey stage with the 95% interval.

    Parameters
    ----------
    table : DataFrame
        :func:`cx.journeys_stages.stage_metrics`.
    labels : dict
        metric key → (label, unit), e.g. ``{"nps": ("NPS", "points")}``.
    """
    if table.empty:
        return _empty("No scores by stage.")
    keys = list(dict.fromkeys(table["metric"]))
    ncols = 2 if len(keys) > 1 else 1
    nrows = -(-len(keys) // ncols)
    # Bars lie down, stages top to bottom as in the funnel beside it: upright, the stage names were turned
    # 30° and ran into each other in a 230 px panel at 1024 px. The panels of a row share the stage axis.
    stages = [plain_text(s) for s in dict.fromkeys(table["journey_stage"])]
    fig = make_subplots(rows=nrows, cols=ncols, shared_yaxes=True, subplot_titles=[
        # the unit on a line of its own: a long name ("Time to resolution") still fits a narrow panel
        f"{labels.get(k, (k, ''))[0]}<br><span style='font-size:11px'>{labels.get(k, (k, ''))[1]}</span>"
        for k in keys],
        horizontal_spacing=0.06, vertical_spacing=0.2)
    for k, key in enumerate(keys):
        row, col = divmod(k, ncols)
        row, col = row + 1, col + 1
        rows = table[table["metric"] == key]
        value = rows["value"].to_numpy(float)
        fig.add_trace(go.Bar(
            y=[plain_text(s) for s in rows["journey_stage"]], x=value, orientation="h",
            marker={"color": BLUE, "opacity": low_n_opacity(rows["low_n"].astype(bool))},
            marker_pattern_shape=np.where(rows["low_n"], "/", ""),
            error_x={"type": "data", "symmetric": False, "array": rows["ci_high"].to_numpy(float) - value,
                     "arrayminus": value - rows["ci_low"].to_numpy(float), "color": BLACK},
            customdata=np.column_stack([rows["n"], rows["ci_low"], rows["ci_high"]]),
            hovertemplate="%{y}: <b>%{x:.1f}</b><br>95% CI %{customdata[1]:.1f} – %{customdata[2]:.1f}"
                          "<br>n = %{customdata[0]:,}<extra></extra>",
            showlegend=False), row=row, col=col)
    fig.update_yaxes(categoryorder="array", categoryarray=stages, autorange="reversed")
    return style(fig, height=40 + (60 + 30 * len(stages)) * nrows, bargap=0.25)


def stage_channel_heatmap(matrix: pd.DataFrame, value: str = "mean_index", min_n: int | None = None) -> go.Figure:
    """Stage × channel grid of the mean experience index, the incident rate or the volume.

    Good/bad values are drawn on the diverging scale centred on all cells together (blue = better
    than the whole grid, vermilion = worse); volume on the sequential scale. Cells standing on fewer
    than ``min_n`` interactions (scored ones, for the index) are faded.

    Parameters
    ----------
    matrix : DataFrame
        :func:`cx.journeys.stages.stage_channel_matrix` (already in display order).
    value : {"mean_index", "incident_rate", "interactions"}
    min_n : int, optional
        The minimum n under which a cell is faded.
    """
    if matrix.empty:
        return _empty("No interactions with a stage and a channel.")
    stages = list(dict.fromkeys(matrix["journey_stage"]))
    channels = list(dict.fromkeys(matrix.groupby("channel")["interactions"].sum().sort_values(ascending=False).index))

    def grid(column: str) -> np.ndarray:
        return matrix.pivot(index="journey_stage", columns="channel", values=column).reindex(
            index=stages, columns=channels).to_numpy(float)

    title, fmt = {
        "mean_index": ("Mean experience index (0–100)", ".0f"),
        "incident_rate": ("Critical incidents (% of interactions)", ".1f"),
        "interactions": ("Interactions", ",.0f"),
    }[value]
    z, counts = grid(value), np.nan_to_num(grid("interactions"))
    weights = np.nan_to_num(grid("scored")) if value == "mean_index" and "scored" in matrix else counts
    weights = np.where(np.isnan(z), 0.0, weights)
    if value == "interactions":
        scale, centre = SEQUENTIAL, None
    else:
        scale = diverging(higher_is_better=value == "mean_index")
        centre = float(np.average(np.nan_to_num(z), weights=weights)) if weights.sum() else None
    text = np.array([[("" if np.isnan(v) else f"{v:{fmt}}") for v in row] for row in z], dtype=object)
    low = (weights < min_n) & ~np.isnan(z) if min_n else np.zeros(z.shape, dtype=bool)
    x, y = [plain_text(c) for c in channels], [plain_text(s) for s in stages]
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=np.where(low, "", text), texttemplate="%{text}", colorscale=scale, zmid=centre,
        customdata=counts.astype(int), colorbar={"title": {"text": ""}, "thickness": 12},
        hovertemplate="%{y} · %{x}<br>" + title + ": <b>%{z:" + fmt + "}</b><br>%{customdata:,} interactions"
                      "<extra></extra>",
        xgap=2, ygap=2, meta={"role": "heatmap", "centre": centre},
    ))
    if low.any():
        fig.add_trace(low_n_veil(low, x, y, text))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False)
    return style(fig, height=120 + 52 * len(stages), title=title)


def flow_sankey(flows: pd.DataFrame) -> go.Figure:
    """Sankey of consecutive journey steps (:func:`cx.journeys_stages.journey_flows`).

    Each node is a (step, value) pair, laid out left to right by step, so loops (retention →
    purchase → retention) stay readable.
    """
    if flows.empty:
        return _empty("No customer has more than one step.")
    last = int(flows["step"].max()) + 1
    nodes: dict[tuple[int, str], int] = {}
    for _, r in flows.iterrows():
        nodes.setdefault((int(r["step"]), r["source"]), len(nodes))
        nodes.setdefault((int(r["step"]) + 1, r["target"]), len(nodes))
    colors = series_colors(sorted({v for _, v in nodes}))  # a channel or stage keeps its colour from every page
    keys = list(nodes)
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": [plain_text(v) for _, v in keys], "color": [colors[v] for _, v in keys],
              "x": [0.01 + 0.98 * (s - 1) / max(last - 1, 1) for s, _ in keys], "pad": 14, "thickness": 16,
              "customdata": [f"step {s}" for s, _ in keys],
              "hovertemplate": "%{label} (%{customdata})<br>%{value:,} customers<extra></extra>"},
        link={"source": [nodes[(int(s), a)] for s, a in zip(flows["step"], flows["source"])],
              "target": [nodes[(int(s) + 1, b)] for s, b in zip(flows["step"], flows["target"])],
              "value": flows["customers"].tolist(), "color": rgba(BLUE, 0.18),
              "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,} customers<extra></extra>"},
    ))
    return style(fig, height=460, title=f"The first {last} steps of each journey")


def timeline_chart(timeline: pd.DataFrame, good_end_index: float | None = None) -> go.Figure:
    """One customer's journey: the experience index of each moment, incidents, worst and end marked.

    Dated journeys use time on the x axis; undated ones (stream or wide survey rows) their position.
    Unscored interactions (tickets without a survey) sit on the axis as grey ticks.
    """
    if timeline.empty:
        return _empty("This customer has no interactions in scope.")
    dated = timeline["occurred_at"].notna().all()
    x = timeline["occurred_at"] if dated else timeline["position"]
    scored = timeline["index"].notna()

    def hover(r) -> str:
        scores = [f"{name.upper()} {r[name]:g}" for name in ("nps", "csat", "ces") if pd.notna(r[name])]
        parts = [f"<b>#{int(r['position'])}</b> {plain_text(r['channel'])} · {plain_text(r['journey_stage'])}"
                 + (f" · {plain_text(r['touchpoint'])}" if r.get("touchpoint") else "")]
        if pd.notna(r["occurred_at"]):
            parts.append(pd.Timestamp(r["occurred_at"]).strftime("%Y-%m-%d %H:%M"))
        parts.append(f"index {r['index']:.0f}" if pd.notna(r["index"]) else "no score")
        if scores:
            parts.append(", ".join(scores))
        if pd.notna(r.get("resolution_hours")):
            parts.append(f"resolved in {r['resolution_hours']:.1f} h")
        if r["reasons"]:
            parts.append("⚠ " + plain_text(r["reasons"]))
        if r.get("comment"):
            text = plain_text(r["comment"])
            parts.append("“" + (text[:160] + "…" if len(text) > 160 else text) + "”")
        return "<br>".join(parts)

    texts = [hover(r) for _, r in timeline.iterrows()]
    fig = go.Figure()
    if good_end_index is not None:
        fig.add_hrect(y0=good_end_index, y1=100, fillcolor=GREEN, opacity=0.06, line_width=0)
    fig.add_trace(go.Scatter(
        x=x[scored], y=timeline.loc[scored, "index"], mode="lines+markers", name="Experience index",
        line={"color": BLUE, "width": 2}, marker={"size": 9, "color": BLUE},
        hovertext=[t for t, s in zip(texts, scored) if s], hoverinfo="text"))
    unscored = ~scored
    if unscored.any():
        fig.add_trace(go.Scatter(
            x=x[unscored], y=[0] * int(unscored.sum()), mode="markers", name="No score",
            marker={"symbol": "line-ns-open", "size": 12, "color": AXIS},
            hovertext=[t for t, s in zip(texts, unscored) if s], hoverinfo="text"))
    incident = timeline["incident"].astype(bool)
    if incident.any():
        y = timeline.loc[incident, "index"].fillna(0)
        fig.add_trace(go.Scatter(
            x=x[incident], y=y, mode="markers", name="Critical incident",
            marker={"symbol": "x", "size": 15, "color": VERMILION, "line": {"width": 1}},
            hovertext=[t for t, s in zip(texts, incident) if s], hoverinfo="text"))
    for flag, label, color, shift in (("is_worst", "worst", VERMILION, -34), ("is_end", "end", GREEN, 34)):
        rows = timeline[timeline[flag].astype(bool)]
        if flag == "is_worst" and len(rows) > 1:
            rows = rows.tail(1)  # the latest worst moment, as in the features
        for _, r in rows.iterrows():
            fig.add_annotation(x=r["occurred_at"] if dated else r["position"], y=r["index"], text=f"<b>{label}</b>",
                               showarrow=True, arrowhead=2, ax=0, ay=shift, font={"color": color, "size": 13},
                               arrowcolor=color)
    fig.update_yaxes(range=[-8, 112], title="Experience index (0–100)", zeroline=False)
    fig.update_xaxes(title=None if dated else "Position in the journey")
    return style(fig, height=380, legend={"y": 1.12}, hovermode="closest")


def outcome_by_class_chart(table: pd.DataFrame, outcome: str) -> go.Figure:
    """The outcome for clean / recovered / unrecovered journeys with 95% intervals (:func:`cx.peak_end.outcome_by_class`)."""
    if table.empty or table["n"].sum() == 0:
        return _empty("No journeys with a known outcome.")
    binary = (table["kind"] == "binary").all()
    value = table["value"].to_numpy(float)
    fig = go.Figure(go.Bar(
        x=[CLASS_LABELS.get(c, c) for c in table["journey_class"]], y=value,
        marker={"color": [CLASS_COLORS.get(c, BLUE) for c in table["journey_class"]]},
        error_y={"type": "data", "symmetric": False, "array": table["ci_high"].to_numpy(float) - value,
                 "arrayminus": value - table["ci_low"].to_numpy(float), "color": BLACK, "thickness": 1.5},
        text=[("" if np.isnan(v) else f"{v:.1f}{'%' if binary else ''}") for v in value], textposition="inside",
        insidetextanchor="start", insidetextfont={"color": "white"},
        customdata=[[int(n), float(lo), float(hi), CLASS_HELP.get(c, "")] for n, lo, hi, c in
                    zip(table["n"], table["ci_low"], table["ci_high"], table["journey_class"])],
        hovertemplate="%{x} (%{customdata[3]})<br><b>%{y:.1f}</b> (95% CI %{customdata[1]:.1f} – "
                      "%{customdata[2]:.1f})<br>%{customdata[0]:,} journeys<extra></extra>",
    ))
    axis = f"{plain_text(outcome)} rate (%)" if binary else f"mean {plain_text(outcome)}"
    fig.update_yaxes(title=axis, rangemode="tozero")
    return style(fig, height=360, title=f"{plain_text(outcome)} by journey class")


def predictor_forest(table: pd.DataFrame, measure: str) -> go.Figure:
    """Forest plot: each predictor's AUC (or r) with its bootstrap 95% interval (:class:`cx.peak_end.PredictorComparison`)."""
    if table["value"].isna().all():
        return _empty("Not enough journeys to compare.")
    rows = table.iloc[::-1]
    neutral = 0.5 if measure == "auc" else 0.0
    best = table.loc[table["value"].idxmax(), "predictor"]
    colors = [BLUE if p == best else GREY for p in rows["predictor"]]
    value = rows["value"].to_numpy(float)
    fig = go.Figure(go.Scatter(
        x=value, y=[PREDICTOR_LABELS.get(p, p) for p in rows["predictor"]], mode="markers",
        marker={"size": 13, "color": colors},
        error_x={"type": "data", "symmetric": False, "array": rows["ci_high"].to_numpy(float) - value,
                 "arrayminus": value - rows["ci_low"].to_numpy(float), "color": BLACK, "thickness": 1.5},
        customdata=np.column_stack([rows["ci_low"], rows["ci_high"]]),
        hovertemplate="%{y}: <b>%{x:.3f}</b><br>95% CI %{customdata[0]:.3f} – %{customdata[1]:.3f}<extra></extra>",
    ))
    fig.add_vline(x=neutral, line_dash="dot", line_color=AXIS,
                  annotation_text="chance" if measure == "auc" else "no relation", annotation_position="top")
    fig.update_xaxes(title="AUC (0.5 = chance)" if measure == "auc" else "Pearson r")
    return style(fig, height=300, showlegend=False)
