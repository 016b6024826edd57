"""Roles judged by values (issue 12): confidence, reasons and questions per column; zip codes, flags,
percent scores, names and placeholder dates are not what their header alone suggests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cx.cli import main
from cx.ingest import Mapping, apply_mapping, read_table, suggest_mapping
from cx.ingest.editor import edit_mapping, editor_rows, open_questions


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _suggest(frame: pd.DataFrame, name: str = "x.csv"):
    raw = read_table(_csv(frame), name)
    return raw, suggest_mapping(raw)


RNG = np.random.default_rng(12)
N = 200
SENTENCES = ["the delivery came late and nobody answered my emails", "great support, solved in one call",
             "app crashed twice while paying, had to call the shop", "friendly staff but the queue was very long",
             "refund took three weeks and two reminders to arrive", "could not find the invoice anywhere online"]


def _customers(**extra) -> pd.DataFrame:
    churned = RNG.random(N) < 0.3
    frame = pd.DataFrame({
        "CustomerID": [f"{1000 + i}-ABCD" for i in range(N)],
        "Zip Code": RNG.integers(90001, 96000, N).astype(str),
        "Churn Label": np.where(churned, "Yes", "No"),
        "Tenure Months": RNG.integers(1, 72, N),
        "Plan": RNG.choice(["Basic", "Plus", "None"], N),
    })
    for key, value in extra.items():
        frame[key] = value(churned) if callable(value) else value
    return frame


def test_zip_code_is_never_the_customer_and_customerid_is():
    _raw, mapping = _suggest(_customers())
    assert mapping.columns["CustomerID"] == "customer_id"
    assert mapping.columns["Zip Code"] != "customer_id"
    assert mapping.shape == "customers"
    assert mapping.confidence["CustomerID"] >= 0.75


def test_zip_code_is_not_taken_as_id_from_values_either():
    frame = _customers().drop(columns=["CustomerID"])
    _raw, mapping = _suggest(frame)
    assert mapping.source_of("customer_id") != "Zip Code"


def test_a_zero_one_column_is_a_flag_not_revenue_rating_or_score():
    frame = _customers(**{"Churn Value": lambda c: c.astype(int), "Value": lambda c: RNG.integers(0, 2, N),
                          "Score": lambda c: RNG.integers(0, 2, N)})
    _raw, mapping = _suggest(frame)
    for column in ("Churn Value", "Value", "Score"):
        assert mapping.columns[column] not in ("revenue", "customers.lifetime_value", "csat", "nps", "ces", "rating")


def test_a_small_rating_is_not_revenue():
    frame = pd.DataFrame({"Respondent": [f"R{i}" for i in range(N)], "Value For Money": RNG.integers(1, 6, N),
                          "Seat Comfort": RNG.integers(1, 6, N)})
    _raw, mapping = _suggest(frame)
    assert mapping.columns["Value For Money"] != "revenue"
    assert any("Value For Money" in n and "rating, not an amount" in n for n in mapping.notes)


def test_a_generic_score_on_0_to_100_is_not_csat_and_a_named_one_is_asked():
    frame = _customers(**{"Churn Score": lambda c: RNG.integers(5, 100, N)})
    _raw, mapping = _suggest(frame)
    assert mapping.columns["Churn Score"] not in ("csat", "ces", "nps")
    named = pd.DataFrame({"Customer": [f"C{i}" for i in range(N)], "CSAT": RNG.integers(0, 101, N)})
    _raw, mapping = _suggest(named)
    assert mapping.columns["CSAT"] == "csat"
    assert "CSAT" in mapping.questions and "percent-like" in mapping.questions["CSAT"]
    assert mapping.confidence["CSAT"] < 0.6


def test_names_are_not_comments_but_sentences_are():
    frame = pd.DataFrame({
        "Ticket": [f"T{i}" for i in range(N)],
        "Created": pd.date_range("2026-01-01", periods=N, freq="h").astype(str),
        "author": [f"{RNG.choice(['Ian', 'Maria', 'Chen', 'Ana'])} {RNG.choice(['Smith', 'Lopez', 'Wei', 'Berg'])}{i}"
                   for i in range(N)],
        "Company": RNG.choice(["WELLS FARGO & COMPANY", "Bank of America", "EQUIFAX, INC.", "Navient Solutions"], N),
        "body": [f"{RNG.choice(SENTENCES)} (case {i})" for i in range(N)],
    })
    _raw, mapping = _suggest(frame)
    assert mapping.columns["author"] != "comment" and mapping.columns["Company"] != "comment"
    assert mapping.columns["body"] == "comment"
    assert "free text" in mapping.reasons["body"]


def test_placeholder_dates_load_as_undated_counted_and_asked():
    dates = pd.date_range("2015-01-01", periods=N, freq="D").strftime("%Y-%m-%d").tolist()
    dates[:7] = ["1970-01-01"] * 7
    frame = pd.DataFrame({"Customer": [f"C{i % 50}" for i in range(N)], "date": dates,
                          "Rating": RNG.integers(1, 6, N), "Comment": [f"{RNG.choice(SENTENCES)} {i}" for i in range(N)]})
    raw, mapping = _suggest(frame)
    assert mapping.columns["date"] == "occurred_at"
    assert "placeholder" in mapping.questions["date"]
    result = apply_mapping(raw, mapping)
    assert result.rows_quarantined == 0
    assert int(result.interactions["occurred_at"].isna().sum()) == 7
    assert (result.interactions["occurred_at"].dt.year > 2000).sum() == N - 7
    assert any("7 dates in 'date' are placeholders" in n for n in result.notes)


def test_the_contact_date_is_the_review_not_the_purchase_and_it_is_asked():
    start = pd.Timestamp("2017-03-01")
    purchase = [start + pd.Timedelta(days=int(d)) for d in RNG.integers(0, 300, N)]
    frame = pd.DataFrame({
        "order_id": [f"O{i}" for i in range(N)],
        "order_purchase_timestamp": [p.isoformat(sep=" ") for p in purchase],
        "order_delivered_customer_date": [(p + pd.Timedelta(days=9)).isoformat(sep=" ") for p in purchase],
        "review_answer_timestamp": [(p + pd.Timedelta(days=12)).isoformat(sep=" ") for p in purchase],
        "review_score": RNG.integers(1, 6, N),
    })
    _raw, mapping = _suggest(frame)
    assert mapping.source_of("occurred_at") == "review_answer_timestamp"
    question = mapping.questions["review_answer_timestamp"]
    assert "order_purchase_timestamp" in question and "contact" in question


def test_a_row_numbering_id_is_asked_as_the_customer():
    frame = pd.DataFrame({"Complaint ID": RNG.permutation(np.arange(100_000, 100_000 + N)).astype(str),
                          "Date received": pd.date_range("2016-09-01", periods=N, freq="h").strftime("%m/%d/%Y"),
                          "Submitted via": RNG.choice(["Web", "Phone", "Referral"], N)})
    _raw, mapping = _suggest(frame)
    assert mapping.source_of("customer_id") == "Complaint ID"
    assert mapping.confidence["Complaint ID"] < 0.6
    assert "own customer" in mapping.questions["Complaint ID"]


def test_a_sparse_or_constant_column_is_not_a_breakdown():
    segment = [None] * N
    segment[:4] = ["BQE", "FDR", "BQE", "Harlem River"]
    frame = pd.DataFrame({"Key": [f"K{i}" for i in range(N)], "Created": pd.date_range("2019-01-01", periods=N,
                                                                                         freq="h").astype(str),
                          "Bridge Highway Segment": segment, "Country": "United States",
                          "Channel": RNG.choice(["PHONE", "ONLINE"], N)})
    _raw, mapping = _suggest(frame)
    assert mapping.columns["Bridge Highway Segment"] == "ignore"
    assert mapping.columns["Country"] == "ignore"
    assert mapping.columns["Channel"] == "channel"


@pytest.mark.parametrize("effort_columns, expected", [(1, "csat"), (5, "ces")])
def test_one_ease_question_does_not_make_a_satisfaction_survey_an_effort_survey(effort_columns, expected):
    names = ["Ease of Online Booking", "Ease of Check-in", "Ease of Payment", "Ease of Boarding", "Ease of Returns"]
    others = ["Seat Comfort", "Cleanliness", "Food and Drink", "Baggage Handling", "Gate Location", "Wifi"]
    columns = names[:effort_columns] + others[: 8 - effort_columns]
    frame = pd.DataFrame({c: RNG.integers(0, 6, N) for c in columns})
    frame.insert(0, "ID", range(1, N + 1))
    _raw, mapping = _suggest(frame)
    assert mapping.shape == "wide"
    assert mapping.rating_target == expected


def test_counts_are_not_ratings():
    frame = pd.DataFrame({"id": [f"O{i}" for i in range(N)], "order_items_qty": RNG.integers(1, 4, N),
                          **{f"votes_{k}": RNG.integers(0, 4, N) for k in ("late", "damaged", "other")},
                          "review_score": RNG.integers(1, 6, N)})
    _raw, mapping = _suggest(frame)
    assert mapping.shape != "wide"
    assert not any(t in ("rating", "seq") for c, t in mapping.columns.items() if c != "review_score")
    assert mapping.columns["review_score"] == "csat"


def test_every_mapped_column_has_a_confidence_and_a_reason_and_they_survive_json():
    raw, mapping = _suggest(_customers(**{"Churn Reason": lambda c: np.where(c, "Competitor offer", None)}))
    mapped = [c for c, t in mapping.columns.items() if t != "ignore"]
    assert mapped and all(0 < mapping.confidence[c] <= 1 and mapping.reasons[c] for c in mapped)
    again = Mapping.from_json(mapping.to_json())
    assert again.confidence == mapping.confidence and again.reasons == mapping.reasons
    assert again.questions == mapping.questions and again.leaks == mapping.leaks
    rows = editor_rows(raw, mapping)
    assert {"confidence", "why", "check"} <= set(rows.columns)
    assert rows.set_index("column").loc["Churn Reason", "check"] == "⛔ leak"


def test_a_user_choice_answers_the_question():
    frame = pd.DataFrame({"Complaint ID": [str(100 + i) for i in range(N)],
                          "Date received": pd.date_range("2016-09-01", periods=N, freq="h").astype(str)})
    raw, mapping = _suggest(frame)
    assert "Complaint ID" in mapping.questions
    rows = editor_rows(raw, mapping)
    rows.loc[rows["column"] == "Date received", "maps to"] = "ignore"
    rows.loc[rows["column"] == "Date received", "maps to"] = "occurred_at"  # unchanged: still the suggestion
    rows.loc[rows["column"] == "Complaint ID", "maps to"] = "record_id"
    edited = edit_mapping(mapping, rows)
    assert "Complaint ID" not in edited.questions
    assert edited.confidence["Complaint ID"] == 1.0 and edited.reasons["Complaint ID"] == "set by you"
    assert all(c != "Complaint ID" for c, _ in open_questions(edited))


def test_cx_map_prints_the_questions_on_stderr_and_json_on_stdout(capsys, tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_bytes(_csv(pd.DataFrame({"Complaint ID": [str(100 + i) for i in range(N)],
                                        "Date received": pd.date_range("2016-09-01", periods=N, freq="h").astype(str),
                                        "Submitted via": RNG.choice(["Web", "Phone"], N)})))
    assert main(["map", str(path)]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["confidence"]["Complaint ID"] < 0.6 and "Complaint ID" in data["questions"]
    assert "cx map: asked (40% sure of 'Complaint ID')" in err


def test_the_suggestion_never_maps_a_breakdown_the_load_would_refuse(monkeypatch):
    monkeypatch.setenv("CX_INGEST_MAX_DISTINCT", "50")
    frame = pd.DataFrame({"Customer": [f"C{i % 40}" for i in range(N)],
                          "Date": pd.date_range("2026-01-01", periods=N, freq="h").astype(str),
                          "Channel": [f"queue-{i}" for i in range(N)], "NPS": RNG.integers(0, 11, N)})
    raw, mapping = _suggest(frame)
    assert mapping.columns["Channel"] == "ignore"
    assert any("'Channel' has 200 distinct values" in n for n in mapping.notes)
    assert apply_mapping(raw, mapping).rows_loaded == N
