"""The churn model on hand-built frames: known coefficients, exact scores, guard rails, restating columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from cx.churn.bootstrap import bootstrap_refits, odds_ratio_table
from cx.churn.leakage import restating_columns
from cx.churn.model import ChurnModel, model_frame
from cx.churn.report import ChurnModelError, fit_churn_table
from cx.churn.scores import (
    calibration_line,
    calibration_table,
    delong_interval,
    score_intervals,
    weighted_scores,
)
from cx.churn.table import CutoffRule, FeatureTable
from cx.churn.whatif import what_if
from cx.outcomes import OutcomeError, parse_outcome


def synthetic(n: int = 20_000, seed: int = 1):
    """A known logistic model: log-odds = -1.5 - 0.04·worst - 0.03·end + 0·mean + 0.6·[unrecovered]."""
    rng = np.random.default_rng(seed)
    worst = rng.normal(40, 15, n)
    end = rng.normal(60, 20, n)
    mean = rng.normal(65, 10, n)
    recovery = rng.choice(["clean", "recovered", "unrecovered"], n, p=[0.6, 0.2, 0.2])
    logit = 1.4 - 0.04 * worst - 0.03 * end + 0.0 * mean + 0.6 * (recovery == "unrecovered")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"worst_index": worst, "end_index": end, "mean_index": mean, "recovery": recovery})
    truth = {"worst_index": -0.04 * worst.std(), "end_index": -0.03 * end.std(), "mean_index": 0.0}
    return X, y, truth


def table_of(frame: pd.DataFrame, features, outcome: str = "churned") -> FeatureTable:
    return FeatureTable(frame=frame, outcome=outcome, features=tuple(features), attributes=(),
                        groups={"Mean scores only": ("mean_index",), "All": tuple(features)},
                        labels={f: f for f in features}, rule=CutoffRule("none"), rule_text="No cut-off.",
                        as_of=None)


def test_known_logistic_model_is_recovered():
    X, y, truth = synthetic()
    model = ChurnModel().fit(X, y)
    cols = model.columns_
    for feature, beta in truth.items():
        k = int(np.flatnonzero((cols["column"] == feature) & (cols["kind"] == "per SD"))[0])
        assert model.coef_[k] == pytest.approx(beta, abs=0.06), feature
    k = int(np.flatnonzero((cols["column"] == "recovery") & (cols["level"] == "unrecovered"))[0])
    assert model.coef_[k] == pytest.approx(0.6, abs=0.12)
    # the bootstrap standard errors are those of the estimates (truth within 3.5 SE), and the
    # intervals exclude 1 only for the real drivers
    model = ChurnModel(resamples=100, random_state=3).fit(X, y)
    draws = model.bootstrap_coef_
    assert model.converged_ and model.bootstrap_converged_.all()
    for feature, beta in truth.items():
        k = int(np.flatnonzero((cols["column"] == feature) & (cols["kind"] == "per SD"))[0])
        se = draws[:, k].std()
        assert 0.01 < se < 0.05, feature
        assert abs(model.coef_[k] - beta) < 3.5 * se, feature
    odds = odds_ratio_table(model).set_index("column")
    assert odds.loc["worst_index"].ci_high < 1 and odds.loc["end_index"].ci_high < 1
    mean = odds[odds["kind"] == "per SD"].loc["mean_index"]
    assert mean.ci_low < 1 < mean.ci_high


def test_bootstrap_refit_is_a_fixed_point_of_the_full_fit():
    X, y, _ = synthetic(3000)
    model = ChurnModel().fit(X, y)
    # with unit weights every "resample" is the data itself: the refit must land on the full fit
    beta = np.r_[model.coef_, model.intercept_]
    draws, converged = bootstrap_refits(model.design(X), y, beta, model.C, resamples=2,
                                        weights=np.ones((len(y), 2)))
    assert converged.all()
    assert np.allclose(draws, beta, atol=1e-9)


def test_row_order_does_not_change_the_model():
    X, y, _ = synthetic(4000)
    order = np.random.default_rng(0).permutation(len(y))
    a = ChurnModel().fit(X, y)
    b = ChurnModel().fit(X.iloc[order].reset_index(drop=True), y[order])
    assert np.allclose(a.coef_, b.coef_, atol=1e-6)


def test_weighted_scores_match_sklearn_with_ties():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 3000)
    p = np.round(rng.random(3000), 2)  # many ties
    w = rng.poisson(1.0, 3000).astype(float)
    got = weighted_scores(y, p, np.vstack([np.ones(3000), w]))
    assert got["roc_auc"][0] == pytest.approx(roc_auc_score(y, p))
    assert got["pr_auc"][0] == pytest.approx(average_precision_score(y, p))
    assert got["brier"][0] == pytest.approx(brier_score_loss(y, p))
    assert got["roc_auc"][1] == pytest.approx(roc_auc_score(y, p, sample_weight=w))
    assert got["pr_auc"][1] == pytest.approx(average_precision_score(y, p, sample_weight=w))


def test_intervals_contain_the_estimate_and_shrink_with_n():
    rng = np.random.default_rng(5)
    widths = []
    for n in (500, 8000):
        x = rng.normal(size=n)
        y = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
        p = 1 / (1 + np.exp(-x))
        iv = score_intervals(y, p, resamples=200)
        for metric in ("roc_auc", "pr_auc", "brier"):
            assert iv[metric].ci_low <= iv[metric].value <= iv[metric].ci_high
        assert iv["roc_auc"].value == pytest.approx(roc_auc_score(y, p))
        widths.append(iv["roc_auc"].ci_high - iv["roc_auc"].ci_low)
    assert widths[1] < widths[0] / 2
    assert delong_interval(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8])).value == 1.0


def test_calibration_of_calibrated_probabilities():
    rng = np.random.default_rng(7)
    p = rng.uniform(0.02, 0.9, 40_000)
    y = (rng.random(p.size) < p).astype(int)
    intercept, slope = calibration_line(y, p)
    assert abs(intercept) < 0.1 and slope == pytest.approx(1.0, abs=0.06)
    table = calibration_table(y, p)
    assert table["n"].sum() == p.size and len(table) == 10
    assert (table["ci_low"] <= table["observed"]).all() and (table["observed"] <= table["ci_high"]).all()
    assert np.allclose(table["predicted"], table["observed"], atol=0.03)


def test_parse_outcome_reads_yes_no_columns():
    assert parse_outcome(pd.Series([True, False, None])).tolist()[:2] == [1, 0]
    assert parse_outcome(pd.Series([0, 1, 1])).tolist() == [0, 1, 1]
    assert parse_outcome(pd.Series(["Yes", "no", " Churned "])).tolist() == [1, 0, 1]
    with pytest.raises(OutcomeError, match="not a yes/no"):
        parse_outcome(pd.Series(["gold", "silver"]), "plan")
    with pytest.raises(OutcomeError, match="not a yes/no"):
        parse_outcome(pd.Series([1, 2, 3]), "score")


def test_restating_columns_by_name_and_by_prediction():
    rng = np.random.default_rng(0)
    n = 1000
    y = (rng.random(n) < 0.2).astype(int)
    frame = pd.DataFrame({
        "outcome": y,
        "account_status": np.where(y == 1, "closed", "open"),
        "plan": rng.choice(["basic", "pro"], n),
        "exit_score": np.where(y == 1, rng.normal(3, 1, n), np.nan),  # only recorded for leavers
        "risk_flag_from_crm": y + rng.normal(0, 0.05, n),  # computed from the outcome
        "worst_index": rng.normal(50, 10, n) - 5 * y,  # a real, imperfect driver
    })
    flagged = restating_columns(frame, ["account_status", "plan", "exit_score", "risk_flag_from_crm", "worst_index"])
    assert set(flagged) == {"account_status", "exit_score", "risk_flag_from_crm"}
    assert "name" in flagged["account_status"] and "AUC" in flagged["risk_flag_from_crm"]


def _frame(n=600, positives=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[:positives] = 1
    return pd.DataFrame({
        "customer_id": [f"C{k:04d}" for k in range(n)], "outcome": y,
        "mean_index": rng.normal(60, 10, n), "worst_index": rng.normal(40, 10, n) - 8 * y,
        "segment": rng.choice(["a", "b"], n), "lifetime_value": rng.uniform(100, 1000, n),
    })


def test_guard_rail_one_class():
    frame = _frame()
    frame["outcome"] = 0
    with pytest.raises(ChurnModelError, match="one class"):
        fit_churn_table(table_of(frame, ["mean_index", "worst_index"]))


def test_guard_rail_too_few_positives_is_configurable():
    frame = _frame(n=400, positives=20)
    with pytest.raises(ChurnModelError, match="Only 20 customers have churned = yes; at least 50"):
        fit_churn_table(table_of(frame, ["mean_index", "worst_index"]))
    report = fit_churn_table(table_of(frame, ["mean_index", "worst_index"]), min_positives=10, resamples=50)
    assert report.positives == 20


def test_guard_rail_tiny_input():
    frame = _frame(n=8, positives=3)
    with pytest.raises(ChurnModelError, match="at least"):
        fit_churn_table(table_of(frame, ["mean_index", "worst_index"]))


def test_guard_rail_all_missing_or_constant_features():
    frame = _frame()
    frame["mean_index"] = np.nan
    frame["worst_index"] = 50.0
    # such columns never reach the feature list (see churn_features); an empty list is the message
    with pytest.raises(ChurnModelError, match="No usable feature"):
        fit_churn_table(table_of(frame, []))


def test_warning_when_auc_interval_includes_chance():
    rng = np.random.default_rng(11)
    frame = _frame(n=800, positives=150)
    frame["worst_index"] = rng.normal(40, 10, len(frame))  # no signal at all
    frame["mean_index"] = rng.normal(60, 10, len(frame))
    report = fit_churn_table(table_of(frame, ["mean_index", "worst_index"]), resamples=50)
    assert report.cv["roc_auc"].includes(0.5)
    assert any("includes 0.5" in w for w in report.warnings)


def test_report_with_a_real_driver_and_what_if():
    frame = _frame(n=2000, positives=400)
    report = fit_churn_table(table_of(frame, ["mean_index", "worst_index"]), resamples=60)
    assert not report.warnings or all("0.5" not in w for w in report.warnings)
    assert report.cv["roc_auc"].ci_low > 0.55
    assert set(report.at_risk["customer_id"]) <= set(frame.loc[frame.outcome == 0, "customer_id"])
    assert report.at_risk["value_at_risk"].is_monotonic_decreasing
    better = what_if(report, "worst_index", 10, mode="absolute", segment="a")
    assert better.customers == int(((frame.outcome == 0) & (frame.segment == "a")).sum())
    assert better.churners_change.ci_high < 0 and better.ltv_at_risk_change.value < 0
    doc = report.to_dict()
    assert set(doc) >= {"n", "positives", "cv", "odds_ratios", "feature_sets", "at_risk"}
    assert set(doc["cv"]["roc_auc"]) == {"value", "ci_low", "ci_high"}
    assert set(doc["feature_sets"][0]) == {"name", "roc_auc", "ci_low", "ci_high"}


def test_model_frame_pools_rare_levels_and_marks_gaps():
    frame = pd.DataFrame({"plan": ["a"] * 5 + [None] + [f"x{k}" for k in range(30)], "score": range(36)})
    out = model_frame(frame, ["plan", "score"])
    assert "(missing)" in set(out["plan"]) and "(other)" in set(out["plan"])
    assert out["score"].dtype == float


def test_what_if_speaks_a_good_outcome_in_its_own_words_and_direction():
    """'stayed' is churn turned round: the same customers move, the chance goes up (better), and the value at
    risk is the same money as with churn (issue 12: the what-if read in churn words for a good outcome)."""
    from dataclasses import replace

    frame = _frame(n=2000, positives=400)
    churn = fit_churn_table(table_of(frame, ["mean_index", "worst_index"]), resamples=60)
    stayed = fit_churn_table(replace(table_of(frame.assign(outcome=1 - frame["outcome"]), ["mean_index", "worst_index"],
                                              outcome="stayed"), positive="stayed"), resamples=60)
    assert stayed.card.good_outcome and stayed.card.chance_of == "being stayed"
    worse = what_if(churn, "worst_index", 10, mode="absolute", segment="a")
    better = what_if(stayed, "worst_index", 10, mode="absolute", segment="a")
    assert better.customers == worse.customers
    assert better.churn_before == pytest.approx(1 - worse.churn_before, abs=1e-6)
    assert better.churners_change.value == pytest.approx(-worse.churners_change.value, rel=1e-4)
    assert better.churners_change.ci_low > 0 and better.churn_after > better.churn_before
    # value at risk: Σ (1 − P(stayed)) × value, the money a churn model puts at risk
    assert better.ltv_at_risk_before == pytest.approx(worse.ltv_at_risk_before, rel=1e-4)
    assert better.ltv_at_risk_change.value == pytest.approx(worse.ltv_at_risk_change.value, rel=1e-4)
    assert better.ltv_at_risk_change.value < 0
    assert better.better is True and worse.better is True
    assert "chance of being stayed" in better.headline() and "better" in better.headline()
    assert "chance of churning" in worse.headline() and "points, better" in worse.headline()
    assert better.to_dict()["chance_of"] == "being stayed" and better.to_dict()["good_outcome"] is True
