"""The statistics of the peak-end panel: measures against references, interval coverage by simulation,
and verdicts that are honest whichever way the data point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from cx import metrics
from cx.journeys.peak_end import compare_predictors, outcome_by_class, outcome_kind, summarize_journeys


def synthetic(n: int, seed: int, *, driver: str = "peak_end", strength: float = 0.06) -> pd.DataFrame:
    """Journeys whose binary outcome is driven by one of the four summaries (the others correlate)."""
    rng = np.random.default_rng(seed)
    moments = rng.normal(65, 18, size=(n, 8)).clip(0, 100)
    frame = pd.DataFrame({
        "customer_id": [f"C{k}" for k in range(n)],
        "mean": moments.mean(axis=1), "worst": moments.min(axis=1), "end": moments[:, -1],
    })
    frame["peak_end"] = (frame["worst"] + frame["end"]) / 2
    logit = -1.0 + strength * (60 - frame[driver])
    frame["churned"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return frame


def test_auc_and_r_match_sklearn_and_scipy():
    frame = synthetic(400, 1)
    result = compare_predictors(frame, "churned", resamples=200)
    table = result.table.set_index("predictor")
    for name in ("mean", "worst", "end", "peak_end"):
        # oriented: a lower index predicts churn, so the AUC is that of the negated score
        assert table.loc[name, "value"] == pytest.approx(roc_auc_score(frame["churned"], -frame[name]))
    frame["satisfaction"] = frame["mean"] * 0.05 + np.random.default_rng(2).normal(0, 1, len(frame))
    numeric = compare_predictors(frame, "satisfaction", resamples=200)
    assert numeric.measure == "pearson_r" and numeric.kind == "numeric"
    table = numeric.table.set_index("predictor")
    for name in ("mean", "worst", "end", "peak_end"):
        assert table.loc[name, "value"] == pytest.approx(stats.pearsonr(frame[name], frame["satisfaction"])[0])


def test_peak_end_driven_outcome_gives_a_clear_peak_end_verdict():
    result = compare_predictors(synthetic(3000, 3, driver="peak_end"), "churned", resamples=400)
    assert result.best == "peak_end" and result.clear
    assert result.verdict.startswith("Peak-end tracks churned better than the average")


def test_mean_driven_outcome_says_the_average_wins():
    result = compare_predictors(synthetic(3000, 4, driver="mean", strength=0.25), "churned", resamples=400)
    assert result.best == "mean" and result.clear
    assert "The average experience tracks churned best" in result.verdict
    assert "does not beat the plain average" in result.verdict


def test_noise_says_nothing_is_clear():
    frame = synthetic(300, 5)
    frame["churned"] = np.random.default_rng(6).random(len(frame)) < 0.3
    result = compare_predictors(frame, "churned", resamples=300)
    assert not result.clear
    assert "None of the measures relates clearly" in result.verdict or "No detectable difference" in result.verdict


def test_a_tiny_lead_is_no_verdict_even_when_it_is_statistically_clear():
    """Issue 14: "0.72 vs 0.72" was announced in a green box as "peak-end tracks churn better". A
    peak-end that is a slightly less noisy copy of the average leads by ~0.006 AUC with an interval
    far from zero on 20,000 journeys: that is no difference a CX lead should act on."""
    rng = np.random.default_rng(21)
    n = 20_000
    latent, noise, other = rng.normal(0, 1, n), rng.normal(0, 1, n), rng.normal(0, 1, n)
    frame = pd.DataFrame({"mean": 60 + 10 * (latent + noise), "worst": 60 + 10 * (latent + 2 * other),
                          "end": 60 + 10 * (latent + 2.2 * other), "peak_end": 60 + 10 * (latent + 0.95 * noise)})
    frame["churned"] = rng.random(n) < 1 / (1 + np.exp(1.5 * latent))
    result = compare_predictors(frame, "churned", resamples=300)
    lead = result.table.set_index("predictor").loc["peak_end"]
    assert result.best == "peak_end" and 0 < lead["diff_ci_low"] and lead["diff_vs_mean"] < 0.01  # a real, tiny lead
    assert not result.clear
    assert result.headline.startswith("No detectable difference")
    assert "AUC" not in result.headline and "CI" not in result.headline  # numbers go to the details
    assert "0.72" in result.details


def test_too_few_journeys_are_reported_not_compared():
    result = compare_predictors(synthetic(20, 7), "churned")
    assert result.best is None and not result.clear
    assert result.verdict.startswith("Not enough data to compare")
    assert result.to_dict()["predictors"]["mean"]["value"] is None


def test_bootstrap_is_seeded_and_paired():
    frame = synthetic(500, 8)
    a = compare_predictors(frame, "churned", resamples=300, seed=1)
    b = compare_predictors(frame, "churned", resamples=300, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    table = a.table.set_index("predictor")
    assert (table["ci_low"] <= table["value"]).all() and (table["value"] <= table["ci_high"]).all()
    # pairing: both measures come from the same resampled journeys, and they are correlated, so the
    # difference is estimated more tightly than two independent estimates would allow
    width = table["ci_high"] - table["ci_low"]
    diff_width = table.loc["peak_end", "diff_ci_high"] - table.loc["peak_end", "diff_ci_low"]
    assert diff_width < 0.85 * np.hypot(width["peak_end"], width["mean"])


@pytest.mark.parametrize("kind", ["binary", "numeric"])
def test_bootstrap_intervals_cover_the_truth(kind):
    """Coverage by simulation: the 95% interval holds the population value in roughly 95% of samples."""
    rng = np.random.default_rng(11)
    population = synthetic(200_000, 12)
    if kind == "numeric":
        population["churned"] = population["peak_end"] * 0.04 + rng.normal(0, 1, len(population))
        truth = stats.pearsonr(population["peak_end"], population["churned"])[0]
    else:
        truth = roc_auc_score(population["churned"], -population["peak_end"])
    hits, reps = 0, 60
    for k in range(reps):
        sample = population.sample(300, random_state=k)
        table = compare_predictors(sample, "churned", resamples=300, seed=k).table.set_index("predictor")
        hits += table.loc["peak_end", "ci_low"] <= truth <= table.loc["peak_end", "ci_high"]
    assert hits / reps >= 0.85  # 95% nominal; 0.85 is > 3 standard errors below with 60 repetitions


def test_outcome_by_class_uses_wilson_and_t_intervals():
    frame = pd.DataFrame({
        "journey_class": ["clean"] * 50 + ["recovered"] * 30 + ["unrecovered"] * 20,
        "churned": [True] * 5 + [False] * 45 + [True] * 6 + [False] * 24 + [True] * 12 + [False] * 8,
        "ltv": np.r_[np.full(50, 10.0), np.arange(30.0), np.linspace(0, 1, 20)],
    })
    rates = outcome_by_class(frame, "churned").set_index("journey_class")
    value, low, high = metrics.wilson_interval([50, 30, 20], [5, 6, 12])
    np.testing.assert_allclose(rates["value"], value)
    np.testing.assert_allclose(rates["ci_low"], low)
    np.testing.assert_allclose(rates["ci_high"], high)
    means = outcome_by_class(frame, "ltv").set_index("journey_class")
    assert means.loc["clean", "value"] == 10 and means.loc["clean", "ci_low"] == 10  # no spread
    half = stats.t.ppf(0.975, 29) * np.std(np.arange(30.0), ddof=1) / np.sqrt(30)
    assert means.loc["recovered", "ci_high"] == pytest.approx(14.5 + half)


def test_outcome_kind():
    assert outcome_kind(pd.Series([True, False, None], name="x")) == "binary"
    assert outcome_kind(pd.Series([0, 1, 1], name="x")) == "binary"
    assert outcome_kind(pd.Series([1.5, 2.0], name="x")) == "numeric"
    assert outcome_kind(pd.Series(["Yes", "no", None], name="x")) == "binary"  # a churn flag written as text
    assert outcome_kind(pd.Series(["7.5", "3"], name="x")) == "numeric"  # numbers stored as text
    rates = outcome_by_class(pd.DataFrame({"journey_class": ["clean"] * 4, "left": ["yes", "no", "No", None]}), "left")
    assert rates.set_index("journey_class").loc["clean", ["n", "positives"]].tolist() == [3, 1]
    with pytest.raises(ValueError, match="neither a yes/no flag nor a number"):
        outcome_kind(pd.Series(["a", "b", "c"], name="x"))
    with pytest.raises(ValueError, match="has no values"):
        outcome_kind(pd.Series([None, None], name="x"))


def test_summary_counts():
    frame = synthetic(10, 1).assign(interactions=3, scored=[0] + [3] * 9, incidents=[0, 1, 2] + [0] * 7,
                                    journey_class=["clean", "recovered", "unrecovered"] + ["clean"] * 7)
    summary = summarize_journeys(frame)
    assert (summary.journeys, summary.interactions, summary.incidents) == (10, 30, 3)
    assert (summary.clean, summary.recovered, summary.unrecovered, summary.scored_journeys) == (8, 1, 1, 9)
    assert set(summary.to_dict()) >= {"customers", "clean", "recovered", "unrecovered", "peak_end"}


def test_resampled_aucs_from_drawn_rows_equal_weighted_roc_auc():
    """The bootstrap counts positives and negatives per distinct score from the drawn rows (codes found once):
    exactly the AUCs of :func:`cx.outcomes.roc_auc` with the resamples' counts as weights (ties included)."""
    from cx.journeys.peak_end import _resampled_aucs
    from cx.outcomes import roc_auc

    rng = np.random.default_rng(4)
    n = 2_000
    X = np.column_stack([rng.integers(0, 30, n), rng.normal(size=n).round(1), rng.integers(0, 3, n)]).astype(float)
    y = (rng.random(n) < 0.3).astype(float)
    idx = rng.integers(0, n, size=(6, n))
    counts = np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)
    codes = [(np.unique(X[:, k], return_inverse=True)[1].ravel(), len(np.unique(X[:, k]))) for k in range(X.shape[1])]
    expected = np.column_stack([roc_auc(y, X[:, k], counts) for k in range(X.shape[1])])
    np.testing.assert_allclose(_resampled_aucs(codes, y, idx), expected, rtol=1e-13, atol=0)
