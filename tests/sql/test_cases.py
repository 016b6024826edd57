"""Follow-up cases in the app-owned database, on SQLite and PostgreSQL: open, change, history, no
lost update between two sessions, follow-up metrics, and the churn comparison on every backend."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import backend_url
from scipy import stats

from cx.db.write import METADATA, AppStore, StaleUpdate
from cx.loop import cases
from cx.loop.tables import CASE_HISTORY, CASES

pytestmark = pytest.mark.usefixtures("app_tables_lock")  # shared cx_* tables: one test at a time


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = backend_url(request.param, tmp_path)
    store = AppStore(url)
    with store.engine.begin() as con:  # a fresh start in a reused PostgreSQL database
        con.execute(CASE_HISTORY.delete())
        con.execute(CASES.delete())
    yield store
    METADATA.drop_all(store.engine)
    store.engine.dispose()


def test_a_case_moves_open_contacted_resolved_with_its_history(store):
    case = cases.open_case(store, "demo", "detractor", "C00042", owner="ann@example.org", notes="NPS 2 after chat",
                           user="lead@example.org")
    assert (case.status, case.version, case.customer_id, case.created_by) == ("open", 1, "C00042", "lead@example.org")
    assert case.due == case.created_at.date() + dt.timedelta(days=cases.DEFAULT_DUE_DAYS)
    case = cases.update_case(store, case.id, case.version, status="contacted", notes="called, will call back",
                             user="ann@example.org")
    assert case.status == "contacted" and case.contacted_at is not None and case.version == 2
    first_contact = case.contacted_at
    case = cases.update_case(store, case.id, case.version, status="resolved")
    assert case.resolved_at is not None and case.contacted_at == first_contact and case.updated_by == "anonymous"
    log = cases.history(store, case.id)
    assert log["field"].tolist() == ["opened", "status", "notes", "status"] or \
        log["field"].tolist() == ["opened", "notes", "status", "status"]
    assert set(log["by"]) == {"lead@example.org", "ann@example.org", "anonymous"}
    assert log[log.field == "status"]["new"].tolist() == ["contacted", "resolved"]
    case = cases.update_case(store, case.id, case.version, status="open")  # reopened: no longer resolved
    assert case.resolved_at is None and case.contacted_at == first_contact


def test_two_sessions_never_lose_an_update(store):
    case = cases.open_case(store, "demo", "incident", "C1")
    mine = cases.get_case(store, case.id)
    theirs = cases.get_case(store, case.id)
    cases.update_case(store, theirs.id, theirs.version, owner="bob@example.org", user="bob@example.org")
    with pytest.raises(StaleUpdate, match=r"changed by bob@example.org .*nothing was saved"):
        cases.update_case(store, mine.id, mine.version, notes="my note", user="ann@example.org")
    now = cases.get_case(store, case.id)
    assert (now.owner, now.notes, now.version) == ("bob@example.org", "", 2)
    cases.update_case(store, now.id, now.version, notes="my note", user="ann@example.org")  # after a reload: fine
    assert cases.get_case(store, case.id).notes == "my note"


def test_list_filters_and_urgency_order(store):
    a = cases.open_case(store, "demo", "detractor", "C1", owner="ann", due="2026-01-05")
    b = cases.open_case(store, "demo", "at_risk", "C2", owner="bob", due="2026-01-03")
    c = cases.open_case(store, "demo", "incident", "C3", owner="ann")
    cases.open_case(store, "other", "incident", "C4")
    cases.update_case(store, c.id, c.version, status="resolved")
    listed = cases.list_cases(store, "demo")
    assert listed["id"].tolist() == [b.id, a.id, c.id]
    assert cases.list_cases(store, "demo", owner="ann")["subject"].tolist() == ["C1", "C3"]
    assert cases.list_cases(store, "demo", status=["open"], kind="at_risk")["subject"].tolist() == ["C2"]


def test_bad_input_is_one_sentence(store):
    with pytest.raises(cases.CaseError, match="unknown kind"):
        cases.open_case(store, "demo", "complaint", "C1")
    with pytest.raises(cases.CaseError, match="needs a subject"):
        cases.open_case(store, "demo", "incident", "  ")
    case = cases.open_case(store, "demo", "incident", "C1")
    with pytest.raises(cases.CaseError, match="unknown status"):
        cases.update_case(store, case.id, case.version, status="done")
    with pytest.raises(cases.CaseError, match="YYYY-MM-DD"):
        cases.update_case(store, case.id, case.version, due="next week")
    with pytest.raises(cases.CaseError, match="no case #999999"):
        cases.get_case(store, 999999)


def test_followup_metrics_against_a_hand_count():
    t0 = pd.Timestamp("2026-03-02 09:00")
    frame = pd.DataFrame({
        "status": ["resolved", "resolved", "contacted", "open", "open"],
        "created_at": [t0] * 5,
        "contacted_at": [t0 + pd.Timedelta(hours=2), t0 + pd.Timedelta(hours=30), t0 + pd.Timedelta(hours=5), None, None],
        "resolved_at": [t0 + pd.Timedelta(days=1), t0 + pd.Timedelta(days=6), None, None, None],
        "due": [dt.date(2026, 3, 5)] * 4 + [dt.date(2026, 3, 20)],
    })
    m = cases.followup_metrics(frame, today=dt.date(2026, 3, 10))
    assert m.hours_to_first_contact == pytest.approx(5.0)  # median of 2, 5, 30
    # decided: 2 resolved (1 in time, 1 late) + 2 unresolved past due; the last is not due yet
    assert (m.closed_in_time, m.due_cases, m.overdue) == (1, 4, 2)
    assert m.share_closed_in_time == pytest.approx(25.0)
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(1, 4, method="wilson")
    assert (m.ci_low, m.ci_high) == (pytest.approx(100 * low), pytest.approx(100 * high))


def test_outcome_comparison_counts_in_the_database(make_source):
    rng = np.random.default_rng(3)
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(200)], "churned": pd.Series(rng.random(200) < 0.3, dtype=object)})
    customers.loc[5, "churned"] = None
    interactions = pd.DataFrame({"customer_id": customers.customer_id, "occurred_at": pd.Timestamp("2026-01-01")})
    source = make_source(interactions, customers)
    followed = [f"C{i}" for i in range(0, 60)] + ["nobody"]
    got = cases.outcome_comparison(source, followed).set_index("group")
    known = customers.dropna(subset=["churned"])
    mask = known.customer_id.isin(followed)
    for label, rows in (("followed up", known[mask]), ("not followed up", known[~mask])):
        assert got.loc[label, "customers"] == len(rows)
        assert got.loc[label, "churn_rate"] == pytest.approx(100 * rows.churned.astype(bool).mean())
    k1, n1 = known[mask].churned.astype(bool).sum(), mask.sum()
    k0, n0 = known[~mask].churned.astype(bool).sum(), (~mask).sum()
    table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
    chi2 = stats.chi2_contingency(table, correction=False)
    assert got.loc["followed up", "p_value"] == pytest.approx(chi2.pvalue, rel=1e-6)  # z² = χ²


def test_an_app_database_from_before_the_loop_gets_its_tables_on_first_use(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as con:  # what an app database held before cx.loop: the schema row and settings
        con.execute(sa.text("CREATE TABLE cx_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)"))
        con.execute(sa.text("INSERT INTO cx_schema VALUES (1, 1)"))
    engine.dispose()
    store = AppStore.__new__(AppStore)  # opened without migrating, as a store opened before cx.loop was imported
    store.url, store.label, store.engine = url, url, sa.create_engine(url)
    case = cases.open_case(store, "demo", "incident", "C1")
    assert cases.get_case(store, case.id).status == "open"
    assert {"cx_cases", "cx_case_history", "cx_alerts", "cx_deliveries", "cx_settings"} <= set(
        sa.inspect(store.engine).get_table_names())
