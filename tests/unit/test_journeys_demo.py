"""The demo's planted peak-end effects are found (cx/demo.py, effects 4 and 5), and the CLI prints them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cx import cli, journeys


@pytest.fixture(scope="module")
def demo_features(demo_source):
    return journeys.journey_outcomes(demo_source, "churned")


def test_peak_end_beats_the_mean_on_churn(demo_features):
    result = journeys.compare_predictors(demo_features, "churned", resamples=500)
    table = result.table.set_index("predictor")
    assert result.best == "peak_end" and result.clear
    assert table.loc["peak_end", "diff_ci_low"] > 0  # paired bootstrap: the lead over the mean is clear
    assert table.loc["peak_end", "value"] > table.loc["mean", "value"]
    assert "Peak-end tracks churned better than the average" in result.verdict


def test_recovered_journeys_churn_less_than_unrecovered(demo_features):
    by_class = journeys.outcome_by_class(demo_features, "churned").set_index("journey_class")
    assert by_class.loc["recovered", "ci_high"] < by_class.loc["unrecovered", "ci_low"]  # no overlap
    assert by_class.loc["clean", "n"] > 0 and by_class.loc["recovered", "n"] > 0


def test_every_demo_journey_has_an_end(demo_features):
    assert demo_features["end"].notna().all()  # the generator scores every last interaction
    assert set(demo_features["journey_class"]) == set(journeys.CLASSES)


def test_cli_journeys_json(demo_path, capsys):
    assert cli.main(["journeys", "--source", str(demo_path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"customers", "summary", "outcome"}
    assert out["customers"] == out["summary"]["customers"] > 0
    outcome = out["outcome"]
    assert (outcome["column"], outcome["kind"], outcome["measure"]) == ("churned", "binary", "auc")
    assert set(outcome["predictors"]) == {"mean", "worst", "end", "peak_end"}
    for block in outcome["predictors"].values():
        assert block["ci_low"] <= block["value"] <= block["ci_high"]
    assert outcome["predictors"]["peak_end"]["value"] > outcome["predictors"]["mean"]["value"]
    assert outcome["verdict"]


def test_cli_journeys_numeric_outcome_and_csv(demo_path, capsys):
    assert cli.main(["journeys", "--source", str(demo_path), "--outcome", "lifetime_value", "--format", "json"]) == 0
    outcome = json.loads(capsys.readouterr().out)["outcome"]
    assert (outcome["kind"], outcome["measure"]) == ("numeric", "pearson_r")
    assert cli.main(["journeys", "--source", str(demo_path), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("customer_id,journey,interactions")


def test_cli_incidents(demo_path, capsys):
    assert cli.main(["incidents", "--source", str(demo_path), "--limit", "7", "--format", "json",
                     "--sort", "recency"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 7
    assert rows == sorted(rows, key=lambda r: r["occurred_at"], reverse=True)
    assert all(r["severity"] >= 1 and r["reasons"] for r in rows)
    assert cli.main(["incidents", "--source", str(demo_path), "--limit", "3"]) == 0
    assert "customer_id" in capsys.readouterr().out


def test_cli_errors_are_one_line(capsys, tmp_path):
    assert cli.main(["journeys", "--source", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such" in err
    assert cli.main(["journeys", "--source", str(tmp_path / "missing.duckdb"), "--outcome", "x"]) == 2


def test_the_list_says_why_in_a_word_or_two_per_rule(demo_source):
    """Issue 14 (layout at 1024 px): the incident list's "Why" cut "NPS at or below 2; CSAT at the bottom…".
    The short form names each rule broken, in the sentence's order, and says the same as the sentence."""
    from cx.schema import IncidentRules

    rules = IncidentRules(nps_at_most=3, repeat_contact_days=5)
    frame = journeys.incidents(demo_source, rules=rules, limit=300)
    short = journeys.short_reasons(frame["reasons"], rules, demo_source.scales)
    long, tags = journeys.rule_labels(rules, demo_source.scales), journeys.rule_labels(rules, demo_source.scales, short=True)
    flags = [name for name in long if name in frame]
    for row, text in zip(frame.to_dict("records"), short):
        broken = [name for name in flags if row[name]]
        assert text == " · ".join(tags[name] for name in broken), row["reasons"]
        assert len(text) < len(row["reasons"]) or len(broken) == 1 and tags[broken[0]] == long[broken[0]]
    assert "NPS ≤ 3" in set(short.str.split(" · ").explode())  # the rule's own threshold
    assert len(set(short)) > 1
    assert short.str.len().max() <= 48  # all five: "NPS ≤ 3 · CSAT 1 · effort 1 · slow · back in 5 d"
    kept = journeys.short_reasons(pd.Series(["not a rule; NPS at or below 3", None]), rules).tolist()
    assert kept[0] == "not a rule · NPS ≤ 3" and pd.isna(kept[1])
    assert "NPS ≤ 3: NPS at or below 3" in journeys.rule_tags_help(rules, demo_source.scales)
