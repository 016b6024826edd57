"""Write the binary, re-encoded and large files of the bad-input corpus (issue 7, item 1).

The small UTF-8 text cases are committed next to this script; the ones below are generated,
because git and editors mangle them (NUL bytes, UTF-16, cp1252, zip archives) or because they
are too large to commit (a million rows, three hundred columns). Their expected outcomes are in
``expected.json`` beside this file.

Deterministic and idempotent: the same bytes on every run and machine (fixed seeds, fixed zip
timestamps), and a second call finds the stamp of the first and writes nothing.

Usage::

    python tests/data/bad/make_corpus.py [OUT_DIR]     # default: tests/data/bad/generated/
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "generated"
MANIFEST = HERE / "expected.json"
STAMP = ".stamp"
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

#: rows of the million-row file that carry a planted problem (0-based data rows; file row = + 2)
MILLION_BAD_DATES = (10, 500_000, 999_999)
MILLION_BAD_NPS = (20, 600_000)
MILLION_NO_ID = (30,)
MILLION_DUPLICATE = (40,)  # an exact copy of the row before it


def load_manifest() -> list[dict]:
    """The corpus cases of expected.json, in order."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["cases"]


def path_of(case: dict, generated: Path) -> Path:
    """Where a case's file lives: beside this script, or in the generated directory."""
    return (generated if case.get("generated") else HERE) / case["file"]


# --- the generated files ---------------------------------------------------------------------


def junk() -> bytes:
    """Random bytes behind a .csv name (the first byte is fixed so no magic number can match)."""
    return b"\x13" + np.random.default_rng(11).integers(0, 256, 4095, dtype=np.uint8).tobytes()


def _deterministic_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def zip_named_xlsx() -> bytes:
    """A zip archive of a CSV and a note, saved as .xlsx: not a workbook."""
    return _deterministic_zip({
        "data.csv": b"Customer ID,NPS\nC1,9\n",
        "readme.txt": b"Exported from the survey tool.\n",
    })


UTF16_ROWS = [
    ["Customer ID", "Date", "Channel", "NPS", "Comment"],
    ["C1", "2026-01-05", "email", "9", "Très bien — merci"],
    ["C2", "2026-01-05", "chat", "6", "Größe passt nicht"],
    ["C3", "2026-01-06", "phone", "10", "日本語のコメント"],
    ["C4", "2026-01-06", "web", "eleven", "emoji 👍"],
    ["C5", "2026-01-07", "store", "8", "Ça va"],
    ["C6", "2026-01-07", "app", "7", "naïve café"],
]


def utf16_bom_tab() -> bytes:
    """Excel's "Unicode Text": UTF-16 little-endian with a BOM, tab-separated, CRLF."""
    return "\r\n".join("\t".join(r) for r in UTF16_ROWS).encode("utf-16")  # "utf-16" writes the BOM


def utf16_no_bom() -> bytes:
    """UTF-16 little-endian without a BOM, comma-separated (some BI tools write this)."""
    return ("\n".join(",".join(r) for r in UTF16_ROWS) + "\n").encode("utf-16-le")


CP1252_TEXT = (
    "Customer ID;Date;Channel;NPS;Comment\r\n"
    "C1;05/01/2026;E-mail;9;Très bien – “smart quotes” €5 off\r\n"
    "C2;13/01/2026;Téléphone;4;Déçu…\r\n"
    "C3;14/01/2026;Chat;10;Größe ok\r\n"
    "C4;15/01/2026;Web;;sans note\r\n"
    "C5;32/01/2026;Web;7;date invalide\r\n"
)


def cp1252() -> bytes:
    """A Windows-1252 export (Excel "CSV" on a European Windows): semicolons, day-first dates."""
    return CP1252_TEXT.encode("cp1252")


def multi_sheet_xlsx() -> bytes:
    """A workbook: a notes sheet, the responses (a title line and a two-row header over merged
    group labels), and a lookup sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    about = book.active
    about.title = "About"
    about["A1"] = "Customer survey export - see the Responses sheet"
    responses = book.create_sheet("Responses")
    responses.append(["Customer survey Q1 2026"])
    responses.append(["Respondent", None, "Scores", None, "Contact", None])
    responses.append(["ID", "Date", "NPS", "CSAT", "Channel", "Comment"])
    responses.merge_cells("A2:B2")
    responses.merge_cells("C2:D2")
    responses.merge_cells("E2:F2")
    rows = [
        ("R1", datetime(2026, 1, 5, 9, 30), 9, 5, "Email", "fine"),
        ("R2", datetime(2026, 1, 5, 11, 0), 3, 2, "Chat", "slow"),
        ("R3", datetime(2026, 1, 6, 8, 15), 12, 4, "Phone", "NPS of 12"),
        ("R4", "not yet", 8, 4, "Web", "date as text"),
        ("R5", datetime(2026, 1, 7, 16, 45), 10, 5, "Email", None),
        ("R6", datetime(2026, 1, 8, 10, 0), 7, 3, "Chat", "ok"),
        ("R7", datetime(2026, 1, 8, 12, 0), 0, 1, "Phone", "worst"),
        ("R8", datetime(2026, 1, 9, 9, 0), 6, 3, "Web", "meh"),
    ]
    for row in rows:
        responses.append(list(row))
    lookup = book.create_sheet("Lookup")
    lookup.append(["Code", "Channel"])
    for code, channel in (("E", "Email"), ("C", "Chat"), ("P", "Phone"), ("W", "Web")):
        lookup.append([code, channel])
    fixed = datetime(2026, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl stamps the zip entries (and docProps) with the current time: rewrite them fixed
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    if "docProps/core.xml" in members:
        members["docProps/core.xml"] = _fixed_core_xml(members["docProps/core.xml"])
    return _deterministic_zip(members)


def _fixed_core_xml(data: bytes) -> bytes:
    import re

    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>2026-01-01T00:00:00Z\g<2>", data)


def million_rows(n: int = 1_000_000) -> bytes:
    """A million ticket rows (about 50 MB) with seven planted problems at known rows."""
    rng = np.random.default_rng(7)
    seconds = rng.integers(0, 31_000_000, n)
    created = (np.datetime64("2025-01-01T00:00:00") + seconds.astype("timedelta64[s]")).astype(str)
    frame = pd.DataFrame({
        "Ticket ID": np.char.add("T", np.arange(1, n + 1).astype(str)),  # keeps rows distinct
        "Customer ID": np.char.add("C", rng.integers(1, 200_000, n).astype(str)),
        "Created": np.char.replace(created, "T", " "),
        "Channel": rng.choice(np.array(["Email", "Chat", "Phone", "Web", "App"]), n),
        "NPS": rng.integers(0, 11, n).astype(str),
        "Comment": rng.choice(np.array(["great service", "slow, very slow", "=1+1", "", "ok"]), n),
    })
    frame.loc[list(MILLION_BAD_DATES), "Created"] = "not a date"
    frame.loc[list(MILLION_BAD_NPS), "NPS"] = "11"
    frame.loc[list(MILLION_NO_ID), "Customer ID"] = ""
    for row in MILLION_DUPLICATE:
        frame.iloc[row] = frame.iloc[row - 1]
    return frame.to_csv(index=False, lineterminator="\n").encode()


def three_hundred_columns(n: int = 2_000) -> bytes:
    """300 columns (one header blank, one repeated) by 2,000 rows, with three planted problems."""
    rng = np.random.default_rng(300)
    columns = {
        "Customer ID": np.char.add("C", np.arange(1, n + 1).astype(str)),
        "Date": (np.datetime64("2026-01-01") + rng.integers(0, 90, n).astype("timedelta64[D]")).astype(str),
        "NPS": rng.integers(0, 11, n).astype(str),
        "Comment": rng.choice(np.array(["fine", "slow", "great", "could be better", ""]), n),
    }
    frame = pd.DataFrame(columns)
    extra = pd.DataFrame(rng.integers(0, 1000, (n, 296)).astype(str))
    frame = pd.concat([frame, extra], axis=1)
    headers = list(columns) + [f"Attribute {k:03d}" for k in range(5, 301)]
    headers[99] = ""  # column 100: no header at all
    headers[100] = headers[98]  # column 101 repeats column 99's header
    frame.columns = range(frame.shape[1])
    frame.loc[7, 2] = "12"  # NPS out of range (file row 9)
    frame.loc[1500, 1] = "not a date"  # file row 1502
    frame.loc[1999, 0] = ""  # no customer id (file row 2001)
    body = frame.to_csv(index=False, header=False, lineterminator="\n")
    return (",".join(headers) + "\n" + body).encode()


GENERATORS = {
    "junk.csv": junk,
    "zip_named.xlsx": zip_named_xlsx,
    "utf16_bom_tab.txt": utf16_bom_tab,
    "utf16_no_bom.csv": utf16_no_bom,
    "cp1252.csv": cp1252,
    "multi_sheet.xlsx": multi_sheet_xlsx,
    "million_rows.csv": million_rows,
    "columns_300.csv": three_hundred_columns,
}


# --- writing ---------------------------------------------------------------------------------


def _stamp() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def make_corpus(out: str | Path = DEFAULT_OUT, names: list[str] | None = None) -> Path:
    """Write the generated corpus files (all, or only ``names``) into ``out``; return ``out``.

    Each file gets a stamp (the hash of this script) beside it; a file whose stamp is current is
    not generated again, so asking for one small file never pays for the million-row one. Editing
    this script regenerates each file once (and rewrites only those whose bytes changed).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    current = _stamp()
    for name in names if names is not None else list(GENERATORS):
        target, stamp = out / name, out / f".{name}{STAMP}"
        if target.is_file() and stamp.is_file() and stamp.read_text() == current:
            continue
        _write_atomically(target, GENERATORS[name]())
        _write_atomically(stamp, current.encode())
    return out


def _write_atomically(path: Path, data: bytes) -> None:
    """Other test processes may read the corpus while it is written: never show a half file."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


if __name__ == "__main__":
    target = make_corpus(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT)
    for name in GENERATORS:
        print(f"{(target / name).stat().st_size:>12,}  {target / name}")
