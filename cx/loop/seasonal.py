"""The anomaly rule's arithmetic: what a week of a series should be, and how unusual it is.

Pure numpy/pandas on one weekly series (or a frame of them); :mod:`cx.loop.alerts` applies it per
cell. The expectation is seasonal when a year of history exists (last year's same weeks moved by the
level change since then), else the mean of the weeks before; a week is judged against the spread of
the series' own past residuals (a t statistic), so ordinary week-to-week wobble is no alarm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Weeks of a season (a year) and of the level windows the seasonal expectation compares.
SEASON, LEVEL_WEEKS = 52, 8
#: Past residuals an anomaly is judged against (at least MIN_RESIDUALS of them).
RESIDUAL_WEEKS, MIN_RESIDUALS = 26, 8


def seasonal_expectation(values: np.ndarray, t: int) -> float:
    """What week ``t`` of a weekly series should be, from the series itself (NaN when unknowable).

    With a year of history and its level windows (``t ≥ 52 + 8``): the mean of the same three
    weeks a year earlier (t−53…t−51), moved by the change in level since then (mean of the 8 weeks
    before ``t`` minus the mean of the 8 weeks before t−52). With less: the mean of the 8 weeks
    before ``t`` (no season to learn from yet). Missing weeks are skipped.
    """
    x = np.asarray(values, dtype="float64")
    recent = x[max(0, t - LEVEL_WEEKS):t]
    if np.isfinite(recent).sum() < LEVEL_WEEKS // 2:
        return np.nan
    level = np.nanmean(recent)
    if t >= SEASON + LEVEL_WEEKS:
        same = x[t - SEASON - 1:t - SEASON + 2]
        before = x[t - SEASON - LEVEL_WEEKS:t - SEASON]
        if np.isfinite(same).any() and np.isfinite(before).sum() >= LEVEL_WEEKS // 2:
            return float(np.nanmean(same) + level - np.nanmean(before))
    return float(level)


def expectations(values: pd.DataFrame) -> pd.DataFrame:
    """:func:`seasonal_expectation` of every week of every column at once (rolling means, no loop)."""
    half = LEVEL_WEEKS // 2
    values = values.astype("float64")
    recent = values.rolling(LEVEL_WEEKS, min_periods=half).mean().shift(1)
    same = values.rolling(3, min_periods=1).mean().shift(SEASON - 1)
    before = values.rolling(LEVEL_WEEKS, min_periods=half).mean().shift(SEASON + 1)
    seasonal = same + recent - before
    week = np.arange(len(values))[:, None]
    use = (week >= SEASON + LEVEL_WEEKS) & seasonal.notna().to_numpy()
    return pd.DataFrame(np.where(use, seasonal.to_numpy(), recent.to_numpy()), index=values.index,
                        columns=values.columns)


def residual_test(residual: float, past: np.ndarray) -> float:
    """Two-sided p of ``residual`` against past residuals: ``r / s`` on a t distribution.

    ``s`` is the root mean square of the past residuals, after setting aside those beyond 5 robust
    standard deviations (an earlier incident must not hide the next); the degrees of freedom are the
    residuals kept. NaN with fewer than :data:`MIN_RESIDUALS` of them.
    """
    from cx.metrics.significance import student_sf  # scipy.stats.t.sf without importing scipy.stats

    past = np.asarray(past, dtype="float64")
    past = past[np.isfinite(past)]
    if not np.isfinite(residual) or len(past) < MIN_RESIDUALS:
        return np.nan
    centre = np.median(past)
    robust = 1.4826 * np.median(np.abs(past - centre))
    if robust > 0:
        past = past[np.abs(past - centre) <= 5 * robust]
    scale = float(np.sqrt(np.mean(past**2)))
    if scale == 0:
        return 1.0 if residual == 0 else 0.0
    return float(2 * student_sf(abs(residual) / scale, len(past)))


def anomaly_test(values: np.ndarray, t: int) -> tuple[float, float]:
    """``(expected, p)`` for week ``t`` of one series: its residual against the :data:`RESIDUAL_WEEKS`
    residuals before it, each against its own :func:`seasonal_expectation` (:func:`residual_test`)."""
    x = np.asarray(values, dtype="float64")
    expected = seasonal_expectation(x, t)
    past = [x[s] - seasonal_expectation(x, s) for s in range(max(0, t - RESIDUAL_WEEKS), t)]
    return expected, residual_test(x[t] - expected, np.array(past, dtype="float64"))


__all__ = ["LEVEL_WEEKS", "MIN_RESIDUALS", "RESIDUAL_WEEKS", "SEASON", "anomaly_test", "expectations",
           "residual_test", "seasonal_expectation"]
