"""Warehouse access is read-only: no user text becomes SQL, sessions refuse writes, identifiers are quoted,
and the DuckDB databases the app makes (demo, uploads) cannot reach a file or run forever."""

import ast
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from cx.db import SourceError, connect, memory_source, read_frame, summarize, table_source

ROOT = Path(__file__).resolve().parents[2]
ROWS = pd.DataFrame({"customer_id": ["a", "b", "c"], "nps": [10, 6, 0], "channel": ["chat", "chat", "email"]})


def _table_name(source):
    return source.interactions.element.get_final_froms()[0].name


def test_injected_identifier_is_quoted_not_executed(make_source):
    source = make_source(ROWS)
    name = _table_name(source)
    hostile = f'{name}; DROP TABLE {name}; --'
    with pytest.raises(SourceError, match="cannot read table or view"):
        table_source(source.engine, hostile)
    with pytest.raises(SourceError, match="no column"):
        table_source(source.engine, name, {"customer_id": 'customer_id" FROM x; DROP TABLE y; --'})
    assert summarize(source).rows == 3


def test_the_read_only_session_refuses_writes(make_source, backend):
    """The session itself refuses (PostgreSQL / MariaDB read-only transactions, SQLite query_only)."""
    source = make_source(ROWS)
    name = source.engine.dialect.identifier_preparer.quote(_table_name(source))
    with pytest.raises(sa.exc.DBAPIError):
        with source.engine.begin() as con:
            con.execute(sa.text(f"UPDATE {name} SET nps = 0"))
    # through the one read path, the refusal is one clear line
    with pytest.raises(SourceError) as info:
        source.read(sa.text(f"DELETE FROM {name}"))
    assert "\n" not in str(info.value)
    i = source.interactions
    assert sorted(source.read(sa.select(i.c.nps))["nps"].astype(int)) == [0, 6, 10]


def _sql_calls(tree: ast.AST):
    """Calls that turn a string into SQL: ``sa.text(…)``, ``exec_driver_sql(…)``, ``….execute(f"…")``."""
    bare_text = any(isinstance(n, ast.ImportFrom) and n.module == "sqlalchemy" and any(a.name == "text" for a in n.names)
                    for n in ast.walk(tree))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr == "text" and owner in ("sa", "sqlalchemy") or func.attr == "exec_driver_sql":
                yield func.attr, node
            elif func.attr == "execute" and isinstance(node.args[0], ast.JoinedStr):
                yield func.attr, node
        elif isinstance(func, ast.Name) and func.id == "text" and bare_text:
            yield "text", node


#: f-strings that reach a cursor, each with the only values it interpolates (no user text).
ALLOWED_FORMATTED = {
    ("cx/db/session.py", "int(timeout) * 1000"), ("cx/db/session.py", "int(timeout)"),
    ("cx/db/local.py", "name"),  # "interactions" / "customers", from a fixed dict
    ("cx/ingest/load.py", "name"),  # the same two table names (cx load --into)
}


def test_no_user_text_becomes_sql():
    """Custom SQL is not reachable: every SQL string in the app is a literal, or formats only fixed values.

    The custom-query path (``query_source`` / ``validate_select``) was removed; this keeps a new one
    from appearing unnoticed in the pages, the app layer or the core.
    """
    files = [*sorted((ROOT / "cx").rglob("*.py")), *sorted((ROOT / "views").glob("*.py")), ROOT / "app.py"]
    offending = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for name, call in _sql_calls(ast.parse(path.read_text(encoding="utf-8"))):
            argument = call.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                continue
            if isinstance(argument, ast.JoinedStr):
                values = [ast.unparse(v.value) for v in argument.values if isinstance(v, ast.FormattedValue)]
                if all((relative, v) in ALLOWED_FORMATTED for v in values):
                    continue
            offending.append(f"{relative}:{call.lineno} {name}({ast.unparse(argument)[:60]})")
    assert not offending, "SQL built from non-literal text:\n" + "\n".join(offending)
    import cx.db

    assert not any(hasattr(cx.db, n) or hasattr(cx.db.source, n) for n in ("query_source", "validate_select"))


# --- DuckDB: the demo and uploads cannot reach a file ------------------------------------------

ATTACKS = [
    "COPY interactions TO '{target}.csv'",
    "COPY (SELECT 1 AS x) TO '{target}.parquet' (FORMAT parquet)",
    "ATTACH '{target}.duckdb' AS planted",
    "EXPORT DATABASE '{target}_dir'",
    "SELECT * FROM read_text('{secret}')",
    "SELECT * FROM read_csv('{secret}')",
    "SELECT * FROM read_blob('{secret}')",
    "SELECT * FROM glob('{folder}/*')",
    "SELECT * FROM '{secret}'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
]


@pytest.fixture
def server_files(tmp_path):
    secret = tmp_path / "secrets.toml"
    secret.write_text('cookie_secret = "do-not-leak"\n', encoding="utf-8")
    return {"target": str(tmp_path / "written"), "secret": str(secret), "folder": str(tmp_path)}


@pytest.mark.parametrize("attack", ATTACKS)
def test_upload_database_reaches_no_file(attack, server_files, tmp_path):
    source = memory_source(ROWS)
    sql = attack.format(**server_files)
    with pytest.raises(SourceError) as info:
        source.read(sa.text(sql))
    assert "do-not-leak" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.toml"], "nothing was written"
    assert summarize(source).rows == 3  # the connection still works after the refusal


@pytest.mark.parametrize("attack", ATTACKS)
def test_demo_database_reaches_no_file(attack, demo_source, server_files, tmp_path):
    with pytest.raises(SourceError) as info:
        demo_source.read(sa.text(attack.format(**server_files)))
    assert "do-not-leak" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.toml"]


def test_duckdb_file_opened_by_url_reaches_no_file(tmp_path, server_files):
    import duckdb

    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    engine = connect(str(path))
    try:
        for attack in ("COPY t TO '{target}.csv'", "SELECT * FROM read_text('{secret}')", "ATTACH '{target}.duckdb'"):
            with pytest.raises(SourceError):
                read_frame(engine, sa.text(attack.format(**server_files)))
        with pytest.raises(SourceError):  # and the file itself is read-only
            read_frame(engine, sa.text("CREATE TABLE u AS SELECT 2 AS y"))
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.toml", "wh.duckdb"]


def test_sqlite_file_cannot_attach_or_turn_writes_back_on(tmp_path):
    import sqlite3

    path = tmp_path / "wh.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x)")
    engine = connect(str(path))
    try:
        for attack in (f"ATTACH '{tmp_path / 'planted.sqlite'}' AS planted", "PRAGMA query_only = OFF",
                       "INSERT INTO t VALUES (1)"):
            with pytest.raises(SourceError):
                read_frame(engine, sa.text(attack))
        assert read_frame(engine, sa.text("SELECT count(*) AS n FROM t"))["n"].tolist() == [0]
    finally:
        engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wh.sqlite"]


# --- statement timeouts on every backend -------------------------------------------------------

SLOW = {
    "sqlite": "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 2000000000) SELECT count(*) FROM r",
    "duckdb": "SELECT sum(hash(range)) AS s FROM range(100000000000)",
    "postgresql": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
}


def test_statement_timeout_stops_a_long_query(backend, tmp_path):
    from conftest import backend_url

    url = backend_url(backend, tmp_path)
    if backend in ("sqlite", "duckdb"):  # a file must exist to be opened read-only
        writer = sa.create_engine(url)
        with writer.begin() as con:
            con.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        writer.dispose()
    engine = connect(url, statement_timeout=1)
    try:
        with pytest.raises(SourceError, match="statement timeout"):
            read_frame(engine, sa.text(SLOW[backend]))
        assert read_frame(engine, sa.text("SELECT 1 AS one"))["one"].tolist() == [1]  # the connection lives on
    finally:
        engine.dispose()
