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

import gzip
import hashlib
import io
import json
import os
import sys
import zipfile
import zlib
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


# --- hostile files of issue 13: bombs, nesting, limits, hidden sheets, formulas, encodings -------

#: a little more than the default limit of 200 MB after unpacking
BOMB_BYTES = 210_000_000
SMALL_TABLE = b"Customer ID,Date,NPS\nC1,2026-01-05,9\nC2,2026-01-05,3\n"


def _repeated(head: bytes, block: bytes, total: int):
    """``head`` then ``block`` repeated until ``total`` bytes: the content of a bomb, in pieces."""
    yield head
    written = len(head)
    while written < total:
        yield block
        written += len(block)


def gzip_bomb() -> bytes:
    """About 300 KB of gzip that unpacks to 210 MB of CSV rows (level 9: deflate's best ratio)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header with mtime 0, so the bytes are fixed
    parts = [packer.compress(piece) for piece in _repeated(b"Customer ID,NPS\n", b"C1,9\n" * 262_144, BOMB_BYTES)]
    return b"".join(parts) + packer.flush()


def _streamed_zip(members: dict[str, object]) -> bytes:
    """A deterministic zip whose members are written piece by piece (never held whole)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, pieces in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as handle:
                for piece in ([pieces] if isinstance(pieces, bytes) else pieces):
                    handle.write(piece)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A zip whose single CSV member unpacks to 210 MB."""
    return _streamed_zip({"export.csv": _repeated(b"Customer ID,NPS\n", b"C1,9\n" * 262_144, BOMB_BYTES)})


def _workbook_members(fill) -> dict[str, bytes]:
    import openpyxl

    book = openpyxl.Workbook()
    fill(book)
    fixed = datetime(2026, 1, 1)
    book.properties.created = book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    members["docProps/core.xml"] = _fixed_core_xml(members["docProps/core.xml"])
    return members


def _workbook(fill) -> bytes:
    return _deterministic_zip(_workbook_members(fill))


def xlsx_bomb() -> bytes:
    """A workbook whose one sheet's XML unpacks to 210 MB (a million-odd rows of one number)."""
    members = _workbook_members(lambda book: book.active.append(["Customer ID", "NPS"]))
    sheet = members.pop("xl/worksheets/sheet1.xml")
    start, end = sheet.split(b"<sheetData>")[0] + b"<sheetData>", b"</sheetData></worksheet>"
    rows = b'<row><c t="inlineStr"><is><t>C1</t></is></c><c><v>9</v></c></row>' * 4_096  # rows may omit their number
    pieces = list(_repeated(start, rows, BOMB_BYTES)) + [end]
    return _streamed_zip({**members, "xl/worksheets/sheet1.xml": iter(pieces)})


def nested_gzip(levels: int = 1_500) -> bytes:
    """A small table gzipped 1,500 times over (each level a few bytes)."""
    data = SMALL_TABLE
    for _ in range(levels):
        data = gzip.compress(data, mtime=0)
    return data


def nested_zip(levels: int = 10) -> bytes:
    """A zip inside a zip, ten deep."""
    data, name = SMALL_TABLE, "table.csv"
    for level in range(levels):
        data, name = _deterministic_zip({name: data}), f"level{level + 1}.zip"
    return data


def gz_in_zip() -> bytes:
    """An archive holding one gzipped CSV: two layers, both unpacked. C3 (row 4) has NPS 11."""
    table = b"Customer ID,Date,NPS\nC1,2026-01-05,9\nC2,2026-01-05,3\nC3,2026-01-06,11\nC4,2026-01-06,7\nC5,2026-01-07,10\n"
    return _deterministic_zip({"tickets.csv.gz": gzip.compress(table, mtime=0)})


def deep_json(levels: int = 100_000) -> bytes:
    """An array nested 100,000 deep (the JSON parser would recurse until it fails)."""
    return b"[" * levels + b"]" * levels


def deep_json_record(levels: int = 5_000) -> bytes:
    """Records whose third field nests 5,000 objects deep."""
    value = b'{"a": ' * levels + b"1" + b"}" * levels
    return b'[{"Customer ID": "C1", "NPS": 9, "extra": ' + value + b'}, {"Customer ID": "C2", "NPS": 3, "extra": null}]'


def deep_json_lines(levels: int = 5_000) -> bytes:
    """JSON Lines whose second line nests 5,000 lists deep."""
    return b'{"Customer ID": "C1", "NPS": 9}\n{"Customer ID": "C2", "NPS": ' + b"[" * levels + b"]" * levels + b"}\n"


def _wide_csv(columns: int) -> bytes:
    header = ",".join(["Customer ID", "Date", "NPS"] + [f"Q{k}" for k in range(4, columns + 1)])
    rows = [",".join(["C1", "2026-01-05", "9"] + ["3"] * (columns - 3)), "C2,2026-01-06,4", "C3,2026-01-07,10"]
    return ("\n".join([header, *rows]) + "\n").encode()


def columns_20000() -> bytes:
    """A header of 20,000 columns (about 130 KB) above three rows, two of them short."""
    return _wide_csv(20_000)


def columns_2001() -> bytes:
    """One column more than the default limit of 2,000."""
    return _wide_csv(2_001)


def wide_sheet() -> bytes:
    """A sheet whose header row runs to 3,000 columns."""
    def fill(book):
        book.active.title = "Survey"
        book.active.append(["Customer ID", "Date", "NPS"] + [f"Q{k}" for k in range(4, 3_001)])
        book.active.append(["C1", "2026-01-05", 9])
    return _workbook(fill)


def one_line(size: int = 109_000_000) -> bytes:
    """109 MB on one line: a header that never ends."""
    return b"Customer ID,NPS," + b"value," * ((size - 16) // 6)


def long_row() -> bytes:
    """A normal file whose third line carries a 1.5 MB comment (a log pasted into one cell)."""
    return (b"Customer ID,Date,NPS,Comment\nC1,2026-01-05,9,fine\nC2,2026-01-06,3," + b"x" * 1_500_000
            + b"\nC3,2026-01-07,8,ok\n")


def channels_200k(n: int = 200_000) -> bytes:
    """200,000 rows, each with its own channel (an id column misnamed, or free text)."""
    rows = [f"C{k},2026-01-{k % 28 + 1:02d},Channel {k:06d},{k % 11}" for k in range(1, n + 1)]
    return ("Customer ID,Date,Channel,NPS\n" + "\n".join(rows) + "\n").encode()


def touchpoints_1500(n: int = 3_000) -> bytes:
    """3,000 rows over 1,500 distinct touchpoints."""
    rows = [f"C{k},2026-02-{k % 28 + 1:02d},Page /product/{k % 1_500:04d},{k % 5 + 1}" for k in range(1, n + 1)]
    return ("Customer ID,Date,Touchpoint,CSAT\n" + "\n".join(rows) + "\n").encode()


def segments_2000(n: int = 2_000) -> bytes:
    """A customers table whose segment is unique per customer."""
    rows = [f"C{k},Segment {k:05d},{'Yes' if k % 7 == 0 else 'No'},{k * 10}" for k in range(1, n + 1)]
    return ("Customer ID,Segment,Churned?,Lifetime value\n" + "\n".join(rows) + "\n").encode()


def parquet_bomb(rows: int = 101_000_000) -> bytes:
    """101 million rows of one zero: run-length encoding packs them into a few hundred KB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    block = np.zeros(10_100_000, dtype=np.int8)
    with pq.ParquetWriter(buffer, pa.schema([("NPS", pa.int8())])) as writer:
        for _ in range(rows // len(block)):
            writer.write_table(pa.table({"NPS": block}))
    return buffer.getvalue()


RESPONSE_ROWS = [
    ("C1", "2026-01-05", 9, "Email"), ("C2", "2026-01-05", 4, "Chat"), ("C3", "2026-01-06", 12, "Phone"),
    ("C4", "2026-01-06", 10, "Web"), ("C5", "2026-01-07", 7, "Email"),
]


def _responses(sheet, rows=RESPONSE_ROWS) -> None:
    sheet.append(["Customer ID", "Date", "NPS", "Channel"])
    for row in rows:
        sheet.append(list(row))


def _old_export(sheet) -> None:
    sheet.append(["Customer ID", "Date", "NPS", "Channel"])
    for k in range(1, 4):
        sheet.append([f"OLD{k}", "2025-06-01", 5, "Email"])


def _hidden_first(title: str, state: str, active: int | None):
    def fill(book):
        book.active.title = title
        _old_export(book.active)
        book.active.sheet_state = state
        _responses(book.create_sheet("Responses"))
        if active is not None:
            book.active = active
    return _workbook(fill)


def hidden_first_xlsx() -> bytes:
    """A hidden first sheet of last year's rows, then the active sheet. C3 (row 4) has NPS 12."""
    return _hidden_first("Old export", "hidden", active=1)


def very_hidden_xlsx() -> bytes:
    """The same behind a 'veryHidden' first sheet (only a macro can show it), left as the active index."""
    return _hidden_first("Lookup", "veryHidden", active=None)


def active_third_xlsx() -> bytes:
    """A summary table and notes first; the workbook opens on the third sheet, Tickets."""
    def fill(book):
        book.active.title = "Summary"
        book.active.append(["Channel", "Tickets"])
        for channel, count in (("Email", 2), ("Chat", 1), ("Phone", 1), ("Web", 1)):
            book.active.append([channel, count])
        book.create_sheet("Notes").append(["Exported from the helpdesk"])
        _responses(book.create_sheet("Tickets"))
        book.active = 2
    return _workbook(fill)


def formulas_uncached_xlsx() -> bytes:
    """CSAT computed by formulas that were never calculated (no saved results) in rows 3, 5 and 6."""
    def fill(book):
        sheet = book.active
        sheet.title = "Responses"
        sheet.append(["Customer ID", "Date", "NPS", "CSAT"])
        for k, (nps, csat) in enumerate([(9, 5), (4, "=ROUND(C3/2,0)"), (10, 5), (7, "=MIN(5,C5)"), (8, "=C6/2")], start=2):
            sheet.append([f"C{k - 1}", f"2026-01-0{k}", nps, csat])
    return _workbook(fill)


def formula_ignored_xlsx() -> bytes:
    """Formulas without results only in a column the mapping leaves out ('Internal calc')."""
    def fill(book):
        sheet = book.active
        sheet.append(["Customer ID", "Date", "NPS", "Internal calc"])
        for k in range(2, 6):
            sheet.append([f"C{k - 1}", f"2026-01-0{k}", k + 4, f"=C{k}*2"])
    return _workbook(fill)


def _padded_table(rows: int, comment: str) -> bytes:
    return "".join(f"C{k},2026-01-{k % 28 + 1:02d},{k % 11},{comment} {k}\n" for k in range(1, rows + 1)).encode()


def utf8_then_junk() -> bytes:
    """100 KB of a UTF-8 table (accents in every comment), then 4 KB of random bytes, then more rows."""
    junk = np.random.default_rng(13).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return (b"Customer ID,Date,NPS,Comment\n" + _padded_table(2_400, "Caf\u00e9 cr\u00e8me tr\u00e8s bon")
            + junk + _padded_table(50, "after"))


def junk_in_the_middle() -> bytes:
    """80 KB of plain ASCII rows, 8 KB of random bytes, 20 KB of rows."""
    junk = np.random.default_rng(17).integers(0, 256, 8192, dtype=np.uint8).tobytes()
    return b"Customer ID,Date,NPS,Comment\n" + _padded_table(2_600, "fine thanks") + junk + _padded_table(650, "ok")


COMMENTS_RU = ["Очень хорошо, спасибо", "Долго ждал ответа оператора", "Всё решили с первого звонка",
               "Курьер опоздал на два часа", "Нормально, без проблем"]
COMMENTS_JA = ["とても良い対応でした", "待ち時間が長すぎる", "一回で解決しました", "配達が二時間遅れた", "普通です"]
COMMENTS_ZH = ["服务很好，谢谢", "等待时间太长了", "第一次通话就解决了", "快递晚到了两个小时", "还可以，没有问题"]


def _comments_table(comments: list[str], delimiter: str = ";") -> str:
    rows = [delimiter.join(["Customer ID", "Date", "Channel", "NPS", "Comment"])]
    for k, comment in enumerate(comments, start=1):
        rows.append(delimiter.join([f"C{k}", f"2026-01-0{k}", ("Email", "Chat", "Phone")[k % 3], str(k + 4), comment]))
    return "\r\n".join(rows) + "\r\n"


def cyrillic_cp1251() -> bytes:
    """Russian comments from Excel on a Russian Windows (Windows-1251)."""
    return _comments_table(COMMENTS_RU).encode("cp1251")


def japanese_shift_jis() -> bytes:
    """Japanese comments from Excel on a Japanese Windows (Shift-JIS, code page 932)."""
    return _comments_table(COMMENTS_JA, ",").encode("cp932")


def chinese_gb18030() -> bytes:
    """Chinese comments from Excel on a Chinese Windows (GB 18030)."""
    return _comments_table(COMMENTS_ZH, ",").encode("gb18030")


GENERATORS = {
    "junk.csv": junk,
    "zip_named.xlsx": zip_named_xlsx,
    "utf16_bom_tab.txt": utf16_bom_tab,
    "utf16_no_bom.csv": utf16_no_bom,
    "cp1252.csv": cp1252,
    "multi_sheet.xlsx": multi_sheet_xlsx,
    "million_rows.csv": million_rows,
    "columns_300.csv": three_hundred_columns,
    "bomb.csv.gz": gzip_bomb,
    "bomb.zip": zip_bomb,
    "bomb.xlsx": xlsx_bomb,
    "nested.csv.gz": nested_gzip,
    "nested.zip": nested_zip,
    "packed.zip": gz_in_zip,
    "deep.json": deep_json,
    "deep_record.json": deep_json_record,
    "deep_lines.jsonl": deep_json_lines,
    "columns_20000.csv": columns_20000,
    "columns_2001.csv": columns_2001,
    "wide_sheet.xlsx": wide_sheet,
    "one_line.csv": one_line,
    "long_row.csv": long_row,
    "channels_200k.csv": channels_200k,
    "touchpoints.csv": touchpoints_1500,
    "segments.csv": segments_2000,
    "bomb.parquet": parquet_bomb,
    "hidden_first.xlsx": hidden_first_xlsx,
    "very_hidden.xlsx": very_hidden_xlsx,
    "active_third.xlsx": active_third_xlsx,
    "formulas_uncached.xlsx": formulas_uncached_xlsx,
    "formula_ignored.xlsx": formula_ignored_xlsx,
    "utf8_then_junk.csv": utf8_then_junk,
    "junk_middle.csv": junk_in_the_middle,
    "cyrillic_cp1251.csv": cyrillic_cp1251,
    "japanese_sjis.csv": japanese_shift_jis,
    "chinese_gb18030.csv": chinese_gb18030,
}
#: generated files that take seconds or hundreds of MB to write: never written twice by the tests
LARGE = frozenset({"million_rows.csv", "columns_300.csv", "bomb.csv.gz", "bomb.zip", "bomb.xlsx", "one_line.csv",
                   "channels_200k.csv", "bomb.parquet"})


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
