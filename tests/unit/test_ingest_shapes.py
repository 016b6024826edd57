"""Each export shape becomes canonical interactions (and customers); several files combine into one source."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from cx import metrics
from cx.db import memory_source, summarize
from cx.db.where import row_attributes
from cx.ingest import (
    IngestError,
    LoadResult,
    Mapping,
    apply_mapping,
    combine,
    load_files,
    read_table,
    suggest_mapping,
)
from cx.ingest.shapes import touchpoint_names
from cx.schema import Scale, Scales

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> LoadResult:
    raw = read_table(DATA / name)
    return apply_mapping(raw, suggest_mapping(raw))


def test_long_interactions_with_derived_durations():
    result = load("tickets.csv")
    assert result.shape == "interactions"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 4, 4)
    i = result.interactions
    assert i["customer_id"].tolist() == ["C001", "C002", "C001", "C005"]
    assert i["first_response_minutes"].tolist() == [30.0, 5.0, 45.0, 10.0]
    assert i["resolution_hours"].tolist() == [6.0, 24.0, 1.0, 1.0]
    assert i["channel"].tolist() == ["email", "chat", "phone", "store"]
    assert i["resolved_first_contact"].tolist() == [True, False, True, False]
    assert str(i["occurred_at"].dtype) == "datetime64[us]"
    assert i["comment"].tolist()[2] == '=HYPERLINK("http://x","click")'


def test_customer_level_table_gives_customers_and_one_undated_row_each():
    result = load("customers.csv")
    assert result.shape == "customers"
    assert result.reasons == {"duplicate customer id": 1}
    c = result.customers.set_index("customer_id")
    assert c["churned"].tolist() == [False, True, False, False, True]
    assert c["lifetime_value"].tolist() == [1200.5, 300.0, 80.0, 2500.0, 45.0]
    assert c.loc["C002", "region"] == "NA"  # North America, not a missing value
    assert c.loc["C004", "plan"] == "Pro"
    i = result.interactions
    assert i["customer_id"].tolist() == ["C001", "C002", "C003", "C005"]  # C004's first row has no score
    assert i["csat"].tolist() == [5.0, 2.0, 4.0, 1.0]
    assert "occurred_at" not in i or i["occurred_at"].isna().all()


def test_wide_survey_is_melted():
    result = load("wide_survey.csv")
    assert result.shape == "wide"
    assert (result.rows_read, result.rows_loaded) == (4, 4)
    i = result.interactions
    r1 = i[i["customer_id"] == "R1"]
    assert r1["touchpoint"].tolist() == ["Checkout", "Delivery", "Support"]  # 0 = not applicable: skipped
    assert r1["seq"].tolist() == [1, 2, 4]
    assert r1["csat"].tolist() == [5.0, 4.0, 3.0]
    assert r1["occurred_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-25"] * 3
    assert result.customers.set_index("customer_id")["overall_verdict"].to_dict() == {
        "R1": "Good", "R2": "Poor", "R3": "Excellent", "R4": "Fair"}


def test_wide_survey_out_of_range_rating_quarantines_the_respondent():
    raw = read_table(b"Respondent,Checkout,Delivery,Returns\nR1,5,4,3\nR2,9,1,2\n", "w.csv")
    mapping = suggest_mapping(raw)
    mapping.shape = "wide"
    mapping.columns.update({"Checkout": "rating", "Delivery": "rating", "Returns": "rating"})
    mapping.scales = Scales(csat=Scale(1, 5))
    result = apply_mapping(raw, mapping)
    assert result.reasons == {"score out of declared range": 1}
    assert result.quarantine[["_row", "_column"]].values.tolist() == [[3, "Checkout"]]
    assert len(result.interactions) == 3


def test_wide_survey_without_ids_numbers_respondents():
    raw = read_table(b"Checkout,Delivery,Returns\n5,4,3\n2,1,2\n", "w.csv")
    mapping = Mapping(shape="wide", columns={"Checkout": "rating", "Delivery": "rating", "Returns": "rating"})
    result = apply_mapping(raw, mapping)
    assert result.interactions["customer_id"].unique().tolist() == ["w.csv#2", "w.csv#3"]


def test_rating_stream_orders_moments_and_keeps_the_overall_rating():
    result = load("stream.csv")
    assert result.shape == "stream"
    i = result.interactions
    assert i[i["customer_id"] == "E1"]["seq"].tolist() == [1, 2, 3, 4]
    assert i[i["customer_id"] == "E1"]["ces"].tolist() == [2.0, 5.0, 8.0, 3.0]
    assert result.scales.ces.higher_is_better is False  # pain: higher is worse
    assert result.customers.set_index("customer_id")["overall_rating"].to_dict() == {"E1": 6.0, "E2": 2.0}


def test_stream_out_of_order_offsets():
    raw = read_table(b"episode,offset,rating\nE1,120,3\nE1,0,1\nE1,60,2\n", "s.csv")
    result = apply_mapping(raw, suggest_mapping(raw))
    assert result.interactions.sort_values("seq")["csat"].tolist() == [1.0, 2.0, 3.0]


def test_touchpoint_names():
    assert touchpoint_names(["Rating: Checkout", "Rating: Delivery"]) == {
        "Rating: Checkout": "Checkout", "Rating: Delivery": "Delivery"}
    assert touchpoint_names(["Store", "Staff"]) == {"Store": "Store", "Staff": "Staff"}


def test_combine_interactions_customers_and_survey_into_one_source():
    results = load_files([DATA / "tickets.csv", DATA / "customers.csv", DATA / "wide_survey.csv"])
    interactions, customers, scales = combine(results)
    assert len(interactions) == sum(len(r.interactions) for r in results)
    assert set(customers["customer_id"]) == {"C001", "C002", "C003", "C004", "C005", "R1", "R2", "R3", "R4"}
    assert {"segment", "churned", "lifetime_value", "plan", "overall_verdict"} <= set(customers.columns)
    source = memory_source(interactions, customers, scales=scales)
    summary = summarize(source)
    assert summary.rows == len(interactions)
    assert "churn" in metrics.available(summary) and "csat" in metrics.available(summary)


def test_combine_refuses_conflicting_scales():
    a = apply_mapping(read_table(b"id,csat\nC1,4\n", "a.csv"), Mapping(shape="customers", columns={"id": "customer_id", "csat": "csat"},
                                                                    scales=Scales(csat=Scale(1, 5))))
    b = apply_mapping(read_table(b"id,csat\nC2,9\n", "b.csv"), Mapping(shape="customers", columns={"id": "customer_id", "csat": "csat"},
                                                                    scales=Scales(csat=Scale(1, 10))))
    with pytest.raises(IngestError, match=r"different CSAT scales \(a\.csv: 1–5, higher is better; b\.csv: 1–10"):
        combine([a, b])


def test_saved_mapping_with_a_renamed_column_is_refused_clearly():
    mapping = suggest_mapping(read_table(DATA / "tickets.csv"))
    renamed = (DATA / "tickets.csv").read_bytes().replace(b"Likelihood to recommend", b"LTR")
    with pytest.raises(IngestError, match=r"tickets\.csv: the mapping uses column\(s\) 'Likelihood to recommend'"):
        load_files([("tickets.csv", renamed)], mapping)


def test_load_files_reports_progress_to_one():
    seen = []
    load_files([DATA / "tickets.csv", DATA / "stream.csv"], progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


def test_dtypes_are_canonical():
    i = load("tickets.csv").interactions
    assert str(i["nps"].dtype) == "Int64" and str(i["csat"].dtype) == "Float64"
    assert str(i["resolved_first_contact"].dtype) == "boolean"
    assert isinstance(pd.DataFrame(i).iloc[0]["customer_id"], str)


_TICKETS = ("Customer ID,Date,State,NPS\n"
            "C1,2026-01-05,NY,9\nC1,2026-01-06,TX,7\nC2,2026-01-07,CA,3\nC2,2026-01-08,CA,5\nC3,2026-01-08,,5\n"
            "C3,2026-01-09,WA,5\n")


def test_an_attribute_that_varies_by_row_is_said_by_cx_map_and_kept_through_load_into(tmp_path, capsys):
    """issue 12: 'State' changes between C1's tickets. cx map says it will be kept per row and why; cx load
    --into writes it on the interactions; the database reopened counts each ticket under its own state (a
    ticket without one under its customer's), with a second file that has no state counted by the customer's."""
    import json

    from cx import cli
    from cx.ingest import open_files

    path = tmp_path / "tickets.csv"
    path.write_text(_TICKETS, encoding="utf-8")
    other = tmp_path / "surveys.csv"
    other.write_text("Customer ID,Date,NPS\nC1,2026-02-01,10\nC2,2026-02-02,0\n", encoding="utf-8")
    assert cli.main(["map", str(path)]) == 0
    mapping = json.loads(capsys.readouterr().out)
    assert mapping["columns"]["State"] == "customers.region"
    assert any(n.startswith("'State' (region) changes from row to row for 1 customer: kept per row") for n in mapping["notes"])

    into = tmp_path / "cx.duckdb"
    assert cli.main(["load", str(path), str(other), "--into", str(into)]) == 0
    assert "kept per row, so a breakdown or a filter by region counts each contact under its own value" in capsys.readouterr().out
    # independent: the row's state, else the customer's latest (C1 TX, C2 CA, C3 WA) — the survey rows too
    want = {"NY": 1, "TX": 1 + 1, "CA": 2 + 1, "WA": 2}
    table = metrics.metric_table(open_files([path, other]), "volume", "all", "region")
    assert dict(zip(table["region"], table["n"])) == want
    assert cli.main(["metrics", "--source", str(into), "--metric", "volume", "--grain", "all", "--by", "region",
                     "--format", "json"]) == 0
    assert {r["region"]: r["n"] for r in json.loads(capsys.readouterr().out)} == want


def test_an_attribute_constant_within_each_customer_stays_on_the_customers_alone():
    frame = pd.read_csv(io.StringIO(_TICKETS)).assign(State=lambda f: f["Customer ID"].map({"C1": "NY", "C2": "CA",
                                                                                              "C3": "WA"}))
    raw = read_table(frame.to_csv(index=False).encode(), "tickets.csv")
    result = apply_mapping(raw, suggest_mapping(raw))
    assert "region" not in result.interactions.columns
    assert not any("row to row" in n for n in result.notes)
    source = memory_source(result.interactions, result.customers)
    assert row_attributes(source.interactions) == ()
    table = metrics.metric_table(source, "volume", "all", "region")
    assert dict(zip(table["region"], table["n"])) == {"NY": 2, "CA": 2, "WA": 2}
