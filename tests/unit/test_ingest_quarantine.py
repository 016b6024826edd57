"""Validation and quarantine: every row is loaded or quarantined with a reason; the counts always add up.

The property-based tests generate messy files (bad dates, out-of-range and textual scores, missing
ids, duplicates, ragged rows, quoted delimiters and newlines, several encodings and delimiters)
and check the reconciliation ``loaded + quarantined == read`` on each.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx.ingest import IngestError, Mapping, apply_mapping, read_table, suggest_mapping
from cx.schema import Scale, Scales

HEADER = ["Customer ID", "Date", "NPS", "CSAT", "Resolved first contact", "Comment"]
MAPPING = Mapping(
    columns={"Customer ID": "customer_id", "Date": "occurred_at", "NPS": "nps", "CSAT": "csat",
             "Resolved first contact": "resolved_first_contact", "Comment": "comment"},
    scales=Scales(csat=Scale(1, 5)), booleans={"Resolved first contact": "yes"}, dayfirst=True,
)


def _csv(rows: list[list[str]], sep: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerows([HEADER, *rows])
    return buffer.getvalue().encode()


def test_each_reason_with_row_and_column():
    rows = [
        ["C1", "2026-03-01", "9", "5", "yes", "fine"],  # row 2: loaded
        ["", "2026-03-01", "9", "5", "yes", "no id"],  # 3: missing customer id
        ["C2", "31/02/2026", "9", "5", "yes", "no such day"],  # 4: unparseable date
        ["C3", "2026-03-01", "11", "5", "yes", "nps 11"],  # 5: out of range
        ["C4", "2026-03-01", "9/10", "4.5", "no", "fraction ok"],  # 6: loaded
        ["C5", "2026-03-01", "N/A", "6", "no", "csat 6 on 1–5"],  # 7: out of range
        ["C6", "2026-03-01", "nine", "5", "no", "text"],  # 8: not a number
        ["C7", "2026-03-01", "8.5", "5", "no", "not whole"],  # 9: out of range (NPS is whole)
        ["C8", "2026-03-01", "8", "5", "maybe", "flag"],  # 10: not a yes/no value
        ["C1", "2026-03-01", "9", "5", "yes", "fine"],  # 11: exact duplicate of row 2
        ["C9", "1850-01-01", "9", "5", "yes", "old"],  # 12: implausible date
    ]
    result = apply_mapping(read_table(_csv(rows), "survey.csv"), MAPPING)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (11, 2, 9)
    q = result.quarantine.set_index("_row")
    assert q["_reason"].to_dict() == {
        3: "missing customer id", 4: "unparseable date", 5: "score out of declared range",
        7: "score out of declared range", 8: "not a number", 9: "score out of declared range",
        10: "not a yes/no value", 11: "exact duplicate", 12: "implausible date (before 1900 or after 2100)",
    }
    assert q["_column"].to_dict()[5] == "NPS" and q["_column"].to_dict()[7] == "CSAT"
    assert q.loc[4, "Date"] == "31/02/2026"  # quarantined rows keep what the file said
    assert result.reasons["score out of declared range"] == 3
    assert sum(result.reasons.values()) == result.rows_quarantined
    assert result.interactions["nps"].tolist() == [9, 9]
    assert pd.isna(result.interactions["first_response_minutes"]).all() if "first_response_minutes" in result.interactions else True


def test_zero_means_not_applicable_and_blank_dates_load_undated():
    mapping = Mapping(**{**MAPPING.__dict__, "scales": Scales(csat=Scale(1, 5, zero_means_na=True))})
    rows = [["C1", "", "9", "0", "yes", "undated, csat n/a"]]
    result = apply_mapping(read_table(_csv(rows), "x.csv"), mapping)
    assert result.rows_loaded == 1
    assert pd.isna(result.interactions.loc[0, "csat"]) and pd.isna(result.interactions.loc[0, "occurred_at"])


def test_negative_derived_duration_is_quarantined():
    data = b"id,opened,first reply\nC1,2026-01-05 10:00,2026-01-05 09:00\nC2,2026-01-05 10:00,2026-01-05 10:30\n"
    raw = read_table(data, "t.csv")
    mapping = suggest_mapping(raw)
    result = apply_mapping(raw, mapping)
    assert result.reasons == {"negative duration": 1}
    assert result.interactions["first_response_minutes"].tolist() == [30.0]


def test_ambiguous_dates_without_an_answer_raise_a_clear_error():
    raw = read_table(_csv([["C1", "03/04/2026", "9", "5", "yes", ""]]), "survey.csv")
    mapping = Mapping(**{**MAPPING.__dict__, "dayfirst": None})
    with pytest.raises(IngestError, match=r"survey\.csv: dates in column 'Date' \(e\.g\. 03/04/2026\) could be day-first"):
        apply_mapping(raw, mapping)


def test_mixed_date_orders_quarantine_the_other_order():
    rows = [["C1", "25/03/2026", "9", "5", "yes", ""], ["C2", "03/25/2026", "9", "5", "yes", ""]]
    result = apply_mapping(read_table(_csv(rows), "x.csv"), MAPPING)  # dayfirst=True
    assert result.reasons == {"unparseable date": 1}
    assert result.quarantine["_row"].tolist() == [3]


def test_ragged_rows_count_as_read_and_quarantined():
    data = _csv([["C1", "2026-03-01", "9", "5", "yes", "ok"]]) + b"C2,2026-03-01,9,5,yes,unquoted, comma\n"
    result = apply_mapping(read_table(data, "x.csv"), MAPPING)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert result.reasons == {"too many fields": 1}
    assert result.quarantine.loc[0, "_extra"] == " comma"


def test_formula_and_markup_cells_are_kept_as_text():
    comments = ["=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "<script>alert(1)</script>", "**bold** [x](y)"]
    rows = [[f"C{i}", "2026-03-01", "9", "5", "yes", c] for i, c in enumerate(comments)]
    result = apply_mapping(read_table(_csv(rows), "x.csv"), MAPPING)
    assert result.interactions["comment"].tolist() == comments


# --- property-based reconciliation -----------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list(",;\t|\"'\n\r=+-@")),
               max_size=30)
VALID_IDS = st.sampled_from(["C1", "C2", "C3", "C4", "C5", "Kunde-ä"])
VALID_DATES = st.sampled_from(["2026-03-01", "2026-03-01T10:00:00Z", "25/03/2026", "01/02/2026 10:00"])
CELLS = {
    "Customer ID": st.one_of(VALID_IDS, VALID_IDS, VALID_IDS, st.sampled_from(["", "  ", "N/A"]), st.text(max_size=6)),
    "Date": st.one_of(VALID_DATES, VALID_DATES, VALID_DATES, st.sampled_from(
        ["", "03/25/2026", "yesterday", "31/02/2026", "1800-01-01", "46085"]), st.text(max_size=12)),
    "NPS": st.one_of(st.integers(0, 10).map(str), st.integers(0, 10).map(str), st.integers(-3, 14).map(str),
                     st.sampled_from(["N/A", "", "9/10", "8.5", "ten", "-"]), st.text(max_size=4)),
    "CSAT": st.one_of(st.integers(1, 5).map(str), st.integers(1, 5).map(str), st.integers(-1, 8).map(str),
                      st.sampled_from(["4,5", "80%", "Very satisfied", ""]), st.text(max_size=4)),
    "Resolved first contact": st.sampled_from(["yes", "no", "Yes", "", "maybe", "1", "no", "yes"]),
    "Comment": TEXT,
}
ROW = st.fixed_dictionaries(CELLS).map(lambda r: [r[h] for h in HEADER])


@st.composite
def messy_files(draw):
    rows = draw(st.lists(ROW, min_size=1, max_size=40))
    rows += draw(st.lists(st.sampled_from(rows), max_size=3))  # exact duplicates
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    text = io.StringIO()
    writer = csv.writer(text, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    extra = draw(st.sets(st.integers(0, len(rows) - 1), max_size=2))  # ragged rows with surplus fields
    for number, row in enumerate(rows):
        writer.writerow(row + (["surplus"] if number in extra else []))
    data = text.getvalue().encode(encoding, errors="replace")
    return data, sep


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_loaded_plus_quarantined_equals_read(file):
    data, _ = file
    try:
        raw = read_table(data, "messy.csv")
    except IngestError as exc:  # e.g. every row blank: refused with the file's name
        assert str(exc).startswith("messy.csv: ")
        return
    result = apply_mapping(raw, MAPPING) if set(MAPPING.columns) <= set(raw.frame.columns) else None
    if result is None:
        return
    assert result.rows_loaded + result.rows_quarantined == result.rows_read == raw.rows_read
    assert sum(result.reasons.values()) == result.rows_quarantined
    assert len(result.quarantine) == result.rows_quarantined
    assert result.quarantine["_row"].is_unique
    assert set(result.quarantine["_row"]).isdisjoint(set(raw.frame.index) - set(result.quarantine["_row"]))
    assert len(result.interactions) == result.rows_loaded
    assert result.quarantine["_reason"].notna().all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_files())
def test_suggested_mapping_also_reconciles(file):
    data, _ = file
    try:
        raw = read_table(data, "messy.csv")
        mapping = suggest_mapping(raw)
        result = apply_mapping(raw, mapping)
    except IngestError as exc:  # no id column found, ambiguous dates…: a clear message, never a crash
        assert str(exc).startswith("messy.csv: ")
        return
    assert result.rows_loaded + result.rows_quarantined == result.rows_read
    assert sum(result.reasons.values()) == result.rows_quarantined


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_readers_never_crash_on_arbitrary_bytes(data):
    try:
        raw = read_table(data, "fuzz.csv")
    except IngestError as exc:
        assert str(exc).startswith("fuzz.csv: ")
        return
    assert raw.rows_read >= 1


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_readers_and_mapper_never_crash_on_arbitrary_text(text):
    try:
        raw = read_table(text.encode("utf-8"), "fuzz.txt")
        mapping = suggest_mapping(raw)
        apply_mapping(raw, mapping)
    except IngestError as exc:
        assert str(exc).startswith("fuzz.txt: ")
