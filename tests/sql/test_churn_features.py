"""Churn features built in SQL: the same numbers on every backend, and no peeking past the outcome."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx.churn import fit_churn
from cx.churn.features import churn_features, moments
from cx.churn.table import CutoffRule
from cx.outcomes import outcome_candidates

T = pd.Timestamp

INTERACTIONS = pd.DataFrame([
    # customer a stays: three contacts
    ("a", T("2026-01-05 10:00"), "chat", "checkout", 10, 5.0, 10.0, 2.0, True),
    ("a", T("2026-01-10 10:00"), "email", "delivery", 3, 2.0, 60.0, 10.0, False),
    ("a", T("2026-01-20 10:00"), "chat", "checkout", None, 4.0, None, 4.0, True),
    # customer b churns on 1 February; the contact after it must not count
    ("b", T("2026-01-10 09:00"), "phone", "checkout", 8, 4.0, 5.0, 1.0, True),
    ("b", T("2026-01-25 09:00"), "chat", "delivery", 0, 1.0, 90.0, 30.0, False),
    ("b", T("2026-02-05 09:00"), "chat", "returns", 0, 1.0, 100.0, 80.0, False),
], columns=["customer_id", "occurred_at", "channel", "touchpoint", "nps", "csat", "first_response_minutes",
            "resolution_hours", "resolved_first_contact"])
CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c"], "segment": ["smb", "consumer", "smb"],
    "signup_at": [T("2025-06-01"), T("2025-12-01"), T("2025-01-01")],
    "churned": [False, True, False], "churned_at": [None, T("2026-02-01"), None],
    "lifetime_value": [100.0, 50.0, 10.0],
})


def test_features_match_a_hand_computed_reference(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    table = churn_features(source, min_touchpoint_n=1)
    f = table.frame.set_index("customer_id")
    assert set(f.index) == {"a", "b", "c"}
    a, b, c = f.loc["a"], f.loc["b"], f.loc["c"]
    # a: indices 100, 27.5, 75 (NPS·10 and CSAT (x-1)·25 averaged per contact)
    assert a.contacts == 3 and a.mean_nps == pytest.approx(6.5) and a.mean_csat == pytest.approx(11 / 3)
    assert a.worst_index == pytest.approx(27.5) and a.end_index == pytest.approx(75.0)
    assert a.mean_index == pytest.approx(67.5) and a.fcr_share == pytest.approx(2 / 3)
    assert a.median_resolution_hours == pytest.approx(4.0) and a.median_first_response_minutes == pytest.approx(35.0)
    assert a["tp: checkout"] == pytest.approx(87.5) and a["tp: delivery"] == pytest.approx(27.5)
    assert a["contacts via chat"] == 2 and a["contacts via email"] == 1
    assert a.incidents == 0 and a.recovery == "clean"
    # b: only the two contacts before the churn date
    assert b.contacts == 2 and b.worst_index == pytest.approx(0.0) and b.end_index == pytest.approx(0.0)
    assert b.median_resolution_hours == pytest.approx(15.5) and b.mean_nps == pytest.approx(4.0)
    assert b.incidents >= 1 and b.recovery == "unrecovered" and b.outcome == 1
    assert "tp: returns" not in f.columns  # the only "returns" contact came after the churn
    # c: no contact at all, kept with missing experience features
    assert c.contacts == 0 and np.isnan(c.worst_index) and c.outcome == 0
    assert "before their churn date" in table.rule_text
    assert "recency_days" not in table.features  # no common reference day under this rule
    assert table.frame["tenure_days"].notna().all()


def test_window_rule_uses_only_the_observation_window(make_source):
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "d", "e"], "churned": [False, True, True, False],
        "churned_at": [None, T("2026-02-01"), T("2026-01-02"), None],
        "signup_at": [T("2025-06-01"), T("2025-12-01"), T("2025-06-01"), T("2026-03-01")],
        "lifetime_value": [1.0, 2.0, 3.0, 4.0],
    })
    extra = pd.DataFrame([("d", T("2025-12-20 09:00"), "web", "ad", 5, 3.0, None, None, None)],
                         columns=INTERACTIONS.columns)
    source = make_source(pd.concat([INTERACTIONS, extra], ignore_index=True), customers)
    rule = CutoffRule("window", cutoff=dt.date(2026, 1, 15), horizon_days=30)
    table = churn_features(source, rule=rule)
    f = table.frame.set_index("customer_id")
    # d churned before the cut-off and e signed up after it: neither is in the population
    assert set(f.index) == {"a", "b"}
    assert f.loc["a"].contacts == 2 and f.loc["b"].contacts == 1  # interactions before 15 January only
    assert f.loc["b"].outcome == 1 and f.loc["a"].outcome == 0  # b churned within 30 days of the cut-off
    assert f.loc["a"].recency_days == pytest.approx(4 + 14 / 24)  # 10 Jan 10:00 → 15 Jan 00:00
    assert "2026-01-15" in table.rule_text and "30 days" in table.rule_text


def _leaky(n: int = 300, seed: int = 0):
    """No experience signal before churn; every leaver answers a furious survey after leaving."""
    rng = np.random.default_rng(seed)
    ids = [f"K{k:04d}" for k in range(n)]
    churned = rng.random(n) < 0.25
    rows, customers = [], []
    for cid, left in zip(ids, churned):
        start = T("2025-03-01") + pd.Timedelta(days=int(rng.integers(0, 200)))
        for k in range(3):
            rows.append((cid, start + pd.Timedelta(days=10 * k), "chat", "support", int(rng.integers(0, 11)),
                         float(rng.integers(1, 6)), 30.0, 5.0, bool(rng.random() < 0.6)))
        churn_at = start + pd.Timedelta(days=40) if left else None
        if left:
            rows.append((cid, churn_at + pd.Timedelta(days=3), "email", "exit survey", 0, 1.0, 30.0, 5.0, False))
        customers.append((cid, "consumer", T("2025-01-01"), bool(left), churn_at, 100.0))
    interactions = pd.DataFrame(rows, columns=INTERACTIONS.columns)
    customers = pd.DataFrame(customers, columns=["customer_id", "segment", "signup_at", "churned", "churned_at",
                                                 "lifetime_value"])
    return interactions, customers


def test_leakage_rule_removes_a_perfect_but_false_signal(make_source):
    source = make_source(*_leaky())
    honest = fit_churn(source, resamples=50)
    assert honest.cv["roc_auc"].value < 0.7 and honest.cv["roc_auc"].ci_low < 0.55  # no signal before churn
    assert not any("LEAK" in w for w in honest.warnings)
    # without the rule, the after-churn survey makes the model "perfect" …
    cheat_features = churn_features(source, rule=CutoffRule("none")).features
    cheat = fit_churn(source, rule=CutoffRule("none"), include_restating=cheat_features, resamples=50)
    assert cheat.cv["roc_auc"].value > 0.97
    # … which it says loudly, naming the columns that carry the leak
    [loud] = [w for w in cheat.warnings if w.startswith("LEAK LIKELY")]
    assert "Contacts" in loud or "exit survey" in loud
    assert any(w.startswith("LEAK kept in the model because you asked: Contacts") for w in cheat.warnings)
    # … and even then the restating guard names the culprits when left on
    guarded = fit_churn(source, rule=CutoffRule("none"), resamples=50)
    assert {"End of journey (index)", "Contacts"} <= set(guarded.card.excluded)
    assert "predicts churned almost perfectly" in guarded.card.excluded["Contacts"]


def test_customer_level_undated_file_and_a_restating_attribute(make_source):
    rng = np.random.default_rng(4)
    n = 400
    sat = rng.integers(1, 6, n).astype(float)
    left = rng.random(n) < 1 / (1 + np.exp(-(1.5 - 0.8 * (sat - 1))))
    ids = [f"U{k:04d}" for k in range(n)]
    interactions = pd.DataFrame({"customer_id": ids, "occurred_at": [None] * n, "csat": sat})
    customers = pd.DataFrame({"customer_id": ids, "churned": left, "lifetime_value": rng.uniform(10, 100, n),
                              "account_status": np.where(left, "Cancelled", "Active")})
    source = make_source(interactions, customers)
    report = fit_churn(source, resamples=50)
    assert "carry no dates" in report.card.rule_text
    assert "Account status" in report.card.excluded
    odds = report.odds_ratios.set_index("column")
    csat = odds[odds["kind"] == "per SD"].loc["mean_csat"]
    assert csat.ci_high < 1  # happier customers leave less
    assert outcome_candidates(source)[0] == "churned"


def test_moments_worst_and_last(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    found = moments(source, ["a", "b"], before="churned_at").set_index("customer_id")
    assert found.loc["a"].worst_channel == "email" and found.loc["a"].worst_moment_index == pytest.approx(27.5)
    assert found.loc["a"].last_at == T("2026-01-20 10:00") and found.loc["a"].last_channel == "chat"
    assert found.loc["b"].last_at == T("2026-01-25 09:00")  # the contact after churn is cut


def test_sidebar_filters_restrict_customers_and_interactions(make_source):
    from cx.scope import Scope

    source = make_source(INTERACTIONS, CUSTOMERS)
    by_segment = churn_features(source, scope=Scope(segments=["smb"])).frame
    assert set(by_segment["customer_id"]) == {"a", "c"}
    chat_only = churn_features(source, scope=Scope(channels=["chat"])).frame.set_index("customer_id")
    assert chat_only.loc["a"].contacts == 2 and chat_only.loc["a"].worst_index == pytest.approx(75.0)
    january = churn_features(source, scope=Scope(date_from="2026-01-08", date_to="2026-01-31")).frame
    assert january.set_index("customer_id").loc["a"].contacts == 2


def test_one_outcome_picker_for_churn_and_journeys(make_source):
    from cx.journeys import outcome_columns

    customers = CUSTOMERS.assign(renewed=["yes", "no", None], plan=["basic", "pro", "gold"],
                                 satisfaction=["4", "2", "5"])
    source = make_source(INTERACTIONS, customers)
    # churn models yes/no columns; journeys relate a score to numbers too; free text is neither
    assert outcome_candidates(source) == ["churned", "renewed"]
    assert outcome_columns(source) == ["churned", "lifetime_value", "renewed", "satisfaction"]
    assert outcome_candidates(source, numeric=True) == outcome_columns(source)
