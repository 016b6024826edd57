"""The bad-input corpus (tests/data/bad/, issues 7 and 13) through `cx load --format json`.

Each case of tests/data/bad/expected.json either loads with exactly the counts worked out there
(and the quarantine CSV holds exactly the listed rows), or fails with one line on stderr naming the
file (and the row or column where known) and a non-zero exit, never a traceback. A few cases also
check that what loaded is what the file says (encodings, quoted newlines, date orders; for issue
13 the "values", "notes" and "encoding" of the manifest).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from bad_corpus import BAD, BY_NAME, CASES, case_path, corpus, report_name

from cx.cli import main
from cx.ingest import IngestError, apply_mapping, ingest, read_table, suggest_mapping


def _param(case: dict):
    return pytest.param(case, id=case["case"], marks=[pytest.mark.slow] if case.get("slow") else [])


@pytest.fixture(scope="session")
def corpus_file():
    """``corpus_file(case)`` -> the case's path; generated files are written on first use (and kept)."""
    return case_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the manifest itself -----------------------------------------------------------------------


def test_the_manifest_covers_issue_7_and_adds_up():
    wanted = {"empty", "header_only", "binary_junk", "zip_named_xlsx", "utf16_bom_tab", "cp1252", "semicolon", "tab",
              "quoted_newlines", "ragged", "excel_sheets_two_row_header", "dates_mixed_dayfirst", "dates_dayfirst",
              "scores_out_of_range", "scores_as_text", "scores_percent", "customers_duplicate_ids", "million_rows",
              "three_hundred_columns", "formula_cells", "comments_markup"}
    assert wanted <= set(BY_NAME)
    assert len(BY_NAME) == len(CASES), "case names are unique"
    for case in CASES:
        assert ("error" in case) != bool(case.get("load")), case["case"]
        if case.get("generated"):
            assert case["file"] in corpus.GENERATORS, case["case"]
        else:
            assert (BAD / case["file"]).is_file(), case["case"]
        if case.get("load"):
            assert case["rows_loaded"] + case["rows_quarantined"] == case["rows_read"], case["case"]
            assert sum(case["reasons"].values()) == case["rows_quarantined"] == len(case["quarantined_rows"])
        else:
            assert case["names"][0] == case["file"], "an error names the file first"


def test_the_manifest_covers_issue_13_and_has_sixty_cases():
    wanted = {"gzip_bomb", "zip_bomb", "nested_gzip_1500", "deep_json_array", "columns_20000", "single_line_109mb",
              "channels_200000_distinct", "durations_decimal_comma", "json_records_under_data_items",
              "excel_hidden_first_sheet", "excel_formulas_without_results", "ticket_id_twice_with_different_scores",
              "utf8_then_random_bytes"}
    assert wanted <= set(BY_NAME)
    assert len(CASES) >= 60
    for case in CASES:
        if case.get("generated") and case["file"] in corpus.LARGE:
            assert not (BAD / case["file"]).exists(), "bombs and large files are generated, never committed"
        for values in case.get("values", {}).values():
            assert case.get("load") and values, case["case"]


def test_generation_is_deterministic_and_idempotent(tmp_path):
    small = [n for n in corpus.GENERATORS if n not in corpus.LARGE]
    first = corpus.make_corpus(tmp_path / "a", small)
    before = {n: ((first / n).read_bytes(), (first / n).stat().st_mtime_ns) for n in small}
    corpus.make_corpus(tmp_path / "a", small)  # second call: nothing rewritten
    assert {n: ((first / n).read_bytes(), (first / n).stat().st_mtime_ns) for n in small} == before
    second = corpus.make_corpus(tmp_path / "b", small)
    assert all((second / n).read_bytes() == before[n][0] for n in small), "same bytes in a fresh directory"


def test_generated_files_are_git_ignored():
    assert "generated/" in (BAD / ".gitignore").read_text().split()


# --- every case through cx load ----------------------------------------------------------------


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_cx_load(case, corpus_file, capsys, tmp_path):
    path = corpus_file(case)
    quarantine = tmp_path / "quarantine.csv"
    args = [str(BAD / a) if a.endswith(".json") else a for a in case.get("args", [])]  # mapping files sit in BAD
    code, out, err = run(capsys, "load", path, "--format", "json", "--quarantine", quarantine, *args)
    assert "Traceback" not in out + err
    if case.get("load"):
        assert code == 0 and err == "", err

        report = json.loads(out)
        assert report["into"] is None
        assert report["files"] == [{
            "file": report_name(case), "shape": case["shape"], "rows_read": case["rows_read"],
            "rows_loaded": case["rows_loaded"], "rows_quarantined": case["rows_quarantined"], "reasons": case["reasons"],
        }]
        rows = pd.read_csv(quarantine, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert rows["_row"].astype(int).tolist() == case["quarantined_rows"]
        assert (rows["_file"] == report_name(case)).all()
    else:
        assert code != 0 and out == ""
        line = err.strip()
        assert "\n" not in line, "one line"
        assert line.startswith("cx load: ") and case["error"] in line, line
        for name in case["names"]:
            assert name in line, (name, line)


# --- what loaded is what the file says ---------------------------------------------------------


CHECKED = [c for c in CASES if c.get("values") or c.get("notes") or c.get("encoding")]


@pytest.mark.parametrize("case", [_param(c) for c in CHECKED])
def test_values_notes_and_encodings_of_the_manifest(case, corpus_file):
    """Through the pipeline every face uses: the values that load, the notes shown, the encoding found."""
    loaded = ingest([corpus_file(case)])
    result = loaded.results[0]
    for column, expected in case.get("values", {}).items():
        found = _by_customer(result, column)
        got = {k: found.get(k) for k in expected}
        if all(isinstance(v, float) for v in expected.values()):
            assert got == pytest.approx(expected), column
        else:
            assert got == expected, column
    for note in case.get("notes", []):
        assert any(note in n for n in result.notes), (note, result.notes)
    if case.get("encoding"):
        assert read_table(corpus_file(case)).encoding == case["encoding"]


def _load(case_name: str, corpus_file, **mapping_changes):
    case = BY_NAME[case_name]
    raw = read_table(corpus_file(case), case["file"])
    mapping = suggest_mapping(raw)
    for key, value in mapping_changes.items():
        setattr(mapping, key, value)
    return raw, apply_mapping(raw, mapping)


def _by_customer(result, column: str) -> dict:
    frame = result.interactions
    return dict(zip(frame["customer_id"], frame[column]))


def test_encodings_are_decoded_as_written(corpus_file):
    for name in ("utf16_bom_tab", "utf16_no_bom"):
        raw, result = _load(name, corpus_file)
        assert raw.encoding.startswith("utf-16")
        assert _by_customer(result, "comment") == {
            "C1": "Très bien — merci", "C2": "Größe passt nicht", "C3": "日本語のコメント", "C5": "Ça va", "C6": "naïve café"}
    raw, result = _load("cp1252", corpus_file)
    assert (raw.encoding, raw.delimiter) == ("cp1252", ";")
    assert _by_customer(result, "comment")["C1"] == "Très bien – “smart quotes” €5 off"
    assert _by_customer(result, "channel") == {"C1": "email", "C2": "phone", "C3": "chat", "C4": "web"}
    assert _by_customer(result, "occurred_at")["C1"] == pd.Timestamp("2026-01-05")  # 05/01, day-first


def test_delimiters_and_decimal_commas(corpus_file):
    raw, result = _load("semicolon", corpus_file)
    assert raw.delimiter == ";"
    assert _by_customer(result, "csat") == {"K-001": 4.5, "K-002": 3.0, "K-003": 5.0, "K-005": 2.5}
    assert _by_customer(result, "comment")["K-002"] == "Lange Wartezeit; dann gut"
    raw, result = _load("tab", corpus_file)
    assert raw.delimiter == "\t" and _by_customer(result, "comment")["C2"] == "slow, twice"


def test_quoted_newlines_stay_inside_their_comment(corpus_file):
    _, result = _load("quoted_newlines", corpus_file)
    assert _by_customer(result, "comment") == {
        "C1": "First line\nsecond line",
        "C2": 'He said "call me back"\nand never did.\n\nTwice.',
        "C3": "plain",
        "C5": "comma, and\r\nnewline, both",
    }


def test_ragged_rows_keep_their_cells(corpus_file):
    _, result = _load("ragged", corpus_file)
    assert _by_customer(result, "comment") == {"C1": "good", "C2": None, "C4": None, "C5": "fine",
                                               "C6": "quoted, so fine"}
    assert result.quarantine.set_index("_row")["_extra"].to_dict() == {4: "but,too,many", 8: " comma"}


def test_workbook_sheet_and_two_row_header(corpus_file):
    raw, result = _load("excel_sheets_two_row_header", corpus_file)
    assert raw.sheets == ("About", "Responses", "Lookup") and raw.sheet == "Responses"
    assert list(raw.frame.columns) == ["Respondent ID", "Respondent Date", "Scores NPS", "Scores CSAT",
                                       "Contact Channel", "Contact Comment"]
    assert result.mapping.columns["Scores NPS"] == "nps"
    assert _by_customer(result, "occurred_at")["R1"] == pd.Timestamp("2026-01-05 09:30")


def test_date_orders(corpus_file):
    _, result = _load("dates_dayfirst", corpus_file)
    assert _by_customer(result, "occurred_at") == {
        "C1": pd.Timestamp("2026-03-25"), "C2": pd.Timestamp("2026-04-03"), "C3": pd.Timestamp("2026-04-12"),
        "C5": pd.Timestamp("2026-05-01 14:30")}
    jan5, jan6 = pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-06")
    both = {"C1": jan5, "C2": pd.Timestamp("2026-01-05 14:30"), "C3": jan5, "C4": pd.Timestamp("2026-01-05 09:00"),
            "C5": jan6, "C7": jan6, "C8": jan6}
    _, result = _load("dates_mixed_dayfirst", corpus_file, dayfirst=True)
    dated = _by_customer(result, "occurred_at")
    assert dated == {**both, "C6": jan6, "C9": pd.Timestamp("2026-01-25"), "C12": dated["C12"]}
    assert pd.isna(dated["C12"]) and "C14" not in dated  # 'today' is not the time of loading
    _, result = _load("dates_mixed_monthfirst", corpus_file, dayfirst=False)
    dated = _by_customer(result, "occurred_at")
    assert dated == {**both, "C6": pd.Timestamp("2026-06-01"), "C10": pd.Timestamp("2026-01-26"), "C12": dated["C12"]}


def test_scores_written_as_text_and_percentages(corpus_file):
    _, result = _load("scores_as_text", corpus_file)
    nps, csat = _by_customer(result, "nps"), _by_customer(result, "csat")
    assert {k: nps[k] for k in ("C01", "C03", "C08", "C14")} == {"C01": 9, "C03": 7, "C08": 10, "C14": 9}
    assert all(pd.isna(nps[k]) for k in ("C04", "C05", "C09"))  # n/a, -, blank: missing, not bad
    assert {k: csat[k] for k in ("C01", "C03", "C04", "C08")} == {"C01": 5, "C03": 4, "C04": 3, "C08": 1}
    _, result = _load("scores_percent", corpus_file)
    assert (result.scales.csat.low, result.scales.csat.high) == (0, 100)
    assert _by_customer(result, "csat")["C07"] == pytest.approx(66.7)


def test_duplicate_customer_ids(corpus_file):
    _, result = _load("customers_duplicate_ids", corpus_file)
    customers = result.customers.set_index("customer_id")
    assert list(customers.index) == ["C001", "C002", "C003", "c004", "C004", "C005"]
    assert customers.loc["C003", "lifetime_value"] == 80  # the first row of an id is kept
    assert customers.loc["C002", "region"] == "NA"


def test_formula_cells_load_as_text_and_leave_neutralised(corpus_file, capsys, tmp_path):
    _, result = _load("formula_cells", corpus_file)
    assert _by_customer(result, "channel") == {"=1+1": "email", "C2": "+chat", "C3": "@web", "C4": "-phone",
                                                "C6": "chat", "C8": "chat"}
    assert _by_customer(result, "nps")["C6"] == 9
    quarantine = tmp_path / "q.csv"
    code, _, err = run(capsys, "load", corpus_file(BY_NAME["formula_cells"]), "--quarantine", quarantine)
    assert code == 0, err
    rows = pd.read_csv(quarantine, encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("_row")
    assert rows.loc["6", "Comment"] == "'=cmd|' /C calc'!A0"
    assert rows.loc["8", "NPS"] == "'=9"


def test_markup_in_comments_is_kept_verbatim(corpus_file):
    _, result = _load("comments_markup", corpus_file)
    comments = _by_customer(result, "comment")
    assert comments["C1"] == "<script>alert('x')</script>"
    assert comments["C4"] == "# Heading\n- list item\n> quote"
    assert comments["C7"] == "&lt;escaped&gt; &amp; entities"  # not unescaped either


def test_an_unclosed_quote_after_a_ragged_row_is_still_named():
    """Ragged rows send the reader down its lenient path, which would swallow the rest silently."""
    data = b"Customer ID,NPS,Comment\nC1,9,ok\nC2,8,too,many\nC3,7,\"never closed\nC4,6,ok\nC5,5,ok\n"
    with pytest.raises(IngestError, match=r"^late\.csv: row 4: a quoted field is never closed"):
        read_table(data, "late.csv")
