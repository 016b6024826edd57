"""Charts of agents and teams: raw against shrunk scores with their intervals, and rank intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cx.charts.theme import BLUE, GREY, TEXT, low_n_opacity, style
from cx.safe import plain_text


def _names(scores: pd.DataFrame, by: str) -> list[str]:
    return [plain_text(name) for name in scores[by]]


def caterpillar_chart(scores: pd.DataFrame, by: str, label: str, unit: str) -> go.Figure:
    """One row per group, best first: the shrunk score with its interval, the raw score as a hollow mark.

    ``scores`` is a :func:`cx.teams.team_scores` table (its ``attrs["overall"]`` is drawn as a line).
    Groups under the minimum n are faded; the arrow from raw to shrunk shows how far n moved them.
    """
    rows = scores.iloc[::-1]  # plotly draws the first category at the bottom
    names = _names(rows, by)
    opacity = low_n_opacity(rows["low_n"])
    hover = [f"{name}<br>n = {n:,}<br>raw {raw:.1f} → shrunk {shrunk:.1f} {plain_text(unit)}<br>"
             f"95% interval {lo:.1f} to {hi:.1f}<br>rank {rl}–{rh}"
             for name, n, raw, shrunk, lo, hi, rl, rh in zip(names, rows["n"], rows["raw"], rows["shrunk"],
                                                            rows["ci_low"], rows["ci_high"], rows["rank_low"],
                                                            rows["rank_high"])]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=rows["shrunk"], y=names, mode="markers", name="shrunk (95% interval)",
        marker=dict(color=BLUE, size=9, opacity=opacity),
        error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["shrunk"],
                     arrayminus=rows["shrunk"] - rows["ci_low"], color=BLUE, thickness=1.5, width=0),
        hovertext=hover, hoverinfo="text", meta={"role": "shrunk"}))
    fig.add_trace(go.Scatter(
        x=rows["raw"], y=names, mode="markers", name="raw",
        marker=dict(color="white", size=8, line=dict(color=GREY, width=1.5), symbol="circle"),
        hovertext=hover, hoverinfo="text", meta={"role": "raw"}))
    overall = scores.attrs.get("overall")
    if overall is not None:
        fig.add_vline(x=overall, line=dict(color=TEXT, width=1, dash="dot"),
                      annotation_text=f"overall {overall:.1f}", annotation_position="top")
    return style(fig, height=max(260, 28 * len(rows) + 90),
                 title=f"{label} by {by}: raw (hollow) and shrunk toward the overall level (filled, 95% interval)",
                 xaxis_title=f"{label} ({unit})", yaxis_title=None, legend=dict(orientation="h", y=-0.12),
                 margin=dict(l=10, r=10, t=60, b=40))


def rank_chart(scores: pd.DataFrame, by: str) -> go.Figure:
    """Each group's rank interval (1 = best) as a bar from its lowest to its highest plausible rank."""
    rows = scores.iloc[::-1]
    names = _names(rows, by)
    fig = go.Figure(go.Bar(
        x=rows["rank_high"] - rows["rank_low"] + 1, base=rows["rank_low"] - 0.5, y=names, orientation="h",
        marker=dict(color=BLUE, opacity=low_n_opacity(rows["low_n"])),
        hovertext=[f"{name}: rank {lo}–{hi} of {len(rows)} (raw rank {raw})" for name, lo, hi, raw in
                   zip(names, rows["rank_low"], rows["rank_high"], rows["raw_rank"])],
        hoverinfo="text", meta={"role": "ranks"}, name="95% rank interval"))
    fig.add_trace(go.Scatter(x=rows["raw_rank"], y=names, mode="markers", name="rank on raw scores",
                             marker=dict(color="white", size=8, line=dict(color=GREY, width=1.5)),
                             hoverinfo="skip", meta={"role": "raw_rank"}))
    return style(fig, height=max(260, 28 * len(rows) + 90), title=f"Rank intervals by {by} (1 = best)",
                 xaxis=dict(title="rank (1 = best)", dtick=1 if len(rows) <= 30 else None),
                 yaxis_title=None, legend=dict(orientation="h", y=-0.12), margin=dict(l=10, r=10, t=60, b=40))


__all__ = ["caterpillar_chart", "rank_chart"]
