"""The churn model with very many customers: a stratified, documented fit sample; scores for everyone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cx.churn import sampling
from cx.churn.model import ChurnModel, model_frame
from cx.churn.report import _to_rank, fit_churn_table
from cx.churn.scores import predict_in_batches
from cx.churn.table import CutoffRule, FeatureTable
from cx.churn.whatif import what_if


def _table(n: int, positives: int, seed: int = 0) -> FeatureTable:
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, positives, replace=False)] = 1
    frame = pd.DataFrame({
        "customer_id": [f"C{k:05d}" for k in range(n)], "outcome": y,
        "mean_index": rng.normal(60, 10, n), "worst_index": rng.normal(40, 10, n) - 8 * y,
        "recovery": rng.choice(["clean", "recovered", "unrecovered"], n, p=[0.6, 0.2, 0.2]),
        "segment": rng.choice(["a", "b"], n), "lifetime_value": rng.uniform(100, 1000, n),
    })
    features = ("mean_index", "worst_index", "recovery")
    return FeatureTable(frame=frame, outcome="churned", features=features, attributes=(),
                        groups={"Mean scores only": ("mean_index",), "All": features},
                        labels={f: f for f in features}, rule=CutoffRule("none"), rule_text="No cut-off.", as_of=None)


@pytest.mark.parametrize(("n", "positives", "size"), [(10_000, 1_737, 3_000), (9_999, 13, 1_000), (501, 250, 500)])
def test_sample_keeps_each_class_share(n, positives, size):
    y = np.zeros(n, dtype=int)
    y[np.random.default_rng(1).choice(n, positives, replace=False)] = 1
    rows = sampling.stratified_rows(y, size, random_state=3)
    assert len(rows) == size and len(np.unique(rows)) == size
    assert np.all(np.diff(rows) > 0)  # sorted positions
    taken = int(y[rows].sum())
    assert abs(taken - positives * size / n) < 1  # each class its share, rounded
    assert np.array_equal(rows, sampling.stratified_rows(y, size, random_state=3))  # the seed decides


def test_no_sample_up_to_the_threshold():
    table = _table(1_000, 200)
    same, sample = sampling.fit_sample(table, above=1_000, size=300)
    assert sample is None and same is table
    fitted, sample = sampling.fit_sample(table, above=999, size=300)
    assert sample.size == 300 and len(fitted.frame) == 300 and sample.total == 1_000
    assert fitted.frame["outcome"].sum() == sample.sample_positives == 60


def test_a_large_source_is_fitted_on_a_stated_stratified_sample_and_everyone_is_scored(monkeypatch):
    monkeypatch.setattr(sampling, "SAMPLE_ABOVE", 4_000)
    monkeypatch.setattr(sampling, "SAMPLE_SIZE", 2_000)
    table = _table(6_000, 1_200)
    report = fit_churn_table(table, resamples=40, at_risk=6_000)
    card = report.card
    # the model learned from the sample, each outcome in its share, and says so
    assert card.n == 2_000 and card.positives == 400
    assert card.sample is not None and card.sample.total == 6_000 and card.sample.positives == 1_200
    assert "stratified sample of 2,000 of the 6,000 customers" in card.notes[0]
    assert "400 with churned = yes, as 1,200 of all" in card.notes[0]
    assert report.to_dict()["sample"] == {"size": 2_000, "of": 6_000, "positives": 400, "positives_of": 1_200,
                                          "stratified_by": "outcome"}
    # ... while the scores cover every customer without the outcome, in the sample or not
    everyone = set(table.frame.loc[table.frame["outcome"] == 0, "customer_id"])
    assert len(report.population) == len(everyone)
    assert report.population["probability"].notna().all()
    assert set(report.at_risk["customer_id"]) == everyone
    sampled = set(table.frame["customer_id"].iloc[card.sample.rows])
    outside = report.population[~report.population["customer_id"].isin(sampled)]
    assert len(outside) == len(everyone) - (2_000 - 400)
    # outside the sample: the probability of the model fitted on the sample, recalibrated
    raw = report.model.predict_proba(outside[report.model.feature_names_in_])[:, 1]
    from cx.churn.scores import recalibrate
    np.testing.assert_allclose(outside["probability"], recalibrate(raw, report.calibration_fit), rtol=1e-12)
    # the what-if works on everyone at risk
    assert what_if(report, "worst_index", 10, mode="absolute").customers == len(everyone)


def test_below_the_threshold_nothing_is_sampled():
    report = fit_churn_table(_table(3_000, 600), resamples=40)
    assert report.card.sample is None and report.card.n == 3_000
    assert not any("sample" in note for note in report.card.notes)
    assert "sample" not in report.to_dict()  # the documented JSON shape, unchanged


def test_scoring_in_batches_gives_the_same_probabilities():
    table = _table(2_500, 500)
    X = model_frame(table.frame, table.features)
    model = ChurnModel().fit(X, table.frame["outcome"])
    np.testing.assert_array_equal(predict_in_batches(model, X, batch=300), model.predict_proba(X)[:, 1])
    rows = np.random.default_rng(2).choice(len(X), 700, replace=False)  # some rows, in any order
    np.testing.assert_allclose(predict_in_batches(model, X, batch=300, rows=rows),
                               model.predict_proba(X.iloc[rows])[:, 1], rtol=1e-12, atol=0)


def test_what_if_in_row_batches_gives_the_same_numbers(monkeypatch):
    from cx.churn import whatif

    report = fit_churn_table(_table(3_000, 600), resamples=40)
    whole = what_if(report, "worst_index", 10, mode="absolute")
    monkeypatch.setattr(whatif, "BATCH", 7)
    batched = what_if(report, "worst_index", 10, mode="absolute")
    assert batched.customers == whole.customers == 2_400
    for a, b in ((batched.churners_change, whole.churners_change), (batched.ltv_at_risk_change, whole.ltv_at_risk_change)):
        np.testing.assert_allclose([a.value, a.ci_low, a.ci_high], [b.value, b.ci_low, b.ci_high], rtol=1e-9)
    np.testing.assert_allclose([batched.churn_before, batched.churn_after, batched.ltv_at_risk_before],
                               [whole.churn_before, whole.churn_after, whole.ltv_at_risk_before], rtol=1e-12)


def _dense_what_if(report, X, moved, weight, ltv):
    """The what-if as first written: every customer × refit, before and after, recalibrated probabilities."""
    from scipy.special import expit

    from cx.churn.scores import recalibrate

    model = report.model
    betas = np.vstack([np.r_[model.coef_, model.intercept_], report.draws])
    p0 = recalibrate(expit(model.design(X) @ betas[:, :-1].T + betas[:, -1]), report.calibration_fit)
    p1 = recalibrate(expit(model.design(moved) @ betas[:, :-1].T + betas[:, -1]), report.calibration_fit)
    after = p0 + weight[:, None] * (p1 - p0)
    return (after - p0).sum(axis=0), ((after - p0) * ltv[:, None]).sum(axis=0), p0[:, 0].sum(), after[:, 0].sum()


@pytest.mark.parametrize(("driver", "change", "mode"), [("worst_index", 10, "absolute"), ("mean_index", -0.2, "relative"),
                                                        ("recovery", 0.5, "share")])
def test_what_if_on_the_moved_customers_only_equals_every_customer_and_refit(driver, change, mode):
    """Only customers whose inputs move get refit × customer matrices; the numbers are the dense ones.

    Tolerance 1e-9 relative: the log-odds are clipped instead of a probability's logit taken (rounding only).
    """
    from cx.churn import whatif

    table = _table(3_000, 600)
    table.frame.loc[::7, "worst_index"] = np.nan  # a gap does not move: those customers add exactly 0
    report = fit_churn_table(table, resamples=40)
    pop = report.population
    X = pop[report.model.numeric_ + report.model.categorical_]
    if driver == "recovery":
        moved, weight, _ = whatif._recovered(X, change, report.good_end_index, "all")
    else:
        moved, weight, _ = whatif._shifted(X, pop[driver], driver, change, mode, driver, "all")
    moves = int(whatif._moves(X, moved, weight).sum())
    assert 0 < moves and (moves < len(X) or driver == "mean_index")  # gaps and the clean stay as they are
    ltv = pop["lifetime_value"].to_numpy(float)
    delta, delta_ltv, before, after = _dense_what_if(report, X, moved, weight, ltv)
    result = what_if(report, driver, change, mode=mode)
    low, high = np.percentile(delta[1:], [2.5, 97.5])
    np.testing.assert_allclose([result.churners_change.value, result.churners_change.ci_low, result.churners_change.ci_high],
                               [delta[0], low, high], rtol=1e-9, atol=1e-9)
    low, high = np.percentile(delta_ltv[1:], [2.5, 97.5])
    np.testing.assert_allclose([result.ltv_at_risk_change.value, result.ltv_at_risk_change.ci_low,
                                result.ltv_at_risk_change.ci_high], [delta_ltv[0], low, high], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose([result.churn_before, result.churn_after], [before / len(X), after / len(X)], rtol=1e-9)


@pytest.mark.parametrize("values", [
    pd.Series([1, None, 3], dtype="Int64"), pd.Series([1.5, np.nan, -2.0]), pd.Series([1, 2, 7], dtype="int8"),
    pd.Series([1.25, None], dtype="Float64"), pd.Series([True, False]), pd.Series([True, None, False]),
    pd.Series(["1.5", "x", None]), pd.Series([np.int64(2**40), 3]),
])
def test_to_float_fast_path_gives_the_general_paths_numbers(values):
    """Numeric columns skip the trip through objects (8 s → 0.2 s for a million customers' features): same floats."""
    from cx.churn.table import to_float

    general = pd.to_numeric(values.astype(object).where(values.notna(), np.nan), errors="coerce").astype(float)
    fast = to_float(values)
    assert fast.dtype == np.float64 and fast.index.equals(values.index)
    np.testing.assert_array_equal(fast.to_numpy(), general.to_numpy())


@pytest.mark.parametrize("with_value", [True, False])
def test_at_risk_list_sorts_only_its_candidates_with_the_same_result(with_value):
    """The at-risk list sorts only the rows whose key reaches its edge: the same list as sorting everyone
    (ties in value and probability broken by customer id, exactly as before)."""
    from cx.churn.report import _at_risk

    rng = np.random.default_rng(5)
    n = 5_000
    pop = pd.DataFrame({"customer_id": [f"C{k:05d}" for k in rng.permutation(n)],
                        "probability": rng.integers(0, 40, n) / 40,  # many ties
                        "segment": rng.choice(["a", "b"], n),
                        "lifetime_value": rng.choice([100.0, 200.0, np.nan], n) if with_value else np.nan})
    out = pd.DataFrame({"customer_id": pop["customer_id"], "probability": pop["probability"], "segment": pop["segment"],
                        "lifetime_value": pop["lifetime_value"].astype(float)})
    out["value_at_risk"] = out["probability"] * out["lifetime_value"]
    key = out["value_at_risk"].fillna(-1.0) if with_value else out["probability"]
    expected = (out.assign(_key=key, _risk=out["probability"])
                .sort_values(["_key", "_risk", "customer_id"], ascending=[False, False, True])
                .drop(columns=["_key", "_risk"]).head(300).reset_index(drop=True))
    got = _at_risk(pop, 300)
    pd.testing.assert_frame_equal(got.drop(columns="rank"), expected[got.columns.drop("rank")])
    assert got["rank"].tolist() == list(range(1, 301))


def test_float32_features_above_the_threshold_give_the_float64_numbers_to_a_stated_tolerance(monkeypatch):
    """Above FLOAT32_ABOVE customers the experience features are held as float32 (half the memory). Stated
    tolerance against float64: probabilities within 1e-5, odds ratios and their intervals within 1e-4
    relative, cross-validated scores within 1e-4, the what-if within 1e-3 customers; the same at-risk ranks."""
    from cx.churn import table as table_module
    from cx.churn.table import narrow_floats

    monkeypatch.setattr(sampling, "SAMPLE_ABOVE", 4_000)
    monkeypatch.setattr(sampling, "SAMPLE_SIZE", 2_000)
    wide = _table(6_000, 1_200)
    wide.frame["tp: checkout"] = np.random.default_rng(3).normal(55, 12, 6_000)
    monkeypatch.setattr(table_module, "FLOAT32_ABOVE", 5_000)
    narrow = type(wide)(**{**wide.__dict__, "frame": narrow_floats(wide.frame.copy())})
    assert narrow.frame["worst_index"].dtype == np.float32 and narrow.frame["tp: checkout"].dtype == np.float32
    assert narrow.frame["lifetime_value"].dtype == np.float64  # money stays as it is
    a = fit_churn_table(wide, resamples=40, at_risk=300)
    b = fit_churn_table(narrow, resamples=40, at_risk=300)
    assert b.population["worst_index"].dtype == np.float32 and a.population["worst_index"].dtype == np.float64
    np.testing.assert_allclose(b.population["probability"], a.population["probability"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(b.odds_ratios[["value", "ci_low", "ci_high"]], a.odds_ratios[["value", "ci_low", "ci_high"]],
                               rtol=1e-4)
    for metric in a.cv:
        np.testing.assert_allclose([b.cv[metric].value, b.cv[metric].ci_low, b.cv[metric].ci_high],
                                   [a.cv[metric].value, a.cv[metric].ci_low, a.cv[metric].ci_high], atol=1e-4)
    assert a.at_risk["customer_id"].tolist() == b.at_risk["customer_id"].tolist()
    wa, wb = (what_if(r, "worst_index", 10, mode="absolute") for r in (a, b))
    np.testing.assert_allclose([wb.churners_change.value, wb.churners_change.ci_low, wb.churners_change.ci_high],
                               [wa.churners_change.value, wa.churners_change.ci_low, wa.churners_change.ci_high], atol=1e-3)
    # below the threshold nothing changes: the 20,000-customer demo's numbers are float64 as before
    assert narrow_floats(wide.frame.head(5_000))["worst_index"].dtype == np.float64


def _handed_table(seed: int = 0) -> FeatureTable:
    """A sampled-size table with every kind of column the population takes: text and nullable ids, objects,
    float32 features, contact counts per channel, and columns it leaves out."""
    table = _table(6_000, 1_200, seed)
    frame = table.frame.assign(customer_id=table.frame["customer_id"].astype("string"),
                               recovery=table.frame["recovery"].astype(object),
                               incidents=pd.array(np.arange(6_000) % 4, dtype="Int64"),
                               mean_index=table.frame["mean_index"].astype(np.float32),
                               churned_at=pd.NaT, region="north")
    frame["contacts via chat"] = np.arange(6_000, dtype=float) % 3
    frame["contacts via email"] = np.arange(6_000, dtype=float) % 5
    return replace(table, frame=frame)


def test_a_handed_over_table_is_emptied_and_gives_the_same_report(monkeypatch):
    monkeypatch.setattr(sampling, "SAMPLE_ABOVE", 4_000)
    monkeypatch.setattr(sampling, "SAMPLE_SIZE", 2_000)
    kept_table = _handed_table()
    kept = fit_churn_table(kept_table, resamples=40, at_risk=300)
    assert kept_table.frame.shape == (6_000, 12)  # not handed over: left as it was
    handed = _handed_table()
    report = fit_churn_table(handed, resamples=40, at_risk=300, consume=True)
    # its columns were dropped as the customers to rank were taken (never the whole frame twice) ...
    assert handed.frame.shape[1] == 0
    # ... and the report is the same, number for number, dtype for dtype
    pd.testing.assert_frame_equal(report.population, kept.population, check_exact=True)
    assert "contacts via chat" in report.population and report.population["incidents"].dtype == "Int64"
    pd.testing.assert_frame_equal(report.at_risk, kept.at_risk, check_exact=True)
    pd.testing.assert_frame_equal(report.odds_ratios, kept.odds_ratios, check_exact=True)
    pd.testing.assert_frame_equal(report.calibration, kept.calibration, check_exact=True)
    assert report.cv == kept.cv and report.calibration_fit == kept.calibration_fit
    assert np.array_equal(report.draws, kept.draws)


def test_a_handed_over_table_is_kept_when_nothing_is_sampled():
    handed = _handed_table()  # 6,000 customers: fitted whole, the frame is the fit's own
    report = fit_churn_table(handed, resamples=20, at_risk=300, consume=True)
    assert handed.frame.shape == (6_000, 12)
    pd.testing.assert_frame_equal(report.population, fit_churn_table(_handed_table(), resamples=20,
                                                                     at_risk=300).population, check_exact=True)


@pytest.mark.parametrize("outcome", ["churned", "satisfied"])
def test_the_customers_to_rank_taken_column_by_column_equal_the_rows_taken_at_once(outcome):
    table = replace(_handed_table(3), outcome=outcome)
    features = ["mean_index", "worst_index", "recovery"]
    whole = _to_rank(table, None, features)
    handed = replace(_handed_table(3), outcome=outcome)
    taken = _to_rank(handed, None, features, consume=True)
    pd.testing.assert_frame_equal(taken.frame, whole.frame, check_exact=True)
    assert np.array_equal(taken.keep, whole.keep) and taken.floats is whole.floats is np.float32
    assert whole.keep.sum() == (6_000 - 1_200 if outcome == "churned" else 1_200)
    assert list(taken.frame.columns) == ["mean_index", "worst_index", "recovery", "customer_id", "segment",
                                         "lifetime_value", "incidents", "contacts via chat", "contacts via email"]
    assert handed.frame.shape[1] == 0 and table.frame.shape[1] == 12
