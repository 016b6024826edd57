"""The demo warehouse: sizes, determinism, and the planted effects the analytics must find."""

import duckdb
import pytest

from cx import demo


@pytest.fixture(scope="module")
def con(demo_source):
    # the session's read-only engine: DuckDB refuses a second handle on the file with another configuration
    connection = demo_source.engine.raw_connection()
    yield connection.driver_connection
    connection.close()


def test_default_sizes_and_coverage(con):
    customers, rows, first, last, channels, stages = con.execute(
        "SELECT count(DISTINCT customer_id), count(*), min(occurred_at), max(occurred_at), "
        "count(DISTINCT channel), count(DISTINCT journey_stage) FROM interactions").fetchone()
    assert rows >= 300_000
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] >= 20_000
    assert customers > 19_000
    assert (last - first).days >= 15 * 30
    assert channels >= 6 and stages == 5
    filled = con.execute(
        "SELECT " + ", ".join(f"count({c})" for c in (
            "nps", "csat", "ces", "first_response_minutes", "resolution_hours", "resolved_first_contact",
            "comment", "revenue", "touchpoint")) + " FROM interactions").fetchone()
    assert min(filled) > 10_000
    churned, with_date, ltv = con.execute(
        "SELECT sum(churned::INT), count(churned_at), min(lifetime_value) FROM customers").fetchone()
    assert churned == with_date and 0.08 < churned / 20_000 < 0.35 and ltv > 0


def test_scores_within_scales(con):
    bad = con.execute(
        "SELECT count(*) FROM interactions WHERE nps NOT BETWEEN 0 AND 10 OR csat NOT BETWEEN 1 AND 5 "
        "OR ces NOT BETWEEN 1 AND 7 OR first_response_minutes < 0 OR resolution_hours < 0").fetchone()[0]
    assert bad == 0


def test_no_interaction_after_churn(con):
    late = con.execute(
        "SELECT count(*) FROM interactions i JOIN customers c USING (customer_id) "
        "WHERE c.churned AND i.occurred_at >= c.churned_at").fetchone()[0]
    assert late == 0


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    paths = [tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"]
    demo.generate(paths[0], customers=500, interactions=5000, seed=1)
    demo.generate(paths[1], customers=500, interactions=5000, seed=1)
    demo.generate(paths[2], customers=500, interactions=5000, seed=2)
    digests = []
    for path in paths:
        with duckdb.connect(str(path), read_only=True) as c:
            digests.append(c.execute(
                "SELECT sum(hash(customer_id, occurred_at, channel, nps, csat, comment)) FROM interactions"
            ).fetchone()[0])
    assert digests[0] == digests[1] != digests[2]


def test_planted_chat_outage_week(con):
    rows = dict(con.execute(
        "SELECT date_trunc('week', occurred_at)::DATE AS w, avg((csat >= 4)::INT) FROM interactions "
        "WHERE channel = 'chat' AND csat IS NOT NULL AND occurred_at BETWEEN '2026-02-16' AND '2026-04-05' "
        "GROUP BY w").fetchall())
    outage = rows.pop(demo.OUTAGE_WEEK[0])
    assert outage < 0.3
    assert min(rows.values()) > 0.55


def test_planted_slow_email_resolution(con):
    medians = dict(con.execute(
        "SELECT channel, median(resolution_hours) FROM interactions WHERE resolution_hours IS NOT NULL "
        "GROUP BY channel").fetchall())
    email = medians.pop(demo.SLOW_CHANNEL)
    assert email > 3 * max(medians.values())


def test_planted_holiday_seasonality(con):
    # October and February bracket December, so the business's growth cancels out
    oct_, dec, feb = con.execute(
        "SELECT count(*) FILTER (WHERE occurred_at >= '2025-10-01' AND occurred_at < '2025-11-01'), "
        "count(*) FILTER (WHERE occurred_at >= '2025-12-01' AND occurred_at < '2026-01-01'), "
        "count(*) FILTER (WHERE occurred_at >= '2026-02-01' AND occurred_at < '2026-03-01') FROM interactions"
    ).fetchone()
    assert dec > 1.25 * (oct_ + feb) / 2


def test_ensure_demo_creates_once(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(demo, "generate", lambda path: calls.append(path) or path.write_bytes(b"x"))
    target = tmp_path / "sub" / "demo.duckdb"
    demo.ensure_demo(target)
    demo.ensure_demo(target)
    assert calls == [target]
