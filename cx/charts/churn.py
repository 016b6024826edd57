"""Charts of a churn model: DataFrame in, plotly Figure out (pure: no data access, no streamlit).

Each takes a table of :class:`cx.churn.ChurnReport` and draws every estimate with its interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cx.charts.theme import BETTER, BLUE, GREY, WORSE, style


def _wrap(text: str, width: int = 38) -> str:
    """Break a long axis label onto lines of about ``width`` characters."""
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    return style(fig, height=height, title=title, margin=dict(l=10, r=20, t=50, b=40), showlegend=False)


def calibration_plot(table: pd.DataFrame, title: str = "Calibration: predicted vs observed") -> go.Figure:
    """Reliability diagram: mean predicted probability vs observed rate per bin, with Wilson CIs.

    Parameters
    ----------
    table : DataFrame
        ``predicted, observed, ci_low, ci_high, n`` (see :func:`cx.churn.calibration_table`).
    """
    top = float(max(table["predicted"].max(), table["ci_high"].max(), 0.05)) * 1.05 if len(table) else 1.0
    top = min(top, 1.0)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line=dict(color=GREY, dash="dash"),
                             hoverinfo="skip", name="perfect calibration"))
    fig.add_trace(go.Scatter(
        x=table["predicted"], y=table["observed"], mode="markers+lines", name="out-of-fold",
        marker=dict(color=BLUE, size=9), line=dict(color=BLUE, width=1),
        error_y=dict(type="data", symmetric=False, array=table["ci_high"] - table["observed"],
                     arrayminus=table["observed"] - table["ci_low"], color=BLUE, thickness=1),
        customdata=np.column_stack([table["n"], table["ci_low"], table["ci_high"]]),
        hovertemplate=("predicted %{x:.1%} · observed %{y:.1%}<br>95% CI %{customdata[1]:.1%}–%{customdata[2]:.1%}"
                       "<br>%{customdata[0]:,} customers<extra></extra>"),
    ))
    fig.update_xaxes(title="Predicted probability (out-of-fold)", tickformat=".0%", range=[0, top])
    fig.update_yaxes(title="Observed share", tickformat=".0%", range=[0, top])
    return _layout(fig, title, 420)


def odds_ratio_forest(table: pd.DataFrame, top: int = 20, title: str = "Odds ratios (95% bootstrap CI)") -> go.Figure:
    """Forest plot of odds ratios on a log axis; red = more likely to churn, green = less.

    Parameters
    ----------
    table : DataFrame
        ``feature, kind, value, ci_low, ci_high`` (see :func:`cx.churn.odds_ratio_table`), strongest first.
    top : int
        How many rows to draw (the strongest).
    """
    rows = table.head(top).iloc[::-1]
    names = [_wrap(name) for name in rows["feature"]]
    unit = rows["kind"].map({"per SD": "per SD", "missing vs present": "missing vs present", "level": "vs reference"})
    # the app's colour-blind-safe pair (vermilion: more likely, blue: less likely), never red against green
    colour = np.where(rows["ci_low"] > 1, WORSE, np.where(rows["ci_high"] < 1, BETTER, GREY))
    fig = go.Figure()
    fig.add_vline(x=1, line=dict(color=GREY, dash="dash"))
    fig.add_trace(go.Scatter(
        x=rows["value"], y=names, mode="markers", marker=dict(color=colour, size=9),
        error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["value"],
                     arrayminus=rows["value"] - rows["ci_low"], color=GREY, thickness=1.5),
        customdata=np.column_stack([rows["ci_low"], rows["ci_high"], unit]),
        hovertemplate="%{y}: OR %{x:.2f} (%{customdata[0]:.2f}–%{customdata[1]:.2f}) %{customdata[2]}<extra></extra>",
    ))
    ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10)
             if len(rows) and rows["ci_low"].min() / 1.3 <= t <= rows["ci_high"].max() * 1.3] or [1]
    fig.update_xaxes(type="log", title="Odds ratio (log scale): < 1 less likely, > 1 more likely",
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, max(300, 34 * len(rows) + 110))


def feature_set_comparison(table: pd.DataFrame, title: str = "Which measures matter: how well each set tells leavers from stayers") -> go.Figure:
    """Cross-validated ROC AUC of each feature set with its 95% CI (0.5 = chance).

    Parameters
    ----------
    table : DataFrame
        ``name, features, roc_auc, ci_low, ci_high``.
    """
    rows = table.sort_values("roc_auc").reset_index(drop=True)
    labels = [f"{n} ({k})" for n, k in zip(rows["name"], rows["features"])]
    fig = go.Figure()
    fig.add_vline(x=0.5, line=dict(color=GREY, dash="dash"), annotation_text="chance", annotation_position="top")
    fig.add_trace(go.Scatter(
        x=rows["roc_auc"], y=labels, mode="markers", marker=dict(color=BLUE, size=11, symbol="diamond"),
        error_x=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["roc_auc"],
                     arrayminus=rows["roc_auc"] - rows["ci_low"], color=BLUE, thickness=1.5),
        customdata=np.column_stack([rows["ci_low"], rows["ci_high"]]),
        hovertemplate="%{y}: AUC %{x:.3f} (%{customdata[0]:.3f}–%{customdata[1]:.3f})<extra></extra>",
    ))
    low = float(min(0.5, rows["ci_low"].min())) - 0.02 if len(rows) else 0.45
    high = float(min(1.0, rows["ci_high"].max() + 0.02)) if len(rows) else 1.0
    fig.update_xaxes(title="ROC AUC (out-of-fold, 95% CI)", range=[low, high])
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, max(260, 50 * len(rows) + 110))


def permutation_importance_chart(table: pd.DataFrame, top: int = 15,
                                 title: str = "What the model leans on: separation lost when a measure is shuffled") -> go.Figure:
    """Bars of the held-out ROC AUC lost when each feature is shuffled (± SD over folds and repeats).

    Parameters
    ----------
    table : DataFrame
        ``feature, importance, sd``, most important first.
    """
    rows = table.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=rows["importance"], y=[_wrap(name) for name in rows["feature"]], orientation="h", marker_color=BLUE,
        error_x=dict(type="data", array=rows["sd"], color=GREY, thickness=1),
        hovertemplate="%{y}: %{x:.4f} AUC lost<extra></extra>",
    ))
    fig.update_xaxes(title="ROC AUC lost when shuffled")
    fig.update_yaxes(automargin=True)
    return _layout(fig, title, max(300, 26 * len(rows) + 110))


__all__ = ["calibration_plot", "feature_set_comparison", "odds_ratio_forest", "permutation_importance_chart"]
