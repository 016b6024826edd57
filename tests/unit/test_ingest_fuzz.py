"""Fuzzing the readers and the mapper (issue 7): whatever arrives, only IngestError comes out.

- ``read_table`` on arbitrary bytes under any file name, and on bytes that start like a real
  format (zip, gzip, Parquet, JSON, a BOM) but go on as junk;
- ``suggest_mapping`` + ``apply_mapping`` on messy generated CSVs (any delimiter, encoding and
  line ending; blank, repeated and odd headers; ragged rows; quoted delimiters and newlines;
  numbers, dates, scores, flags and formulas written every which way);
- ``apply_mapping`` with random (even nonsensical) mappings, and saved-mapping JSON of any shape.

When a file loads, every row read is loaded or quarantined exactly once.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx.ingest import IngestError, Mapping, apply_mapping, read_table, suggest_mapping, targets
from cx.ingest.editor import read_mappings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=_QUIET)  # cheap: bytes, JSON
PIPELINE = settings(max_examples=100, deadline=None, suppress_health_check=_QUIET)  # read + suggest + apply

NAMES = st.sampled_from(["export.csv", "export.tsv", "export.txt", "book.xlsx", "data.parquet", "data.json",
                         "data.jsonl", "export.csv.gz", "archive.zip", "noextension"])
PREFIXES = st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"PAR1", b"\xef\xbb\xbf", b"\xff\xfe",
                            b"\xfe\xff", b"[", b"{", b'{"a": 1}\n', b"a,b\n", b"a;b\r\n1;2\r\n", b"\x00\x00"])

CELLS = st.one_of(
    st.sampled_from([
        "", " ", "N/A", "n/a", "-", "?", "null", "NaN", "unknown", "9", "10", "11", "-1", "0", "7.5", "4,5", "1,234.5",
        "9/10", "8/5", "7 / 10", "80%", "120 %", "€ 12.50", "Very satisfied", "meh", "nine", "yes", "No", "TRUE", "x",
        "2026-01-05", "2026-01-05T10:00:00Z", "05/01/2026", "13/01/2026", "01/13/2026", "31/02/2026", "32/13/2026",
        "06.01.2026", "5 Jan 2026", "46028", "1767657600", "today", "now", "1850-01-01", "1:30", "2 03:00:00",
        "=1+1", "+chat", "@SUM(A1)", "-2+3", "<script>alert(1)</script>", "**bold**", "a,b", "a;b", "tab\there",
        'say "hi"', "line\nbreak", "crlf\r\nbreak", "Téléphone", "日本語", "👍", "C1", "C2", "c1", " C1 ",
    ]),
    st.text(max_size=12),
)
HEADERS = st.one_of(
    st.sampled_from(["Customer ID", "Date", "Created", "First reply", "Closed", "Channel", "Stage", "NPS",
                     "CSAT (1-5)", "Effort", "Resolved first contact", "Churned?", "Lifetime value", "Comment",
                     "Rating - Checkout", "Rating - Delivery", "Overall verdict", "offset_seconds", "episode",
                     "Segment", "", "NPS", "Q1.", "id"]),
    st.text(max_size=10),
)


@st.composite
def messy_csv(draw) -> bytes:
    width = draw(st.integers(1, 7))
    header = draw(st.lists(HEADERS, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELLS, min_size=max(0, width - 2), max_size=width + 2), min_size=0, max_size=25))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline,
                        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerows([header, *rows])
    text = buffer.getvalue()
    if draw(st.booleans()):  # a title line above the header, as some exports write
        text = "Survey export" + newline + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _accounted_for(raw, result) -> None:
    assert result.rows_read == raw.rows_read
    assert result.rows_loaded + result.rows_quarantined == result.rows_read
    assert sum(result.reasons.values()) == result.rows_quarantined == len(result.quarantine)
    rows = result.quarantine["_row"].tolist()
    assert len(rows) == len(set(rows)), "a row is quarantined once"
    assert set(rows) <= set(raw.frame.index) | set(raw.rejected.index)
    if result.shape == "interactions":
        assert len(result.interactions) == result.rows_loaded


def _read(data: bytes, name: str):
    try:
        return read_table(data, name)
    except IngestError as exc:
        assert str(exc).startswith(name), exc  # the message names the file
        return None


def _check_read(data: bytes, name: str) -> None:
    raw = _read(data, name)
    if raw is not None:
        assert raw.rows_read == len(raw.frame) + len(raw.rejected) > 0
        assert raw.frame.columns.is_unique and all(isinstance(c, str) and c for c in raw.frame.columns)


@FUZZ
@given(data=st.binary(max_size=2048), name=NAMES)
def test_read_table_on_arbitrary_bytes(data, name):
    _check_read(data, name)


@FUZZ
@given(prefix=PREFIXES, rest=st.binary(max_size=1024), name=NAMES)
def test_read_table_on_bytes_that_start_like_a_format(prefix, rest, name):
    _check_read(prefix + rest, name)


@PIPELINE
@given(data=messy_csv(), dayfirst=st.sampled_from([None, True, False]))
def test_suggest_and_apply_on_messy_csvs(data, dayfirst):
    raw = _read(data, "messy.csv")
    if raw is None:
        return
    mapping = suggest_mapping(raw)
    json.loads(mapping.to_json())  # the suggestion can always be saved
    if dayfirst is not None:
        mapping.dayfirst = dayfirst
    try:
        result = apply_mapping(raw, mapping)
    except IngestError as exc:
        assert str(exc).startswith("messy.csv: "), exc
        return
    _accounted_for(raw, result)


@PIPELINE
@given(data=messy_csv(), choice=st.data())
def test_apply_with_random_mappings(data, choice):
    raw = _read(data, "messy.csv")
    if raw is None:
        return
    columns = {c: choice.draw(st.sampled_from(targets()), label=c) for c in raw.frame.columns}
    mapping = Mapping(
        shape=choice.draw(st.sampled_from(["interactions", "customers", "wide", "stream"])),
        columns=columns,
        booleans={c: choice.draw(CELLS) for c in columns if choice.draw(st.booleans())},
        dayfirst=choice.draw(st.sampled_from([None, True, False])),
        decimal=choice.draw(st.sampled_from([".", ","])),
        rating_target=choice.draw(st.sampled_from(["csat", "ces", "nps"])),
        timezone=choice.draw(st.sampled_from([None, "Europe/Berlin", "America/New_York"])),
    )
    try:
        result = apply_mapping(raw, mapping)
    except IngestError:
        return
    _accounted_for(raw, result)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
MAPPING_KEYS = st.sampled_from(["version", "shape", "columns", "scales", "booleans", "dayfirst", "decimal", "units",
                                "rating_target", "timezone", "sheet", "rules", "notes", "ambiguous_dates"])


@FUZZ
@given(document=st.dictionaries(MAPPING_KEYS, JSON_VALUES, max_size=8), columns=st.booleans(),
       several=st.booleans())
def test_saved_mapping_files_of_any_shape(document, columns, several):
    if columns:
        document["columns"] = {"Customer ID": "customer_id", "NPS": "nps"}
    if several:
        document = {"a.csv": document}
    try:
        mappings = read_mappings(json.dumps(document), "mapping.json")
    except IngestError as exc:
        assert str(exc).startswith("mapping.json"), exc
        return
    for mapping in (mappings.values() if isinstance(mappings, dict) else [mappings]):
        json.loads(mapping.to_json())  # what was read can be saved again
        raw = read_table(b"Customer ID,NPS\nC1,9\nC2,11\n", "x.csv")
        try:
            result = apply_mapping(raw, mapping)
        except IngestError:
            continue
        _accounted_for(raw, result)


def test_frame_index_is_what_the_quarantine_names():
    """The fuzz checks quarantine rows against the reader's row numbers; pin that numbering once."""
    raw = read_table(b"id,nps\nC1,9\nC2,11\nC3,8\nC4,7\nC5,10\n", "x.csv")
    assert raw.frame.index.tolist() == [2, 3, 4, 5, 6]
    result = apply_mapping(raw, suggest_mapping(raw))
    assert result.quarantine["_row"].tolist() == [3]


def _archives() -> dict[str, bytes]:
    import gzip
    import zipfile

    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv = b"id,nps\n" + b"C1,9\n" * 300
    zipped, book, parquet = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.csv", csv)
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "nps"])
    workbook.active.append(["C1", 9])
    workbook.save(book)
    pq.write_table(pa.table({"id": ["C1"] * 50, "nps": [9] * 50}), parquet)
    return {"x.csv.gz": gzip.compress(csv), "x.zip": zipped.getvalue(), "x.xlsx": book.getvalue(),
            "x.parquet": parquet.getvalue()}


@pytest.mark.parametrize("name", ["x.csv.gz", "x.zip", "x.xlsx", "x.parquet"])
def test_damaged_archives_are_one_clear_message(name):
    """Bytes flipped or cut anywhere in a valid gzip / zip / workbook / Parquet file: either it still
    reads, or one IngestError naming the file (seen escaping before: zlib.error, NotImplementedError,
    ValueError from zipfile, openpyxl errors while unpacking a sheet, invalid UTF-8 from Parquet)."""
    import random

    rng = random.Random(name)
    good = _archives()[name]
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[:rng.randrange(len(data))]
        try:
            read_table(bytes(data), name)
        except IngestError as exc:
            assert str(exc).startswith(name), exc
