"""Theme impact: gaps against pandas, and the intervals' coverage by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx.text.impact import nps_gap, proportion_gap, theme_impact


def _nps(x):
    x = np.asarray(x)
    return 100 * (np.mean(x >= 9) - np.mean(x <= 6))


def test_gaps_match_pandas():
    frame = pd.DataFrame({
        "theme": ["late", "late", "late", None, "rude", None, None, "rude"],
        "nps": [2, 5, 9, 10, 0, 9, 7, np.nan],
        "csat_top": [0, 0, 1, 1, 0, 1, np.nan, 0],
        "customer_id": ["a", "a", "b", "c", "d", "e", "f", "d"],
        "churned": [1, 1, 0, 0, 1, 0, 0, 1],
    })
    table = theme_impact(frame).set_index("theme")
    late = frame.theme == "late"
    assert table.loc["late", "nps_gap"] == pytest.approx(_nps(frame.nps[late]) - _nps(frame.nps[~late].dropna()))
    csat = frame.csat_top
    assert table.loc["late", "csat_gap"] == pytest.approx(100 * (csat[late].mean() - csat[~late].dropna().mean()))
    # churn per customer: a, b raised "late"; c, d, e, f did not
    assert table.loc["late", "churn_gap"] == pytest.approx(100 * (1 / 2 - 1 / 4))
    assert table.loc["late", "count"] == 3 and table.loc["late", "share"] == pytest.approx(3 / 8)
    assert table.loc["late", "points_lost"] == pytest.approx(-table.loc["late", "nps_gap"] * 3 / 8)
    assert list(table["rank"]) == [1, 2]


def test_intervals_cover_the_true_gap_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    p_in, p_out = np.array([0.2, 0.3, 0.5]), np.array([0.45, 0.35, 0.2])  # promoter, passive, detractor
    true_nps = 100 * ((p_in[0] - p_in[2]) - (p_out[0] - p_out[2]))
    true_prop = 100 * (0.3 - 0.2)
    hits_nps = hits_prop = 0
    runs = 2000
    for _ in range(runs):
        a = rng.choice([10, 7, 3], 150, p=p_in)
        b = rng.choice([10, 7, 3], 600, p=p_out)
        _, lo, hi, *_ = nps_gap(a, b)
        hits_nps += lo <= true_nps <= hi
        _, lo, hi, *_ = proportion_gap(rng.random(150) < 0.3, rng.random(600) < 0.2)
        hits_prop += lo <= true_prop <= hi
    for hits in (hits_nps, hits_prop):
        assert 0.93 <= hits / runs <= 0.97


def test_a_side_without_scores_gives_nan_not_an_error():
    value, lo, hi, n_in, n_out = nps_gap([np.nan], [9, 10])
    assert np.isnan(value) and n_in == 0 and n_out == 2
