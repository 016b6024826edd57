"""``cx load --into`` a PostgreSQL database leaves tables the planner can plan for.

PostgreSQL plans from table statistics. Freshly written tables have none until autovacuum's next pass
(never when it is off), and then PostgreSQL guesses a few rows per table and runs the journey queries'
joins as nested loops (a minute per query on 3,000 rows instead of 0.1 s). The loader analyzes them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cx.ingest import write_tables
from tests.conftest import backend_url
from tests.sql.test_metric_cuts import demo_frames


def test_tables_written_into_postgresql_have_statistics(tmp_path):
    url = backend_url("postgresql", tmp_path)
    interactions, customers = demo_frames(tmp_path, 20, 300, 3)
    write_tables(url, interactions, customers)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            rows = dict(con.execute(sa.text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('interactions', 'customers') "
                "AND relnamespace = to_regnamespace(current_schema())")).all())
        assert rows == {"interactions": pytest.approx(300), "customers": pytest.approx(20)}
    finally:
        with engine.begin() as con:
            con.execute(sa.text("DROP TABLE IF EXISTS interactions, customers"))
        engine.dispose()
