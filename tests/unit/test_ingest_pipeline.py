"""The one ingest pipeline (issue 11): the same steps behind `cx load`, `--source FILE`, load_files and the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx.cli import main
from cx.db import summarize
from cx.ingest import IngestError, check, ingest, is_data_file, load_files, open_files, prepare, run

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = [DATA / "tickets.csv", DATA / "customers.csv"]


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_face_reports_the_same_load(capsys):
    loaded = ingest(FILES)
    code, out, err = _cli(capsys, "load", *FILES, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["files"] == [r.summary() for r in loaded.results]
    assert [r.summary() for r in load_files(FILES)] == [r.summary() for r in loaded.results]
    items = [prepare(path) for path in FILES]  # the page: prepare (then edit), check, run
    for item in items:
        check(item)
    assert [r.summary() for r in run(items).results] == [r.summary() for r in loaded.results]


def test_progress_reaches_one_and_names_each_file():
    seen = []
    run([prepare(path) for path in FILES], progress=lambda fraction, name: seen.append((round(fraction, 6), name)))
    assert seen[-1] == (1.0, "customers.csv")
    assert {name for _, name in seen} == {"tickets.csv", "customers.csv"}
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_open_files_is_a_source_of_what_loaded(tmp_path):
    source = open_files(FILES)
    summary = summarize(source)
    assert (summary.rows, summary.customers) == (8, 4)  # as the Data page shows for the same two files
    assert source.kind == "upload" and source.label == "tickets.csv, customers.csv"
    saved = tmp_path / "mapping.json"
    item = prepare(DATA / "tickets.csv")
    item.mapping.columns["Likelihood to recommend"] = "ignore"
    saved.write_text(json.dumps({"tickets.csv": item.mapping.to_dict()}))
    assert summarize(open_files(FILES, mapping=saved)).rows == 9  # the NPS of 11 no longer quarantines T6
    with pytest.raises(IngestError, match=r"nowhere\.json: no such mapping file"):
        open_files(FILES, mapping=tmp_path / "nowhere.json")
    with pytest.raises(IngestError, match=r"missing\.csv: no such file"):
        open_files([tmp_path / "missing.csv"])


def test_data_files_and_databases_are_told_apart():
    assert is_data_file("exports/tickets.csv") and is_data_file("x.csv.gz") and is_data_file("survey.XLSX")
    assert not is_data_file("warehouse.duckdb") and not is_data_file("postgresql://h/db")
    assert not is_data_file("s3://bucket/tickets.csv")


def test_source_file_through_the_cli(capsys, tmp_path):
    code, out, err = _cli(capsys, "metrics", "--source", DATA / "tickets.csv", "--metric", "nps", "--grain", "all",
                          "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["n"] == 3  # T1, T2, T3 (T7 says N/A; the other rows are quarantined)
    code, out, err = _cli(capsys, "metrics", "--source", tmp_path / "missing.csv", "--metric", "nps")
    assert code == 2 and out == "" and err.strip() == f"cx metrics: {tmp_path / 'missing.csv'}: no such file"
    code, out, err = _cli(capsys, "journeys", "--source", DATA / "tickets.csv", "--source", f"duckdb:///{tmp_path}/x.duckdb")
    assert code == 2 and "combine either data files or one database, not both" in err
    bomb = tmp_path / "bomb.csv"
    bomb.write_bytes(b"Customer ID,NPS," + b"x" * 2_000_000)
    code, out, err = _cli(capsys, "review", "--source", bomb)
    assert code == 2 and err.strip().startswith("cx review: bomb.csv: line 1 is longer than 1,000,000 bytes")
