"""Sources read the same canonical data identically on every backend, read-only, without leaking secrets."""

import os

import pandas as pd
import pytest
import sqlalchemy as sa

from cx import metrics
from cx.db import SourceError, memory_source, open_warehouse, safe_url, summarize

INTERACTIONS = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c", "c", "c"],
    "occurred_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-12 09:30", None, "2025-12-31 23:59",
                                   "2026-01-01 00:00", "2026-02-01 12:00"]),
    "channel": ["chat", "email", "chat", "phone", None, "chat"],
    "journey_stage": ["purchase", "retention", "purchase", "awareness", "awareness", "advocacy"],
    "nps": [10, 3, None, 7, 9, 0],
    "csat": [5.0, 2.0, 4.0, None, 3.0, 1.0],
    "resolved_first_contact": [True, False, None, True, True, False],
    "comment": ["<b>great</b>", "=1+1", None, "ok", "fine", "awful"],
})
CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c"], "segment": ["smb", "consumer", "smb"], "churned": [False, True, False],
    "lifetime_value": [100.5, 20.0, 330.25],
})


def test_summary_identical_on_every_backend(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    summary = summarize(source)
    assert summary.rows == 6 and summary.customers == 3 and summary.undated_rows == 1
    assert summary.first == pd.Timestamp("2025-12-31 23:59") and summary.last == pd.Timestamp("2026-02-01 12:00")
    assert summary.channels == {"chat": 3, "email": 1, "phone": 1}
    assert summary.column_counts["nps"] == 5 and summary.column_counts["csat"] == 5
    assert summary.column_counts["customers.churned"] == 3
    assert {"nps", "csat", "fcr", "churn", "ltv"} <= set(metrics.available(summary))
    assert "ces" not in metrics.available(summary)


def test_canonical_rows_round_trip(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    i = source.interactions
    rows = source.read(sa.select(i.c.customer_id, i.c.nps, i.c.comment).order_by(i.c.customer_id, i.c.nps))
    assert rows["comment"].tolist().count("=1+1") == 1
    assert sorted(rows["nps"].dropna().astype(int).tolist()) == [0, 3, 7, 9, 10]


def test_writes_are_refused_and_change_nothing(make_source, backend):
    source = make_source(INTERACTIONS, CUSTOMERS)
    table = source.interactions.element.get_final_froms()[0]
    with pytest.raises(sa.exc.DBAPIError):
        with source.engine.begin() as con:
            con.execute(sa.delete(table))
    assert summarize(source).rows == 6


def test_memory_sources_are_private():
    one = memory_source(INTERACTIONS, CUSTOMERS, label="one")
    two = memory_source(INTERACTIONS.iloc[:2], None, label="two")
    assert summarize(one).rows == 6 and summarize(two).rows == 2
    assert one.key != two.key and two.customers is None


def test_password_never_in_errors():
    url = "postgresql+psycopg://cx_reader:S3cretPassw0rd@127.0.0.1:1/nowhere"
    with pytest.raises(SourceError) as info:
        open_warehouse(url)
    assert "S3cretPassw0rd" not in str(info.value)
    assert "***" in str(info.value)
    assert "S3cretPassw0rd" not in safe_url(url)


@pytest.mark.pg
def test_password_masked_against_real_postgres():
    url = os.environ.get("CX_TEST_PG_URL")
    if not url:
        pytest.skip("CX_TEST_PG_URL not set: PostgreSQL tests run in CI only")
    bad = sa.make_url(url).set(username="nobody_here", password="Hunter2Secret", database="missing_db")
    with pytest.raises(SourceError) as info:
        open_warehouse(bad.render_as_string(hide_password=False))
    assert "Hunter2Secret" not in str(info.value)


@pytest.mark.mysql
def test_password_masked_against_real_mariadb():
    url = os.environ.get("CX_TEST_MYSQL_URL")
    if not url:
        pytest.skip("CX_TEST_MYSQL_URL not set: MariaDB tests run in CI only")
    bad = sa.make_url(url).set(username="nobody_here", password="Hunter2Secret", database="missing_db")
    with pytest.raises(SourceError) as info:
        open_warehouse(bad.render_as_string(hide_password=False))
    assert "Hunter2Secret" not in str(info.value) and "***" in str(info.value)


def test_a_warehouse_summary_is_read_once_then_again_when_it_is_no_longer_fresh(make_source, monkeypatch):
    """Issue 14: the review, its alerts and the churn fit each ask for the summary, four scans of the whole
    table on a warehouse; it is read once, and read again after ``FRESH_SECONDS`` (the rows may change)."""
    from cx.db import summary as module

    source = make_source(INTERACTIONS, CUSTOMERS)
    reads, clock = [], [1000.0]
    read = module._summarize
    monkeypatch.setattr(module, "_summarize", lambda s: reads.append(s.key) or read(s))
    monkeypatch.setattr(module, "_now", lambda: clock[0])
    first = summarize(source)
    clock[0] += module.FRESH_SECONDS - 1
    assert summarize(source) is first and len(reads) == 1
    clock[0] += 2
    assert summarize(source) == first and len(reads) == 2
