"""Sources: where the canonical `interactions` and `customers` come from.

A :class:`Source` is a SQLAlchemy engine plus two selectables whose columns carry the canonical
names (see :mod:`cx.schema`). The demo warehouse, an uploaded file and a customer's own warehouse
all end up as one, so every later query takes the same SQL path: a warehouse table or view is
wrapped in a ``SELECT src_col AS canonical_col`` subquery, so nothing is copied and identifiers are
quoted by SQLAlchemy (see :mod:`cx.db.local` for the demo and uploads, :mod:`cx.db.connect` for
warehouses).

:meth:`Source.read` is the one way a query reaches the database: it turns every driver error into
one :class:`~cx.db.errors.SourceError` line, password masked, so callers never write that
``try/except`` themselves.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa

from cx.db.errors import SourceError, connected, safe_url
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, IncidentRules, Scales

T, R = TypeVar("T"), TypeVar("R")
#: Queries one piece of work runs at once (:meth:`Source.each`).
READ_THREADS = 3

if TYPE_CHECKING:
    import pandas as pd

_SA_TYPES = {
    "text": sa.String(),
    "timestamp": sa.DateTime(),
    "int": sa.Integer(),
    "number": sa.Float(),
    "bool": sa.Boolean(),
}


def read_frame(engine: sa.Engine, query, context: str | None = None) -> pd.DataFrame:
    """Run one (aggregate or LIMITed) query and return its rows as a DataFrame.

    On DuckDB the result is fetched columnar (a million journeys in a fraction of a second);
    elsewhere through the driver's rows.

    Raises
    ------
    SourceError
        For every driver error: one line, password masked, after ``context`` when given. A server
        that cannot be reached reads "could not connect to <masked URL>", whatever the cause.
    """
    import pandas as pd

    with connected(engine, context) as con:
        result = con.execute(query)  # through SQLAlchemy: events, logging and errors as usual
        cursor = result.cursor
        if engine.dialect.name == "duckdb" and cursor is not None and hasattr(cursor, "fetch_df"):
            frame = cursor.fetch_df()
            result.close()
            return frame
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def read_rows(engine: sa.Engine, query, context: str | None = None) -> tuple[list[str], list[tuple]]:
    """Run one aggregate query and return its column names and rows as Python values, without pandas.

    For a few rows printed by a command (``cx metrics``), where importing pandas would cost more
    than the query. Errors as in :func:`read_frame`.
    """
    with connected(engine, context) as con:
        result = con.execute(query)
        return list(result.keys()), [tuple(row) for row in result.fetchall()]


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

    def read(self, query, context: str | None = None) -> pd.DataFrame:
        """Run one (aggregate or LIMITed) query; every driver error becomes one :class:`SourceError` line.

        ``context`` (e.g. ``"reading a preview of X failed"``) is put before the driver's reason.
        """
        return read_frame(self.engine, query, context)

    def rows(self, query, context: str | None = None) -> tuple[list[str], list[tuple]]:
        """:meth:`read` as column names and rows of Python values (no pandas; see :func:`read_rows`)."""
        return read_rows(self.engine, query, context)

    @staticmethod
    def each(read: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``read(item)`` for every item, :data:`READ_THREADS` at a time, yielded in the items' order.

        For a piece of work that runs one query per item (a week's review: one per metric; its alerts:
        one baseline per metric): the database runs the next items' queries (which release the GIL)
        while the caller turns the last one's rows into tables.
        """
        items = list(items)
        if len(items) < 2 or READ_THREADS < 2:
            yield from map(read, items)
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            yield from pool.map(read, items)


# --- canonical selectables -------------------------------------------------------------------


def _lightweight_table(engine: sa.Engine, name: str, schema: str | None) -> sa.TableClause:
    """A table's columns from ``SELECT * ... LIMIT 0`` (works on every backend and on views).

    Full reflection is avoided: it is slow on big catalogs and SQLAlchemy 2.1's PostgreSQL
    reflection queries catalog tables that DuckDB does not have.
    """
    probe = sa.table(name, schema=schema)
    with connected(engine, f"cannot read table or view {name!r}") as con:
        keys = list(con.execute(sa.select(sa.text("*")).select_from(probe).limit(0)).keys())
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
    row_attributes: tuple[str, ...] | None = None,
    label: str = "",
    kind: str = "warehouse",
    key: str = "",
) -> Source:
    """A source over tables or views of a database, mapped by column name.

    ``interactions_columns`` / ``customers_columns`` map *canonical* names to the table's column
    names; when omitted, columns that already carry canonical names are used.

    ``row_attributes``: customer attributes the interactions table also holds per row, in a column
    of the same name (see :mod:`cx.db.where`); by default every interactions column named like one
    of the customers table's attributes (segment, region or an extra column).
    """
    itab = _lightweight_table(engine, interactions_table, schema)
    ctab = _lightweight_table(engine, customers_table, schema) if customers_table else None
    return _mapped_source(engine, itab, interactions_columns, ctab, customers_columns, scales=scales,
                          booleans=booleans, customer_attributes=customer_attributes, row_attributes=row_attributes,
                          label=label, kind=kind, key=key or f"{interactions_table}|{customers_table}")


#: Customer columns that can be kept per row (the others are facts about the customer, not a breakdown).
_PER_ROW_CANONICAL = ("segment", "region")


def _mapped_source(engine, itab, interactions_columns, ctab, customers_columns, *, scales, booleans,
                   customer_attributes, label, kind, key, row_attributes=None) -> Source:
    icols = interactions_columns or {c: c for c in INTERACTION_COLUMNS if c in itab.c}
    customers = None
    available = {c for c in icols}
    per_row: tuple[str, ...] = ()
    if ctab is not None:
        ccols = customers_columns or {c: c for c in CUSTOMER_COLUMNS if c in ctab.c}
        extras = customer_attributes or tuple(
            c for c in ctab.c.keys() if c not in CUSTOMER_COLUMNS and c not in ccols.values()
        )
        customers = _canonical_select(ctab, ccols, CUSTOMER_COLUMNS, "customers", booleans, extras)
        available |= {f"customers.{c}" for c in ccols} | {f"customers.{c}" for c in extras}
        customer_attributes = extras
        candidates = [c for c in (*_PER_ROW_CANONICAL, *extras) if c in customers.c]
        per_row = tuple(c for c in (candidates if row_attributes is None else row_attributes)
                        if c in candidates and c in itab.c and c not in INTERACTION_COLUMNS
                        and c not in icols.values())
    interactions = _canonical_select(itab, icols, INTERACTION_COLUMNS, "interactions", booleans, per_row)
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

