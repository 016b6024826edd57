"""Leaks, duplicates and collinear features kept out of the churn model (issue 12), on planted data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from cx.churn.collinear import drop_collinear, merge_duplicates, vif
from cx.churn.leakage import leak_screen, one_class_only
from cx.churn.report import fit_churn_table, risk_words
from cx.churn.table import CutoffRule, FeatureTable, comparison_sets
from cx.outcomes import outcome_is_good


def table_of(frame: pd.DataFrame, features, outcome: str = "churned", positive=None) -> FeatureTable:
    frame = frame.assign(customer_id=[f"C{k}" for k in range(len(frame))])
    return FeatureTable(frame=frame, outcome=outcome, features=tuple(features), attributes=(),
                        groups=comparison_sets(features), labels={f: f for f in features}, rule=CutoffRule("none"),
                        rule_text="No cut-off.", as_of=None, positive=positive)


def _honest(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A real driver (worst moment) and an unrelated touchpoint, churn from the worst moment only."""
    rng = np.random.default_rng(seed)
    worst = rng.normal(50, 15, n)
    y = (rng.random(n) < 1 / (1 + np.exp(0.06 * (worst - 40)))).astype(int)
    return pd.DataFrame({"worst_index": worst, "tp: billing": rng.normal(60, 10, n), "outcome": y})


def test_a_reason_column_filled_only_for_churners_is_a_leak_and_never_a_driver():
    frame = _honest()
    y = frame["outcome"].to_numpy()
    rng = np.random.default_rng(1)
    # a churn reason read as a touchpoint: filled for a third of the churners, nobody else
    frame["tp: attitude of support"] = np.where((y == 1) & (rng.random(len(y)) < 0.3), rng.normal(50, 20, len(y)), np.nan)
    assert one_class_only(frame["tp: attitude of support"].notna().to_numpy(), y) == 1
    report = fit_churn_table(table_of(frame, ["worst_index", "tp: billing", "tp: attitude of support"]), resamples=30)
    assert "tp: attitude of support" not in set(report.odds_ratios["column"])
    assert "filled only for customers with churned = yes" in report.card.excluded["tp: attitude of support"]
    assert report.to_dict()["leaks"] == report.card.excluded
    # the user may keep it, and the warning stays visible
    kept = fit_churn_table(table_of(frame, ["worst_index", "tp: billing", "tp: attitude of support"]), resamples=30,
                           include_restating=["tp: attitude of support"])
    assert "tp: attitude of support" in set(kept.odds_ratios["column"])
    assert any(w.startswith("LEAK kept in the model because you asked: tp: attitude of support") for w in kept.warnings)


def test_a_leak_spread_over_sibling_touchpoints_is_caught_as_a_group():
    rng = np.random.default_rng(2)
    n = 1200
    parts = rng.normal(0, 1, (n, 3))
    y = (parts.sum(axis=1) > 0).astype(int)  # each alone: AUC ≈ 0.8; together: the outcome itself
    frame = pd.DataFrame({"worst_index": rng.normal(50, 15, n), "tp: a": parts[:, 0], "tp: b": parts[:, 1],
                          "tp: c": parts[:, 2], "outcome": y})
    singles = leak_screen(frame, ["worst_index", "tp: a", "tp: b", "tp: c"], good_outcome=False)
    assert singles == {}  # no single column gives it away …
    grouped = leak_screen(frame, ["worst_index", "tp: a", "tp: b", "tp: c"], good_outcome=False,
                          groups={"the touchpoint indexes": ["tp: a", "tp: b", "tp: c"]})
    assert set(grouped) == {"tp: a", "tp: b", "tp: c"}  # … together they do
    assert "together with its siblings" in grouped["tp: a"]


def test_a_score_of_the_outcome_read_as_a_rating_is_a_leak_by_its_direction():
    frame = _honest()
    y = frame["outcome"].to_numpy()
    rng = np.random.default_rng(3)
    frame["mean_csat"] = np.where(y == 1, rng.uniform(65, 100, len(y)), rng.uniform(5, 80, len(y)))  # a churn score
    flagged = leak_screen(frame, ["worst_index", "mean_csat"], good_outcome=False)
    assert list(flagged) == ["mean_csat"] and "wrong way round" in flagged["mean_csat"]
    # the same column as the score of a good outcome (satisfied) goes the right way: not flagged by direction
    assert "mean_csat" not in leak_screen(frame, ["mean_csat"], good_outcome=True, threshold=0.999)


def test_a_model_too_good_to_be_true_says_so_and_names_the_columns():
    frame = _honest()
    y = frame["outcome"].to_numpy()
    frame["tp: exit survey"] = np.where(y == 1, 5.0, 80.0) + np.random.default_rng(4).normal(0, 1, len(y))
    report = fit_churn_table(table_of(frame, ["worst_index", "tp: billing", "tp: exit survey"]), resamples=30,
                             include_restating=["tp: exit survey"])
    assert report.cv["roc_auc"].value >= 0.99
    [loud] = [w for w in report.warnings if w.startswith("LEAK LIKELY")]
    assert "tp: exit survey" in loud
    assert report.to_dict()["leak_likely"] is True


def test_duplicates_are_merged_and_named_once():
    rng = np.random.default_rng(5)
    n = 800
    score = rng.normal(60, 20, n)
    frame = pd.DataFrame({"mean_csat": score / 20, "mean_index": score, "worst_index": score, "end_index": score + 1e-9,
                          "incidents": rng.poisson(1, n).astype(float), "contacts": np.ones(n)})
    kept, merged = merge_duplicates(frame, ["mean_csat", "mean_index", "worst_index", "end_index", "incidents"])
    assert kept == ["mean_csat", "incidents"]
    assert merged == {"mean_csat": ["mean_index", "worst_index", "end_index"]}
    y = (rng.random(n) < 1 / (1 + np.exp(0.05 * (score - 50)))).astype(int)
    report = fit_churn_table(table_of(frame.assign(outcome=y), ["mean_csat", "mean_index", "worst_index", "end_index",
                                                                  "incidents"]), resamples=30)
    per_sd = report.odds_ratios[report.odds_ratios["kind"] == "per SD"]
    assert per_sd["feature"].str.startswith("mean_csat = mean_index = worst_index = end_index").sum() == 1
    assert per_sd["feature"].iloc[0].endswith("(one rating per customer)")
    # peak-end is then the same set as the mean scores: declined with the reason, not compared
    assert "Peak-end" not in set(report.feature_sets["name"])
    assert any("'Peak-end' is not compared" in note and "one rating per customer" in note for note in report.card.notes)


def test_vif_matches_an_independent_regression_and_collinear_summaries_go_first():
    rng = np.random.default_rng(6)
    n = 600
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["tp: a", "tp: b", "tp: c"])
    X["tp: c"] += 0.5 * X["tp: a"]
    for col in X:
        others = X.drop(columns=col)
        r2 = LinearRegression().fit(others, X[col]).score(others, X[col])
        assert vif(X, list(X.columns))[col] == pytest.approx(1 / (1 - r2), rel=1e-9)
    X["mean_index"] = X[["tp: a", "tp: b", "tp: c"]].mean(axis=1)  # an exact combination
    kept, dropped = drop_collinear(X, ["mean_index", "tp: a", "tp: b", "tp: c"])
    assert kept == ["tp: a", "tp: b", "tp: c"] and list(dropped) == ["mean_index"] and np.isinf(dropped["mean_index"])


def test_collinear_summary_no_longer_flips_a_touchpoint_sign():
    """Touchpoints each going with the outcome, and their mean beside them: no touchpoint's odds ratio flips."""
    rng = np.random.default_rng(7)
    n = 2000
    tps = rng.normal(60, 15, (n, 4)) + rng.normal(0, 10, (n, 1))  # correlated ratings
    logit = -0.04 * (tps.mean(axis=1) - 60)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(tps, columns=[f"tp: t{k}" for k in range(4)]).assign(mean_index=tps.mean(axis=1), outcome=y)
    features = ["mean_index", *[f"tp: t{k}" for k in range(4)]]
    report = fit_churn_table(table_of(frame, features), resamples=50)
    per_sd = report.odds_ratios[report.odds_ratios["kind"] == "per SD"].set_index("column")
    assert "mean_index" not in per_sd.index
    assert (per_sd["value"] < 1).all()  # every rating goes with less churn, as each does alone
    assert (per_sd["ci_low"] <= per_sd["value"]).all() and (per_sd["value"] <= per_sd["ci_high"]).all()


def test_at_risk_list_follows_the_outcome_direction():
    assert not outcome_is_good("churned") and outcome_is_good("satisfied")
    assert outcome_is_good("Satisfaction", "Satisfied") and not outcome_is_good("Satisfaction", "Neutral or Dissatisfied")
    assert risk_words("churned") == "most likely to churn"
    assert risk_words("satisfaction", "Satisfied") == "least likely to be Satisfied"
    frame = _honest()
    frame["outcome"] = 1 - frame["outcome"]  # now "satisfied": a good worst moment makes it likely
    report = fit_churn_table(table_of(frame, ["worst_index", "tp: billing"], outcome="satisfied"), resamples=30)
    assert report.card.good_outcome and report.card.risk_words == "least likely to be satisfied"
    risk = report.at_risk
    assert risk["probability"].is_monotonic_increasing  # least likely to be satisfied first
    satisfied = set(frame.assign(customer_id=[f"C{k}" for k in range(len(frame))]).query("outcome == 1").customer_id)
    assert set(risk["customer_id"]) <= satisfied  # those who could still lose it


@pytest.mark.parametrize("seed", range(8))
def test_every_odds_ratio_lies_inside_its_interval_with_duplicates_collinearity_and_a_leak(seed):
    """The messy shapes of real exports at once, over many seeds: estimate inside its own bootstrap interval."""
    rng = np.random.default_rng(100 + seed)
    n = 900
    tps = rng.normal(60, 15, (n, 5)) + rng.normal(0, 12, (n, 1))
    worst = tps.min(axis=1)
    logit = -0.5 - 0.05 * (worst - 40) + rng.normal(0, 0.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(tps, columns=[f"tp: t{k}" for k in range(5)]).assign(
        mean_index=tps.mean(axis=1), mean_csat=tps.mean(axis=1) / 20, worst_index=worst, end_index=tps[:, 4],
        incidents=rng.poisson(1 + (worst < 35), n).astype(float),
        reason=np.where((y == 1) & (rng.random(n) < 0.4), 50.0, np.nan), outcome=y)
    features = ["mean_csat", "mean_index", "worst_index", "end_index", "incidents", "reason",
                *[f"tp: t{k}" for k in range(5)]]
    report = fit_churn_table(table_of(frame, features), resamples=60, random_state=seed)
    odds = report.odds_ratios
    assert ((odds["ci_low"] <= odds["value"]) & (odds["value"] <= odds["ci_high"])).all()
    assert "reason" not in set(odds["column"]) and "reason" in report.card.excluded
    assert not {"end_index", "tp: t4"} <= set(odds["column"])  # the same column, named once
    assert {"mean_csat", "mean_index"}.isdisjoint(odds["column"])  # merged, then left out as the mean of the others


def test_a_direction_that_reverses_when_adjusted_is_said_in_words():
    rng = np.random.default_rng(8)
    n = 3000
    a = rng.normal(0, 1, n)
    b = 0.8 * a + 0.6 * rng.normal(0, 1, n)  # r(a, b) = 0.8: b goes with the outcome alone, against it adjusted
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * a - 0.8 * b)))).astype(int)
    frame = pd.DataFrame({"tp: a": 60 + 10 * a, "tp: b": 60 + 10 * b, "outcome": y})
    assert np.corrcoef(frame["tp: b"], y)[0, 1] > 0.1
    report = fit_churn_table(table_of(frame, ["tp: a", "tp: b"]), resamples=40)
    [note] = [n for n in report.card.notes if n.startswith("Directions that reverse")]
    assert ("tp: b: on its own, a higher value goes with a higher chance of churning; among customers alike in every "
            "other input, with a lower one.") in note
    assert "tp: a:" not in note and "r =" not in note and "odds ratio" not in note  # words on the face
    [detail] = [d for d in report.card.details if d.startswith("Directions that reverse")]  # numbers behind them
    r = np.corrcoef(frame["tp: b"], y)[0, 1]
    odds = report.odds_ratios.set_index("column").loc["tp: b"]
    assert f"tp: b: correlation with the outcome r = {r:+.2f}; adjusted odds ratio per SD {odds.value:.2f}" in detail
    assert odds.ci_high < 1 and "tp: a:" not in detail


@pytest.mark.parametrize(("outcome", "positive"), [("satisfied", None), ("plan", "Pro"), ("verdict", "Neutral or dissatisfied")])
def test_the_model_screens_leaks_of_whatever_outcome_is_chosen(outcome, positive):
    """Not only churn: a column filled for one class of the chosen outcome, or restating it, stays out."""
    frame = _honest(seed=3)
    y = frame["outcome"].to_numpy()
    rng = np.random.default_rng(4)
    # filled for a third of one class only (so its gaps alone do not separate the classes)
    frame["tp: upgrade desk"] = np.where((y == 1) & (rng.random(len(y)) < 0.3), rng.normal(50, 20, len(y)), np.nan)
    frame["tp: copy"] = y + rng.normal(0, 0.01, len(y))  # the outcome restated
    features = ["worst_index", "tp: billing", "tp: upgrade desk", "tp: copy"]
    report = fit_churn_table(table_of(frame, features, outcome=outcome, positive=positive), resamples=20)
    assert set(report.card.excluded) == {"tp: upgrade desk", "tp: copy"}
    assert f"filled only for customers with {outcome} = yes" in report.card.excluded["tp: upgrade desk"]
    assert f"predicts {outcome} almost perfectly" in report.card.excluded["tp: copy"]
    assert not {"tp: upgrade desk", "tp: copy"} & set(report.odds_ratios["column"])
