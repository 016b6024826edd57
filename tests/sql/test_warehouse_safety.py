"""Warehouse access is read-only: custom queries, mapped views and hostile identifiers change nothing."""

import pandas as pd
import pytest
import sqlalchemy as sa

from cx.db.source import SourceError, query_source, summarize, table_source, validate_select

ROWS = pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": [10, 6, 0], "channel": ["chat", "chat", "email"]})


@pytest.mark.parametrize("sql", [
    "SELECT * FROM t",
    "select customer_id, nps from t where comment = 'drop table t; --'",
    "WITH x AS (SELECT 1 AS a) SELECT a FROM x;",
    "SELECT \"update\" FROM t -- delete everything\n",
    "(SELECT 1)",
])
def test_single_selects_pass(sql):
    assert validate_select(sql)


@pytest.mark.parametrize(("sql", "reason"), [
    ("DELETE FROM t", "start with SELECT"),
    ("SELECT 1; DROP TABLE t", "single statement"),
    ("SELECT 1 /* ; */ ; DELETE FROM t", "single statement"),
    ("SELECT * INTO copy FROM t", "INTO"),
    ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE"),
    ("SELECT 'unterminated FROM t", "unterminated"),
    ("SELECT 1 /* open comment", "unterminated"),
])
def test_writes_and_stacked_statements_are_refused(sql, reason):
    with pytest.raises(SourceError, match=reason):
        validate_select(sql)


def _table_name(source):
    return source.interactions.element.get_final_froms()[0].name


def test_custom_query_reads_and_caps(make_source):
    source = make_source(ROWS)
    name = _table_name(source)
    custom = query_source(source.engine, f"SELECT customer_id, nps, channel FROM {name} WHERE channel = 'chat'",
                          {"customer_id": "customer_id", "nps": "nps", "channel": "channel"})
    assert summarize(custom).rows == 2
    capped = query_source(source.engine, f"SELECT * FROM {name}", {"customer_id": "customer_id"}, row_limit=1)
    assert summarize(capped).rows == 1


def test_write_through_custom_query_fails_and_changes_nothing(make_source, backend):
    source = make_source(ROWS)
    name = _table_name(source)
    with pytest.raises(SourceError):
        query_source(source.engine, f"DELETE FROM {name}")
    # even a write the validator could not see is refused by the read-only connection
    with pytest.raises(sa.exc.DBAPIError):
        with source.engine.begin() as con:
            con.execute(sa.text(f"UPDATE {name} SET nps = 0"))
    assert summarize(source).column_counts["nps"] == 3
    i = source.interactions
    assert sorted(source.read(sa.select(i.c.nps))["nps"].astype(int)) == [0, 6, 10]


def test_injected_identifier_is_quoted_not_executed(make_source):
    source = make_source(ROWS)
    name = _table_name(source)
    hostile = f'{name}; DROP TABLE {name}; --'
    with pytest.raises(SourceError, match="cannot read table or view"):
        table_source(source.engine, hostile)
    with pytest.raises(SourceError, match="no column"):
        table_source(source.engine, name, {"customer_id": 'customer_id" FROM x; DROP TABLE y; --'})
    assert summarize(source).rows == 3
