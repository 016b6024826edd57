"""Readers for structured formats: Parquet and JSON (records, records under a key, tables of rows, lines).

JSON records are found wherever the export puts them: a top-level list, or a list of objects (or
a header row plus rows) under any key path such as ``data.items``; when a document holds several
such lists, the longest is read, the note names its key path, and the others can be chosen like
workbook sheets. Nesting deeper than the limit is refused by a scan of the text before it is
parsed, so no document can make the parser recurse until it fails.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cx.ingest import sniff
from cx.ingest.limits import Limits
from cx.ingest.sniff import IngestError
from cx.ingest.table import META, RawTable, finish

#: how deep under the top-level object records are looked for (data.response.items is 3)
SEARCH_DEPTH = 6
_DEPTH_STEP = 1 << 18

# --- parquet and json ------------------------------------------------------------------------


def _arrow_text(table) -> pd.DataFrame:
    """Every column of an Arrow table as text (timestamps in UTC, nested values as JSON)."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            column = pc.cast(column, pa.timestamp(kind.unit))  # the stored instant, i.e. UTC
        try:
            columns[name] = pc.cast(column, pa.string()).to_pandas().astype("str")
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            columns[name] = pd.Series([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()], dtype="str")
    frame = pd.DataFrame(columns)
    frame.columns = sniff.dedupe([sniff._clean(c) for c in frame.columns])
    return frame


def read_parquet(data: bytes, name: str, limits: Limits) -> RawTable:
    """A Parquet file, refused from its metadata when it would unpack beyond the limits."""
    try:
        metadata = pq.ParquetFile(io.BytesIO(data)).metadata
        width, rows = metadata.num_columns, metadata.num_rows
    except Exception as exc:
        raise IngestError(f"{name}: is a damaged Parquet file ({str(exc).splitlines()[0][:120]})") from None
    if width > limits.max_columns:
        raise IngestError(f"{name}: has {width:,} columns, more than {limits.max_columns:,}, the limit for one table")
    if rows * max(width, 1) > limits.max_cells:  # run-length encoding packs millions of rows into a few bytes
        raise IngestError(f"{name}: holds {rows:,} rows × {width:,} columns, more than {limits.max_cells:,} cells, "
                          "the limit for one table")
    try:
        table = pq.read_table(io.BytesIO(data))
        # pages without checksums can decode into invalid UTF-8 text or column names: check now,
        # so that a damaged file is one message rather than a failure further on
        table.validate(full=True)
        [name_.encode() for name_ in table.column_names]
    except Exception as exc:
        raise IngestError(f"{name}: is a damaged Parquet file ({str(exc).splitlines()[0][:120]})") from None
    frame, rejected, notes = finish(_arrow_text(table), pd.DataFrame(), name, [], 1)
    return RawTable(name=name, frame=frame, format="parquet", rejected=rejected, notes=tuple(notes))


# --- json ------------------------------------------------------------------------------------


def check_depth(text: str, name: str, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit``: brackets outside strings counted in one vectorised pass.

    The text is scanned in steps of 262,144 characters (as UTF-8 bytes, where every quote,
    backslash and bracket is one byte), carrying over whether a string is open, the run of
    backslashes before the step and the depth.
    """
    inside, run, depth = False, 0, 0
    for offset in range(0, len(text), _DEPTH_STEP):
        b = np.frombuffer(text[offset:offset + _DEPTH_STEP].encode("utf-8", "surrogatepass"), dtype=np.uint8)
        slashes = b == 92
        position = np.arange(len(b))
        last_other = np.maximum.accumulate(np.where(slashes, -1, position))
        # backslashes just before each byte: those since the last other byte, plus the carried run
        before = np.empty(len(b), dtype=np.int64)
        before[0] = run
        before[1:] = position[:-1] - last_other[:-1] + np.where(last_other[:-1] < 0, run, 0)
        quotes = (b == 34) & (before % 2 == 0)
        opened = (np.cumsum(quotes) + inside) % 2 == 1  # inside a string after this byte
        outside = ~(opened ^ quotes)  # a byte is outside when the string state before it is closed
        step = np.where(outside & ((b == 91) | (b == 123)), 1, 0) - np.where(outside & ((b == 93) | (b == 125)), 1, 0)
        levels = depth + np.cumsum(step)
        if len(levels) and levels.max() > limit:
            raise IngestError(f"{name}: is nested more than {limit} levels deep (objects inside lists inside objects…), "
                              "deeper than any table export; flatten it or export the records as CSV")
        inside = bool(opened[-1]) if len(b) else inside
        depth = int(levels[-1]) if len(levels) else depth
        run = int(len(b) - 1 - last_other[-1] + (run if last_other[-1] < 0 else 0)) if len(b) else run


def read_json(text: str, name: str, encoding: str, notes: list[str], limits: Limits,
              key: str | None = None) -> RawTable:
    """JSON: an array of records, records under a key path (``key`` chooses among several), or JSON Lines."""
    check_depth(text, name, limits.max_json_depth)
    stripped = text.lstrip("\ufeff \t\r\n")
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if not stripped.startswith("{") or "Extra data" not in str(exc):
            raise IngestError(f"{name}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        frame, rejected = _json_lines(stripped, name, limits, notes)
        keys, chosen = (), None
    else:
        frame, keys, chosen = _json_document(document, name, limits, key, notes)
        rejected = pd.DataFrame()
    if frame.empty and not len(rejected):
        raise IngestError(f"{name}: holds no records")
    frame, _, notes = __finish_keep_index(frame, name, notes)
    if not len(rejected):
        rejected = pd.DataFrame(columns=list(META))
    return RawTable(name=name, frame=frame, encoding=encoding, format="json", rejected=rejected, notes=tuple(notes),
                    sheets=keys, sheet=chosen if keys else None)


def _json_lines(text: str, name: str, limits: Limits, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """JSON Lines: one record per line, numbered by line; a line that is not JSON is rejected, not dropped."""
    records, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append({"_line": line[:500], "_row": number, "_column": "", "_reason": f"not valid JSON ({exc.msg})"})
            continue
        records.append((number, value if isinstance(value, dict) else {"value": value}))
    frame = _records_frame([r for _, r in records], name, limits)
    frame.index = [n for n, _ in records]
    rejected = pd.DataFrame()
    if bad:
        rejected = pd.DataFrame(bad).set_index("_row", drop=False)
        rejected["_reason"] = "not valid JSON"
        notes.append("read as JSON Lines (one record per line)")
    return frame, rejected


def _json_document(document, name: str, limits: Limits, key: str | None, notes: list[str]):
    """The records of one document (numbered from 1), the key paths holding records, and the one read."""
    found = record_lists(document)
    if key is not None and key not in found:
        raise IngestError(f"{name}: no list of records under '{key}' (lists of records: {', '.join(found) or 'none'})")
    keys, chosen = (), None
    if found:
        chosen = key or max(found, key=lambda k: len(found[k]))  # the longest; the first of equal ones
        records = _as_records(found[chosen])
        keys = tuple(found) if len(found) > 1 else ()
        others = ", ".join(repr(k) for k in found if k != chosen)
        if chosen:
            notes.append(f"records read from '{chosen}'" + (f" (other lists of records: {others})" if others else ""))
    else:
        records = _loose_records(document, name)
    frame = _records_frame(records, name, limits)
    frame.index = range(1, 1 + len(frame))
    return frame, keys, chosen


def __finish_keep_index(frame: pd.DataFrame, name: str, notes: list[str]):
    index = frame.index
    frame = frame.astype("str")
    frame.index = index
    blank = frame.isna().all(axis=1)
    if blank.any():
        notes.append(f"{int(blank.sum())} empty record(s) skipped")
        frame = frame[~blank]
    return frame, None, notes


def _is_records(value) -> bool:
    """A list of objects, or a table written as a header row of names followed by rows."""
    if not isinstance(value, list) or not value:
        return False
    if isinstance(value[0], dict):
        return True
    return len(value) >= 2 and all(isinstance(r, list) for r in value) and all(isinstance(c, str) for c in value[0])


def record_lists(document) -> dict[str, list]:
    """Every list of records in a document by key path ("" for the document itself), in document order.

    Objects are searched breadth-first down to :data:`SEARCH_DEPTH` levels; lists are not entered
    (records inside records are values, not tables).
    """
    if isinstance(document, list):
        return {"": document}
    found: dict[str, list] = {}
    level = [("", document)] if isinstance(document, dict) else []
    for _ in range(SEARCH_DEPTH):
        following = []
        for path, node in level:
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if _is_records(value):
                    found[where] = value
                elif isinstance(value, dict):
                    following.append((where, value))
        level = following
    return found


def _as_records(value: list) -> list:
    if value and all(isinstance(r, list) for r in value) and all(isinstance(c, str) for c in value[0]):
        header = value[0]
        return [dict(zip(header, r)) for r in value[1:]]
    return [r if isinstance(r, dict) else {"value": r} for r in value]


def _loose_records(document, name: str) -> list:
    """No list of records anywhere: one object of equal-length columns, or one record."""
    if isinstance(document, dict):
        if document and all(isinstance(v, list) for v in document.values()):
            lengths = {len(v) for v in document.values()}
            if len(lengths) == 1:
                return pd.DataFrame(document).to_dict("records")
        return [document]
    raise IngestError(f"{name}: holds a single JSON value, not records")


def _records_frame(records: list, name: str, limits: Limits) -> pd.DataFrame:
    if not records:
        return pd.DataFrame()
    keys: dict = {}
    for record in records:
        keys.update(dict.fromkeys(record))
        if len(keys) > limits.max_columns:
            raise IngestError(f"{name}: its records have more than {limits.max_columns:,} different fields, the limit "
                              "of columns for one table")
    nested = any(isinstance(v, dict) for r in records[:200] for v in r.values())
    frame = pd.json_normalize(records, sep=".") if nested else pd.DataFrame.from_records(records)
    if frame.shape[1] > limits.max_columns:
        raise IngestError(f"{name}: its records flatten into {frame.shape[1]:,} columns, more than "
                          f"{limits.max_columns:,}, the limit for one table")
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "true", False: "false"}).astype("str")
        elif pd.api.types.is_numeric_dtype(values):
            if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all() and values.abs().max() < 1e15:
                values = values.astype("Int64")
            out[column] = values.astype("str").where(values.notna())
        else:
            out[column] = values.map(_json_cell).astype("str")
    result = pd.DataFrame(out, index=frame.index)
    result.columns = sniff.dedupe([sniff._clean(c) for c in frame.columns])
    return result


def _json_cell(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def from_frame(frame: pd.DataFrame, name: str) -> RawTable:
    """A :class:`RawTable` from an in-memory DataFrame (e.g. a warehouse sample), cells as text."""
    try:
        text = _arrow_text(pa.Table.from_pandas(frame, preserve_index=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        text = pd.DataFrame({c: frame[c].map(_json_cell).astype("str") for c in frame.columns})
        text.columns = sniff.dedupe([sniff._clean(c) for c in frame.columns])
    text.index = range(2, 2 + len(text))
    return RawTable(name=name, frame=text, format="table")
