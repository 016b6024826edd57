"""Readers: encodings, delimiters, headers, workbooks, Parquet, JSON, and clear refusals of bad files."""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cx.ingest import IngestError, from_frame, read_table

TEXT = "Kunde;Zufriedenheit;Kommentar\nMüller;5;très bien\nGarcía;3;„so lala“\n"


# --- encodings and delimiters ----------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8 (with BOM)"),
        (TEXT.encode("utf-16"), "utf-16"),  # with BOM
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # without BOM: found from the zero bytes
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_text_survives(encoded, encoding):
    raw = read_table(encoded, "export.csv")
    assert raw.encoding == encoding
    assert list(raw.frame.columns) == ["Kunde", "Zufriedenheit", "Kommentar"]
    assert raw.frame["Kunde"].tolist() == ["Müller", "García"]
    assert raw.frame["Kommentar"].tolist() == ["très bien", "„so lala“"]


def test_bytes_undefined_in_cp1252_still_read():
    """0x81 is undefined in Windows-1252: the file is still read, in the code page charset-normalizer
    finds cleanest for it (Windows-1251, where 0x81 is a letter), never refused or dropped."""
    raw = read_table("id,name\n1,caf\x81\n".encode("latin-1"), "x.csv")
    assert raw.encoding == "cp1251"
    assert raw.frame["name"].tolist() == ["caf\u0403"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter):
    rows = [["customer", "score", "comment"], ["C1", "4,5" if delimiter != "," else "4.5", "fine, thanks"],
            ["C2", "3", "ok"]]
    buffer = io.StringIO()
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(buffer, sep=delimiter, index=False)
    raw = read_table(buffer.getvalue().encode(), "x.txt")
    assert raw.delimiter == delimiter
    assert raw.frame.shape == (2, 3)
    assert raw.frame["comment"].tolist() == ["fine, thanks", "ok"]


def test_quoted_newlines_and_row_numbers():
    data = b'id,comment\nC1,"line one\nline two"\n\nC2,plain\n'
    raw = read_table(data, "x.csv")
    assert raw.frame["comment"].tolist() == ["line one\nline two", "plain"]
    assert raw.frame.index.tolist() == [2, 4]  # spreadsheet rows: header is row 1, the blank row 3 is skipped
    assert any("blank" in n for n in raw.notes)


def test_ragged_rows_are_rejected_not_dropped():
    raw = read_table(b"a,b,c\n1,2,3\n4,5,6,7\n8,9\n", "ragged.csv")
    assert raw.rows_read == 3
    assert raw.frame.index.tolist() == [2, 4]
    assert raw.frame.loc[4].tolist()[:2] == ["8", "9"] and pd.isna(raw.frame.loc[4, "c"])  # short rows padded
    assert raw.rejected["_row"].tolist() == [3]
    assert raw.rejected["_reason"].tolist() == ["too many fields"]
    assert raw.rejected["_extra"].tolist() == ["7"]


def test_title_lines_and_duplicate_or_blank_headers():
    raw = read_table(b"Export of 2026-01-05\n\nid,score,score,\n1,2,3,4\n", "x.csv")
    assert list(raw.frame.columns) == ["id", "score", "score (2)", "column 4"]
    assert raw.frame.index.tolist() == [4]


def test_two_row_header_is_joined():
    raw = read_table(b",Scores,,\nCustomer,NPS,CSAT,CES\nC1,9,5,2\n", "x.csv")
    assert list(raw.frame.columns) == ["Customer", "Scores NPS", "Scores CSAT", "Scores CES"]
    assert raw.frame.index.tolist() == [3]


def test_tsv_extension_prefers_tab_on_ties():
    raw = read_table(b"a\tb,c\n1\t2,3\n", "x.tsv")
    assert raw.delimiter == "\t"


# --- Excel -----------------------------------------------------------------------------------


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active["A1"] = "Quarterly survey"
    data = book.create_sheet("Responses")
    data.append(["Customer", "Scores", None, None, "When"])
    data.merge_cells("B1:D1")
    data.append(["ID", "NPS", "CSAT", "CES", None])
    import datetime as dt

    data.append(["C1", 9, 4.0, 2, dt.datetime(2026, 3, 25, 14, 30)])
    data.append([1001.0, 10, 5, None, dt.datetime(2026, 3, 26)])
    other = book.create_sheet("Customers")
    other.append(["id", "churned"])
    other.append(["C1", "no"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_first_sheet_with_data_and_two_row_header():
    raw = read_table(_workbook(), "survey.xlsx")
    assert raw.format == "excel"
    assert raw.sheets == ("Cover", "Responses", "Customers")
    assert raw.sheet == "Responses"
    assert list(raw.frame.columns) == ["Customer ID", "Scores NPS", "Scores CSAT", "Scores CES", "When"]
    assert raw.frame["Customer ID"].tolist() == ["C1", "1001"]  # whole floats written as integers
    assert raw.frame["When"].tolist() == ["2026-03-25 14:30:00", "2026-03-26 00:00:00"]
    assert raw.frame.index.tolist() == [3, 4]


def test_excel_sheet_choice_and_unknown_sheet():
    raw = read_table(_workbook(), "survey.xlsx", sheet="Customers")
    assert raw.frame.to_dict("list") == {"id": ["C1"], "churned": ["no"]}
    with pytest.raises(IngestError, match=r"survey\.xlsx: no sheet named 'Nope' \(sheets: Cover, Responses, Customers\)"):
        read_table(_workbook(), "survey.xlsx", sheet="Nope")


# --- Parquet and JSON ------------------------------------------------------------------------


def test_parquet_cells_become_text_and_timestamps_utc():
    import datetime as dt
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    table = pa.table({
        "id": ["C1", "C2"], "nps": [9, None], "csat": [4.5, 5.0], "flag": [True, False],
        "at": pa.array([dt.datetime(2026, 1, 5, 10, tzinfo=paris), dt.datetime(2026, 1, 6, tzinfo=paris)],
                       pa.timestamp("us", tz="Europe/Paris")),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    raw = read_table(buffer.getvalue(), "x.parquet")
    assert raw.format == "parquet"
    assert raw.frame["nps"].tolist()[0] == "9" and pd.isna(raw.frame["nps"].tolist()[1])
    assert raw.frame["csat"].tolist() == ["4.5", "5"]
    assert raw.frame["flag"].tolist() == ["true", "false"]
    assert raw.frame["at"].tolist()[0].startswith("2026-01-05 09:00:00")  # 10:00 Paris = 09:00 UTC


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps([{"id": "C1", "nps": 9, "who": {"plan": "pro"}}, {"id": "C2", "nps": None}]),
        json.dumps({"meta": {"n": 2}, "data": [{"id": "C1", "nps": 9, "who": {"plan": "pro"}}, {"id": "C2"}]}),
        '{"id": "C1", "nps": 9, "who": {"plan": "pro"}}\n{"id": "C2"}\n',
    ],
    ids=["records", "wrapped", "lines"],
)
def test_json_shapes(payload):
    raw = read_table(payload.encode(), "x.json")
    assert raw.frame["id"].tolist() == ["C1", "C2"]
    assert raw.frame["nps"].tolist()[0] == "9"
    assert raw.frame["who.plan"].tolist()[0] == "pro"


def test_json_lines_bad_line_is_rejected_with_its_line_number():
    raw = read_table(b'{"id": 1}\n{"id": 2\n{"id": 3}\n', "x.jsonl")
    assert raw.rows_read == 3
    assert raw.rejected["_row"].tolist() == [2]
    assert raw.rejected["_reason"].tolist() == ["not valid JSON"]


def test_from_frame_turns_a_sample_into_text():
    raw = from_frame(pd.DataFrame({"a": [1, 2], "b": [pd.Timestamp("2026-01-01"), None]}), "table")
    assert raw.frame["a"].tolist() == ["1", "2"]
    assert raw.frame["b"].tolist()[0].startswith("2026-01-01")


# --- bad files: one clear sentence naming the file -------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", r"empty\.csv: the file is empty"),
        ("blank.csv", b"\n\n  \n", r"blank\.csv: the file is empty"),
        ("header.csv", b"id,nps,comment\n", r"header\.csv: has a header row but no data rows"),
        ("junk.csv", bytes(range(256)) * 20, r"junk\.csv: does not look like a text table"),
        ("fake.xlsx", _zip({"notes.txt": b"hello"}), r"fake\.xlsx: is a zip archive, not an Excel workbook \(it holds: notes\.txt\)"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 50, r"broken\.xlsx: is a damaged zip archive"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"old\.xls: is an old Excel 97–2003"),
        ("report.csv", b"%PDF-1.7\n...", r"report\.csv: is a PDF document"),
        ("bad.json", b'[{"id": 1},', r"bad\.json: is not valid JSON \(line 1"),
        ("bad.parquet", b"PAR1garbage", r"bad\.parquet: is a damaged Parquet file"),
        ("empty.json", b"[]", r"empty\.json: holds no records"),
    ],
)
def test_bad_files_raise_one_clear_message(name, data, message):
    with pytest.raises(IngestError, match=message):
        read_table(data, name)


def test_wrong_extension_is_read_by_content_with_a_note():
    raw = read_table(b"id;nps\nC1;9\n", "export.xlsx")
    assert raw.format == "csv" and raw.delimiter == ";"
    assert any("named .xlsx" in n for n in raw.notes)


def test_gzip_and_single_file_zip_are_unpacked():
    assert read_table(gzip.compress(b"id,nps\nC1,9\n"), "x.csv.gz").frame["nps"].tolist() == ["9"]
    assert read_table(_zip({"export.csv": b"id,nps\nC1,9\n"}), "x.zip").frame["id"].tolist() == ["C1"]


def test_damaged_archives_are_one_clear_message():
    # a gzip header followed by a deflate block of the invalid type 3 (zlib.error, not an OSError)
    with pytest.raises(IngestError, match=r"x\.csv\.gz: is a damaged gzip archive"):
        read_table(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x07\x00\x00\x00", "x.csv.gz")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.csv", b"id,nps\n" + b"C1,9\n" * 200)
    data = bytearray(buffer.getvalue())
    start = 30 + len("export.csv")  # the member's compressed bytes follow its local header
    data[start:start + 8] = b"\xff" * 8
    with pytest.raises(IngestError, match=r"x\.zip: export\.csv in this zip archive is damaged"):
        read_table(bytes(data), "x.zip")


def test_paths_and_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,nps\nC1,9\n")
    assert read_table(path).name == "a.csv"
    assert read_table(str(path)).frame.shape == (1, 2)
    assert read_table("id,nps\nC2,7\n", "inline.csv").frame["id"].tolist() == ["C2"]
    with pytest.raises(IngestError, match=r"nowhere\.csv: no such file"):
        read_table(str(tmp_path / "nowhere.csv"))
