"""How database failures reach a person: one line, the password masked, never a traceback.

Every driver error (SQLAlchemy's, the DBAPI's own, a socket's) that leaves :mod:`cx.db` is a
:class:`SourceError` whose message is safe to show: :func:`safe_url` masks a URL's password
however it is written, :func:`scrub` removes it from a driver's message, and :func:`translated`
turns any driver error raised inside a block into that one line (so no caller writes its own
``try/except`` around a query again).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL


class SourceError(Exception):
    """A source could not be opened or read; the message is one line, safe to show (no secrets)."""


class ScopeError(SourceError, ValueError):
    """The scope asks for rows the source cannot tell apart (e.g. segments without a customers table)."""


# --- masking ---------------------------------------------------------------------------------


def _split_credentials(text: str) -> tuple[str, str, str] | None:
    """``(before, user, after)`` around ``user:password@`` in URL-like text, else None.

    The password is taken up to the *last* ``@`` before the host, so a password that itself holds
    ``@``, ``/`` or ``?`` is masked whole (SQLAlchemy would cut it at its first ``@``). When the text
    has no ``://`` (a mistyped URL such as ``postgresql:ann:secret@host``), everything before the
    last ``@`` counts as credentials.
    """
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    at = rest.rfind("@")
    if at < 0:
        return None
    userinfo = rest[:at]
    if sep and ":" not in userinfo:
        return None  # a user name without a password: nothing to hide
    user = userinfo.split(":", 1)[0] if sep else ""
    return (f"{scheme}{sep}", user, rest[at:])


#: A query option whose value may be a secret (``?password=…``, ``?token=…``): its value is masked.
_SECRET_OPTION = re.compile(r"(?i)([?&][^=&]*(?:pass|pwd|secret|token|key|credential)[^=&]*=)[^&]*")


def safe_url(url: str | URL) -> str:
    """The URL as text with its password masked (``***``), whatever characters the password holds.

    Examples
    --------
    >>> safe_url("postgresql://ann:p@ss/w0rd@db.example.com/cx")
    'postgresql://ann:***@db.example.com/cx'
    >>> safe_url("postgresql:ann:secret@db.example.com/cx")
    '***@db.example.com/cx'
    """
    # a URL object renders its password as *** already; undo its %-escapes (duckdb:///%3Amemory%3A)
    text = unquote(url.render_as_string(hide_password=True)) if isinstance(url, URL) else str(url)
    text = _SECRET_OPTION.sub(r"\1***", text)
    parts = _split_credentials(text)
    if parts is None:
        if "://" not in text and ":" in text.lstrip("/"):
            # no '://' and no '@': "user:secret" or a driver-specific form; keep only what precedes ':'
            return text.split(":", 1)[0] + ":***"
        return text
    before, user, after = parts
    return f"{before}{user}:***{after}" if before else f"***{after}"


def _secrets_of(url: str | URL) -> list[str]:
    """Every spelling of a URL's password that could appear in a message (raw, decoded, encoded)."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    found = []
    parts = _split_credentials(text)
    if parts is not None:
        before, user, after = parts
        start = len(before) + len(user) + (1 if before else 0)
        raw = text[start:len(text) - len(after)]
        found.append(raw)
    try:
        password = sa.make_url(text).password
    except Exception:  # not a URL SQLAlchemy can parse: the raw text above is all there is
        password = None
    if password and not any(str(password) in raw for raw in found):
        found.append(str(password))  # a mis-parsed URL's password is a prefix of the raw one: not needed
    found += [unquote(s) for s in found] + [quote(s, safe="") for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(message: object, url: str | URL | None) -> str:
    """``message`` with the URL (and every spelling of its password) masked."""
    text = str(message)
    if url is None:
        return text
    raw = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    if raw:
        text = text.replace(raw, safe_url(url))
    for secret in _secrets_of(url):
        text = text.replace(secret, "***")
    return re.sub(r"//([^:/@\s]+):[^@\s]*@", r"//\1:***@", text)


# --- translating driver errors ---------------------------------------------------------------

#: Driver codes of a statement stopped by the statement timeout.
_TIMEOUT_CODES = {"57014", 1969, 3024}  # PostgreSQL query_canceled, MariaDB, MySQL


def _is_timeout(error: BaseException) -> bool:
    if getattr(error, "sqlstate", None) in _TIMEOUT_CODES or getattr(error, "pgcode", None) in _TIMEOUT_CODES:
        return True
    args = getattr(error, "args", ())
    if args and isinstance(args[0], (int, str)) and args[0] in _TIMEOUT_CODES:
        return True
    # DuckDB's InterruptException and SQLite's "interrupted": stopped by the interrupt timer
    return type(error).__name__ == "InterruptException" or str(error).strip().lower() == "interrupted"


def reason(error: BaseException, url: str | URL | None) -> str:
    """The first line of a driver error, its password masked (SQLAlchemy's wrapper and links dropped)."""
    original = getattr(error, "orig", None) or error
    if _is_timeout(original):
        return "the query ran longer than the statement timeout and was stopped"
    lines = [line.strip() for line in scrub(original, url).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def driver_errors(engine: sa.Engine) -> tuple[type[BaseException], ...]:
    """What a driver can raise: SQLAlchemy's errors, the DBAPI module's own, and network errors."""
    dbapi = getattr(engine.dialect, "loaded_dbapi", None) or getattr(engine.dialect, "dbapi", None)
    own = getattr(dbapi, "Error", None)
    kinds: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError, OSError)
    return kinds + ((own,) if isinstance(own, type) and issubclass(own, BaseException) else ())


def with_context(context: str | None, message: str) -> str:
    return f"{context}: {message}" if context else message


@contextmanager
def translated(engine: sa.Engine, context: str | None = None) -> Iterator[None]:
    """Turn any driver error raised inside the block into one :class:`SourceError` line.

    ``context`` (e.g. ``"cannot read table or view 't'"``) is put before the driver's reason.
    """
    try:
        yield
    except SourceError:
        raise
    except driver_errors(engine) as exc:
        raise SourceError(with_context(context, reason(exc, engine.url))) from None


@contextmanager
def connected(engine: sa.Engine, context: str | None = None) -> Iterator[sa.Connection]:
    """A connection of ``engine`` in which every driver error becomes one :class:`SourceError` line.

    A failure to reach a server reads "could not connect to <masked URL>" whatever its cause (a
    closed port, a silent one, another protocol, a wrong password): the message must not let a URL
    field probe the network. A session the checks refused (not read-only) says so, and so does a
    database inside the app's own process (DuckDB, SQLite: e.g. an upload already released).
    """
    try:
        con = engine.connect()
    except SourceError as exc:
        raise SourceError(with_context(context, f"could not connect to {safe_url(engine.url)}: {exc}")) from None
    except driver_errors(engine) as exc:
        local = engine.dialect.name in ("duckdb", "sqlite")
        why = f": {reason(exc, engine.url)}" if local else ""
        raise SourceError(with_context(context, f"could not connect to {safe_url(engine.url)}{why}")) from None
    with translated(engine, context), con:
        yield con
