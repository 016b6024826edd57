"""Every metric query compiles for Snowflake and BigQuery (compile only: no connection), with the right pieces.

The dialect packages (snowflake-sqlalchemy, sqlalchemy-bigquery) are in the ``dev`` extra; results on
the four backends we can run are checked in tests/sql/test_metrics_backends.py.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from snowflake.sqlalchemy.snowdialect import SnowflakeDialect
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy_bigquery import BigQueryDialect

from cx import metrics
from cx.db import memory_source
from cx.schema import Grain
from cx.scope import Scope

DIALECTS = {"snowflake": SnowflakeDialect(), "bigquery": BigQueryDialect(), "mysql": mysql.dialect(),
            "mariadb": mysql.dialect(is_mariadb=True), "postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}
FILTERS = Scope(date_from="2026-01-01", date_to="2026-03-31", channels=["chat"], stages=["purchase"],
                  segments=["consumer"])


@pytest.fixture(scope="module")
def source():
    interactions = pd.DataFrame({"customer_id": ["a"], "occurred_at": pd.to_datetime(["2026-01-05"]), "channel": ["chat"],
                                 "journey_stage": ["purchase"], "touchpoint": ["checkout"], "nps": [9]})
    customers = pd.DataFrame({"customer_id": ["a"], "segment": ["consumer"], "region": ["north"], "churned": [False],
                              "lifetime_value": [10.0]})
    return memory_source(interactions, customers)


def _sql(source, dialect, metric, grain, by, scope=FILTERS) -> str:
    query = metrics.metric_query(source, metric, grain, by, scope)
    return str(query.compile(dialect=DIALECTS[dialect], compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_every_query_compiles(source, dialect):
    for metric, grain, by in itertools.product(metrics.METRICS, [g.value for g in Grain],
                                               [(), ("channel",), ("segment",), ("journey_stage", "region")]):
        text = _sql(source, dialect, metric, grain, by)
        grouped = grain != "all" or bool(by)
        outer = metrics.metric_query(source, metric, grain, by, FILTERS)  # (an inner query may group by customer)
        assert bool(outer._group_by_clauses) == grouped and (not grouped or "GROUP BY" in text.upper()), (metric, grain, by)


def test_snowflake_uses_iso_weeks_and_native_percentiles(source):
    text = _sql(source, "snowflake", "ttr", "week", ["channel"])
    assert "DAYOFWEEKISO" in text  # DATE_TRUNC('WEEK') would follow the WEEK_START session parameter
    assert "percentile_cont(0.5) WITHIN GROUP" in text and "percentile_cont(0.9) WITHIN GROUP" in text


def test_bigquery_uses_iso_weeks_and_the_window_fallback(source):
    text = _sql(source, "bigquery", "ttr", "week", ["channel"])
    assert "ISOWEEK" in text
    assert "percentile_cont" not in text.lower()  # an analytic-only function there
    assert "row_number() OVER" in text


def test_quarters_and_months_on_snowflake_and_bigquery(source):
    assert "DATE_TRUNC('QUARTER'" in _sql(source, "snowflake", "nps", "quarter", [])
    assert "DATE_TRUNC(DATE(" in _sql(source, "bigquery", "nps", "month", []) and ", MONTH)" in _sql(
        source, "bigquery", "nps", "month", [])
