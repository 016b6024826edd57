"""Bounded input (issue 13): where the limits come from, and each enforced before the cost it bounds.

The corpus (tests/data/bad, test_bad_inputs.py) holds the full-size hostile files; these tests pin
the mechanisms with small limits: memory while unpacking (traced), the scans that refuse long lines
and deep JSON (checked against plain reference implementations, across their step boundaries),
the column fitting, and the settings.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tracemalloc
import zipfile
import zlib

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx.ingest import IngestError, Limits, current_limits, read_table
from cx.ingest import encoding as encoding_module
from cx.ingest import formats as formats_module
from cx.ingest.archives import CHUNK
from cx.ingest.sniff import dedupe

TABLE = b"Customer ID,Date,NPS\nC1,2026-01-05,9\nC2,2026-01-06,3\n"


# --- settings ----------------------------------------------------------------------------------


def test_limits_come_from_secrets_then_the_environment():
    limits = current_limits(environ={"CX_INGEST_MAX_COLUMNS": "50", "CX_INGEST_MAX_LINE_KB": "nonsense"},
                            secrets={"max_columns": 10, "max_input_mb": 5, "max_line_kb": 2, "max_distinct": -3})
    assert limits.max_columns == 50  # the environment wins over secrets.toml
    assert limits.max_input_bytes == 5_000_000
    assert limits.max_line_bytes == 2_000  # a value that is not a number is ignored, never "no limit"
    assert limits.max_distinct == Limits().max_distinct  # a negative one too
    assert current_limits(environ={}, secrets={}) == Limits()


def test_secrets_toml_of_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[ingest]\nmax_distinct = 250\nmax_input_mb = 0.5\n")
    monkeypatch.chdir(tmp_path)
    limits = current_limits(environ={})
    assert (limits.max_distinct, limits.max_input_bytes) == (250, 500_000)
    (tmp_path / ".streamlit" / "secrets.toml").write_text("[ingest\nbroken")
    assert current_limits(environ={}) == Limits()


def test_the_caption_states_every_limit():
    caption = Limits(max_input_bytes=50_000_000, max_columns=300, max_line_bytes=64_000, max_distinct=200).caption()
    assert caption == ("Limits per file: 50 MB after unpacking · 300 columns · lines up to 64 KB · 200 distinct values "
                       "per channel, journey stage, touchpoint, segment or region column.")


# --- size after unpacking: refused while streaming ---------------------------------------------


def _bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = b"".join(packer.compress(b"C1,9\n" * 200_000) for _ in range(megabytes))
    return packer.compress(b"Customer ID,NPS\n") + body + packer.flush()


def test_a_gzip_bomb_is_refused_without_holding_what_it_unpacks_to():
    bomb = _bomb(60)  # 60 MB of rows in ~60 KB
    limits = Limits(max_input_bytes=40_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(IngestError, match=r"^bomb\.csv\.gz: unpacks to more than 40,000,000 bytes"):
            read_table(bomb, "bomb.csv.gz", limits=limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * CHUNK, f"{peak:,} bytes held while counting a bomb"  # a few 1 MB chunks, never the 40 MB


def test_a_zip_member_is_refused_by_its_declared_size():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.csv", b"Customer ID,NPS\n" + b"C1,9\n" * 400_000)
    with pytest.raises(IngestError, match=r"^x\.zip/export\.csv: unpacks to more than 1,000,000 bytes"):
        read_table(buffer.getvalue(), "x.zip", limits=Limits(max_input_bytes=1_000_000))
    assert read_table(buffer.getvalue(), "x.zip").rows_read == 400_000


def test_plain_files_and_paths_over_the_limit(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(TABLE * 100)
    with pytest.raises(IngestError, match=r"^big\.csv: is more than 1,000 bytes"):
        read_table(path, limits=Limits(max_input_bytes=1_000))
    with pytest.raises(IngestError, match=r"^up\.csv: is more than 1,000 bytes"):
        read_table(TABLE * 100, "up.csv", limits=Limits(max_input_bytes=1_000))


def test_archives_within_archives_up_to_the_nesting_limit():
    inner = gzip.compress(TABLE, mtime=0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tickets.csv.gz", inner)
    raw = read_table(buffer.getvalue(), "x.zip")
    assert raw.name == "x.zip/tickets.csv.gz" and raw.frame["NPS"].tolist() == ["9", "3"]
    with pytest.raises(IngestError, match=r"^x\.zip/tickets\.csv\.gz: is packed in more than 1 archives"):
        read_table(buffer.getvalue(), "x.zip", limits=Limits(max_nesting=1))
    twice = gzip.compress(inner, mtime=0)
    assert read_table(twice, "x.csv.gz.gz").rows_read == 2


# --- line length: one scan of the bytes --------------------------------------------------------


def _reference_first_long_line(data: bytes, limit: int) -> int | None:
    for number, line in enumerate(re.split(rb"\r\n|\r|\n", data), start=1):
        if len(line) > limit:
            return number
    return None


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")), max_size=12),
       endings=st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=12, max_size=12),
       limit=st.integers(3, 10), step=st.integers(1, 16))
def test_line_length_scan_matches_a_plain_split(lines, endings, limit, step):
    data = b"".join(line + ending for line, ending in zip(lines, endings))
    expected = _reference_first_long_line(data, limit)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding_module, "_SCAN", step)  # steps of a few bytes: every carry is exercised
        if expected is None:
            encoding_module.check_line_length(data, "x.csv", limit)
        else:
            with pytest.raises(IngestError, match=rf"^x\.csv: line {expected:,} is longer than {limit:,} bytes"):
                encoding_module.check_line_length(data, "x.csv", limit)


def test_a_long_line_is_refused_before_parsing():
    data = b"Customer ID,NPS,Comment\nC1,9,ok\nC2,3," + b"x" * 5_000 + b"\nC3,7,fine\n"
    with pytest.raises(IngestError, match=r"^long\.csv: line 3 is longer than 4,000 bytes"):
        read_table(data, "long.csv", limits=Limits(max_line_bytes=4_000))
    assert read_table(data, "long.csv").rows_read == 3
    assert read_table(json.dumps([{"Customer ID": "C1", "x": "y" * 5_000}]), "one_line.json",
                      limits=Limits(max_line_bytes=4_000)).rows_read == 1  # JSON is often one line: no line limit


# --- JSON depth: one scan of the text ----------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                    st.text(alphabet='[]{}"\\ab,:\n', max_size=6))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.text(alphabet='[{"\\k', max_size=3),
                                                                          inner, max_size=3)), max_leaves=25)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(document=DOCUMENTS, limit=st.integers(0, 5), step=st.integers(1, 9))
def test_json_depth_scan_matches_the_document(document, limit, step):
    text = json.dumps(document, ensure_ascii=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(formats_module, "_DEPTH_STEP", step)  # strings, escapes and depth carried over steps
        if _depth(document) > limit:
            with pytest.raises(IngestError, match=rf"^d\.json: is nested more than {limit} levels deep"):
                formats_module.check_depth(text, "d.json", limit)
        else:
            formats_module.check_depth(text, "d.json", limit)


# --- columns -------------------------------------------------------------------------------------


def test_missing_columns_are_added_in_one_step(monkeypatch):
    """A wide header over short rows: the fitting used to add each missing column by itself (quadratic)."""
    calls = []
    original = pd.DataFrame.__setitem__

    def counting(self, key, value):
        calls.append(key)
        return original(self, key, value)

    monkeypatch.setattr(pd.DataFrame, "__setitem__", counting)
    header = ",".join(["Customer ID", "NPS"] + [f"Q{k}" for k in range(3, 1_501)])
    raw = read_table((header + "\nC1,9\nC2,3\n").encode(), "wide.csv")
    assert raw.frame.shape == (2, 1_500) and raw.frame["Q1500"].isna().all()
    assert len(calls) < 10, f"{len(calls)} column assignments"


def test_header_and_rows_wider_than_the_column_limit():
    limits = Limits(max_columns=20)
    header = ",".join(f"Q{k}" for k in range(1, 26))
    with pytest.raises(IngestError, match=r"^w\.csv: its header has 25 columns, more than 20"):
        read_table((header + "\n" + ",".join("1" * 25) + "\n").encode(), "w.csv", limits=limits)
    rows = ["Customer ID,NPS,Comment"] + [f"C{k},9,ok" for k in range(1, 60)] + ["C60,9," + ",".join("x" * 30)]
    with pytest.raises(IngestError, match=r"^w\.csv: row 61 has 32 columns, more than 20"):
        read_table("\n".join(rows).encode(), "w.csv", limits=limits)  # found while splitting, before any padding


def test_duplicate_header_names_are_numbered_on():
    assert dedupe(["x"] * 4 + ["x (2)", "", "X"]) == ["x", "x (2)", "x (3)", "x (4)", "x (2) (2)", "column 6", "X (5)"]
    assert dedupe(["Score"] * 20_000)[-1] == "Score (20000)"
