"""The upload's fast steps give exactly what the slow ones give (issue 14, uploads).

Two steps inside the one pipeline make a big upload fast: DuckDB splits a plain delimited file
(:mod:`cx.ingest.fastcsv`), and a long column is parsed once per distinct value
(``cx.ingest.validate._parse``). Each is compared here with the way it replaces — the pandas parser,
and every cell parsed on its own — on the bad-input corpus (tests/data/bad/), the real exports
(tests/data/real/) and files made to probe the reader: the same cells, loaded tables, quarantine
(rows, columns, reasons), counts, notes and mappings. The small files are pushed through the fast
steps by lowering their thresholds; a spy checks that the DuckDB step really ran.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bad_corpus import BAD, CASES, case_path

from cx.ingest import IngestError, Mapping, fastcsv, ingest, read_table, suggest_mapping, validate
from cx.ingest.pipeline import Loaded

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
REAL_FILES = sorted(p for p in REAL.iterdir() if p.suffix in (".csv", ".xlsx"))


@contextmanager
def steps(fast: bool, monkeypatch):
    """Every file through the fast steps (thresholds at zero), or none (both turned off)."""
    with monkeypatch.context() as patch:
        patch.setattr(fastcsv, "ENABLED", fast)
        patch.setattr(fastcsv, "MIN_BYTES", 0)
        patch.setattr(validate, "DISTINCT_MIN_ROWS", 1 if fast else 10**12)
        yield


@pytest.fixture
def spy(monkeypatch):
    """How many times DuckDB split a file, and how many of those the fast step kept."""
    seen = {"read": 0, "kept": 0}
    read, split = fastcsv._duckdb_read, fastcsv.split

    def counted_read(*args, **kwargs):
        seen["read"] += 1
        return read(*args, **kwargs)

    def counted_split(*args, **kwargs):
        frame = split(*args, **kwargs)
        seen["kept"] += frame is not None
        return frame

    monkeypatch.setattr(fastcsv, "_duckdb_read", counted_read)
    monkeypatch.setattr(fastcsv, "split", counted_split)
    return seen


def _both(monkeypatch, run):
    """``run()`` through the slow steps and the fast ones: (slow, fast), an IngestError's text standing in."""
    out = []
    for fast in (False, True):
        with steps(fast, monkeypatch):
            try:
                out.append(run())
            except IngestError as exc:
                out.append(f"IngestError: {exc}")
    return out


def assert_same_load(slow: Loaded | str, fast: Loaded | str) -> None:
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert len(fast.results) == len(slow.results)
    for a, b in zip(slow.results, fast.results):
        assert b.summary() == a.summary()
        assert b.rows_loaded + b.rows_quarantined == b.rows_read
        assert b.notes == a.notes
        assert b.mapping.to_dict() == a.mapping.to_dict()
        pd.testing.assert_frame_equal(b.interactions, a.interactions)
        pd.testing.assert_frame_equal(b.quarantine, a.quarantine)
        if a.customers is None:
            assert b.customers is None
        else:
            pd.testing.assert_frame_equal(b.customers, a.customers)
    pd.testing.assert_frame_equal(fast.interactions, slow.interactions)
    if slow.customers is not None:
        pd.testing.assert_frame_equal(fast.customers, slow.customers)
    assert fast.warnings == slow.warnings and fast.questions == slow.questions


def _case_args(case: dict) -> tuple[object, bool | None]:
    args = case.get("args", [])
    mapping = next((str(BAD / a) for a in args if a.endswith(".json")), None)
    dayfirst = True if "--dayfirst" in args else False if "--monthfirst" in args else None
    return mapping, dayfirst


def _mapping(path: str | None):
    from cx.ingest import read_mapping_file

    return read_mapping_file(path) if path else None


BAD_CASES = [pytest.param(c, id=c["case"], marks=[pytest.mark.slow] if c.get("slow") else [])
             for c in CASES if not (c.get("generated") and "bomb" in c["file"])]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_corpus_loads_and_fails_the_same_through_the_fast_steps(case, monkeypatch):
    path = case_path(case)
    mapping, dayfirst = _case_args(case)
    slow, fast = _both(monkeypatch, lambda: ingest([path], _mapping(mapping), dayfirst=dayfirst))
    assert_same_load(slow, fast)
    if case.get("load"):
        assert not isinstance(fast, str) and fast.results[0].rows_quarantined == case["rows_quarantined"]
    else:
        assert case["error"] in fast


def test_the_duckdb_step_runs_on_plain_files_of_the_corpus(monkeypatch, spy):
    """Not an equivalence that holds because the fast step never ran: it splits the plain ones."""
    plain = ["semicolon", "tab", "dates_dayfirst", "scores_out_of_range", "scores_as_text", "ticket_repeat"]
    by_name = {c["case"]: c for c in CASES}
    plain = [p for p in plain if p in by_name]
    with steps(True, monkeypatch):
        for name in plain:
            read_table(case_path(by_name[name]))
    assert spy["kept"] == len(plain) >= 5


@pytest.mark.parametrize("path", REAL_FILES, ids=[p.name for p in REAL_FILES])
def test_real_exports_read_map_and_load_the_same(path, monkeypatch):
    raws = _both(monkeypatch, lambda: read_table(path))
    pd.testing.assert_frame_equal(raws[1].frame, raws[0].frame)
    assert raws[1].notes == raws[0].notes and raws[1].encoding == raws[0].encoding
    suggested = _both(monkeypatch, lambda: suggest_mapping(read_table(path)))
    assert suggested[1].to_dict() == suggested[0].to_dict()
    assert_same_load(*_both(monkeypatch, lambda: ingest([path])))
    expected = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json")
    saved = path.with_name(path.name.rsplit(".", 1)[0] + ".mapping.json")
    if expected.exists():
        mapping = Mapping.from_dict(json.loads(expected.read_text(encoding="utf-8"))["mapping"], path.name)
    elif saved.exists():
        mapping = _mapping(str(saved))
    else:
        return
    assert_same_load(*_both(monkeypatch, lambda: ingest([path], mapping)))


# --- files made to probe the reader ------------------------------------------------------------

HEADER = "customer_id,occurred_at,channel,nps,comment\n"
PROBES = {
    "plain": HEADER + "C1,2026-01-05 10:00:00,email,9,fine\nC2,2026-01-06,phone,3,slow\n",
    "crlf": (HEADER + "C1,2026-01-05,email,9,fine\nC2,2026-01-06,phone,3,slow\n").replace("\n", "\r\n"),
    "no final newline": HEADER + "C1,2026-01-05,email,9,fine\nC2,2026-01-06,phone,3,slow",
    "spaces kept": HEADER + "  C1 , 2026-01-05 ,  email ,9 ,  fine  \nC2,2026-01-06,phone,3,\t\n",
    "quoted": HEADER + 'C1,2026-01-05,email,9,"a, b"\nC2,"2026-01-06","phone",3,"he said ""no"""\n',
    "quoted empty": HEADER + 'C1,2026-01-05,email,"",""\nC2,2026-01-06,phone,3,x\n',
    "short rows": HEADER + "C1,2026-01-05,email\nC2,2026-01-06,phone,3,slow\nC3\n",
    "long row": HEADER + "C1,2026-01-05,email,9,fine,extra\nC2,2026-01-06,phone,3,slow\n",
    "blank line": HEADER + "C1,2026-01-05,email,9,fine\n\nC2,2026-01-06,phone,3,slow\n",
    "whitespace line": HEADER + "C1,2026-01-05,email,9,fine\n   \nC2,2026-01-06,phone,3,slow\n",
    "quoted newline": HEADER + 'C1,2026-01-05,email,9,"two\nlines"\nC2,2026-01-06,phone,3,slow\n',
    "lone cr": HEADER.replace("\n", "\r") + "C1,2026-01-05,email,9,fine\rC2,2026-01-06,phone,3,slow\r",
    "stray quote": HEADER + 'C1,2026-01-05,email,9,say "hi" there\nC2,2026-01-06,phone,3,ab"c\n',
    "text after a closing quote": HEADER + 'C1,2026-01-05,email,9,"ab"c\nC2,2026-01-06,phone,3,x\n',
    "unicode": HEADER + "C1,2026-01-05,e-mail,9,Très bien — 日本語\nC2,2026-01-06,Phone,3,naïve\u00a0café\n",
    "bom": "\ufeff" + HEADER + "C1,2026-01-05,email,9,fine\nC2,2026-01-06,phone,3,slow\n",
    "backslash": HEADER + 'C1,2026-01-05,email,9,C:\\temp\\x\nC2,2026-01-06,phone,3,"a\\"\n',
    "trailing delimiter": HEADER + "C1,2026-01-05,email,9,\nC2,2026-01-06,phone,3,,\n",
    "semicolon": HEADER.replace(",", ";") + "C1;2026-01-05;email;9;4,5\nC2;2026-01-06;phone;3;x\n",
    "tab": HEADER.replace(",", "\t") + "C1\t2026-01-05\temail\t9\ta, b\nC2\t2026-01-06\tphone\t3\tx\n",
    "pipe": HEADER.replace(",", "|") + "C1|2026-01-05|email|9|a, b\nC2|2026-01-06|phone|3|x\n",
    "title line": "Export of January\n" + HEADER + "C1,2026-01-05,email,9,fine\nC2,2026-01-06,phone,3,slow\n",
    "duplicate rows": HEADER + "C1,2026-01-05,email,9,fine\nC1,2026-01-05,email,9,fine\nC2,2026-01-06,phone,x,ok\n",
}
#: probes the DuckDB step must hand back to pandas (it cannot be sure to split them as pandas does)
FALLS_BACK = {"long row", "blank line", "quoted newline", "lone cr", "title line", "text after a closing quote"}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_files_split_and_load_the_same(name, monkeypatch, spy):
    data = PROBES[name].encode("utf-8")
    slow, fast = _both(monkeypatch, lambda: read_table(data, "probe.csv"))
    if isinstance(slow, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast.frame, slow.frame)
        pd.testing.assert_frame_equal(fast.rejected, slow.rejected)
        assert fast.notes == slow.notes
    assert (spy["kept"] == 1) == (name not in FALLS_BACK), spy
    assert_same_load(*_both(monkeypatch, lambda: ingest([("probe.csv", data)])))


def test_fast_step_is_taken_only_when_worth_it(monkeypatch, spy):
    """Small files keep the pandas parser (the temporary file costs more than it saves); non-UTF-8 text
    never reaches DuckDB."""
    data = PROBES["plain"].encode("utf-8")
    read_table(data, "small.csv")
    assert spy["read"] == 0
    with monkeypatch.context() as patch:
        patch.setattr(fastcsv, "MIN_BYTES", 0)
        read_table(PROBES["unicode"].encode("cp1252", errors="replace"), "latin.csv")
        assert spy["read"] == 0
        read_table(data, "small.csv")
        assert spy["kept"] == 1


# --- parsing once per distinct value ------------------------------------------------------------


def test_distinct_values_give_the_same_values_problems_and_counts(monkeypatch):
    """A file where every kind of column repeats: scores with a declared missing code (counted per row,
    not per distinct value), placeholder dates, a yes/no column whose true value is judged on the rows,
    durations, and bad cells among them."""
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame({
        "customer": rng.choice([f"C{i}" for i in range(40)] + [""], n),
        "date": rng.choice(["2026-01-05 10:00", "05/01/2026", "1970-01-01", "not a date", "1850-01-01", ""], n),
        "nps": rng.choice(["9", "10", "-1", "11", "x", "7.5", ""], n),
        "csat": rng.choice(["4", "5", "Very satisfied", "6", ""], n),
        "fixed": rng.choice(["Yes", "No", "maybe", ""], n),
        "wait": rng.choice(["1:30", "12", "1,5", "-3", "soon", ""], n),
        "channel": rng.choice(["E-mail", "phone ", "Chat", "N/A"], n),
        "agent": rng.choice(["Ann  Lee", "?", "Bo"], n),
    })
    data = frame.to_csv(index=False).encode()
    mapping = Mapping(shape="interactions", columns={
        "customer": "customer_id", "date": "occurred_at", "nps": "nps", "csat": "csat",
        "fixed": "resolved_first_contact", "wait": "first_response_minutes", "channel": "channel", "agent": "agent"},
        dayfirst=True, missing={"nps": [-1.0]})
    slow, fast = _both(monkeypatch, lambda: ingest([("repeats.csv", data)], mapping))
    assert_same_load(slow, fast)
    notes = " ".join(fast.results[0].notes)
    declared = int((frame["nps"] == "-1").sum())
    assert f"{declared:,} answers in 'nps' hold a declared missing code" in notes
    assert fast.results[0].mapping.booleans == {"fixed": "yes"}
    assert fast.results[0].rows_quarantined > 0
