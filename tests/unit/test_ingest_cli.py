"""`cx map` and `cx load` as DESIGN.md specifies them, driven through cx.cli.main(argv)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cx.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_map_prints_the_suggestion_as_json(capsys):
    code, out, err = run(capsys, "map", DATA / "tickets.csv")
    assert code == 0 and not err
    mapping = json.loads(out)
    assert mapping["shape"] == "interactions"
    assert mapping["columns"]["Likelihood to recommend"] == "nps"
    assert mapping["booleans"] == {"Resolved on first contact": "yes"}


def test_load_json_output_is_the_stable_contract(capsys):
    code, out, err = run(capsys, "load", DATA / "tickets.csv", DATA / "customers.csv", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["into"] is None
    assert [f["file"] for f in report["files"]] == ["tickets.csv", "customers.csv"]
    for record in report["files"]:
        assert set(record) == {"file", "shape", "rows_read", "rows_loaded", "rows_quarantined", "reasons"}
        assert record["rows_loaded"] + record["rows_quarantined"] == record["rows_read"]
        assert sum(record["reasons"].values()) == record["rows_quarantined"]
    assert report["files"][0]["reasons"] == {"missing customer id": 1, "unparseable date": 1,
                                             "score out of declared range": 1, "exact duplicate": 1}
    assert report["files"][1]["shape"] == "customers"


def test_load_into_duckdb_and_quarantine_csv(capsys, tmp_path):
    target, quarantine = tmp_path / "out" / "cx.duckdb", tmp_path / "q.csv"
    code, out, err = run(capsys, "load", DATA / "tickets.csv", DATA / "customers.csv", DATA / "wide_survey.csv",
                         "--into", target, "--quarantine", quarantine)
    assert code == 0, err
    assert "tickets.csv" in out and "wrote canonical interactions/customers into duckdb:///" in out
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.sql("select count(*) from interactions").fetchone()[0] == 4 + 4 + 11
        assert con.sql("select count(*) from customers").fetchone()[0] == 9
        assert con.sql("select churned from customers where customer_id = 'C002'").fetchone()[0] is True
    text = quarantine.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[0] == "_file" and header[-3:] == ["_row", "_column", "_reason"]
    assert text.count("\n") == 1 + 5


def test_load_with_a_saved_mapping(capsys, tmp_path):
    _, mapping_json, _ = run(capsys, "map", DATA / "tickets.csv")
    mapping = json.loads(mapping_json)
    mapping["columns"]["Likelihood to recommend"] = "ignore"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(mapping))
    code, out, err = run(capsys, "load", DATA / "tickets.csv", "--mapping", path, "--format", "json")
    assert code == 0, err
    reasons = json.loads(out)["files"][0]["reasons"]
    assert "score out of declared range" not in reasons  # NPS no longer loaded, so 11 is no problem


def test_ambiguous_dates_need_an_answer(capsys, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,date,nps\nC1,03/04/2026,9\nC2,05/06/2026,7\n")
    code, out, err = run(capsys, "load", path)
    assert code == 1
    assert err.strip().count("\n") == 0 and "d.csv: dates in column 'date' (e.g. 03/04/2026)" in err
    code, out, err = run(capsys, "load", path, "--dayfirst", "--format", "json")
    assert code == 0 and json.loads(out)["files"][0]["rows_loaded"] == 2


@pytest.mark.parametrize(
    "argv, message, exit_code",
    [
        (["load", "{tmp}/missing.csv"], "missing.csv: no such file", 2),
        (["map", "{tmp}/missing.csv"], "missing.csv: no such file", 2),
        (["load", "{tmp}/empty.csv"], "empty.csv: the file is empty", 1),
        (["load", "{tmp}/junk.csv"], "junk.csv: does not look like a text table", 1),
        (["load", "{tmp}/fake.xlsx"], "fake.xlsx: is a damaged zip archive", 1),
        (["load", "{data}/tickets.csv", "--mapping", "{tmp}/bad.json"], "bad.json: is not valid JSON", 1),
        (["load", "{data}/tickets.csv", "--into", "{tmp}/out.txt"], "--into needs a SQLAlchemy URL", 1),
    ],
)
def test_errors_are_one_line_on_stderr(capsys, tmp_path, argv, message, exit_code):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "fake.xlsx").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "bad.json").write_text("{nope")
    code, out, err = run(capsys, *[a.format(tmp=tmp_path, data=DATA) for a in argv])
    assert code == exit_code
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_load_says_when_a_column_named_like_a_score_is_left_out(capsys, tmp_path):
    """Issue 13: the suggestion left out a column literally named NPS without a word in the CLI."""
    path = tmp_path / "words.csv"
    path.write_text("Customer ID,Date,NPS\nC1,2026-01-05,great\nC2,2026-01-06,poor\nC3,2026-01-07,fine\n")
    code, out, err = run(capsys, "load", path, "--format", "json")
    assert code == 0 and json.loads(out)["files"][0]["rows_loaded"] == 3
    assert err.strip() == ("cx load: warning: words.csv: 'NPS' is named like nps but its values (e.g. 'great', "
                           "'poor', 'fine') do not fit; left for you to map.")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"columns": {"Customer ID": "customer_id", "Date": "occurred_at"}}))
    code, out, err = run(capsys, "load", path, "--mapping", mapping, "--format", "json")
    assert code == 0 and err == ""  # a mapping the user wrote is not second-guessed
