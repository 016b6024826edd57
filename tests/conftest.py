"""Shared fixtures: real databases for every backend, canonical data loaded into them, the demo.

SQLite and DuckDB always run. PostgreSQL and MariaDB run when CX_TEST_PG_URL / CX_TEST_MYSQL_URL
are set (CI sets them): then an unreachable server is a *failure*, not a skip.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql as _mysql

from cx import demo
from cx.db import Source, connect, table_source
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, Scales

BACKENDS = ("sqlite", "duckdb", "postgresql", "mysql")
_ENV = {"postgresql": "CX_TEST_PG_URL", "mysql": "CX_TEST_MYSQL_URL"}
_TYPES = {"text": sa.String(255), "timestamp": sa.DateTime().with_variant(_mysql.DATETIME(fsp=6), "mysql", "mariadb"), "int": sa.Integer(), "number": sa.Float(53),
          "bool": sa.Boolean()}


@pytest.fixture
def app_tables_lock():
    """One test at a time, across pytest-xdist workers, on the fixed-name tables (cx_*) of the app database
    in the CI's PostgreSQL and MariaDB. ``make test`` runs each file on one worker (``--dist loadfile``), but
    two files share these tables: run at once by two workers, they met a deadlock in one's DROP TABLE, the
    other's counts off by one, CI's "IntegrityError"."""
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "cx-tests-app-tables.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def backend_url(backend: str, tmp_path: Path) -> str:
    """A URL for a fresh database of ``backend``, or skip/fail as the environment demands."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'cx.sqlite'}"
    if backend == "duckdb":
        return f"duckdb:///{tmp_path / 'cx.duckdb'}"
    url = os.environ.get(_ENV[backend])
    if not url:
        pytest.skip(f"{_ENV[backend]} not set: {backend} tests run in CI only")
    try:
        engine = sa.create_engine(url)
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # the variable is set: the server must be there
        pytest.fail(f"{_ENV[backend]} is set but {backend} is unreachable: {type(exc).__name__}")
    return url


def _columns(kinds: dict[str, str], frame: pd.DataFrame) -> list[sa.Column]:
    cols = [sa.Column(name, sa.Text() if name == "comment" else _TYPES[kind]) for name, kind in kinds.items()]
    for extra in frame.columns:
        if extra not in kinds:
            cols.append(sa.Column(extra, sa.String(255)))
    return cols


def _records(frame: pd.DataFrame, kinds: dict[str, str]) -> list[dict]:
    out = frame.copy()
    for name in kinds:
        if name not in out:
            out[name] = None
    out = out.astype(object).where(out.notna(), None)
    records = out.to_dict("records")
    for row in records:
        for name, kind in kinds.items():
            value = row.get(name)
            if value is None:
                continue
            if kind == "timestamp":
                row[name] = pd.Timestamp(value).to_pydatetime()
            elif kind == "int":
                row[name] = int(value)
            elif kind == "number":
                row[name] = float(value)
            elif kind == "bool":
                row[name] = bool(value)
    return records


def load_backend(url: str, interactions: pd.DataFrame, customers: pd.DataFrame | None = None,
                 scales: Scales = Scales()) -> tuple[Source, callable]:
    """Write canonical frames into uniquely named tables; return a read-only source and a cleanup."""
    suffix = uuid.uuid4().hex[:8]
    writer = sa.create_engine(url)
    meta = sa.MetaData()
    itab = sa.Table(f"cx_i_{suffix}", meta, *_columns(INTERACTION_COLUMNS, interactions))
    ctab = None
    if customers is not None:
        ctab = sa.Table(f"cx_c_{suffix}", meta, *_columns(CUSTOMER_COLUMNS, customers))
    meta.create_all(writer)
    with writer.begin() as con:
        if len(interactions):
            con.execute(itab.insert(), _records(interactions, INTERACTION_COLUMNS))
        if ctab is not None and len(customers):
            con.execute(ctab.insert(), _records(customers, CUSTOMER_COLUMNS))
    if writer.dialect.name == "postgresql":
        # Statistics, as a warehouse's tables have them (autovacuum, or the loader: cx load --into).
        # Without them PostgreSQL guesses a few rows per table and plans nested loops that redo the
        # journey queries' joins per row: a minute per query on these 3,000 rows instead of 0.1 s.
        with writer.begin() as con:
            for table in (itab, ctab):
                if table is not None:
                    con.execute(sa.text(f'ANALYZE "{table.name}"'))
    writer.dispose()
    reader = connect(url)
    source = table_source(reader, itab.name, {c: c for c in INTERACTION_COLUMNS},
                          ctab.name if ctab is not None else None, None, scales=scales,
                          label=f"test {reader.dialect.name}")

    def cleanup():
        reader.dispose()
        eng = sa.create_engine(url)
        meta.drop_all(eng)
        eng.dispose()

    return source, cleanup


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each SQL backend in turn."""
    return request.param


@pytest.fixture
def make_source(backend, tmp_path):
    """``make_source(interactions_df, customers_df=None, scales=Scales())`` on the current backend."""
    cleanups = []
    url = backend_url(backend, tmp_path)

    def factory(interactions, customers=None, scales=Scales()):
        source, cleanup = load_backend(url, interactions, customers, scales)
        cleanups.append(cleanup)
        return source

    yield factory
    for cleanup in cleanups:
        cleanup()


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory) -> Path:
    """The default demo warehouse, generated once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.generate(path)
    return path


@pytest.fixture(scope="session")
def demo_source(demo_path):
    from cx.db import demo_source as open_demo

    return open_demo(demo_path)


@pytest.fixture
def source_reads(monkeypatch) -> list:
    """Every query any Source runs while the test runs, in order (to count queries)."""
    import sys

    if "ui.cache" in sys.modules:  # an earlier test's page jobs (pytest-xdist: another file's) must not be counted here
        assert sys.modules["ui.cache"].wait_idle(), "an earlier test's background job is still running after 300 s"
    seen = []
    read = Source.read

    def counting(self, query, *args, **kwargs):
        seen.append(query)
        return read(self, query, *args, **kwargs)

    monkeypatch.setattr(Source, "read", counting)
    return seen
