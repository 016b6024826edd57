"""Readers: bytes of CSV/TSV, Excel, Parquet or JSON in, one :class:`RawTable` of text out.

Every cell comes out as text (or missing), so the mapper sees exactly what the file says and the
quarantine can hand back the rows as they were written. The frame's index is the row number a
spreadsheet would show for each data row (header = row 1), used in every message.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from cx.ingest import formats, sniff
from cx.ingest.formats import from_frame
from cx.ingest.sniff import IngestError
from cx.ingest.table import MAX_BYTES, META, RawTable, finish, fit_width

SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".json", ".jsonl", ".ndjson", ".gz", ".zip")

__all__ = ["META", "IngestError", "RawTable", "from_frame", "read_table"]


def read_table(data: bytes | str | Path, name: str | None = None, sheet: str | None = None) -> RawTable:
    """Read a CSV/TSV, Excel (.xlsx), Parquet or JSON export into a :class:`RawTable`.

    Parameters
    ----------
    data : bytes, str or Path
        The file's bytes, or a path to it (a ``str`` that names an existing file is a path;
        any other ``str`` is the file's text).
    name : str, optional
        The file name shown in messages (default: the path's name).
    sheet : str, optional
        The workbook sheet to read (default: the first sheet holding data).

    Returns
    -------
    RawTable

    Raises
    ------
    IngestError
        "name: what is wrong" — empty file, header without rows, binary junk, a zip that is not a
        workbook, unknown sheet, damaged Parquet/JSON…

    Examples
    --------
    >>> raw = read_table(b"customer;nps\\nC1;9\\n", "survey.csv")
    >>> raw.delimiter, list(raw.frame.columns), raw.frame.index.tolist()
    (';', ['customer', 'nps'], [2])
    """
    data, name = _bytes(data, name)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError(f"{name}: the file is empty")
    kind = sniff.kind_of(data, name)
    suffix = Path(name).suffix.lower()
    notes: list[str] = []
    if kind == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
                inner = handle.read(MAX_BYTES + 1)
        except (OSError, EOFError, zlib.error):  # a bad header, a cut-off stream, a corrupt deflate block
            raise IngestError(f"{name}: is a damaged gzip archive") from None
        stem = name[:-3] if name.lower().endswith(".gz") else name
        table = read_table(inner, stem, sheet)
        return RawTable(**{**table.__dict__, "name": name})
    if kind == "zip":
        members = sniff.zip_members(data, name)
        if sniff.EXCEL_MEMBER in members:
            return formats.read_excel(data, name, sheet)
        tables = [m for m in members if Path(m).suffix.lower() in (".csv", ".tsv", ".txt", ".xlsx", ".json", ".parquet")]
        if len(tables) == 1 and suffix == ".zip":
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    inner = archive.read(tables[0])
            # damaged headers (ValueError), unknown methods (NotImplementedError), a password (RuntimeError)…
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, ValueError, RuntimeError):
                raise IngestError(f"{name}: {tables[0]} in this zip archive is damaged, encrypted or packed in a way "
                                  "that cannot be unpacked") from None
            table = read_table(inner, f"{name}/{tables[0]}", sheet)
            return table
        what = "an Excel workbook" if suffix in (".xlsx", ".xlsm", ".xls") else "a table"
        listing = ", ".join(members[:5]) + (" …" if len(members) > 5 else "")
        raise IngestError(f"{name}: is a zip archive, not {what} (it holds: {listing or 'nothing'})")
    if kind == "parquet":
        return formats.read_parquet(data, name)
    if suffix in (".xlsx", ".xlsm", ".xls", ".parquet"):
        notes.append(f"named {suffix} but holds {'JSON' if kind == 'json' else 'text'}: read by its content")
    text, encoding, decode_notes = sniff.decode(data, name)
    notes += decode_notes
    if kind == "json":
        return formats.read_json(text, name, encoding, notes)
    sniff.check_text(text, name)
    return _read_text(text, name, encoding, notes)


def _bytes(data, name: str | None) -> tuple[bytes, str]:
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and len(data) < 4096 and Path(data).is_file()):
        path = Path(data)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise IngestError(f"{name or path.name}: larger than {MAX_BYTES // 1_000_000_000} GB")
            return path.read_bytes(), name or path.name
        except OSError as exc:
            raise IngestError(f"{name or path.name}: cannot be read ({exc.strerror or exc})") from None
    if isinstance(data, str):
        if "\n" not in data and Path(data).suffix.lower() in SUFFIXES:
            raise IngestError(f"{name or data}: no such file")
        return data.encode("utf-8"), name or "data"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), name or "data"
    raise IngestError(f"{name or 'data'}: expected file bytes or a path, got {type(data).__name__}")


# --- text ------------------------------------------------------------------------------------


def _read_text(text: str, name: str, encoding: str, notes: list[str]) -> RawTable:
    delimiter = sniff.sniff_delimiter(text, name)
    head, lines = sniff.records(text, delimiter)
    if not any(sniff._filled(r) for r in head):
        raise IngestError(f"{name}: contains no data (only blank lines)")
    start, n_header = sniff.header_layout(head)
    if start:
        notes.append(f"skipped {start} line(s) above the header")
    if n_header == 2:
        notes.append("joined a two-row header into single column names")
    header_rows = head[start:start + n_header]
    width = max(len(r) for r in header_rows)
    body_start = _offset_after_lines(text, lines[start + n_header - 1]) if len(lines) >= start + n_header else len(text)
    body = text[body_start:]
    first_row = start + n_header + 1
    frame = _split_body(body, delimiter, name, first_row)
    names = sniff.header_names(header_rows, max(width, 1))
    frame, rejected = fit_width(frame, names, delimiter)
    table = finish(frame, rejected, name, notes, first_row)
    return RawTable(name=name, frame=table[0], encoding=encoding, delimiter=delimiter, format="csv",
                    rejected=table[1], notes=tuple(table[2]))


def _offset_after_lines(text: str, count: int) -> int:
    """Where the text continues after ``count`` lines (\\n, \\r\\n and a bare \\r each end a line)."""
    if count <= 0:
        return 0
    for number, match in enumerate(re.finditer(r"\r\n|\r|\n", text), start=1):
        if number == count:
            return match.end()
    return len(text)


def _split_body(body: str, delimiter: str, name: str, first_row: int) -> pd.DataFrame:
    """All data records as text; C parser first, the csv module when rows are ragged."""
    if not body.strip():
        return pd.DataFrame()
    try:
        return pd.read_csv(io.StringIO(body), sep=delimiter, header=None, dtype="str", keep_default_na=False,
                           na_values=[""], skip_blank_lines=False, engine="c", quotechar='"')
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, ValueError) as exc:
        unclosed = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if unclosed:
            _unclosed_quote(name, first_row + int(unclosed.group(1)))
    reader = csv.reader(io.StringIO(body, newline=None), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        raise IngestError(f"{name}: cannot be split into fields near row {first_row + len(rows)} ({exc})") from None
    if rows and _ends_inside_quotes(body, delimiter):
        _unclosed_quote(name, first_row + len(rows) - 1)
    width = max((len(r) for r in rows), default=0)
    padded = [r + [""] * (width - len(r)) if len(r) < width else r for r in rows]
    frame = pd.DataFrame(padded, dtype="str") if rows else pd.DataFrame()
    return frame.replace("", np.nan) if len(frame) else frame


def _unclosed_quote(name: str, row: int) -> NoReturn:
    """A quote that is never closed would swallow every later row into one cell: refuse, naming the row."""
    raise IngestError(f'{name}: row {row}: a quoted field is never closed (a " without its closing "), so '
                      "every line after it would be read as one cell; fix that quote and load the file again")


def _ends_inside_quotes(body: str, delimiter: str) -> bool:
    """Whether the text ends inside a quoted field (the lenient reader hides it; the strict one says so)."""
    try:
        for _ in csv.reader(io.StringIO(body, newline=None), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
