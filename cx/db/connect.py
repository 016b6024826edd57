"""Opening warehouses: check the URL, connect read-only with time limits, probe once.

:func:`connect` makes the engine (nothing is connected yet), :func:`open_warehouse` also opens
one session so a bad URL fails at once with one clear line, and :func:`open_database` turns a
URL or a .duckdb / .sqlite file into a :class:`~cx.db.source.Source` over its ``interactions``
(and ``customers``) tables — the command line's ``--source URL``.

Who wrote the URL decides what it may reach (:class:`~cx.db.safety.Access`): the operator
(``secrets.toml``, the command line) or a visitor typing on the Data page, which is off unless
``[access] allow_url_entry = true``.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import URL

from cx.db.errors import SourceError, connected, driver_errors, reason, safe_url
from cx.db.safety import OPERATOR, Access, check_url, unreachable
from cx.db.session import (
    CONNECT_TIMEOUT_S,
    STATEMENT_TIMEOUT_S,
    connect_args,
    duckdb_engine,
    read_only_session,
)
from cx.db.source import Source, table_source

log = logging.getLogger(__name__)


def connect(url: str | URL, *, access: Access = OPERATOR, statement_timeout: int = STATEMENT_TIMEOUT_S,
            connect_timeout: int = CONNECT_TIMEOUT_S) -> sa.Engine:
    """A read-only engine for a SQLAlchemy URL or a path to a .duckdb / .sqlite file.

    The URL is checked first (:func:`cx.db.safety.check_url`); every session of the engine is
    then read-only with a statement timeout (:mod:`cx.db.session`), and connection attempts give
    up after ``connect_timeout`` seconds.

    Raises
    ------
    SourceError
        With the password masked, when the URL is refused or malformed.
    """
    target = check_url(url, access)
    if target.backend == "duckdb":
        try:
            return duckdb_engine(target.path, timeout=statement_timeout)
        except Exception as exc:  # a damaged file, a file another process holds, not a database
            why = reason(exc, target.url)
            log.info("opening %s failed: %s", target.shown, why)
            raise SourceError(f"could not connect to {target.shown}: {why}" if access.trusted
                              else unreachable(target.shown, target.backend)) from None
    parsed = target.url
    if target.backend == "sqlite":
        parsed = parsed.set(database=f"file:{target.path}?mode=ro", query={"uri": "true"})
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=target.backend != "sqlite",
                                  connect_args=connect_args(target.backend, target.driver, connect_timeout))
    except Exception as exc:  # a driver that is not installed, an argument it refuses
        raise SourceError(f"{target.shown}: {reason(exc, target.url)}") from None
    read_only_session(engine, statement_timeout)
    return engine


def open_warehouse(url: str | URL, access: Access = OPERATOR, **timeouts) -> sa.Engine:
    """A read-only engine for a URL, probed once so that a bad URL fails here with one clear line.

    A visitor's URL (``access.trusted`` false) fails with "could not connect to <masked URL>" and
    nothing else, whatever the cause, so the field cannot tell an open port from a closed one or a
    listener that never answers (the attempt gives up after ``connect_timeout`` seconds). The
    operator also sees the driver's reason; both are logged without the password.
    """
    engine = connect(url, access=access, **timeouts)
    shown = safe_url(url)
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except SourceError as exc:  # the session checks refused it (not read-only)
        engine.dispose()
        raise SourceError(f"could not connect to {shown}: {exc}") from None
    except driver_errors(engine) as exc:
        engine.dispose()
        why = reason(exc, url)
        log.info("connecting to %s failed: %s", shown, why)
        raise SourceError(f"could not connect to {shown}: {why}" if access.trusted
                          else unreachable(shown, engine.dialect.name)) from None
    return engine


def list_tables(engine: sa.Engine, schema: str | None = None) -> list[str]:
    """Tables and views, from the database's own catalog."""
    with connected(engine, "listing the tables failed") as con:
        inspector = sa.inspect(con)
        return sorted(inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema))


def open_database(spec: str, access: Access = OPERATOR) -> Source:
    """A source over a database's ``interactions`` (and, when present, ``customers``) tables.

    ``spec`` is a SQLAlchemy URL or a path to a .duckdb / .sqlite file (the command line's
    ``--source``); the database is opened read-only.
    """
    engine = open_warehouse(spec, access)
    tables = set(list_tables(engine))
    if "interactions" not in tables:
        shown = ", ".join(sorted(tables)[:10]) or "none"
        engine.dispose()
        raise SourceError(f"{safe_url(spec)} has no table named 'interactions' (tables: {shown}); "
                          "load files into it with `cx load FILE --into URL`")
    return table_source(engine, "interactions", None, "customers" if "customers" in tables else None, None,
                        label=safe_url(spec))
