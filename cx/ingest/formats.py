"""Readers for structured formats: Excel workbooks, Parquet and JSON (records, wrapped records, lines)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd

from cx.ingest import sniff
from cx.ingest.sniff import IngestError
from cx.ingest.table import META, RawTable, finish, fit_width

# --- excel -----------------------------------------------------------------------------------


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def read_excel(data: bytes, name: str, sheet: str | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise IngestError(f"{name}: is not a readable Excel workbook ({type(exc).__name__})") from None
    try:
        sheets = tuple(ws.title for ws in book.worksheets)
        if not sheets:
            raise IngestError(f"{name}: the workbook has no worksheets")
        if sheet is not None and sheet not in sheets:
            raise IngestError(f"{name}: no sheet named '{sheet}' (sheets: {', '.join(sheets)})")
        notes: list[str] = []
        candidates = [sheet] if sheet is not None else list(sheets)
        rows: list[list] = []
        chosen = candidates[0]
        for candidate in candidates:
            try:  # read-only workbooks unpack each sheet only now, so a damaged sheet fails here
                rows = [[_cell_text(v) for v in row] for row in book[candidate].iter_rows(values_only=True)]
            except Exception as exc:
                raise IngestError(f"{name}: sheet '{candidate}' is damaged and cannot be read "
                                  f"({type(exc).__name__})") from None
            chosen = candidate
            if sum(1 for r in rows if sniff._filled(r)) >= 2:
                break
        if sheet is None and chosen != sheets[0]:
            notes.append(f"read sheet '{chosen}' (the sheets before it hold no table)")
    finally:
        book.close()
    if not any(sniff._filled(r) for r in rows):
        raise IngestError(f"{name}: sheet '{chosen}' is empty")
    start, n_header = sniff.header_layout(rows[:40])
    if start:
        notes.append(f"skipped {start} row(s) above the header")
    if n_header == 2:
        notes.append("joined a two-row header into single column names")
    header_rows = rows[start:start + n_header]
    body = rows[start + n_header:]
    width = max([len(r) for r in header_rows] + [0])
    while width > 1 and all((len(r) < width or r[width - 1] is None) for r in header_rows + body):
        width -= 1
    longest = max([len(r) for r in body] + [width])
    frame = pd.DataFrame([list(r) + [None] * (longest - len(r)) for r in body], dtype="str") if body \
        else pd.DataFrame(columns=range(width))
    names = sniff.header_names(header_rows, width)
    frame, rejected = fit_width(frame, names, None)
    frame, rejected, notes = finish(frame, rejected, name, notes, start + n_header + 1)
    return RawTable(name=name, frame=frame, sheets=sheets, sheet=chosen, format="excel", rejected=rejected,
                    notes=tuple(notes))


# --- parquet and json ------------------------------------------------------------------------


def _arrow_text(table) -> pd.DataFrame:
    """Every column of an Arrow table as text (timestamps in UTC, nested values as JSON)."""
    import pyarrow as pa
    import pyarrow.compute as pc

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


def read_parquet(data: bytes, name: str) -> RawTable:
    import pyarrow.parquet as pq

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


def read_json(text: str, name: str, encoding: str, notes: list[str]) -> RawTable:
    stripped = text.lstrip("\ufeff \t\r\n")
    first_row = 1
    try:
        document = json.loads(stripped)
        lines = False
    except json.JSONDecodeError as exc:
        if not stripped.startswith("{") or "Extra data" not in str(exc):
            raise IngestError(f"{name}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        document, lines = None, True
    rejected = pd.DataFrame()
    if lines:
        records, bad = [], []
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append({"_line": line[:500], "_row": number, "_column": "", "_reason": f"not valid JSON ({exc.msg})"})
                continue
            records.append((number, value if isinstance(value, dict) else {"value": value}))
        index = [n for n, _ in records]
        frame = _records_frame([r for _, r in records], name)
        frame.index = index
        if bad:
            rejected = pd.DataFrame(bad).set_index("_row", drop=False)
            rejected["_reason"] = "not valid JSON"
            notes.append("read as JSON Lines (one record per line)")
    else:
        records = _find_records(document, name)
        frame = _records_frame(records, name)
        frame.index = range(first_row, first_row + len(frame))
    if frame.empty and not len(rejected):
        raise IngestError(f"{name}: holds no records")
    frame, _, notes = __finish_keep_index(frame, name, notes)
    if not len(rejected):
        rejected = pd.DataFrame(columns=list(META))
    return RawTable(name=name, frame=frame, encoding=encoding, format="json", rejected=rejected, notes=tuple(notes))


def __finish_keep_index(frame: pd.DataFrame, name: str, notes: list[str]):
    index = frame.index
    frame = frame.astype("str")
    frame.index = index
    blank = frame.isna().all(axis=1)
    if blank.any():
        notes.append(f"{int(blank.sum())} empty record(s) skipped")
        frame = frame[~blank]
    return frame, None, notes


def _find_records(document, name: str) -> list:
    if isinstance(document, list):
        if document and all(isinstance(r, list) for r in document) and all(isinstance(c, str) for c in document[0]):
            header = document[0]
            return [dict(zip(header, r)) for r in document[1:]]
        return [r if isinstance(r, dict) else {"value": r} for r in document]
    if isinstance(document, dict):
        lists = {k: v for k, v in document.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
        if lists:
            return max(lists.values(), key=len)
        if document and all(isinstance(v, list) for v in document.values()):
            lengths = {len(v) for v in document.values()}
            if len(lengths) == 1:
                return pd.DataFrame(document).to_dict("records")
        return [document]
    raise IngestError(f"{name}: holds a single JSON value, not records")


def _records_frame(records: list, name: str) -> pd.DataFrame:
    if not records:
        return pd.DataFrame()
    nested = any(isinstance(v, dict) for r in records[:200] for v in r.values())
    frame = pd.json_normalize(records, sep=".") if nested else pd.DataFrame.from_records(records)
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
    import pyarrow as pa

    try:
        text = _arrow_text(pa.Table.from_pandas(frame, preserve_index=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        text = pd.DataFrame({c: frame[c].map(_json_cell).astype("str") for c in frame.columns})
        text.columns = sniff.dedupe([sniff._clean(c) for c in frame.columns])
    text.index = range(2, 2 + len(text))
    return RawTable(name=name, frame=text, format="table")
