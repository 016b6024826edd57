"""Readers: bytes of CSV/TSV, Excel, Parquet or JSON in, one :class:`RawTable` of text out.

Every cell comes out as text (or missing), so the mapper sees exactly what the file says and the
quarantine can hand back the rows as they were written. The frame's index is the row number a
spreadsheet would show for each data row (header = row 1), used in every message.

Every read respects :class:`cx.ingest.limits.Limits` (size after unpacking, columns, line length),
each checked before the step whose cost it bounds.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from cx.ingest import archives, encoding, excel, fastcsv, formats, sniff
from cx.ingest.formats import from_frame
from cx.ingest.limits import Limits, current_limits
from cx.ingest.sniff import SUFFIXES, IngestError  # noqa: F401  SUFFIXES re-exported
from cx.ingest.table import META, RawTable, finish, fit_width
from cx.memory import release_memory

__all__ = ["META", "IngestError", "RawTable", "from_frame", "read_table"]


def read_table(data: bytes | str | Path, name: str | None = None, sheet: str | None = None,
               limits: Limits | None = None) -> RawTable:
    """Read a CSV/TSV, Excel (.xlsx), Parquet or JSON export into a :class:`RawTable`.

    Parameters
    ----------
    data : bytes, str or Path
        The file's bytes, or a path to it (a ``str`` that names an existing file is a path;
        any other ``str`` is the file's text). gzip and zip archives are unpacked.
    name : str, optional
        The file name shown in messages (default: the path's name).
    sheet : str, optional
        The workbook sheet to read (default: the active sheet), or for JSON the key path of the
        records (default: the longest list of records).
    limits : Limits, optional
        Size, column and line limits (default: :func:`cx.ingest.limits.current_limits`).

    Returns
    -------
    RawTable

    Raises
    ------
    IngestError
        "name: what is wrong" — empty file, header without rows, binary junk, a zip that is not a
        workbook, unknown sheet, damaged Parquet/JSON, a limit passed…

    Examples
    --------
    >>> raw = read_table(b"customer;nps\\nC1;9\\n", "survey.csv")
    >>> raw.delimiter, list(raw.frame.columns), raw.frame.index.tolist()
    (';', ['customer', 'nps'], [2])
    """
    limits = limits or current_limits()
    data, name = _bytes(data, name, limits)
    _refuse_empty(data, name)
    data, name, hint, kind = archives.unpack(data, name, limits)
    _refuse_empty(data, name)
    if kind == "excel":
        archives.workbook_size(data, name, limits)
        return excel.read_excel(data, name, sheet, limits)
    if kind == "parquet":
        return formats.read_parquet(data, name, limits)
    notes: list[str] = []
    suffix = Path(hint).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".parquet", ".pq"):
        notes.append(f"named {suffix} but holds {'JSON' if kind == 'json' else 'text'}: read by its content")
    if kind != "json":  # JSON is often written on one line
        encoding.check_line_length(data, name, limits.max_line_bytes)
    text, used, decode_notes = encoding.decode(data, name)
    plain = data if kind == "text" and used in fastcsv.UTF8 and not decode_notes else None  # for the DuckDB step
    del data
    notes += decode_notes
    if kind == "json":
        return formats.read_json(text, name, used, notes, limits, sheet)
    encoding.check_text(text, name)
    raw = _read_text(text, name, hint, used, notes, limits, plain)
    del text, plain
    release_memory()  # the file's bytes, its text and the splitter's copies are garbage now
    return raw


def _refuse_empty(data: bytes, name: str) -> None:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise IngestError(f"{name}: the file is empty")


def _bytes(data, name: str | None, limits: Limits) -> tuple[bytes, str]:
    if isinstance(data, Path) or (isinstance(data, str) and "\n" not in data and len(data) < 4096 and Path(data).is_file()):
        path = Path(data)
        name = name or path.name
        try:
            if path.stat().st_size > limits.max_input_bytes:
                raise archives.too_big(name, limits, "is")
            return path.read_bytes(), name
        except OSError as exc:
            raise IngestError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if isinstance(data, str):
        if "\n" not in data and Path(data).suffix.lower() in SUFFIXES:
            raise IngestError(f"{name or data}: no such file")
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError(f"{name or 'data'}: expected file bytes or a path, got {type(data).__name__}")
    if len(data) > limits.max_input_bytes:
        raise archives.too_big(name or "data", limits, "is")
    return bytes(data), name or "data"


# --- text ------------------------------------------------------------------------------------


def _read_text(text: str, name: str, hint: str, encoding: str, notes: list[str], limits: Limits,
               plain: bytes | None = None) -> RawTable:
    """Split decoded text into a table; ``plain`` (the UTF-8 bytes of the same text) lets DuckDB split
    the body when the file is plain enough to split exactly as pandas would (:mod:`cx.ingest.fastcsv`)."""
    delimiter = sniff.sniff_delimiter(text, hint)
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
    widest = max(range(start, len(head)), key=lambda i: len(head[i]))
    if len(head[widest]) > limits.max_columns:  # before any row is split: the parser takes its width from these
        _too_wide(name, widest + 1, len(head[widest]), limits, header=widest < start + n_header)
    first_row = start + n_header + 1
    header_lines = lines[start + n_header - 1] if len(lines) >= start + n_header else 0
    frame = None
    if plain is not None and start == 0 and n_header == 1:
        frame = fastcsv.split(plain, encoding, delimiter, width, header_lines)
    if frame is None:
        body_start = _offset_after_lines(text, header_lines) if len(lines) >= start + n_header else len(text)
        frame = _split_body(text[body_start:], delimiter, name, first_row, limits)
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


def _too_wide(name: str, row: int, fields: int, limits: Limits, header: bool = False) -> NoReturn:
    what = "its header has" if header else f"row {row:,} has"
    raise IngestError(f"{name}: {what} {fields:,} columns, more than {limits.max_columns:,}, the limit for one table")


def _split_body(body: str, delimiter: str, name: str, first_row: int, limits: Limits) -> pd.DataFrame:
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
            if len(row) > limits.max_columns:  # refused before it pads every other row to its width
                _too_wide(name, first_row + len(rows), len(row), limits)
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
