"""`cx churn`: the JSON contract of DESIGN.md, and one-line errors."""

from __future__ import annotations

import json

import pytest

from cx import demo
from cx.cli import main


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("churn_cli") / "demo.duckdb"
    demo.generate(path, customers=3000, interactions=45_000)
    return str(path)


def test_churn_json_has_the_documented_shape(small, capsys):
    assert main(["churn", "--source", small, "--format", "json", "--top", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # the documented keys, plus (issue 12) the leaks left out, the suspected ones kept in, whether a leak is
    # likely, the warnings, and the default what-if in the outcome's words
    assert set(doc) == {"n", "positives", "cv", "odds_ratios", "feature_sets", "at_risk", "leaks", "leak_likely",
                        "suspected_leaks", "warnings", "what_if"}
    assert doc["leaks"] == {} and doc["leak_likely"] is False and isinstance(doc["warnings"], list)
    assert doc["suspected_leaks"] == {}
    [move] = doc["what_if"]
    assert move["chance_of"] == "churning" and move["good_outcome"] is False
    assert move["headline"].startswith(move["description"]) and "chance of churning" in move["headline"]
    assert doc["n"] == 3000 and 0 < doc["positives"] < 3000
    for metric in ("roc_auc", "pr_auc", "brier"):
        assert set(doc["cv"][metric]) == {"value", "ci_low", "ci_high"}
        assert doc["cv"][metric]["ci_low"] <= doc["cv"][metric]["value"] <= doc["cv"][metric]["ci_high"]
    assert all(set(r) == {"feature", "value", "ci_low", "ci_high"} for r in doc["odds_ratios"])
    names = {r["name"] for r in doc["feature_sets"]}
    assert {"All", "Peak-end", "Mean scores only", "Journey-level"} <= names
    assert len(doc["at_risk"]) == 5 and {"customer_id", "probability", "value_at_risk"} <= set(doc["at_risk"][0])


def test_churn_errors_are_one_line(small, capsys):
    assert main(["churn", "--source", small, "--outcome", "no_such_column"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cx churn:") and "no_such_column" in err and "\n" not in err
    assert main(["churn", "--source", small, "--min-positives", "100000"]) == 2
    assert "at least 100,000" in capsys.readouterr().err
    # an outcome that is not yes/no says so, and how to name the positive value
    assert main(["churn", "--source", small, "--outcome", "segment"]) == 2
    err = capsys.readouterr().err
    assert "not a yes/no column" in err and "name the value that counts as yes" in err and err.count("\n") == 1
    assert main(["churn", "--source", small, "--outcome", "segment", "--positive", "consumer"]) == 2
    assert "an outcome needs two" in capsys.readouterr().err
