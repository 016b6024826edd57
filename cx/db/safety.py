"""What a URL may reach: every connection is checked here before a driver sees it.

A SQLAlchemy URL carries more than an address. Its query string becomes driver options
(``init_command`` runs SQL at connect, ``local_infile`` lets the server read the app's files,
``options`` changes server settings, ``read_default_file`` reads a client configuration), and a
``duckdb:`` or ``sqlite:`` URL opens any file the app can read. So, before connecting:

- the dialect and driver must be ones the app supports (:data:`DRIVERS`);
- every query option must be on the dialect's allow-list (:data:`OPTIONS`); anything else is
  refused *by name*. Options that read a file on the app server (TLS certificates, key files) are
  allowed only in URLs the operator wrote (:data:`OPERATOR_OPTIONS`);
- a URL typed by a visitor (:class:`Access` from ``[access]`` in ``secrets.toml``) may open local
  database files only inside the configured data folders, and hosts only from the optional
  allow-list; every refusal of a local file reads the same whether the file exists or not.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from cx.db.errors import SourceError, safe_url

#: The app's own data folder: the default (and usual) home of database files a visitor may open.
APP_DATA = Path(__file__).resolve().parents[2] / "data"

#: Dialects and the drivers each may use (the first installed one is taken when the URL names none).
DRIVERS: dict[str, tuple[str, ...]] = {
    "postgresql": ("psycopg", "psycopg2"),
    "mysql": ("pymysql", "mysqldb"),
    "mariadb": ("pymysql", "mysqldb"),
    "duckdb": ("duckdb_engine",),
    "sqlite": ("pysqlite",),
    "snowflake": ("snowflake",),
    "bigquery": ("bigquery",),
}
_MODULES = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pymysql": "pymysql", "mysqldb": "MySQLdb"}

#: URL query options any URL may carry, per dialect. Everything else is refused by name.
OPTIONS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"sslmode", "application_name", "target_session_attrs"}),
    "mysql": frozenset({"charset", "ssl_check_hostname", "ssl_verify_cert", "ssl_verify_identity"}),
    "mariadb": frozenset({"charset", "ssl_check_hostname", "ssl_verify_cert", "ssl_verify_identity"}),
    "duckdb": frozenset(),
    "sqlite": frozenset(),
    "snowflake": frozenset({"warehouse", "role"}),
    "bigquery": frozenset({"location"}),
}
#: Options that make the driver read a file on the app server: only in URLs the operator wrote.
OPERATOR_OPTIONS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"sslrootcert", "sslcert", "sslkey", "sslcrl"}),
    "mysql": frozenset({"ssl_ca", "ssl_cert", "ssl_key", "ssl_capath"}),
    "mariadb": frozenset({"ssl_ca", "ssl_cert", "ssl_key", "ssl_capath"}),
    "bigquery": frozenset({"credentials_path"}),
}
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")
LOCAL = ("duckdb", "sqlite")


@dataclass(frozen=True)
class Access:
    """Who wrote a URL, and so what it may reach.

    Attributes
    ----------
    trusted : bool
        The operator wrote it (``secrets.toml``, the command line): errors carry the driver's
        reason and TLS file options are allowed. A visitor's URL gets one generic line per failure,
        so the field cannot probe which ports are open or which paths exist.
    data_folders : tuple of Path, or None
        Folders local database files may be opened from; ``None`` means anywhere.
    allowed_hosts : tuple of str, or None
        Host names (``db.example.com``) or domains (``.example.com``) a URL may name; ``None`` means any.
    """

    trusted: bool = False
    data_folders: tuple[Path, ...] | None = (APP_DATA,)
    allowed_hosts: tuple[str, ...] | None = None


#: The command line and named connections in ``secrets.toml``: written by the operator.
OPERATOR = Access(trusted=True, data_folders=None, allowed_hosts=None)


def visitor_access(settings: Mapping | None = None, root: Path = APP_DATA.parent) -> Access:
    """The :class:`Access` of a URL typed on the Data page, from the ``[access]`` settings.

    ``data_folders`` (default: the app's ``data/`` folder; relative folders are taken from the
    app's root) and ``allowed_hosts`` (default: any host).
    """
    settings = dict(settings or {})
    folders = settings.get("data_folders") or [str(APP_DATA)]
    if isinstance(folders, str):
        folders = [folders]
    hosts = settings.get("allowed_hosts")
    if isinstance(hosts, str):
        hosts = [hosts]
    return Access(
        trusted=False,
        data_folders=tuple((root / Path(str(f)).expanduser()).resolve() for f in folders),
        allowed_hosts=tuple(str(h).strip().lower() for h in hosts if str(h).strip()) if hosts else None,
    )


def url_entry_allowed(settings: Mapping | None) -> bool:
    """Whether visitors may type a URL: ``allow_url_entry = true`` under ``[access]`` (off by default)."""
    value = (settings or {}).get("allow_url_entry", False)
    return value is True or str(value).strip().lower() in ("true", "yes", "1", "on")


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to, and how to name it in messages."""

    url: URL
    shown: str
    backend: str
    driver: str
    path: Path | None = None


def _is_duckdb(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16)[8:12] == b"DUCK"


def _is_database(path: Path, backend: str) -> bool:
    """Whether the file's header is that of a ``backend`` database (an empty file is an empty SQLite one)."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return head[8:12] == b"DUCK" if backend == "duckdb" else head in (b"", b"SQLite format 3\x00")


def _file_url(text: str, access: Access) -> str:
    """A path to a .duckdb / .sqlite file as a URL (operators are told when the file is missing)."""
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in DATABASE_SUFFIXES:
        raise SourceError(f"{safe_url(text)}: not a database file (.duckdb or .sqlite) nor a SQLAlchemy URL")
    if access.data_folders is None and not path.is_file():
        raise SourceError(f"{text}: no such database file")
    if suffix == ".db" and path.is_file():
        kind = "duckdb" if _is_duckdb(path) else "sqlite"
    else:
        kind = "sqlite" if suffix.startswith(".sqlite") else "duckdb"
    return f"{kind}:///{path.resolve()}"


def _driver(backend: str, named: str) -> str:
    allowed = DRIVERS[backend]
    if named:
        return named
    if backend in ("postgresql", "mysql", "mariadb"):
        installed = [d for d in allowed if importlib.util.find_spec(_MODULES[d]) is not None]
        return installed[0] if installed else allowed[0]
    return allowed[0]


def _check_options(backend: str, url: URL, access: Access, shown: str) -> None:
    allowed = OPTIONS[backend] | (OPERATOR_OPTIONS.get(backend, frozenset()) if access.trusted else frozenset())
    refused = sorted(set(url.query) - allowed)
    if refused:
        names = ", ".join(repr(name) for name in refused)
        permitted = ", ".join(sorted(allowed)) or "none"
        raise SourceError(f"{shown}: the option{'s' if len(refused) > 1 else ''} {names} "
                          f"{'are' if len(refused) > 1 else 'is'} not allowed in a warehouse URL "
                          f"(allowed for {backend}: {permitted})")


def _check_host(backend: str, url: URL, access: Access, shown: str) -> None:
    host = (url.host or "").lower()
    if "@" in host:
        raise SourceError(f"{shown}: the password seems to contain '@'; write it as %40 in the URL")
    if "," in host:
        raise SourceError(f"{shown}: name one host per URL")
    if access.trusted:
        return
    if not host:
        raise SourceError(f"{shown}: a warehouse URL must name its host")
    if access.allowed_hosts is not None and not any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed)) for allowed in access.allowed_hosts
    ):
        raise SourceError(f"{shown}: this host is not on the list of allowed warehouse hosts")


def unreachable(shown: str, backend: str) -> str:
    """The one line a visitor sees for any failure to reach ``shown``: it must not tell why."""
    if backend in LOCAL:
        return f"could not connect to {shown} (database files open only from the data folders the administrator configured)"
    return f"could not connect to {shown}"


def _local_file(backend: str, url: URL, access: Access, shown: str) -> Path:
    """The database file a duckdb: / sqlite: URL names, if it may be opened."""
    database = url.database or ""
    if database in ("", ":memory:") or "://" in database or database.startswith(("md:", "motherduck:", "file:")):
        raise SourceError(f"{shown}: name a .duckdb or .sqlite database file")
    path = Path(database).expanduser().resolve()
    if access.data_folders is None:
        if not path.is_file():
            raise SourceError(f"{shown}: no such database file")
        return path
    inside = any(path.is_relative_to(folder) for folder in access.data_folders)
    # one message whether the file is outside the folders, missing, or not a database: the field
    # must not tell which paths exist on the server
    if not inside or path.suffix.lower() not in DATABASE_SUFFIXES or not path.is_file():
        raise SourceError(unreachable(shown, backend))
    if not _is_database(path, backend):
        raise SourceError(unreachable(shown, backend))
    return path


def check_url(url: str | URL, access: Access = OPERATOR) -> Target:
    """Parse a SQLAlchemy URL (or a path to a .duckdb / .sqlite file) and check it against ``access``.

    Raises
    ------
    SourceError
        Naming what is refused (an option by name, an unsupported driver, a host or file not
        allowed); the password is masked and nothing is connected.
    """
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url).strip()
    shown = safe_url(url)
    if "://" not in text:
        text = _file_url(text, access)
    try:
        parsed = sa.make_url(text)
    except Exception:  # SQLAlchemy's message would repeat the text, password included
        raise SourceError(f"{shown}: not a valid SQLAlchemy URL") from None
    backend, _, named = parsed.drivername.partition("+")
    if backend not in DRIVERS:
        raise SourceError(f"{shown}: the database {backend!r} is not supported "
                          f"(use one of: {', '.join(DRIVERS)})")
    driver = _driver(backend, named)
    if driver not in DRIVERS[backend]:
        raise SourceError(f"{shown}: the driver {driver!r} is not supported for {backend} "
                          f"(use one of: {', '.join(DRIVERS[backend])})")
    _check_options(backend, parsed, access, shown)
    if backend in LOCAL:
        path = _local_file(backend, parsed, access, shown)
        return Target(parsed.set(database=str(path)), shown, backend, driver, path)
    _check_host(backend, parsed, access, shown)
    if named != driver and backend in ("postgresql", "mysql", "mariadb"):
        parsed = parsed.set(drivername=f"{backend}+{driver}")
    return Target(parsed, shown, backend, driver)
