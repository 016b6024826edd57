"""Sources for the page tests: a warehouse that goes away, tables missing optional columns, hostile values.

Built from plain SQL tables (SQLite always; PostgreSQL and MariaDB when CX_TEST_PG_URL /
CX_TEST_MYSQL_URL are set, and then an unreachable server is a failure, not a skip).
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from conftest import backend_url  # noqa: F401  tests/conftest.py: the databases of the SQL tests

from cx.db import Source, SourceError, demo_source, table_source


class ReadContract(Source):
    """A source whose ``read`` raises :class:`SourceError` for every driver error.

    That is :meth:`Source.read`'s own contract once cx/db translates driver errors itself (issue 11);
    until then this keeps the page tests about the pages. With the translation in place it changes
    nothing: the error is already a SourceError.
    """

    def read(self, query, *args, **kwargs):
        try:
            return super().read(query, *args, **kwargs)
        except sa.exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise SourceError(f"reading {self.label} failed: {reason}") from None


def with_read_contract(source: Source) -> ReadContract:
    return ReadContract(**{f.name: getattr(source, f.name) for f in dataclasses.fields(source)})


class Warehouse:
    """Tables written as they are (only the columns the frames have) and a source over them."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url)
        self.tables: list[str] = []
        self.method = None if self.engine.dialect.name == "sqlite" else "multi"  # one INSERT per chunk on servers

    def source(self, interactions: pd.DataFrame, customers: pd.DataFrame | None = None,
               label: str = "Test warehouse") -> Source:
        suffix = uuid.uuid4().hex[:8]
        names = {"interactions": f"cx_i_{suffix}", "customers": f"cx_c_{suffix}"}
        interactions.to_sql(names["interactions"], self.engine, index=False, chunksize=2000, method=self.method)
        self.tables.append(names["interactions"])
        if customers is not None:
            customers.to_sql(names["customers"], self.engine, index=False, chunksize=2000, method=self.method)
            self.tables.append(names["customers"])
        source = table_source(self.engine, names["interactions"], None,
                              names["customers"] if customers is not None else None, None, label=label)
        return with_read_contract(source)

    def drop_all(self) -> None:
        """The warehouse goes away: every table behind every source is dropped."""
        with self.engine.begin() as con:
            for name in self.tables:
                con.execute(sa.text(f"DROP TABLE IF EXISTS {self.engine.dialect.identifier_preparer.quote(name)}"))

    def close(self) -> None:
        self.drop_all()
        self.engine.dispose()


def demo_frames(demo_path: Path, customers: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``customers`` customers of a demo warehouse and all their interactions.

    Read through the demo's own source: DuckDB refuses a second connection to an open file with
    other settings, and the app under test keeps the demo open.
    """
    demo = demo_source(demo_path)
    people = demo.read(sa.text("SELECT * FROM customers ORDER BY customer_id LIMIT :n").bindparams(n=customers))
    rows = demo.read(sa.text(
        "SELECT i.* FROM interactions i JOIN (SELECT customer_id FROM customers ORDER BY customer_id LIMIT :n) c "
        "USING (customer_id) ORDER BY i.customer_id, i.seq").bindparams(n=customers))
    return rows, people
