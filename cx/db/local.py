"""The DuckDB databases the app makes itself: the demo warehouse and each session's uploads.

- The demo is a DuckDB file opened read-only;
- uploads are loaded into a private in-memory DuckDB (one per browser session, never shared),
  released when the session loads other data.

Both are opened by :func:`cx.db.session.duckdb_engine`: external access disabled and the
configuration locked once the data is in, so no SQL can read or write a file on the server.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import TYPE_CHECKING

from cx import demo
from cx.db.session import duckdb_engine
from cx.db.source import Source, table_source
from cx.memory import release_memory
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, IncidentRules, Scales

if TYPE_CHECKING:  # imported where frames are made: opening the demo (cx metrics) needs no pandas
    import pandas as pd

_memory_ids = itertools.count(1)


def demo_source(path: str | Path | None = None) -> Source:
    """The embedded demo warehouse (created on first use), opened read-only."""
    path = demo.ensure_demo(path or demo.DEFAULT_PATH)
    engine = duckdb_engine(Path(path).resolve())
    stamp = path.stat().st_mtime_ns
    return table_source(engine, "interactions", None, "customers", None, label="Demo warehouse (synthetic)",
                        kind="demo", key=f"demo:{path}:{stamp}")


def typed_frame(frame: pd.DataFrame | None, kinds: dict[str, str], extras: bool) -> pd.DataFrame:
    """Every canonical column present with a backend-friendly dtype (missing ones all-null)."""
    import pandas as pd

    frame = pd.DataFrame() if frame is None else frame
    out = {}
    n = len(frame)
    for column, kind in kinds.items():
        values = frame[column] if column in frame else pd.Series([None] * n, dtype=object)
        if kind == "text":  # a string dtype, so an all-empty column is still VARCHAR in DuckDB
            if isinstance(values.dtype, pd.StringDtype):  # already text (the readers' "str"): no detour via objects
                out[column] = values.astype("string")
            else:
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
                values = frame[column]
                # text kept as text with real NULLs (a NaN from stacking files would not be one)
                out[column] = values.where(values.notna(), None) if values.dtype == object else values
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
    available = {c for c in INTERACTION_COLUMNS if c in interactions and interactions[c].notna().any()}
    attributes: tuple[str, ...] = ()
    has_customers = customers is not None and len(customers.columns) > 0
    tables = {"interactions": (interactions, INTERACTION_COLUMNS)}  # extras: attributes kept per row
    if has_customers:
        tables["customers"] = (customers, CUSTOMER_COLUMNS)
        attributes = tuple(c for c in customers.columns if c not in CUSTOMER_COLUMNS)
        available |= {f"customers.{c}" for c in customers.columns if customers[c].notna().any()}
    digest = hashlib.sha256()

    def load(con) -> None:
        for name, (frame, kinds) in tables.items():
            _copy_in(con, name, frame, kinds, digest if name == "interactions" else None)

    engine = duckdb_engine(load=load)
    release_memory()
    source = table_source(engine, "interactions", {c: c for c in INTERACTION_COLUMNS},
                          "customers" if has_customers else None, None, scales=scales, label=label,
                          kind="upload", key=f"upload:{next(_memory_ids)}:{digest.hexdigest()[:16]}",
                          customer_attributes=attributes)
    return Source(**{**source.__dict__, "available": frozenset(available), "rules": rules or IncidentRules()})


#: rows typed and copied into DuckDB at a time: a million-row upload's typed copy and Arrow copy are
#: never whole in memory next to DuckDB's own (the whole-frame copies took ~400 MB at once)
LOAD_ROWS = 200_000


def _copy_in(con, name: str, frame: pd.DataFrame, kinds: dict[str, str], digest=None) -> None:
    """``CREATE TABLE name`` from a canonical frame, typed (:func:`typed_frame`) and copied
    :data:`LOAD_ROWS` rows at a time; ``digest`` (a hashlib object) is fed each typed column."""
    import pandas as pd

    for number, part in enumerate(_typed_slices(frame, kinds)):
        if digest is not None:
            for column in part.columns:
                digest.update(pd.util.hash_pandas_object(part[column], index=False).values.tobytes())
        con.register("_cx_frame", _arrow(part))
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _cx_frame" if number == 0 else
                    f"INSERT INTO {name} SELECT * FROM _cx_frame")
        con.unregister("_cx_frame")
        del part


def _typed_slices(frame: pd.DataFrame, kinds: dict[str, str]):
    """The typed frame in slices of :data:`LOAD_ROWS` rows, each typed as the whole would be (text, dates,
    integers, numbers and flags have one dtype whatever the values). A frame with an extra attribute of
    Python objects (typed by what each slice happens to hold) is typed whole, as before."""
    import pandas as pd

    if len(frame) > LOAD_ROWS:
        first = typed_frame(frame.iloc[:LOAD_ROWS].reset_index(drop=True), kinds, extras=True)
        if not any(pd.api.types.is_object_dtype(dtype) for dtype in first.dtypes):
            yield first
            del first
            for start in range(LOAD_ROWS, len(frame), LOAD_ROWS):
                yield typed_frame(frame.iloc[start:start + LOAD_ROWS].reset_index(drop=True), kinds, extras=True)
            return
        del first
    yield typed_frame(frame, kinds, extras=True)


def _arrow(frame: pd.DataFrame):
    """The frame as an Arrow table for DuckDB to copy: its text columns are Arrow already, and DuckDB's
    pandas scan would first turn each into a NumPy array of Python strings (seconds and hundreds of MB at
    a million rows). A column Arrow cannot type (an extra attribute mixing numbers and text) keeps the
    pandas scan, which reads it as before."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        return frame
    # an all-empty column of objects has no Arrow type (null); the pandas scan chooses its type as before
    return frame if any(pa.types.is_null(t) for t in table.schema.types) else table


def release(source: Source) -> None:
    """Free what a source holds: an upload's in-memory database, a warehouse's pooled connections.

    The demo's shared engine is left open (other sessions use it).
    """
    if source.kind == "demo":
        return
    source.engine.dispose()  # also closes an upload's in-memory database (cx.db.session.duckdb_engine)

