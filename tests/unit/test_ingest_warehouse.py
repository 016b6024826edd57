"""Warehouse tables: suggest a mapping from a LIMITed sample, then map them as a read-only view."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from cx import metrics
from cx.db import SourceError, connect, summarize, table_source
from cx.ingest import suggest_mapping
from cx.ingest.warehouse import preview_rows, sample_table, warehouse_columns


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "wh.sqlite"
    writer = sa.create_engine(f"sqlite:///{path}")
    pd.DataFrame({
        "cust_no": ["C1", "C2", "C1", "C3"],
        "created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 11:00", "2026-01-07 09:00", "2026-01-08 12:00"]),
        "contact_channel": ["Email", "chat", "phone", "chat"],
        "likelihood_to_recommend": [9, 3, 10, 7],
        "fcr": ["Y", "N", "Y", "Y"],
        "resolution_time_hrs": [2.5, 30.0, 1.0, 4.0],
    }).to_sql("tickets", writer, index=False)
    pd.DataFrame({"customer": ["C1", "C2", "C3"], "churned": ["no", "yes", "no"], "plan": ["pro", "basic", "basic"],
                  "clv": [1200.0, 80.0, 300.0]}).to_sql("accounts", writer, index=False)
    writer.dispose()
    engine = connect(path)
    yield engine
    engine.dispose()


def test_sample_and_map_a_table_as_a_view(warehouse):
    raw = sample_table(warehouse, "tickets", limit=3)
    assert len(raw.frame) == 3
    mapping = suggest_mapping(raw)
    assert mapping.columns == {"cust_no": "customer_id", "created_at": "occurred_at", "contact_channel": "channel",
                               "likelihood_to_recommend": "nps", "fcr": "resolved_first_contact",
                               "resolution_time_hrs": "resolution_hours"}
    customers = suggest_mapping(sample_table(warehouse, "accounts"))
    settings = warehouse_columns(mapping, customers)
    assert settings["customers_columns"] == {"customer_id": "customer", "churned": "churned", "lifetime_value": "clv",
                                             "segment": "plan"}
    assert settings["booleans"] == {"resolved_first_contact": "y", "churned": "yes"}
    assert settings["customer_attributes"] == ()
    notes = settings.pop("notes")
    assert notes == []
    source = table_source(warehouse, "tickets", settings["interactions_columns"], "accounts", settings["customers_columns"],
                          scales=settings["scales"], booleans=settings["booleans"],
                          customer_attributes=settings["customer_attributes"])
    summary = summarize(source)
    assert summary.rows == 4 and summary.customers == 3
    assert {"nps", "fcr", "ttr", "churn"} <= set(metrics.available(summary))
    preview = preview_rows(source, 2)
    assert preview["customer_id"].tolist() == ["C1", "C2"]
    assert preview["resolved_first_contact"].tolist() == [True, False]


def test_what_a_view_cannot_do_is_said(warehouse):
    raw = sample_table(warehouse, "tickets")
    mapping = suggest_mapping(raw)
    mapping.columns["resolution_time_hrs"] = "resolved_at"
    mapping.columns["contact_channel"] = "customers.segment"
    notes = warehouse_columns(mapping)["notes"]
    assert any("cannot be derived from two timestamps" in n for n in notes)
    assert any("customer columns on the interactions table are not used (contact_channel)" in n for n in notes)


def test_injected_table_name_is_quoted_not_executed(warehouse):
    with pytest.raises(SourceError, match="cannot read table or view"):
        sample_table(warehouse, "tickets; DROP TABLE accounts")
    assert "accounts" in sa.inspect(warehouse).get_table_names()
