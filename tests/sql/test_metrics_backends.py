"""Same numbers on every backend: metric tables, time buckets and percentiles, results not SQL text.

Runs on SQLite and DuckDB always, on PostgreSQL and MariaDB when CX_TEST_PG_URL / CX_TEST_MYSQL_URL
are set. Each backend is compared with the pandas reference of tests/unit/test_metrics_reference.py
to 1e-9, so the backends agree with each other to 2e-9.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cx import metrics
from cx.db.dialects import NATIVE_PERCENTILE, as_float, percentile_cont, time_bucket
from cx.schema import Grain
from cx.scope import Scope

_spec = importlib.util.spec_from_file_location(
    "metrics_reference", Path(__file__).resolve().parents[1] / "unit" / "test_metrics_reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)


def _boundary_stamps() -> list[dt.datetime]:
    """Every 5 h 17 min across ISO-week-53 / new year, a leap day and quarter ends, plus exact midnights."""
    stamps = []
    for start, days in ((dt.datetime(2020, 12, 20), 30), (dt.datetime(2024, 2, 25), 10),
                        (dt.datetime(2026, 3, 27), 10), (dt.datetime(2026, 12, 26), 12)):
        step, t = dt.timedelta(hours=5, minutes=17), start
        while t < start + dt.timedelta(days=days):
            stamps.append(t)
            t += step
    stamps += [dt.datetime(2021, 1, 3, 23, 59, 59, 999999), dt.datetime(2021, 1, 4), dt.datetime(2026, 3, 31, 23, 59, 59),
               dt.datetime(2026, 4, 1), dt.datetime(2027, 1, 3, 23, 59, 59), dt.datetime(2027, 1, 4)]
    return stamps


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter"])
def test_time_buckets_match_pandas(make_source, grain):
    stamps = _boundary_stamps()
    frame = pd.DataFrame({"customer_id": [f"r{k:04d}" for k in range(len(stamps))], "occurred_at": pd.to_datetime(stamps, format="ISO8601")})
    source = make_source(frame)
    i = source.interactions
    got = source.read(sa.select(i.c.customer_id, time_bucket(grain, i.c.occurred_at).label("bucket")).order_by(i.c.customer_id))
    want = reference._period(frame["occurred_at"], Grain(grain))
    assert [pd.Timestamp(v).date() for v in got["bucket"]] == [v.date() for v in want]
    if grain == "week":
        assert {pd.Timestamp(v).weekday() for v in got["bucket"]} == {0}  # Monday, on every backend


def test_date_range_is_inclusive_by_day(make_source):
    stamps = ["2026-03-08 23:59:59.999999", "2026-03-09 00:00:00", "2026-03-15 23:59:59.999999", "2026-03-16 00:00:00"]
    frame = pd.DataFrame({"customer_id": list("abcd"), "occurred_at": pd.to_datetime(stamps, format="ISO8601")})
    source = make_source(frame)
    table = metrics.metric_table(source, "volume", "all", scope=Scope(date_from="2026-03-09", date_to="2026-03-15"))
    assert table.loc[0, "n"] == 2
    rows = metrics.interactions_for_cell(source, "volume", Scope(date_from="2026-03-09", date_to="2026-03-15"))
    assert list(rows["customer_id"]) == ["b", "c"]


def test_volume_counts_contacts_not_customer_records(make_source):
    """A customer table's score rows (customer_record true) are not contacts; NULL and false are (issue 12)."""
    record = [True, False, None, True, None, False, True]
    frame = pd.DataFrame({"customer_id": list("abcdefg"), "csat": [5.0, 4.0, 1.0, 2.0, 5.0, 3.0, 4.0],
                          "channel": ["email", "chat", "chat", None, "email", "chat", None],
                          "customer_record": pd.array(record, dtype="boolean")})
    customers = pd.DataFrame({"customer_id": list("abcdefg"), "segment": list("xxyyxyx")})
    source = make_source(frame, customers)
    contacts = frame[~frame["customer_record"].fillna(False).astype(bool)]
    assert metrics.metric_table(source, "volume", "all").loc[0, "n"] == len(contacts) == 4
    by = metrics.metric_table(source, "volume", "all", "channel")
    assert dict(zip(by["channel"], by["n"])) == contacts["channel"].value_counts().to_dict()
    by = metrics.metric_table(source, "volume", "all", "segment")
    segment = contacts.merge(customers, on="customer_id")["segment"].value_counts().to_dict()
    assert dict(zip(by["segment"], by["n"])) == segment
    assert metrics.metric_table(source, "csat", "all").loc[0, "n"] == len(frame)  # scores still count
    assert sorted(metrics.interactions_for_cell(source, "volume")["customer_id"]) == sorted(contacts["customer_id"])
    from cx.db.summary import summarize

    summary = summarize(source)
    assert summary.column_counts["customer_id"] == len(contacts) and summary.rows == len(frame)


def _groups(rng, sizes) -> pd.DataFrame:
    rows = []
    for size in sizes:
        values = rng.lognormal(2.0, 1.0, size).round(2)
        values[rng.random(size) < 0.2] = values[0]  # ties
        rows += [{"customer_id": f"g{size:05d}", "channel": f"g{size:05d}", "occurred_at": dt.datetime(2026, 1, 5),
                  "resolution_hours": float(v)} for v in values]
    return pd.DataFrame(rows)


def test_percentiles_and_median_intervals_match_numpy(make_source):
    rng = np.random.default_rng(5)
    sizes = [1, 2, 3, 5, 6, 7, 10, 11, 40, 99, 100, 101, 131, 1000, 2501]
    frame = _groups(rng, sizes)
    table = metrics.metric_table(make_source(frame), "ttr", "all", ["channel"])
    assert list(table["n"]) == sizes
    low_rank, high_rank = metrics.median_rank_bounds(sizes)
    for row, lo, hi in zip(table.itertuples(), low_rank, high_rank):
        x = np.sort(frame.loc[frame.channel == row.channel, "resolution_hours"].to_numpy())
        assert row.value == pytest.approx(np.quantile(x, 0.5), abs=1e-9)
        assert row.p90 == pytest.approx(np.quantile(x, 0.9), abs=1e-9)
        assert (row.ci_low == x[lo - 1]) if lo >= 1 else np.isnan(row.ci_low)
        assert (row.ci_high == x[hi - 1]) if hi <= len(x) else np.isnan(row.ci_high)


def test_native_percentile_equals_the_portable_fallback(make_source, backend):
    rng = np.random.default_rng(6)
    source = make_source(_groups(rng, [1, 2, 4, 9, 10, 57]))
    i = source.interactions
    value = as_float(i.c.resolution_hours)  # ranks by hand: cx.sql.ranked() leaves them out on DuckDB
    inner = sa.select(i.c.channel, value.label("value"),
                      sa.func.row_number().over(partition_by=i.c.channel, order_by=value).label("rank"),
                      sa.func.count(sa.literal_column("1")).over(partition_by=i.c.channel).label("count"),
                      ).where(value.is_not(None)).subquery()
    v, r, c = inner.c.value, inner.c.rank, inner.c.count
    query = sa.select(inner.c.channel, *[percentile_cont(f, v, r, c).label(f"native_{k}") for k, f in enumerate((0, .1, .5, .9, 1))],
                      *[percentile_cont(f, v, r, c).fallback().label(f"fallback_{k}") for k, f in enumerate((0, .1, .5, .9, 1))])
    got = source.read(query.group_by(inner.c.channel).order_by(inner.c.channel))
    compiled = str(query.compile(source.engine))
    assert (("percentile_cont" in compiled or "quantile_cont" in compiled) == (source.dialect in NATIVE_PERCENTILE))
    for k in range(5):
        np.testing.assert_allclose(got[f"native_{k}"].astype(float), got[f"fallback_{k}"].astype(float), rtol=1e-12)


def test_one_aggregate_query_and_only_aggregates_cross_the_wire(make_source):
    frame = _groups(np.random.default_rng(7), [20, 30])
    frame["nps"] = np.arange(len(frame)) % 11
    source = make_source(frame)
    statements = []
    sa.event.listen(source.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for metric in ("nps", "ttr", "volume"):
        statements.clear()
        table = metrics.metric_table(source, metric, "week", ["channel"])
        assert len([s for s in statements if "GROUP BY" in s.upper()]) == 1 == len(statements), statements
        assert len(table) == 2


def test_drill_down_matches_the_cell(make_source):
    frame = _groups(np.random.default_rng(8), [3, 12])
    frame["comment"] = "=HYPERLINK(\"http://x\")"  # returned as text, never interpreted here
    source = make_source(frame)
    table = metrics.metric_table(source, "ttr", "week", ["channel"])
    row = table.iloc[1]
    rows = metrics.interactions_for_cell(source, "ttr", grain="week", period=row.period, cell={"channel": row.channel})
    assert len(rows) == row.n == 12
    assert len(metrics.interactions_for_cell(source, "ttr", grain="week", period=row.period,
                                             cell={"channel": row.channel}, limit=5)) == 5
    assert set(rows["comment"]) == {"=HYPERLINK(\"http://x\")"}


# no shrinking: each shrink step reloads tables, minutes on a server; the failing example is printed as drawn
@settings(max_examples=25, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=reference.datasets(max_rows=25), query=reference.queries())
def test_every_metric_equals_the_reference(make_source, data, query):
    interactions, customers = data
    grain, by, scope, min_n = query
    source = make_source(interactions, customers)
    try:
        for metric in metrics.METRICS:
            expected = reference.reference_table(interactions, customers, metric, grain, by, scope, min_n=min_n)
            reference.assert_same(metrics.metric_table(source, metric, grain, by, scope, min_n=min_n), expected)
    finally:
        source.engine.dispose()  # DuckDB: the next example's writer needs the file free of read-only handles


@settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=reference.datasets(max_rows=25), cuts=st.lists(reference.queries(), min_size=2, max_size=3))
def test_several_cuts_in_one_query_equal_each_cut_alone(make_source, data, cuts):
    """metric_tables' UNION ALL (NULL-padded breakdowns and periods) gives each cut's own numbers, in one statement."""
    interactions, customers = data
    source = make_source(interactions, customers)
    statements = []
    sa.event.listen(source.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    plan = {f"cut{k}": metrics.Cut(grain, tuple(by), scope) for k, (grain, by, scope, _) in enumerate(cuts)}
    try:
        for metric in metrics.METRICS:
            statements.clear()
            tables = metrics.metric_tables(source, metric, plan)
            assert len(statements) == 1, metric
            for k, (grain, by, scope, min_n) in enumerate(cuts):
                reference.assert_same(tables[f"cut{k}"].table(min_n),
                                      metrics.metric_table(source, metric, grain, by, scope, min_n=min_n),
                                      tol=1e-9)  # the cluster-robust variance expands Σ(s − m·n)²: summed in
                                                 # another order by the server, its last digits may differ
    finally:
        source.engine.dispose()


def test_cuts_without_a_period_or_breakdown_first_still_line_up(make_source):
    """The first branch of the UNION has NULL for period and breakdown: every backend must still type them."""
    frame = _groups(np.random.default_rng(9), [12, 30])
    frame["nps"] = np.arange(len(frame)) % 11
    frame["occurred_at"] = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.arange(len(frame)) % 20, unit="D")
    customers = pd.DataFrame({"customer_id": ["g00012", "g00030"], "segment": ["consumer", "business"],
                              "churned": [True, False], "lifetime_value": [10.0, 20.5]})
    source = make_source(frame, customers)
    cuts = {"all": metrics.Cut("all"), "weekly": metrics.Cut("week", ("channel", "segment")),
            "days": metrics.Cut("day", ("channel",), Scope(date_from="2026-01-10"))}
    for metric in ("nps", "ttr", "volume", "churn", "ltv"):
        tables = metrics.metric_tables(source, metric, cuts)
        for name, cut in cuts.items():
            reference.assert_same(tables[name].table(), metrics.metric_table(source, metric, cut.grain, cut.by, cut.scope),
                                  tol=1e-12)
        assert len(tables["weekly"]) == 5 and tables["all"].table().period.tolist() == ["all"]


def test_two_cuts_without_a_period_before_a_dated_one_still_line_up(make_source):
    """PostgreSQL types a UNION's columns branch by branch: two NULL periods first became text, and the
    day cut's dates then failed ("UNION types text and date cannot be matched", found by the
    property test above); the padding NULL now carries the period's type."""
    frame = _groups(np.random.default_rng(10), [12, 30])
    frame["nps"] = np.arange(len(frame)) % 11
    frame["occurred_at"] = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.arange(len(frame)) % 20, unit="D")
    source = make_source(frame)
    cuts = {"all": metrics.Cut("all"), "by_channel": metrics.Cut("all", ("channel",)),
            "days": metrics.Cut("day", (), Scope(date_from="2026-01-10"))}
    for metric in ("nps", "ttr", "volume"):
        tables = metrics.metric_tables(source, metric, cuts)
        for name, cut in cuts.items():
            reference.assert_same(tables[name].table(), metrics.metric_table(source, metric, cut.grain, cut.by, cut.scope),
                                  tol=1e-12)


@settings(max_examples=10, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=reference.datasets(max_rows=25), query=reference.queries())
def test_metric_columns_are_the_metric_table_without_pandas(make_source, data, query):
    """cx metrics' rows (metric_columns: Python rows, no DataFrame) are metric_table's, value for value, in order."""
    interactions, customers = data
    grain, by, scope, min_n = query
    source = make_source(interactions, customers)
    try:
        for metric in metrics.METRICS:
            table = metrics.metric_table(source, metric, grain, by, scope, min_n=min_n)
            got = metrics.metric_columns(source, metric, grain, by, scope, min_n=min_n)
            assert list(got) == list(table.columns), metric
            assert [p if isinstance(p, str) else pd.Timestamp(p) for p in got["period"]] == table["period"].tolist()
            for name in table.columns[1:]:
                want = table[name].to_numpy()
                if want.dtype.kind == "f":
                    np.testing.assert_array_equal(got[name], want, err_msg=f"{metric} {name}")
                else:
                    assert list(got[name]) == want.tolist(), (metric, name)
    finally:
        source.engine.dispose()
