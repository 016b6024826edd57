"""Leaks of the outcome (issue 12): found at mapping time, kept out of every role, warned when mapped anyway;
the verdicts checked against independent pandas / scikit-learn computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from cx.ingest import apply_mapping, read_table, suggest_mapping
from cx.ingest.editor import edit_mapping, editor_rows, open_questions
from cx.ingest.leaks import AUC_LEAK, leak_columns
from cx.ingest.pipeline import Prepared, run

N = 400


def _frame(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    churned = rng.random(N) < 0.3
    noisy = np.where(rng.random(N) < 0.75, churned, ~churned)
    late, damaged = rng.random(N) < 0.4, rng.random(N) < 0.4
    return pd.DataFrame({
        "Customer ID": [f"C{i:04d}" for i in range(N)],
        "Churned": np.where(churned, "Yes", "No"),
        "Churn Reason": np.where(churned, rng.choice(["Price", "Competitor", "Support"], N), None),
        "Churn Copy": churned.astype(int),
        "Noisy Signal": noisy.astype(int),
        "Tenure": rng.integers(1, 72, N),
        "Plan": rng.choice(["Basic", "Plus"], N),
        "CSAT": rng.integers(1, 6, N),
        # together they restate the outcome of a second, made-up flag (see the sibling test)
        "votes late": late.astype(int), "votes damaged": damaged.astype(int),
    })


def test_filled_only_for_churners_and_copies_are_leaks_noise_and_ids_are_not():
    frame = _frame()
    found = leak_columns(frame, "Churned")
    churned = frame["Churned"].eq("Yes")
    # independent: the reason is present exactly on the churners
    assert frame["Churn Reason"].notna().equals(churned)
    assert found["Churn Reason"].startswith("filled only for churners")
    assert roc_auc_score(churned, frame["Churn Copy"]) == 1.0
    assert "alone" in found["Churn Copy"]
    assert roc_auc_score(churned, frame["Noisy Signal"]) < AUC_LEAK
    for column in ("Customer ID", "Noisy Signal", "Tenure", "Plan", "CSAT"):
        assert column not in found


def test_siblings_that_restate_the_outcome_together_are_leaks():
    frame = _frame()
    either = (frame["votes late"] | frame["votes damaged"]).astype(bool)
    frame["Complained"] = np.where(either, "yes", "no")
    alone = [roc_auc_score(either, frame[c]) for c in ("votes late", "votes damaged")]
    assert max(alone) < AUC_LEAK
    x = frame[["votes late", "votes damaged"]].to_numpy(float)
    p = cross_val_predict(LogisticRegression(), x, either, cv=StratifiedKFold(3, shuffle=True, random_state=1),
                          method="predict_proba")[:, 1]
    assert roc_auc_score(either, p) >= AUC_LEAK  # independent: together they give it away
    found = leak_columns(frame, "Complained", columns=["votes late", "votes damaged", "Tenure"])
    assert set(found) == {"votes late", "votes damaged"} and "siblings" in found["votes late"]


def test_named_after_the_outcome_and_strong_is_a_leak():
    rng = np.random.default_rng(5)
    frame = _frame()
    churned = frame["Churned"].eq("Yes").to_numpy()
    score = np.where(churned, rng.normal(80, 8, N), rng.normal(50, 12, N)).round()
    frame["Churn Score"] = score
    frame["Other Score"] = score
    auc = roc_auc_score(churned, score)
    assert 0.85 <= auc < AUC_LEAK
    found = leak_columns(frame, "Churned", columns=["Churn Score", "Other Score"])
    assert list(found) == ["Churn Score"]


def test_works_on_a_feature_frame_and_a_given_positive_value():
    frame = _frame()
    features = pd.DataFrame({"copy": frame["Churn Copy"].astype(float), "tenure": frame["Tenure"].astype(float)})
    outcome = frame["Churned"].rename("stayed").map({"Yes": "left", "No": "stayed"})
    assert list(leak_columns(features, outcome, positive="left")) == ["copy"]
    assert leak_columns(features.assign(y=0), "y") == {}  # one class: nothing to judge


def _upload(frame: pd.DataFrame):
    raw = read_table(frame.to_csv(index=False).encode(), "customers.csv")
    return raw, suggest_mapping(raw)


def test_the_suggestion_keeps_leaks_out_of_every_role():
    raw, mapping = _upload(_frame())
    assert mapping.columns["Churned"] == "customers.churned"
    assert {"Churn Reason", "Churn Copy"} <= set(mapping.leaks)
    for column in mapping.leaks:
        assert mapping.columns[column] == "ignore"
        assert mapping.reasons[column].startswith("left out: gives the outcome away")
    assert [c for c, _ in open_questions(mapping)][:len(mapping.leaks)] == list(mapping.leaks)
    assert Prepared(raw, mapping).warnings  # said even though the mapping is not on screen


def test_a_leak_mapped_by_the_user_loads_with_the_warning_visible():
    raw, mapping = _upload(_frame())
    rows = editor_rows(raw, mapping)
    rows.loc[rows["column"] == "Churn Reason", "maps to"] = "touchpoint"
    edited = edit_mapping(mapping, rows)
    assert edited.columns["Churn Reason"] == "touchpoint"
    warnings = edited.leak_warnings
    assert len(warnings) == 1 and "'Churn Reason' is mapped to touchpoint but gives the outcome away" in warnings[0]
    loaded = run([Prepared(raw, edited, given=True)])
    assert any("Churn Reason" in w for w in loaded.warnings)
    assert apply_mapping(raw, edited).rows_loaded == N


@pytest.mark.parametrize("seed", range(3))
def test_no_experience_role_holds_a_leak_on_random_customer_tables(seed):
    _raw, mapping = _upload(_frame(seed))
    experience = {"touchpoint", "comment", "nps", "csat", "ces", "rating", "revenue", "first_response_minutes",
                  "resolution_hours", "customers.lifetime_value"}
    assert not [c for c in mapping.leaks if mapping.columns[c] in experience]


def _no_churn_column(n: int = 400, seed: int = 5) -> pd.DataFrame:
    """A survey export with no churn column: a verdict, a complaint text written only by the dissatisfied,
    a plan with an add-on only Pro customers have, and an honest rating."""
    rng = np.random.default_rng(seed)
    unhappy = rng.random(n) < 0.35
    pro = rng.random(n) < 0.4
    return pd.DataFrame({
        "Customer ID": [f"K{k:04d}" for k in range(n)],
        "Recommended": np.where(unhappy, "No", "Yes"),
        "Comment": np.where(unhappy, [f"the delivery was late again, order {k} arrived broken" for k in range(n)], ""),
        "Plan": np.where(pro, "Pro", "Basic"),
        "Pro add-on": np.where(pro, rng.choice(["Backup", "Priority line", "Analytics"], n), ""),
        "Tenure months": rng.integers(1, 60, n),
    })


def test_leaks_are_judged_against_every_outcome_the_user_may_model_without_a_churn_column():
    raw, mapping = _upload(_no_churn_column())
    assert mapping.source_of("customers.churned") is None
    assert mapping.columns["Recommended"].startswith("customers.")
    # the verdict is the main outcome (named like one): the complaint gives it away and is taken out of its role
    assert mapping.leaks["Comment"].startswith("filled only for Recommended = No")
    assert mapping.columns["Comment"] == "ignore"
    # the plan may be chosen on the Churn page too: what gives it away is asked, naming it
    assert "Pro add-on" not in mapping.leaks
    question = mapping.questions["Pro add-on"]
    assert "'Pro add-on' gives 'Plan' away: filled only for Plan = " in question and "If you model 'Plan'" in question
    assert "Tenure months" not in mapping.leaks and "Tenure months" not in mapping.questions
    asked = dict(open_questions(mapping))
    assert "Comment" in asked and "Pro add-on" in asked  # cx map and the Data page show both


def test_suspected_restatement_is_asked_not_left_out():
    rng = np.random.default_rng(9)
    n = 600
    satisfied = rng.random(n) < 0.5
    frame = pd.DataFrame({"Satisfied": np.where(satisfied, "Yes", "No"),
                          "Overall": np.clip(np.round(5.5 + 3.2 * (satisfied - 0.5) + rng.normal(0, 1.1, n)), 1, 10),
                          "Seat": np.clip(np.round(3 + 0.8 * (satisfied - 0.5) + rng.normal(0, 1, n)), 1, 5)})
    from sklearn.metrics import roc_auc_score

    from cx.ingest.leaks import AUC_SUSPECT, screen_columns

    overall = roc_auc_score(satisfied, frame["Overall"])
    assert AUC_SUSPECT <= overall < AUC_LEAK and roc_auc_score(satisfied, frame["Seat"]) < AUC_SUSPECT
    leaks, suspects = screen_columns(frame, "Satisfied")
    assert leaks == {} and list(suspects) == ["Overall"]
    assert suspects["Overall"].startswith(f"predicts 'Satisfied' almost alone (ROC AUC {overall:.3f}")
