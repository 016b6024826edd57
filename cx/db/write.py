"""The app-owned database: what the app itself writes, never the warehouse.

Saved settings (targets, theme definitions, date notes), follow-up cases and alert/delivery state
live here: a SQLite file under ``data/`` by default, or any SQLAlchemy URL in ``CX_APP_DB``
(PostgreSQL in CI). The app creates and migrates the schema itself (:func:`app_store`).

Every write carries a version: an update based on an older version than the stored one raises
:class:`StaleUpdate` instead of silently overwriting what another session saved.

Other modules add their own tables to :data:`METADATA` (``cx.loop`` adds cases and alert state) and
are created by the same :meth:`AppStore.migrate`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cx.db.errors import SourceError, safe_url
from cx.db.safety import APP_DATA

#: The schema version this code writes; :meth:`AppStore.migrate` brings older databases up to it.
SCHEMA_VERSION = 1

METADATA = sa.MetaData()

SCHEMA = sa.Table(
    "cx_schema", METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

SETTINGS = sa.Table(
    "cx_settings", METADATA,
    sa.Column("source", sa.String(200), primary_key=True),  # Source.label: a masked, stable name
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=True),
)

#: Migrations: version -> list of SQL-free callables ``f(connection)`` run to reach that version.
MIGRATIONS: dict[int, list] = {}

#: One schema change at a time in this process; between processes, the database's own lock (:func:`_lock_schema`).
_MIGRATING = threading.Lock()
#: The PostgreSQL advisory lock and the MySQL named lock held while the schema is created or migrated.
SCHEMA_LOCK_KEY, SCHEMA_LOCK_NAME = 7_305_521_947, "cx_app_schema"
#: A start that still met another's half-made schema (a database without such a lock: SQLite) tries again.
MIGRATE_ATTEMPTS = 5


class StaleUpdate(Exception):
    """Another session saved this record after it was read; nothing was overwritten."""


def default_url() -> str:
    """``CX_APP_DB`` or a SQLite file ``data/app.sqlite`` beside the demo warehouse."""
    url = os.environ.get("CX_APP_DB")
    if url:
        return url
    APP_DATA.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{APP_DATA / 'app.sqlite'}"


def now() -> dt.datetime:
    """UTC now, naive (every backend stores it the same way)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass
class Setting:
    """A saved value and the version it was read at (pass it back to :meth:`AppStore.put`)."""

    value: Any
    version: int
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


@contextlib.contextmanager
def _lock_schema(con: sa.Connection):
    """Hold the database's own lock while the schema is made: PostgreSQL's session advisory lock, MySQL's
    named lock (both released here, before the connection returns to the pool); SQLite has none (a start
    that meets a half-made schema tries again, :meth:`AppStore.migrate`)."""
    name = con.dialect.name
    if name == "postgresql":
        con.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        con.commit()
        release = sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY}
    elif name in ("mysql", "mariadb"):
        con.execute(sa.text("SELECT GET_LOCK(:name, 60)"), {"name": SCHEMA_LOCK_NAME})
        con.commit()
        release = sa.text("SELECT RELEASE_LOCK(:name)"), {"name": SCHEMA_LOCK_NAME}
    else:
        release = None
    try:
        yield
    finally:
        if release is not None:
            if con.in_transaction():
                con.rollback()
            con.execute(*release)
            con.commit()


class AppStore:
    """The app-owned database behind one SQLAlchemy URL.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`default_url`.
    """

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.label = safe_url(self.url)
        try:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        except Exception as exc:  # a malformed URL: one line, password masked
            raise SourceError(f"the app database {self.label} cannot be opened: {type(exc).__name__}") from None
        self.migrate()

    # --- schema -------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create missing tables and run the migrations above the stored schema version.

        Safe when several processes (app servers, `cx` commands, background jobs) start on a fresh database
        at once: the schema is made under the database's lock, and a start that still met another's
        half-made schema tries again. Without that, two PostgreSQL starts both created the tables and one
        failed ("IntegrityError": 10 of 10 rounds of four threads on an empty database).
        """
        for attempt in range(MIGRATE_ATTEMPTS):
            connected = False
            try:
                with _MIGRATING, self.engine.connect() as con:
                    connected = True
                    with _lock_schema(con), con.begin():
                        self._migrate(con)
                return
            except sa.exc.SQLAlchemyError as exc:
                # only a schema that another start was making is tried again: a database that cannot be
                # reached (or a folder that is missing) says so at once, not after every attempt's timeout
                clash = isinstance(exc, (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.OperationalError))
                if not (connected and clash) or attempt + 1 == MIGRATE_ATTEMPTS:
                    raise SourceError(f"the app database {self.label} cannot be used: {type(exc).__name__}") from None
                time.sleep(0.1 * (attempt + 1))

    @staticmethod
    def _migrate(con: sa.Connection) -> None:
        METADATA.create_all(con)
        stored = con.execute(sa.select(SCHEMA.c.version).where(SCHEMA.c.id == 1)).scalar()
        if stored is None:
            con.execute(SCHEMA.insert().values(id=1, version=SCHEMA_VERSION))
            return
        for version in range(stored + 1, SCHEMA_VERSION + 1):
            for step in MIGRATIONS.get(version, []):
                step(con)
        if stored < SCHEMA_VERSION:
            con.execute(SCHEMA.update().where(SCHEMA.c.id == 1).values(version=SCHEMA_VERSION))

    # --- settings -----------------------------------------------------------------------------

    def get(self, source: str, name: str, default: Any = None) -> Setting:
        """The saved setting ``name`` of ``source`` (version 0 and ``default`` when none)."""
        query = sa.select(SETTINGS).where(SETTINGS.c.source == source[:200], SETTINGS.c.name == name)
        with self.engine.connect() as con:
            row = con.execute(query).mappings().first()
        if row is None:
            return Setting(default, 0)
        return Setting(json.loads(row["value"]), row["version"], row["updated_at"], row["updated_by"])

    def put(self, source: str, name: str, value: Any, *, version: int | None = None,
            user: str | None = None) -> int:
        """Save ``value``; returns the new version.

        Parameters
        ----------
        version : int, optional
            The version the caller read (:attr:`Setting.version`). When given and the stored
            version differs, nothing is written and :class:`StaleUpdate` is raised.
        """
        payload = json.dumps(value, sort_keys=True, default=str)
        key = (SETTINGS.c.source == source[:200]) & (SETTINGS.c.name == name)
        with self.engine.begin() as con:
            stored = con.execute(sa.select(SETTINGS.c.version).where(key)).scalar()
            if version is not None and (stored or 0) != version:
                raise StaleUpdate(f"'{name}' was changed in another session (version {stored}, you had "
                                  f"{version}); reload to see it, then save again")
            if stored is None:
                try:
                    con.execute(SETTINGS.insert().values(source=source[:200], name=name, value=payload,
                                                         version=1, updated_at=now(), updated_by=user))
                except sa.exc.IntegrityError:
                    raise StaleUpdate(f"'{name}' was saved by another session at the same time; "
                                      "reload, then save again") from None
                return 1
            result = con.execute(SETTINGS.update().where(key & (SETTINGS.c.version == stored))
                                 .values(value=payload, version=stored + 1, updated_at=now(), updated_by=user))
            if result.rowcount != 1:
                raise StaleUpdate(f"'{name}' was changed in another session; reload, then save again")
            return stored + 1

    def delete(self, source: str, name: str) -> None:
        """Forget a saved setting."""
        with self.engine.begin() as con:
            con.execute(SETTINGS.delete().where(SETTINGS.c.source == source[:200], SETTINGS.c.name == name))


_STORES: dict[str, AppStore] = {}
_LOCK = threading.Lock()


def app_store(url: str | None = None) -> AppStore:
    """The process-wide :class:`AppStore` for ``url`` (default :func:`default_url`), created once."""
    key = url or default_url()
    with _LOCK:
        if key not in _STORES:
            _STORES[key] = AppStore(key)
        return _STORES[key]
