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


# --- issue 13: encodings over the whole stream, sheets, formulas, records under keys ----------


def test_utf8_with_a_few_stray_bytes_stays_utf8_and_says_so():
    data = ("id,comment\n" + "C1,café crème déjà vu\n" * 200).encode() + b"C2,caf\xe9\n"
    raw = read_table(data, "mixed.csv")
    assert raw.encoding == "utf-8" and raw.frame["comment"].tolist()[0] == "café crème déjà vu"
    assert any("1 byte(s) were not valid UTF-8" in n for n in raw.notes)


def test_random_bytes_late_in_a_file_are_found_wherever_they_are():
    rows = "".join(f"C{k},2026-01-05,{k % 11},fine\n" for k in range(4_000)).encode()  # ~100 KB of ASCII
    junk = bytes(range(256)) * 4
    for data in (rows + junk, rows[:70_000] + junk + rows[70_000:]):
        with pytest.raises(IngestError, match=r"^late\.csv: does not look like a text table: it holds binary data \(near"):
            read_table(b"Customer ID,Date,NPS,Comment\n" + data, "late.csv")


def _book(fill) -> bytes:
    book = openpyxl.Workbook()
    fill(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _hidden_and_active(book):
    book.active.title = "Old"
    book.active.append(["id", "nps"])
    book.active.append(["OLD", 1])
    book.active.sheet_state = "hidden"
    current = book.create_sheet("Current")
    current.append(["id", "nps"])
    current.append(["C1", 9])
    book.active = 1


def test_excel_reads_the_active_sheet_and_names_hidden_ones():
    raw = read_table(_book(_hidden_and_active), "book.xlsx")
    assert (raw.sheet, raw.sheets, raw.hidden_sheets) == ("Current", ("Old", "Current"), ("Old",))
    assert raw.frame["id"].tolist() == ["C1"]
    assert "hidden sheet(s) not read unless chosen: 'Old'" in raw.notes
    chosen = read_table(_book(_hidden_and_active), "book.xlsx", sheet="Old")  # still there when asked for
    assert chosen.frame["id"].tolist() == ["OLD"] and "sheet 'Old' is hidden in Excel" in chosen.notes


def test_formulas_with_saved_results_are_values_and_without_are_reported():
    def fill(book):
        book.active.append(["id", "nps", "double"])
        book.active.append(["C1", 4, "=B2*2"])
        book.active.append(["C2", 5, "=B3*2"])

    data = _book(fill)
    raw = read_table(data, "f.xlsx")
    assert raw.uncomputed == {"double": (2, 3)}
    # the same workbook after Excel saved the results: <v> beside each <f>
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    for formula, value in ((b"<f>B2*2</f><v />", b"<f>B2*2</f><v>8</v>"), (b"<f>B3*2</f><v />", b"<f>B3*2</f><v>10</v>")):
        assert formula in sheet
        sheet = sheet.replace(formula, value)
    members["xl/worksheets/sheet1.xml"] = sheet
    saved = _zip(members)
    raw = read_table(saved, "f.xlsx")
    assert raw.uncomputed == {} and raw.frame["double"].tolist() == ["8", "10"]


def test_json_records_are_found_under_any_key_and_can_be_chosen():
    document = {"errors": [{"code": 1}], "data": {"page": 1, "items": [{"id": "C1"}, {"id": "C2"}]}}
    raw = read_table(json.dumps(document).encode(), "x.json")
    assert raw.frame["id"].tolist() == ["C1", "C2"]
    assert (raw.sheets, raw.sheet) == (("errors", "data.items"), "data.items")  # offered like workbook sheets
    assert read_table(json.dumps(document).encode(), "x.json", sheet="errors").frame["code"].tolist() == ["1"]
    with pytest.raises(IngestError, match=r"^x\.json: no list of records under 'nope' \(lists of records: errors, data\.items\)"):
        read_table(json.dumps(document).encode(), "x.json", sheet="nope")
