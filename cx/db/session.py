"""Session settings: every connection the app opens is read-only and time-limited, per backend.

- PostgreSQL: ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`` and ``statement_timeout``,
  then ``transaction_read_only`` is read back; a session that is not read-only is closed and
  refused before any query runs.
- MariaDB / MySQL: ``SET SESSION TRANSACTION READ ONLY`` and ``max_statement_time`` (MariaDB) or
  ``max_execution_time`` (MySQL), then ``transaction_read_only`` (``tx_read_only`` before
  MariaDB 11.1) is read back, likewise.
- SQLite: the file is opened with ``mode=ro``, ``PRAGMA query_only`` is set and read back, and
  ``ATTACH`` is disabled (a limit of zero attached databases).
- DuckDB (the demo, uploads, database files): one database per engine, opened with external access
  disabled (no ``COPY … TO``, ``ATTACH``, ``read_text``, ``read_csv``, ``glob``, extensions or
  network) and its configuration locked once the data is in, so no SQL can switch it back.
- SQLite and DuckDB have no statement timeout of their own: an interrupt timer stops a statement
  that runs longer than the limit.

Connection attempts are bounded by :data:`CONNECT_TIMEOUT_S` through each driver's own option
(PyMySQL's read timeout covers the handshake and is lifted to the statement limit afterwards).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from cx.db.errors import SourceError

STATEMENT_TIMEOUT_S = int(os.environ.get("CX_STATEMENT_TIMEOUT", "120"))
CONNECT_TIMEOUT_S = 10

#: DuckDB settings of every database the app opens: nothing outside the database itself.
DUCKDB_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
#: Memory a database *file* (the demo, a warehouse file) may use for a query's working set before it
#: spills to disk: DuckDB's default (80% of RAM) let one window query over 10 M interactions take
#: 1.6 GB of the app's memory, and two at once more. In-memory databases (uploads) hold their data
#: in that memory, so they keep the default.
DUCKDB_FILE_MEMORY = os.environ.get("CX_DUCKDB_MEMORY", "1GB")
_NOT_READ_ONLY = "the session could not be made read-only, so the app refuses to query it"


def connect_args(backend: str, driver: str, timeout: int = CONNECT_TIMEOUT_S) -> dict:
    """Driver options that bound a connection attempt to ``timeout`` seconds."""
    if backend == "postgresql":
        return {"connect_timeout": timeout}
    if backend in ("mysql", "mariadb"):
        if driver == "pymysql":  # connect_timeout covers the TCP connect only, not the handshake
            return {"connect_timeout": timeout, "read_timeout": timeout, "write_timeout": timeout}
        return {"connect_timeout": timeout}
    if backend == "snowflake":
        return {"login_timeout": timeout}
    return {}


def _read_back(cursor, statement: str) -> str:
    cursor.execute(statement)
    row = cursor.fetchone()
    return str(row[0]).strip().lower() if row else ""


def _postgresql(dbapi_connection, timeout: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.execute(f"SET statement_timeout = {int(timeout) * 1000}")
        dbapi_connection.commit()
        values = (_read_back(cursor, "SHOW default_transaction_read_only"), _read_back(cursor, "SHOW transaction_read_only"))
        dbapi_connection.rollback()
    finally:
        cursor.close()
    if values != ("on", "on"):
        raise SourceError(_NOT_READ_ONLY)


def _mysql(dbapi_connection, timeout: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        if "mariadb" in _read_back(cursor, "SELECT VERSION()"):
            cursor.execute(f"SET SESSION max_statement_time = {int(timeout)}")
        else:
            cursor.execute(f"SET SESSION max_execution_time = {int(timeout) * 1000}")
        try:
            value = _read_back(cursor, "SELECT @@session.transaction_read_only")
        except Exception:  # MariaDB before 11.1 names it tx_read_only
            value = _read_back(cursor, "SELECT @@session.tx_read_only")
    finally:
        cursor.close()
    if value not in ("1", "on"):
        raise SourceError(_NOT_READ_ONLY)
    if hasattr(dbapi_connection, "_read_timeout"):
        # PyMySQL: the connect-time read timeout bounded the handshake; queries get the statement
        # limit (enforced by the server) plus a margin for the rows to arrive
        dbapi_connection._read_timeout = int(timeout) + 30
        dbapi_connection._write_timeout = int(timeout) + 30


#: SQLite pragmas that take an argument and only read (SQLAlchemy's reflection uses them).
_SQLITE_READING_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}


def _sqlite_authorizer(action, arg1, arg2, _database, _source):
    """Deny ATTACH / DETACH and any pragma that sets something (``PRAGMA query_only = OFF``)."""
    import sqlite3

    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and str(arg1).lower() not in _SQLITE_READING_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _sqlite(dbapi_connection) -> None:
    import sqlite3

    dbapi_connection.execute("PRAGMA query_only = ON")
    if hasattr(dbapi_connection, "setlimit"):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    dbapi_connection.set_authorizer(_sqlite_authorizer)
    if dbapi_connection.execute("PRAGMA query_only").fetchone()[0] != 1:
        raise SourceError(_NOT_READ_ONLY)


def read_only_session(engine: sa.Engine, timeout: int = STATEMENT_TIMEOUT_S) -> None:
    """On every new connection of ``engine``: read-only, a statement timeout, both verified."""
    name = engine.dialect.name

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        try:
            if name == "postgresql":
                _postgresql(dbapi_connection, timeout)
            elif name in ("mysql", "mariadb"):
                _mysql(dbapi_connection, timeout)
            elif name == "sqlite":
                _sqlite(dbapi_connection)
            elif name == "duckdb":
                # a local setting (allowed when the configuration is locked): no progress bar drawn
                # on the CLI's terminal or in the app's log
                dbapi_connection.execute("PRAGMA disable_progress_bar")
        except BaseException:
            dbapi_connection.close()
            raise

    if name in ("sqlite", "duckdb"):
        _interrupt_timer(engine, timeout)


def _interrupt_timer(engine: sa.Engine, timeout: int) -> None:
    """Stop a statement that runs longer than ``timeout`` s (for backends without a statement timeout)."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        timer = threading.Timer(timeout, conn.connection.dbapi_connection.interrupt)
        timer.daemon = True
        conn.info["cx.timer"] = timer
        timer.start()

    def _stop(conn) -> None:
        timer = conn.info.pop("cx.timer", None) if conn is not None else None
        if timer is not None:
            timer.cancel()

    sa.event.listen(engine, "after_cursor_execute", lambda conn, *args: _stop(conn))
    sa.event.listen(engine, "handle_error", lambda context: _stop(context.connection))


def without_pandas_checks(engine: sa.Engine) -> None:
    """DuckDB runs a query with parameters without importing pandas (see :func:`cx.lazy.hide`).

    It imports pandas to check whether a parameter is a DataFrame; while no module has imported
    pandas none is, and a command that prints a few aggregates (``cx metrics``) never needs it.
    """
    from cx.lazy import hide, show

    def before(conn, cursor, statement, parameters, context, executemany):
        if parameters:
            conn.info["cx_hidden"] = hide("pandas")

    def after(conn, *_args):
        show(conn.info.pop("cx_hidden", None))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    sa.event.listen(engine, "handle_error", lambda error: after(error.connection) if error.connection else None)


def duckdb_engine(path: Path | None = None, *, load: Callable | None = None,
                  timeout: int = STATEMENT_TIMEOUT_S) -> sa.Engine:
    """An engine over one DuckDB database that no SQL can use to reach a file or the network.

    Parameters
    ----------
    path : Path, optional
        A database file, opened read-only; ``None`` makes a private in-memory database.
    load : callable, optional
        ``load(connection)`` fills the in-memory database (e.g. registers and copies data frames)
        before the configuration is locked.
    timeout : int
        Statement timeout in seconds (an interrupt timer).

    The engine keeps the database alive (``engine.cx_database``) until ``engine.dispose()``; each
    pooled connection is a cursor of it, so the configuration set here holds for every query.
    """
    import duckdb
    from duckdb_engine import ConnectionWrapper
    from sqlalchemy.dialects import registry

    # the dialect duckdb_engine declares as its entry point, named here: found by name, not by
    # SQLAlchemy reading the entry points of every installed package (10 ms of each CLI start)
    registry.register("duckdb", "duckdb_engine", "Dialect")

    config = {**DUCKDB_CONFIG, "memory_limit": DUCKDB_FILE_MEMORY} if path else DUCKDB_CONFIG
    database = duckdb.connect(str(path) if path else ":memory:", read_only=path is not None, config=config)
    try:
        if load is not None:
            load(database)
        # a file already open in this process shares its (locked) database instance
        if not database.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
            database.execute("SET lock_configuration = true")
    except BaseException:
        database.close()
        raise
    engine = sa.create_engine(f"duckdb:///{path}" if path else "duckdb:///:memory:",
                              creator=lambda: ConnectionWrapper(database.cursor()), poolclass=sa.pool.QueuePool)
    # duckdb_engine compiles with PostgreSQL's compiler, whose output SQLAlchemy may cache, but does not
    # declare it (supports_statement_cache = False): every query was compiled anew, a tenth of the CPU
    # of an Overview filter change. Declared here for the engines the app makes itself.
    engine.dialect._supports_statement_cache = True
    engine.cx_database = database
    sa.event.listen(engine, "engine_disposed", lambda _engine: database.close())  # dispose() frees the file
    without_pandas_checks(engine)
    read_only_session(engine, timeout)
    return engine
