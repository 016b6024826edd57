"""The fixed-cohort view on the demo: the planted survivorship drift is visible and explained."""

from __future__ import annotations

import pytest

from cx.drivers.cohort import cohort_trend
from cx.metrics.registry import MetricError


def test_demo_survivorship_drift_is_visible(demo_source):
    got = cohort_trend(demo_source, "csat", "quarter")
    t = got.table
    first, last = t.iloc[0], t.iloc[-1]
    # the usual view drifts up as unhappy customers leave (cx/demo.py documents ~60% → ~73%)...
    assert last.usual - first.usual > 5
    # ...while the fixed cohort, the departed counted as not satisfied, falls
    assert last.fixed < first.fixed - 10
    assert (t.fixed <= t.respondents + 1e-9).all() and (t.respondents <= t.fixed_high + 1e-9).all()
    assert (t.answered + t.lost + t.silent == got.size).all()
    assert t.churned.is_monotonic_increasing
    text = got.explanation()
    assert "have left" in text and "not from better experiences" in text


def test_only_scores_and_trends(demo_source):
    with pytest.raises(MetricError, match="NPS or CSAT"):
        cohort_trend(demo_source, "ttr")
    with pytest.raises(MetricError, match="trend"):
        cohort_trend(demo_source, "csat", "all")
