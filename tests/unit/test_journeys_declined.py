"""The peak-end comparison declines, with the reason, when the data cannot ask the question (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cx.journeys import compare_predictors


def _journeys(n=400, scored=None, dated=True, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mean = rng.normal(60, 15, n)
    worst = mean - rng.gamma(2, 8, n)
    end = mean + rng.normal(0, 12, n)
    churned = rng.random(n) < 1 / (1 + np.exp(0.05 * (worst - 40)))
    return pd.DataFrame({"mean": mean, "worst": worst, "end": end, "peak_end": (worst + end) / 2,
                         "scored": scored if scored is not None else rng.integers(2, 8, n),
                         "last_at": pd.Timestamp("2026-01-01") if dated else pd.NaT, "churned": churned})


def test_one_rating_per_customer_is_declined_with_the_reason():
    frame = _journeys()
    frame[["worst", "end", "peak_end"]] = frame[["mean"] * 3].to_numpy()
    frame["scored"] = 1
    result = compare_predictors(frame, "churned", resamples=100)
    assert result.best is None and result.table["value"].isna().all()
    assert "one rating per customer" in result.verdict and "no peak-end question" in result.verdict
    # identical summaries with several ratings each (a constant customer) are declined too
    frame["scored"] = 3
    result = compare_predictors(frame, "churned", resamples=100)
    assert result.best is None and "|r| ≥ 0.98" in result.verdict


def test_undated_ratings_have_no_end():
    result = compare_predictors(_journeys(dated=False), "churned", resamples=200)
    assert list(result.table["predictor"]) == ["mean", "worst"]
    assert result.verdict.startswith("End and peak-end are not compared: the ratings carry no dates")
    dated = compare_predictors(_journeys(dated=True), "churned", resamples=200)
    assert set(dated.table["predictor"]) == {"mean", "worst", "end", "peak_end"} and dated.best == "worst"
