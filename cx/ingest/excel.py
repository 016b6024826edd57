"""Excel workbooks: the sheet the workbook opens on, hidden sheets named, formulas without results found.

* By default the *active* sheet is read (the one Excel shows when the file is opened), then the
  other visible sheets in order; hidden sheets only when chosen (or when no visible sheet holds a
  table), and always listed as hidden.
* Cells are read as the values Excel saved. A formula cell whose result was never saved (a
  workbook written by a program and not opened in Excel since) has no value to read: such cells
  are found in the sheet's XML and reported, so that their rows are quarantined instead of
  loading with an empty score.
* The sheet's dimension record is not trusted (a tiny file can declare a million rows by 16,384
  columns); rows are read as they are, and a row wider than the column limit refuses the sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd

from cx.ingest import sniff
from cx.ingest.limits import Limits
from cx.ingest.sniff import IngestError
from cx.ingest.table import RawTable, finish, fit_width

#: a cell holding a formula and no saved value: <c r="B2"><f>…</f></c>, or <f …/> with an empty <v/>
_UNCOMPUTED = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_SCAN = 4 << 20


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


def _active(book) -> str | None:
    try:
        return book.active.title if book.active is not None else None
    except (IndexError, AttributeError):  # an active index past the last sheet
        return None


def _candidates(active: str | None, sheets: tuple[str, ...], hidden: tuple[str, ...]) -> list[str]:
    """The order sheets are tried in: the active one, the other visible ones, then hidden ones."""
    visible = [s for s in sheets if s not in hidden]
    first = [active] if active in visible else []
    return first + [s for s in visible if s != active] + list(hidden)


def _rows(worksheet, name: str, title: str, limits: Limits) -> list[list]:
    """Every row of a sheet as text cells, as wide as its last cell (the declared dimension is ignored)."""
    worksheet.reset_dimensions()
    rows, cells = [], 0
    try:  # read-only workbooks unpack each sheet only now, so a damaged sheet fails here
        for row in worksheet.iter_rows(values_only=True):
            if len(row) > limits.max_columns:
                raise IngestError(f"{name}: sheet '{title}' row {len(rows) + 1:,} has {len(row):,} columns, more than "
                                  f"{limits.max_columns:,}, the limit for one table")
            cells += len(row)
            if cells > limits.max_cells:
                raise IngestError(f"{name}: sheet '{title}' holds more than {limits.max_cells:,} cells, the limit "
                                  "for one table")
            rows.append([_cell_text(v) for v in row])
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"{name}: sheet '{title}' is damaged and cannot be read ({type(exc).__name__})") from None
    return rows


def _uncomputed(data: bytes, path: str) -> dict[str, set[int]]:
    """Column letter -> sheet rows of formula cells that carry no saved result (scanned in 4 MB steps)."""
    found: dict[str, set[int]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(path) as handle:
        tail = b""
        while chunk := handle.read(_SCAN):
            text = tail + chunk
            if b"<f" in text:
                for match in _UNCOMPUTED.finditer(text):
                    found.setdefault(match.group(1).decode(), set()).add(int(match.group(2)))
            cut = text.rfind(b"<c ")
            tail = text[cut:] if cut >= 0 and len(text) - cut < 1 << 16 else b""
    return found


def _column_index(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _pick_sheet(book, name: str, sheet: str | None, limits: Limits):
    """The sheet to read and its rows: the one asked for, else the first candidate holding a table."""
    sheets = tuple(ws.title for ws in book.worksheets)
    if not sheets:
        raise IngestError(f"{name}: the workbook has no worksheets")
    hidden = tuple(ws.title for ws in book.worksheets if ws.sheet_state != "visible")
    if sheet is not None and sheet not in sheets:
        raise IngestError(f"{name}: no sheet named '{sheet}' (sheets: {', '.join(sheets)})")
    active = _active(book)
    rows: list[list] = []
    for chosen in [sheet] if sheet is not None else _candidates(active, sheets, hidden):
        rows = _rows(book[chosen], name, chosen, limits)
        if sum(1 for r in rows if sniff._filled(r)) >= 2:
            break
    notes = _sheet_notes(sheet, chosen, sheets, hidden, active)
    return chosen, rows, sheets, hidden, notes, getattr(book[chosen], "_worksheet_path", None)


def _frame(rows: list[list], name: str, chosen: str, notes: list[str]):
    """Header layout, body and width of a sheet's rows: ``(frame, rejected, names)`` numbered as the sheet."""
    if not any(sniff._filled(r) for r in rows):
        raise IngestError(f"{name}: sheet '{chosen}' is empty")
    start, n_header = sniff.header_layout(rows[:40])
    if start:
        notes.append(f"skipped {start} row(s) above the header")
    if n_header == 2:
        notes.append("joined a two-row header into single column names")
    header_rows = rows[start:start + n_header]
    positions = [i for i, r in enumerate(rows[start + n_header:]) if any(c is not None for c in r)]
    body = [rows[start + n_header + i] for i in positions]  # empty rows never padded to the table's width
    width = max([len(r) for r in header_rows] + [0])
    while width > 1 and all((len(r) < width or r[width - 1] is None) for r in header_rows + body):
        width -= 1
    longest = max([len(r) for r in body] + [width])
    frame = pd.DataFrame([list(r) + [None] * (longest - len(r)) for r in body], index=positions, dtype="str") if body \
        else pd.DataFrame(columns=range(width))
    names = sniff.header_names(header_rows, width)
    frame, rejected = fit_width(frame, names, None)
    skipped = len(rows) - start - n_header - len(body)
    frame, rejected, _ = finish(frame, rejected, name, notes, start + n_header + 1, skipped)
    return frame, rejected, names


def _uncomputed_cells(data: bytes, path: str | None, names: list[str], rows: pd.Index, notes: list[str]):
    """Column name -> table rows of formulas without a saved result (and a note when there are any)."""
    found = {}
    for letters, sheet_rows in (_uncomputed(data, path) if path is not None else {}).items():
        position = _column_index(letters) - 1
        kept = tuple(sorted(r for r in sheet_rows if r in rows))
        if position < len(names) and kept:
            found[names[position]] = kept
    if found:
        count = sum(len(r) for r in found.values())
        listing = ", ".join(f"'{c}'" for c in list(found)[:5])
        notes.append(f"{count:,} cell(s) in {listing} are formulas whose result was never saved (the workbook "
                     "was not recalculated in Excel): their value is unknown, so a row is quarantined where such "
                     "a column is mapped")
    return found


def read_excel(data: bytes, name: str, sheet: str | None, limits: Limits) -> RawTable:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise IngestError(f"{name}: is not a readable Excel workbook ({type(exc).__name__})") from None
    try:
        chosen, rows, sheets, hidden, notes, path = _pick_sheet(book, name, sheet, limits)
    finally:
        book.close()
    frame, rejected, names = _frame(rows, name, chosen, notes)
    uncomputed = _uncomputed_cells(data, path, names, frame.index, notes)
    return RawTable(name=name, frame=frame, sheets=sheets, sheet=chosen, format="excel", rejected=rejected,
                    notes=tuple(notes), hidden_sheets=hidden, uncomputed=uncomputed)


def _sheet_notes(asked: str | None, chosen: str, sheets: tuple[str, ...], hidden: tuple[str, ...],
                 active: str | None) -> list[str]:
    notes = []
    if asked is None and chosen != sheets[0]:
        why = "the sheet the workbook opens on" if chosen == active else \
            "the visible sheets before it hold no table" if active not in hidden else \
            "the workbook opens on a hidden sheet; this is the first visible one with a table"
        notes.append(f"read sheet '{chosen}' ({why})")
    if chosen in hidden:
        notes.append(f"sheet '{chosen}' is hidden in Excel")
    others = [s for s in hidden if s != chosen]
    if others:
        notes.append("hidden sheet(s) not read unless chosen: " + ", ".join(f"'{s}'" for s in others))
    return notes
