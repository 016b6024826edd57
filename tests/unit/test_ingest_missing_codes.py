"""Declared missing codes (issue 12), counts that mean what they say, and facts that do not depend on order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cx.cli import main
from cx.ingest import IngestError, Mapping, apply_mapping, read_table, suggest_mapping
from cx.ingest.mapping import parse_missing
from cx.ingest.pipeline import ingest

RNG = np.random.default_rng(7)
N = 120


def _reviews() -> pd.DataFrame:
    rating = RNG.integers(1, 6, N).astype(int)
    rating[:30] = -1  # "not rated"
    rating[30:35] = 99
    return pd.DataFrame({"Customer": [f"C{i}" for i in range(N)],
                         "Date": pd.date_range("2026-01-01", periods=N, freq="D").strftime("%Y-%m-%d"),
                         "CSAT": rating})


def _raw(frame: pd.DataFrame, name: str = "reviews.csv"):
    return read_table(frame.to_csv(index=False).encode(), name)


def test_parse_missing_from_the_command_line_and_json():
    assert parse_missing("CSAT=0,-1") == {"CSAT": [0.0, -1.0]}
    assert parse_missing("99") == {"*": [99.0]}
    assert parse_missing("Q 1=0;Q2=-1, 99") == {"Q 1": [0.0], "Q2": [-1.0, 99.0]}
    assert parse_missing({"CSAT": [0, -1]}) == {"CSAT": [0.0, -1.0]}
    with pytest.raises(IngestError, match="must be numbers"):
        parse_missing("CSAT=none")


def test_declared_codes_load_as_no_score_and_are_counted_not_quarantined():
    frame = _reviews()
    raw = _raw(frame)
    mapping = suggest_mapping(raw)
    assert mapping.columns["CSAT"] == "csat"
    assert mapping.missing == {"CSAT": [-1.0, 99.0]}  # suggested from the values, and asked
    assert "no answer" in mapping.questions["CSAT"]
    assert (mapping.scales.csat.low, mapping.scales.csat.high) == (1, 5)
    mapping.missing = {}
    without = apply_mapping(raw, mapping)
    assert without.rows_quarantined == 35  # undeclared, they are out of the 1–5 range
    mapping.missing = {"CSAT": [-1.0, 99.0]}
    mapping = Mapping.from_json(mapping.to_json())  # the declaration travels in the mapping file
    assert mapping.missing == {"CSAT": [-1.0, 99.0]}
    result = apply_mapping(raw, mapping)
    assert result.rows_quarantined == 0 and result.rows_loaded == N
    csat = result.interactions.set_index("customer_id")["csat"]
    expected = frame.set_index("Customer")["CSAT"].where(lambda s: ~s.isin([-1, 99]))
    assert csat.isna().sum() == 35
    assert csat.astype(float).sort_index().tolist() == pytest.approx(expected.astype(float).sort_index().tolist(),
                                                                     nan_ok=True)
    assert any("35 answers in 'CSAT' hold a declared missing code (-1, 99)" in n for n in result.notes)


def test_codes_for_every_rating_of_a_wide_survey():
    frame = pd.DataFrame({"ID": range(1, N + 1), **{f"Q{k} rating": RNG.integers(1, 6, N) for k in range(1, 5)}})
    frame.loc[:9, "Q1 rating"] = 9
    frame.loc[:4, "Q3 rating"] = -1
    raw = _raw(frame, "survey.csv")
    mapping = suggest_mapping(raw)
    assert mapping.shape == "wide"
    mapping.missing = {"*": [9.0, -1.0]}
    result = apply_mapping(raw, mapping)
    assert result.rows_quarantined == 0
    answered = frame.drop(columns="ID").stack()
    assert len(result.interactions) == int((~answered.isin([9, -1])).sum())


def test_codes_for_an_unscored_column_are_refused_with_the_fix():
    raw = _raw(_reviews())
    mapping = suggest_mapping(raw)
    mapping.missing = {"Date": [0.0]}
    with pytest.raises(IngestError, match="not mapped to a score or rating; declare them for a score column"):
        apply_mapping(raw, mapping)


def test_cx_load_missing_option(capsys, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_bytes(_reviews().to_csv(index=False).encode())
    assert main(["load", str(path), "--missing", "CSAT=-1,99", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    [record] = json.loads(out)["files"]
    assert record["rows_quarantined"] == 0 and record["rows_loaded"] == N
    assert main(["load", str(path), "--missing", "CSAT=-1,99"]) == 0
    out, _ = capsys.readouterr()
    assert "note: reviews.csv: 35 answers in 'CSAT' hold a declared missing code" in out
    assert main(["load", str(path), "--missing", "Rating=0"]) == 1
    _, err = capsys.readouterr()
    assert "no file maps to a score or rating column" in err and "Traceback" not in err


def test_lifetime_value_does_not_depend_on_file_order(tmp_path):
    a = pd.DataFrame({"Customer ID": ["C1", "C2", "C3"], "CLTV": [100, 200, 300], "Churn": ["Yes", "No", "No"]})
    b = pd.DataFrame({"Customer ID": ["C1", "C2"], "Date": ["2026-01-05", "2026-01-06"], "NPS": [9, 3],
                      "Lifetime value": [111, 222]})
    files = [("crm.csv", a.to_csv(index=False).encode()), ("tickets.csv", b.to_csv(index=False).encode())]
    one, two = ingest(files), ingest(files[::-1])
    ltv = [x.customers.set_index("customer_id")["lifetime_value"].astype(float).sort_index() for x in (one, two)]
    assert ltv[0].tolist() == ltv[1].tolist() == [100, 200, 300]  # the customer table wins, whatever the order
    assert any("give different lifetime_value for 2 customers" in w for w in one.warnings)


def test_a_per_row_attribute_keeps_the_latest_value_whatever_the_row_order():
    rows = pd.DataFrame({"Customer": ["C1", "C1", "C2"], "Date": ["2026-02-01", "2026-01-01", "2026-01-03"],
                         "Region": ["North", "South", "East"], "NPS": [9, 7, 3]})
    results = []
    for frame in (rows, rows.iloc[::-1]):
        raw = _raw(frame, "tickets.csv")
        mapping = suggest_mapping(raw)
        assert mapping.columns["Region"] == "customers.region"
        results.append(apply_mapping(raw, mapping))
    for result in results:
        assert result.customers.set_index("customer_id").loc["C1", "region"] == "North"  # the latest row
        assert any("'Region' (region) changes from row to row for 1 customer: kept per row" in n for n in result.notes)
        by_date = result.interactions.sort_values("occurred_at")
        assert by_date["region"].tolist() == ["South", "East", "North"]  # and each row keeps its own


def test_the_category_none_is_a_value_not_missing():
    frame = pd.DataFrame({"Customer ID": [f"C{i}" for i in range(60)],
                          "Plan": ["None", "Gold", "Basic"] * 20, "Churned": ["Yes", "No", "No", "No"] * 15})
    raw = _raw(frame, "customers.csv")
    result = apply_mapping(raw, suggest_mapping(raw))
    assert result.customers["segment"].value_counts().to_dict() == {"None": 20, "Gold": 20, "Basic": 20}


def test_a_customer_table_without_scores_adds_no_contacts():
    frame = pd.DataFrame({"Customer ID": [f"C{i}" for i in range(50)], "Churned": ["Yes", "No"] * 25,
                          "CLTV": RNG.integers(100, 900, 50)})
    raw = _raw(frame, "customers.csv")
    result = apply_mapping(raw, suggest_mapping(raw))
    assert result.shape == "customers"
    assert len(result.interactions) == 0 and len(result.customers) == 50


def test_two_customer_tables_with_a_score_count_each_customer_once():
    a = pd.DataFrame({"Customer ID": ["C1", "C2", "C3"], "CSAT": [5, 2, 4], "Churned": ["no", "yes", "no"]})
    b = pd.DataFrame({"Customer ID": ["C2", "C3", "C4"], "CSAT": [1, 4, 3], "Plan": ["Gold", "Basic", "Gold"]})
    files = [("crm_a.csv", a.to_csv(index=False).encode()), ("crm_b.csv", b.to_csv(index=False).encode())]
    for order in (files, files[::-1]):
        loaded = ingest(order)
        rows = loaded.interactions.set_index("customer_id")["csat"].astype(float).sort_index()
        assert rows.to_dict() == {"C1": 5.0, "C2": 2.0, "C3": 4.0, "C4": 3.0}  # crm_a.csv wins by name, once each
