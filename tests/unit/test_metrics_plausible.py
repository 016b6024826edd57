"""Plausibility warnings: implausible numbers for their kind are named, plausible ones are not."""

from __future__ import annotations

import pandas as pd

from cx.metrics.plausible import check, metric_table


def test_each_kind_has_its_implausible_range():
    assert check("frt", 45.0) is None and "months" in check("frt", 885 * 24 * 60.0)
    assert check("ttr", 48.0) is None and "months" in check("ttr", 24 * 200.0)
    assert "CSAT of 0%" in check("csat", 0.0, 1000) and check("csat", 0.0, 5) is None and check("csat", 61.1, 750) is None
    assert "churn rate of 100%" in check("churn", 100.0, 265) and check("churn", 26.5, 1000) is None
    assert "churn rate of 100%" in check("retention", 0.0, 265)
    assert "leak" in check("auc", 1.0) and check("auc", 0.95) is None
    assert check("nps", float("nan"), 100) is None


def test_metric_table_names_the_cells():
    table = pd.DataFrame({"period": ["all", "all"], "recovery": ["unrecovered", "clean"], "metric": ["churn", "churn"],
                          "n": [120, 900], "value": [100.0, 20.0]})
    [sentence] = metric_table(table, ["recovery"])
    assert "for recovery unrecovered" in sentence and "100%" in sentence
    many = pd.DataFrame({"period": ["all"] * 8, "metric": ["csat"] * 8, "n": [50] * 8, "value": [0.0] * 8})
    lines = metric_table(many)
    assert len(lines) == 6 and lines[-1].startswith("… and 3 more")
