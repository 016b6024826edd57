"""Sources: where the canonical `interactions` and `customers` come from.

A :class:`Source` is a SQLAlchemy engine plus two selectables whose columns carry the canonical
names (see :mod:`cx.schema`). The demo warehouse, an uploaded file and a customer's own warehouse
all end up as one, so every later query takes the same SQL path:

- the demo is a DuckDB file opened read-only;
- uploads are loaded into a private in-memory DuckDB (one per browser session, never shared);
- a warehouse table or view is reflected and wrapped in a ``SELECT src_col AS canonical_col``
  subquery, so nothing is copied and identifiers are quoted by SQLAlchemy.

Warehouse connections are read-only wherever the backend allows it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from cx import demo
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, IncidentRules, Scales

_SA_TYPES = {
    "text": sa.String(),
    "timestamp": sa.DateTime(),
    "int": sa.Integer(),
    "number": sa.Float(),
    "bool": sa.Boolean(),
}
_memory_ids = itertools.count(1)


class SourceError(Exception):
    """A source could not be opened or read; the message is safe to show (no secrets)."""


@dataclass(frozen=True, eq=False)
class Source:
    """A place canonical data can be queried from.

    Attributes
    ----------
    engine : sqlalchemy.Engine
        Read-only where the backend allows it.
    interactions : sqlalchemy.FromClause
        Selectable with every column of :data:`cx.schema.INTERACTION_COLUMNS` (unmapped ones are
        typed NULLs; see :attr:`available`).
    customers : sqlalchemy.FromClause or None
        Selectable with the customer columns plus any extra attribute columns.
    scales : Scales
        Declared scales of CSAT and CES.
    label : str
        What to show the user: never contains a password.
    key : str
        Stable identity for caches (changes when the data change).
    """

    engine: sa.Engine
    interactions: sa.FromClause
    customers: sa.FromClause | None
    scales: Scales = Scales()
    label: str = ""
    kind: str = "warehouse"
    key: str = ""
    available: frozenset[str] = frozenset()
    customer_attributes: tuple[str, ...] = ()
    rules: IncidentRules = field(default_factory=IncidentRules)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def has(self, column: str) -> bool:
        """Whether a canonical column holds data (mapped), as opposed to a NULL placeholder."""
        return column in self.available

    def read(self, query) -> pd.DataFrame:
        """Run one (aggregate or LIMITed) query and return its rows as a DataFrame.

        On DuckDB the result is fetched columnar (a million journeys in a fraction of a second);
        elsewhere through the driver's rows.
        """
        with self.engine.connect() as con:
            result = con.execute(query)  # through SQLAlchemy: events, logging and errors as usual
            cursor = result.cursor
            if self.dialect == "duckdb" and cursor is not None and hasattr(cursor, "fetch_df"):
                frame = cursor.fetch_df()
                result.close()
                return frame
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def safe_url(url: str | URL) -> str:
    """The URL as text with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", str(url))


def scrub(message: str, url: str | URL | None) -> str:
    """Remove a URL's password (and the raw URL) from an error message."""
    text = str(message)
    if url is None:
        return text
    try:
        parsed = make_url(url)
    except Exception:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", text)
    if parsed.password:
        text = text.replace(str(parsed.password), "***")
    return text.replace(str(url), safe_url(url))


# --- engines ---------------------------------------------------------------------------------


STATEMENT_TIMEOUT_S = int(os.environ.get("CX_STATEMENT_TIMEOUT", "120"))


def _session_guards(engine: sa.Engine, read_only: bool, timeout_s: int = STATEMENT_TIMEOUT_S) -> None:
    """On every new connection: read-only transactions and a statement timeout, where supported."""
    name = engine.dialect.name
    if name not in ("postgresql", "mysql", "mariadb", "sqlite", "duckdb"):
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        try:
            if name == "duckdb":
                # no progress bar: DuckDB would draw it on the CLI's terminal or in the app's log
                # (read-only is set when the file is opened; DuckDB has no statement timeout)
                cursor.execute("SET enable_progress_bar = false")
            elif name == "sqlite":
                if read_only:
                    cursor.execute("PRAGMA query_only = ON")
            elif name == "postgresql":
                if read_only:
                    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                cursor.execute(f"SET statement_timeout = {int(timeout_s) * 1000}")
            else:
                if read_only:
                    cursor.execute("SET SESSION TRANSACTION READ ONLY")
                cursor.execute("SELECT VERSION()")
                version = str(cursor.fetchone()[0]).lower()
                if "mariadb" in version:
                    cursor.execute(f"SET SESSION max_statement_time = {int(timeout_s)}")
                else:
                    cursor.execute(f"SET SESSION max_execution_time = {int(timeout_s) * 1000}")
        finally:
            cursor.close()
        if name == "postgresql":
            dbapi_connection.commit()


def connect(url: str | URL, read_only: bool = True) -> sa.Engine:
    """Create an engine for a SQLAlchemy URL or a path to a .duckdb / .sqlite file.

    Raises
    ------
    SourceError
        With the password masked, when the URL is malformed or the server cannot be reached.
    """
    text = str(url)
    path = Path(text)
    if "://" not in text:
        if not path.exists():
            raise SourceError(f"{text}: no such database file")
        if path.suffix.lower() in (".duckdb", ".ddb", ".db") and _is_duckdb(path):
            text = f"duckdb:///{path.resolve()}"
        elif path.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
            text = f"sqlite:///{path.resolve()}"
        else:
            raise SourceError(f"{text}: not a database file (.duckdb or .sqlite) nor a SQLAlchemy URL")
    try:
        parsed = make_url(text)
    except Exception:
        raise SourceError(f"{safe_url(text)}: not a valid SQLAlchemy URL") from None
    kwargs: dict = {}
    backend = parsed.get_backend_name()
    if backend == "duckdb" and read_only and parsed.database not in (None, "", ":memory:"):
        kwargs["connect_args"] = {"read_only": True}
    if backend == "sqlite" and read_only and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=f"file:{parsed.database}?mode=ro", query={"uri": "true"})
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    if backend in ("mysql", "mariadb"):
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = sa.create_engine(parsed, pool_pre_ping=backend not in ("duckdb", "sqlite"), **kwargs)
    except Exception as exc:
        raise SourceError(f"{safe_url(text)}: {scrub(exc, text)}") from None
    _session_guards(engine, read_only)
    return engine


def _is_duckdb(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(16)
    return head[8:12] == b"DUCK"


def _probe(engine: sa.Engine, url: str) -> None:
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except Exception as exc:
        reason = scrub(getattr(exc, "orig", exc), url).strip().splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"could not connect to {safe_url(url)}: {reason}") from None


# --- canonical selectables -------------------------------------------------------------------


def _lightweight_table(engine: sa.Engine, name: str, schema: str | None) -> sa.TableClause:
    """A table's columns from ``SELECT * ... LIMIT 0`` (works on every backend and on views).

    Full reflection is avoided: it is slow on big catalogs and SQLAlchemy 2.1's PostgreSQL
    reflection queries catalog tables that DuckDB does not have.
    """
    probe = sa.table(name, schema=schema)
    try:
        with engine.connect() as con:
            keys = list(con.execute(sa.select(sa.text("*")).select_from(probe).limit(0)).keys())
    except sa.exc.SQLAlchemyError as exc:
        reason = scrub(getattr(exc, "orig", exc), engine.url).strip().splitlines()[0]
        raise SourceError(f"cannot read table or view {name!r}: {reason}") from None
    return sa.table(name, *[sa.column(k) for k in keys], schema=schema)


def _canonical_select(table: sa.TableClause, columns: dict[str, str], kinds: dict[str, str], name: str,
                      booleans: dict[str, str] | None = None, extras: tuple[str, ...] = ()):
    """``SELECT t.src AS canonical, ..., NULL AS unmapped`` over a reflected table.

    ``booleans`` maps a canonical boolean column to the (lower-case) text value meaning true,
    for warehouses that store flags as text.
    """
    booleans = booleans or {}
    items = []
    for canonical, kind in kinds.items():
        src = columns.get(canonical)
        if src is None:
            # MySQL cannot CAST to BOOLEAN: there the NULL is only typed on the Python side
            null = sa.type_coerce(sa.null(), sa.Boolean()) if kind == "bool" else sa.cast(sa.null(), _SA_TYPES[kind])
            items.append(null.label(canonical))
            continue
        if src not in table.c:
            raise SourceError(f"{table.name}: no column {src!r} (mapped to {canonical})")
        expr = table.c[src]
        if canonical in booleans:
            expr = sa.case((expr.is_(None), sa.null()), (sa.func.lower(sa.cast(expr, sa.String)) == booleans[canonical], True), else_=False)
        items.append(expr.label(canonical))
    for extra in extras:
        if extra not in table.c:
            raise SourceError(f"{table.name}: no column {extra!r}")
        items.append(table.c[extra].label(extra))
    return sa.select(*items).subquery(name)


def table_source(
    engine: sa.Engine,
    interactions_table: str,
    interactions_columns: dict[str, str] | None = None,
    customers_table: str | None = None,
    customers_columns: dict[str, str] | None = None,
    *,
    schema: str | None = None,
    scales: Scales = Scales(),
    booleans: dict[str, str] | None = None,
    customer_attributes: tuple[str, ...] = (),
    label: str = "",
    kind: str = "warehouse",
    key: str = "",
) -> Source:
    """A source over tables or views of a database, mapped by column name.

    ``interactions_columns`` / ``customers_columns`` map *canonical* names to the table's column
    names; when omitted, columns that already carry canonical names are used.
    """
    itab = _lightweight_table(engine, interactions_table, schema)
    ctab = _lightweight_table(engine, customers_table, schema) if customers_table else None
    return _mapped_source(engine, itab, interactions_columns, ctab, customers_columns, scales=scales,
                          booleans=booleans, customer_attributes=customer_attributes, label=label, kind=kind,
                          key=key or f"{interactions_table}|{customers_table}")


def _mapped_source(engine, itab, interactions_columns, ctab, customers_columns, *, scales, booleans,
                   customer_attributes, label, kind, key) -> Source:
    icols = interactions_columns or {c: c for c in INTERACTION_COLUMNS if c in itab.c}
    interactions = _canonical_select(itab, icols, INTERACTION_COLUMNS, "interactions", booleans)
    customers = None
    available = {c for c in icols}
    if ctab is not None:
        ccols = customers_columns or {c: c for c in CUSTOMER_COLUMNS if c in ctab.c}
        extras = customer_attributes or tuple(
            c for c in ctab.c.keys() if c not in CUSTOMER_COLUMNS and c not in ccols.values()
        )
        customers = _canonical_select(ctab, ccols, CUSTOMER_COLUMNS, "customers", booleans, extras)
        available |= {f"customers.{c}" for c in ccols} | {f"customers.{c}" for c in extras}
        customer_attributes = extras
    return Source(
        engine=engine,
        interactions=interactions,
        customers=customers,
        scales=scales,
        label=label or safe_url(engine.url),
        kind=kind,
        key=hashlib.sha256(f"{safe_url(engine.url)}|{key}|{icols}|{booleans}".encode()).hexdigest()[:16],
        available=frozenset(available),
        customer_attributes=tuple(customer_attributes),
    )


_FORBIDDEN = re.compile(
    # statements that write or change session state; function names such as REPLACE() stay allowed
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|grant|revoke|copy|attach|detach|"
    r"pragma|set|call|exec|execute|into|lock|vacuum|install|checkpoint|begin|commit|rollback|savepoint)\b",
    re.IGNORECASE,
)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|--[^\n]*|/\*.*?\*/", re.DOTALL)


def validate_select(sql: str) -> str:
    """Check that ``sql`` is one read-only SELECT (or WITH … SELECT); return it without a final ``;``.

    String literals, quoted identifiers and comments are blanked before the checks, so a comment
    or a value can neither hide a second statement nor trip the check. This is a first line of
    defence only: the query also runs on a read-only connection with a statement timeout.

    Raises
    ------
    SourceError
        Naming what is wrong (a second statement, a write keyword, not a SELECT).
    """
    text = sql.strip()
    # one left-to-right scan, so a '--' inside a string is not a comment and a quote inside a comment no string
    blanked = _TOKENS.sub(lambda m: " " if m.group(0)[0] in "-/" else "''", text)
    if "/*" in blanked or blanked.count("'") % 2:
        raise SourceError("the custom query has an unterminated comment or string")
    stripped = blanked.strip().rstrip(";").strip()
    if ";" in stripped:
        raise SourceError("the custom query must be a single statement (found a ';' inside it)")
    if not re.match(r"(?is)^\(?\s*(select|with)\b", stripped):
        raise SourceError("the custom query must start with SELECT or WITH")
    bad = _FORBIDDEN.search(stripped)
    if bad:
        raise SourceError(f"the custom query may only read: {bad.group(0).upper()!r} is not allowed")
    return text.rstrip().rstrip(";").rstrip()


def query_source(
    engine: sa.Engine,
    sql: str,
    interactions_columns: dict[str, str] | None = None,
    customers_table: str | None = None,
    customers_columns: dict[str, str] | None = None,
    *,
    row_limit: int = 5_000_000,
    scales: Scales = Scales(),
    booleans: dict[str, str] | None = None,
    label: str = "",
) -> Source:
    """A source whose interactions come from a custom read-only SELECT (a subquery, at most ``row_limit`` rows).

    The query is validated by :func:`validate_select`, runs on the engine's read-only connection
    with its statement timeout, and is wrapped as ``SELECT … FROM (query) LIMIT row_limit`` so a
    runaway query can't flood the app.
    """
    sql = validate_select(sql)
    body = sa.text(sql)
    try:
        with engine.connect() as con:
            probe = body.columns().subquery("custom_query")
            keys = list(con.execute(sa.select(sa.text("*")).select_from(probe).limit(0)).keys())
    except sa.exc.SQLAlchemyError as exc:
        reason = scrub(getattr(exc, "orig", exc), engine.url).strip().splitlines()[0]
        raise SourceError(f"the custom query failed: {reason}") from None
    inner = body.columns(*[sa.column(k) for k in keys]).subquery("custom_query_rows")
    limited = sa.select(*inner.c).limit(int(row_limit)).subquery("custom_query")
    ctab = _lightweight_table(engine, customers_table, None) if customers_table else None
    return _mapped_source(engine, limited, interactions_columns, ctab, customers_columns, scales=scales,
                          booleans=booleans, customer_attributes=(), label=label or f"{safe_url(engine.url)} (custom query)",
                          kind="warehouse", key=f"query:{hashlib.sha256(sql.encode()).hexdigest()}|{customers_table}")


def demo_source(path: str | Path | None = None) -> Source:
    """The embedded demo warehouse (created on first use), opened read-only."""
    path = demo.ensure_demo(path or demo.DEFAULT_PATH)
    engine = connect(path)
    stamp = path.stat().st_mtime_ns
    return table_source(engine, "interactions", None, "customers", None, label="Demo warehouse (synthetic)",
                        kind="demo", key=f"demo:{path}:{stamp}")


def typed_frame(frame: pd.DataFrame | None, kinds: dict[str, str], extras: bool) -> pd.DataFrame:
    """Every canonical column present with a backend-friendly dtype (missing ones all-null)."""
    frame = pd.DataFrame() if frame is None else frame
    out = {}
    n = len(frame)
    for column, kind in kinds.items():
        values = frame[column] if column in frame else pd.Series([None] * n, dtype=object)
        if kind == "text":  # a string dtype, so an all-empty column is still VARCHAR in DuckDB
            out[column] = values.astype(object).where(values.notna(), None).astype("string")
        elif kind == "timestamp":
            values = pd.to_datetime(values, errors="coerce")
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            out[column] = values.astype("datetime64[us]")
        elif kind == "int":
            out[column] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif kind == "number":
            out[column] = pd.to_numeric(values, errors="coerce").astype("Float64")
        else:
            out[column] = values.astype("boolean")
    if extras:
        for column in frame.columns:
            if column not in kinds:
                out[column] = frame[column]
    return pd.DataFrame(out, index=range(n)) if n else pd.DataFrame({k: pd.Series([], dtype=v.dtype) for k, v in out.items()})


def memory_source(
    interactions: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    scales: Scales = Scales(),
    label: str = "Uploaded data",
    rules: IncidentRules | None = None,
) -> Source:
    """Load canonical frames into a private in-memory DuckDB and return a source over it.

    Each call makes its own database: two browser sessions never share one. The database is
    freed when the returned source (and its engine) is garbage-collected.
    """
    import duckdb
    from duckdb_engine import ConnectionWrapper

    con = duckdb.connect(":memory:")
    itab = typed_frame(interactions, INTERACTION_COLUMNS, extras=False)
    con.register("_in_i", itab)
    con.execute("CREATE TABLE interactions AS SELECT * FROM _in_i")
    con.unregister("_in_i")
    available = {c for c in INTERACTION_COLUMNS if c in interactions and interactions[c].notna().any()}
    attributes: tuple[str, ...] = ()
    has_customers = customers is not None and len(customers.columns) > 0
    if has_customers:
        ctab = typed_frame(customers, CUSTOMER_COLUMNS, extras=True)
        con.register("_in_c", ctab)
        con.execute("CREATE TABLE customers AS SELECT * FROM _in_c")
        con.unregister("_in_c")
        attributes = tuple(c for c in ctab.columns if c not in CUSTOMER_COLUMNS)
        available |= {f"customers.{c}" for c in customers.columns if customers[c].notna().any()}
    engine = sa.create_engine("duckdb:///:memory:", creator=lambda: ConnectionWrapper(con.cursor()))
    _session_guards(engine, read_only=False)
    engine._cx_duckdb = con  # keep the database alive as long as the engine
    digest = hashlib.sha256(pd.util.hash_pandas_object(itab, index=False).values.tobytes()).hexdigest()[:16]
    source = table_source(engine, "interactions", {c: c for c in INTERACTION_COLUMNS},
                          "customers" if has_customers else None, None, scales=scales, label=label,
                          kind="upload", key=f"upload:{next(_memory_ids)}:{digest}",
                          customer_attributes=attributes)
    return Source(**{**source.__dict__, "available": frozenset(available), "rules": rules or IncidentRules()})


def release(source: Source) -> None:
    """Free what a source holds: an upload's in-memory database, a warehouse's pooled connections.

    The demo's shared engine is left open (other sessions use it).
    """
    if source.kind == "demo":
        return
    source.engine.dispose()
    database = getattr(source.engine, "_cx_duckdb", None)
    if database is not None:
        database.close()


# --- what is there ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSummary:
    """What a source holds: counts, span and per-column fill (:func:`cx.metrics.available` reads the metrics it supports)."""

    rows: int
    customers: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    undated_rows: int
    channels: dict[str, int]
    stages: dict[str, int]
    column_counts: dict[str, int]
    customer_rows: int | None


def summarize(source: Source) -> SourceSummary:
    """Counts, date span, channels, stages and per-column fill — three aggregate queries."""
    i = source.interactions
    counted = [c for c in INTERACTION_COLUMNS if c != "customer_id"]
    q = sa.select(
        sa.func.count().label("rows"),
        sa.func.count(sa.distinct(i.c.customer_id)).label("customers"),
        sa.func.min(i.c.occurred_at).label("first"),
        sa.func.max(i.c.occurred_at).label("last"),
        *[sa.func.count(i.c[c]).label(c) for c in counted],
    )
    try:
        row = source.read(q).iloc[0]
        by_channel = source.read(
            sa.select(i.c.channel, sa.func.count().label("n")).group_by(i.c.channel).order_by(sa.desc("n"))
        )
        by_stage = source.read(sa.select(i.c.journey_stage, sa.func.count().label("n")).group_by(i.c.journey_stage))
        counts = {c: int(row[c]) for c in counted}
        counts["customer_id"] = int(row["rows"])
        customer_rows = None
        if source.customers is not None:
            cu = source.customers
            crow = source.read(sa.select(sa.func.count().label("n"), *[sa.func.count(cu.c[c]).label(c) for c in cu.c.keys()])).iloc[0]
            customer_rows = int(crow["n"])
            counts |= {f"customers.{c}": int(crow[c]) for c in cu.c.keys()}
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"reading {source.label} failed: {scrub(getattr(exc, 'orig', exc), source.engine.url).splitlines()[0]}") from None

    def ts(value):
        return None if value is None or pd.isna(value) else pd.Timestamp(value)

    return SourceSummary(
        rows=int(row["rows"]),
        customers=int(row["customers"]),
        first=ts(row["first"]),
        last=ts(row["last"]),
        undated_rows=int(row["rows"]) - counts["occurred_at"],
        channels={str(k): int(v) for k, v in zip(by_channel.iloc[:, 0], by_channel["n"]) if pd.notna(k)},
        stages={str(k): int(v) for k, v in zip(by_stage.iloc[:, 0], by_stage["n"]) if pd.notna(k)},
        column_counts=counts,
        customer_rows=customer_rows,
    )


def list_tables(engine: sa.Engine, schema: str | None = None) -> list[str]:
    """Tables and views, from reflection."""
    try:
        inspector = sa.inspect(engine)
        return sorted(inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema))
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(scrub(getattr(exc, "orig", exc), engine.url).splitlines()[0]) from None


def table_columns(engine: sa.Engine, table: str, schema: str | None = None) -> list[str]:
    """Column names of a table or view, from reflection."""
    try:
        return [c["name"] for c in sa.inspect(engine).get_columns(table, schema=schema)]
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(scrub(getattr(exc, "orig", exc), engine.url).splitlines()[0]) from None


def open_warehouse(url: str) -> sa.Engine:
    """A read-only engine for a URL, probed once so that a bad URL fails here with a clear message."""
    engine = connect(url)
    _probe(engine, url)
    return engine


DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def open_source(specs: list[str] | None = None, mapping_path: str | Path | None = None) -> Source:
    """Resolve the CLI's ``--source`` values to a :class:`Source`.

    Parameters
    ----------
    specs : list of str, optional
        Nothing → the demo warehouse. One SQLAlchemy URL or .duckdb/.sqlite path → its
        ``interactions`` (and, when present, ``customers``) tables, read-only. One or more data
        files (CSV, TSV, XLSX, Parquet, JSON) → mapped, validated and loaded into a private
        in-memory DuckDB (e.g. an interactions export plus a customers export).
    mapping_path : path, optional
        A mapping JSON saved from the Data page or ``cx map``; else the mapping is suggested.

    Raises
    ------
    SourceError
        When the spec can't be opened; the message names the file or masked URL.
    """
    if not specs:
        return demo_source()
    files = [s for s in specs if "://" not in s and Path(s).suffix.lower() in DATA_SUFFIXES]
    databases = [s for s in specs if s not in files]
    if databases and files:
        raise SourceError("combine either data files or one database, not both")
    if len(databases) > 1:
        raise SourceError("only one database URL can be given as --source")
    if databases:
        spec = databases[0]
        engine = open_warehouse(spec)
        tables = set(list_tables(engine))
        if "interactions" not in tables:
            shown = ", ".join(sorted(tables)[:10]) or "none"
            raise SourceError(f"{safe_url(spec)} has no table named 'interactions' (tables: {shown}); "
                              "load files into it with `cx load FILE --into URL`")
        return table_source(engine, "interactions", None, "customers" if "customers" in tables else None, None,
                            label=safe_url(spec))
    from cx.ingest import IngestError, combine, load_files
    from cx.ingest.editor import read_mappings

    for name in files:
        if not Path(name).exists():
            raise SourceError(f"{name}: no such file")
    try:
        mapping = None
        if mapping_path is not None:
            try:
                text = Path(mapping_path).read_text(encoding="utf-8")
            except FileNotFoundError:
                raise SourceError(f"{mapping_path}: no such mapping file") from None
            mapping = read_mappings(text, str(mapping_path))
        results = load_files([Path(f) for f in files], mapping)
        interactions, customers, scales = combine(results)
    except IngestError as exc:
        raise SourceError(str(exc)) from None
    return memory_source(interactions, customers, scales=scales, label=", ".join(Path(f).name for f in files))
