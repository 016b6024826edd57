"""The drivers' SQL compiles for every dialect the product promises (results are tested in tests/sql)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy_bigquery import BigQueryDialect

from cx.db import memory_source
from cx.drivers.cohort import cohort_queries
from cx.drivers.keydrivers import contact_query, respondent_query, touchpoint_query
from cx.drivers.mix import mix_shift
from cx.metrics.query import Cut, metric_query
from cx.metrics.registry import lookup
from cx.schema import Grain
from cx.scope import Scope

DIALECTS = {"snowflake": SnowflakeDialect(), "bigquery": BigQueryDialect(), "mysql": mysql.dialect(),
            "postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}


@pytest.fixture(scope="module")
def source():
    rows = pd.DataFrame({"customer_id": ["a", "b", "a"], "occurred_at": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-02-02"]),
                         "channel": ["chat", "email", "chat"], "touchpoint": ["seat", "seat", "wifi"],
                         "nps": [9, 3, 7], "csat": [5.0, 2.0, 4.0], "resolution_hours": [3.0, 30.0, 5.0],
                         "resolved_first_contact": [True, False, True]})
    customers = pd.DataFrame({"customer_id": ["a", "b"], "churned": [False, True],
                              "churned_at": pd.to_datetime([None, "2026-02-20"]), "segment": ["x", "y"]})
    return memory_source(rows, customers)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_drivers_query_compiles(source, dialect):
    m = lookup("csat", source.scales)
    scope = Scope(channels="chat,email", segments="x")
    queries = [contact_query(source, "nps", scope, 100), touchpoint_query(source, m, scope),
               respondent_query(source, m, ["seat", "wifi"], "segment", scope, 100),
               *cohort_queries(source, m, Grain.MONTH, scope, (dt.date(2026, 1, 1), dt.date(2026, 1, 31))),
               metric_query(source, m, Cut(Grain.ALL).grain, ["channel"], scope)]
    for query in queries:
        text = str(query.compile(dialect=DIALECTS[dialect], compile_kwargs={"literal_binds": True}))
        assert "SELECT" in text.upper()


def test_mix_shift_on_the_memory_source(source):
    shift = mix_shift(source, "csat", "channel", (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
                      (dt.date(2026, 2, 1), dt.date(2026, 2, 28)))
    assert shift.within + shift.mix == pytest.approx(shift.total)
