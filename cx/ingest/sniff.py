"""Looking at raw bytes and text: what kind of file, which delimiter, where the header is.

Content wins over the file name: an export saved as ``report.xlsx`` that really holds
semicolon-separated text is read as such (with a note), and a zip archive named ``.xlsx`` that is
not a workbook is refused with a message that says so.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from pathlib import PurePath

EXCEL_MEMBER = "xl/workbook.xml"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_NUMBERISH = re.compile(r"^[-+]?[\d.,]+\s*%?$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


#: File name endings the readers accept (a ``--source`` value ending so is a data file, not a database).
SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq", ".json", ".jsonl", ".ndjson",
            ".gz", ".zip")


def is_data_file(spec) -> bool:
    """Whether a ``--source`` value names a data file (rather than a database URL or file)."""
    text = str(spec)
    return "://" not in text and PurePath(text).suffix.lower() in SUFFIXES


class IngestError(ValueError):
    """A file cannot be read or mapped. The message names the file (and row/column where known)."""


def kind_of(data: bytes, name: str) -> str:
    """One of ``excel``, ``parquet``, ``json``, ``text``, ``gzip``, ``zip`` from the first bytes.

    Raises
    ------
    IngestError
        For formats that are recognisably not a table we can read (old .xls, PDF, databases…).
    """
    head = data[:8]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(f"{name}: is an old Excel 97–2003 (.xls) workbook or a password-protected Office "
                          "file; open it in Excel and save it as .xlsx or CSV")
    if head.startswith(b"%PDF"):
        raise IngestError(f"{name}: is a PDF document, not a table; export the data as CSV or Excel")
    if head.startswith(b"SQLite format 3"):
        raise IngestError(f"{name}: is a SQLite database; connect to it as a warehouse instead of uploading it")
    if data[8:12] == b"DUCK":
        raise IngestError(f"{name}: is a DuckDB database; connect to it as a warehouse instead of uploading it")
    for magic, label in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                         (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive")):
        if head.startswith(magic):
            raise IngestError(f"{name}: is {label}, not a table")
    start = data.lstrip()[:4]
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            start = data[len(bom):].decode("utf-8" if bom == codecs.BOM_UTF8 else "utf-16", errors="ignore").lstrip()[:1].encode()
    if start[:1] in (b"[", b"{"):
        return "json"
    return "text"


def sniff_delimiter(text: str, name: str = "") -> str:
    """The delimiter that splits the first lines into the most consistent number (≥ 2) of fields."""
    sample = text[:65_536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", (0.0, 0, 0)
    preferred = "\t" if name.lower().endswith((".tsv", ".tab")) else ","
    for delimiter in DELIMITERS:
        try:
            rows = [r for _, r in zip(range(60), csv.reader(io.StringIO(sample, newline=None), delimiter=delimiter))
                    if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        counts = Counter(len(r) for r in rows)
        modal, seen = counts.most_common(1)[0]
        if modal < 2:
            continue
        score = (round(seen / len(rows), 2), int(delimiter == preferred), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def records(text: str, delimiter: str, limit: int = 40) -> tuple[list[list[str]], list[int]]:
    """The first records (split like the full read will split them) and the physical line after each."""
    reader = csv.reader(io.StringIO(text[:1_000_000], newline=None), delimiter=delimiter)
    rows, lines = [], []
    try:
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows, lines


def _filled(row) -> int:
    return sum(1 for c in row if c is not None and str(c).strip())


def _label_like(cell) -> bool:
    return cell is not None and bool(str(cell).strip()) and not _NUMBERISH.match(str(cell).strip())


def header_layout(rows: list[list]) -> tuple[int, int]:
    """Where the header starts (skipping title lines) and whether it spans two rows.

    Two rows are taken when the first has gaps or repeats (group labels over merged cells), the
    second is a full row of labels, and the row after it holds numbers.
    """
    if not rows:
        return 0, 1
    full = max(_filled(r) for r in rows[:30])
    start = 0
    for i, row in enumerate(rows[:15]):
        if _filled(row) >= max(1, min(2, full), 0.5 * full):
            start = i
            break
    if start > 0 and _two_row_header(rows, start - 1, group_above=True):
        return start - 1, 2
    if _two_row_header(rows, start):
        return start, 2
    return start, 1


def _has_number(row) -> bool:
    return any(c is not None and _NUMBERISH.match(str(c).strip() or "x") for c in row)


def _group_labels(top: list, width: int, group_above: bool) -> list[str] | None:
    """The top row's cells when they can be group labels over the columns below (else None)."""
    top_cells = [str(c).strip() if c is not None else "" for c in list(top)[:width]]
    filled = [c for c in top_cells if c]
    if not filled or len(top) < 0.8 * width or any(_NUMBERISH.match(c) for c in filled):
        return None
    if group_above and len(filled) == 1 and top_cells[0]:
        return None  # a title in the first cell, not a group label over columns
    gaps = len(filled) < len(top_cells) or len(set(filled)) < len(filled)
    return top_cells if gaps else None


def _two_row_header(rows: list[list], top_index: int, group_above: bool = False) -> bool:
    if len(rows) <= top_index + 2:
        return False
    top, second, third = rows[top_index], rows[top_index + 1], rows[top_index + 2]
    width = len(second)
    top_cells = _group_labels(top, width, group_above)
    if top_cells is None:
        return False
    labels = [_label_like(c) for c in second]
    covered = all(label or (i < len(top_cells) and top_cells[i]) for i, label in enumerate(labels))
    second_labels = sum(labels) >= max(2, 0.6 * width) and covered
    return second_labels and _has_number(third) and not _has_number(second)


def header_names(rows: list[list], width: int) -> list[str]:
    """Column names from one or two header rows: cleaned, blank -> "column N", duplicates numbered."""
    names: list[str] = []
    if len(rows) == 2:
        top, bottom = list(rows[0]) + [None] * width, list(rows[1]) + [None] * width
        group = ""
        for i in range(width):
            upper = _clean(top[i])
            group = upper or group
            lower = _clean(bottom[i])
            if not lower:
                names.append(upper)
            else:
                names.append(f"{group} {lower}" if group and group.lower() != lower.lower() else lower)
    else:
        cells = list(rows[0]) + [None] * width if rows else [None] * width
        names = [_clean(c) for c in cells[:width]]
    return dedupe(names)


def _clean(cell) -> str:
    text = "" if cell is None else str(cell)
    text = text.replace("\ufeff", "").replace("\u200b", "").replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def dedupe(names: list[str]) -> list[str]:
    """Blank names become "column N" (1-based position); repeats become "name (2)", "name (3)"."""
    out, seen, next_number = [], set(), {}
    for position, name in enumerate(names, start=1):
        base = name or f"column {position}"
        candidate, k = base, next_number.get(base.lower(), 2)
        while candidate.lower() in seen:  # each base counts on from its last number: linear, not quadratic
            candidate, k = f"{base} ({k})", k + 1
        next_number[base.lower()] = k
        seen.add(candidate.lower())
        out.append(candidate)
    return out
