"""Contact volume counts contacts only (issue 12, item 5): a customer table's rows are customers, not contacts.

Real public data (tests/data/real): the IBM telco customer table, alone, twice, and beside the CFPB
complaints (one complaint = one contact). Expected counts come from plain pandas reads of the files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cx import cli, metrics
from cx.ingest import Mapping, open_files

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def _mapping(name: str) -> dict:
    return json.loads((REAL / f"{name}.expected.json").read_text(encoding="utf-8"))["mapping"]


def _telco_with_score() -> dict:
    """The telco customer table with its churn score carried as a 0–100 CSAT: one score row per customer."""
    mapping = _mapping("telco_churn_ibm")
    return {**mapping, "columns": {**mapping["columns"], "Churn Score": "csat"},
            "scales": {**mapping["scales"], "csat": {"low": 0, "high": 100, "higher_is_better": True,
                                                     "zero_means_na": False}}}


@pytest.fixture
def files(tmp_path):
    """The CFPB complaints, the telco table and a second copy of it (a second CRM extract), with one mapping file."""
    second = tmp_path / "telco_copy.xlsx"
    shutil.copyfile(REAL / "telco_churn_ibm.xlsx", second)
    mappings = {"cfpb_complaints.csv": _mapping("cfpb_complaints"), "telco_churn_ibm.xlsx": _telco_with_score(),
                "telco_copy.xlsx": _telco_with_score()}
    path = tmp_path / "mappings.json"
    path.write_text(json.dumps(mappings), encoding="utf-8")
    return {"cfpb": REAL / "cfpb_complaints.csv", "telco": REAL / "telco_churn_ibm.xlsx", "copy": second,
            "mapping": path}


def _run(capsys, files: dict, names: list[str], metric: str) -> tuple[int, list[dict] | None, str]:
    argv = ["metrics", "--metric", metric, "--grain", "all", "--format", "json", "--mapping", str(files["mapping"])]
    for name in names:
        argv += ["--source", str(files[name])]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize("names", [["telco"], ["telco", "copy"]])
def test_volume_on_customer_tables_alone_is_refused_with_the_reason(capsys, files, names):
    code, _, err = _run(capsys, files, names, "volume")
    assert code != 0
    assert err.count("\n") == 1 and "no contacts" in err and "customer table" in err and "Traceback" not in err
    for grain in ("week", "day"):  # not "needs dated interactions": there are none to date
        assert cli.main(["metrics", "--metric", "volume", "--grain", grain, "--mapping", str(files["mapping"]),
                         *sum((["--source", str(files[n])] for n in names), [])]) != 0
        assert "no contacts" in capsys.readouterr().err


def test_volume_on_the_telco_mapping_without_scores_is_refused_with_the_reason(capsys, tmp_path):
    path = tmp_path / "telco.json"
    path.write_text(json.dumps(_mapping("telco_churn_ibm")), encoding="utf-8")
    code = cli.main(["metrics", "--source", str(REAL / "telco_churn_ibm.xlsx"), "--mapping", str(path),
                     "--metric", "volume", "--grain", "all"])
    err = capsys.readouterr().err
    assert code != 0 and "no contacts" in err  # not "needs the column customer_id"


@pytest.mark.parametrize("names", [["cfpb", "telco"], ["cfpb", "telco", "copy"], ["telco", "cfpb", "copy"]])
def test_volume_beside_customer_tables_counts_the_interaction_rows(capsys, files, names):
    complaints = len(pd.read_csv(files["cfpb"], dtype=str, keep_default_na=False))
    code, records, err = _run(capsys, files, names, "volume")
    assert code == 0, err
    assert len(records) == 1 and records[0]["n"] == records[0]["value"] == complaints


def test_the_customer_scores_still_count_once_per_customer(capsys, files):
    frame = pd.read_excel(files["telco"], dtype=str, keep_default_na=False)
    score = pd.to_numeric(frame["Churn Score"])
    code, records, err = _run(capsys, files, ["cfpb", "telco", "copy"], "csat")
    assert code == 0, err
    assert records[0]["n"] == score.notna().sum() == frame["CustomerID"].nunique()


def test_the_score_rows_are_marked_and_the_drilldown_lists_no_record_as_a_contact(files):
    mappings = json.loads(files["mapping"].read_text(encoding="utf-8"))
    source = open_files([files["cfpb"], files["telco"]], {k: Mapping.from_dict(v) for k, v in mappings.items()})
    marked = source.read(source.interactions.select().where(source.interactions.c.customer_record.is_(True)))
    telco = pd.read_excel(files["telco"], dtype=str, keep_default_na=False)
    assert len(marked) == len(telco) and marked["occurred_at"].isna().all()
    assert set(marked["customer_id"]) == set(telco["CustomerID"])
    rows = metrics.interactions_for_cell(source, "volume", limit=100_000)
    assert len(rows) == len(pd.read_csv(files["cfpb"], dtype=str))


def test_volume_is_not_offered_on_customer_tables_alone(files):
    from cx.db.summary import summarize

    mappings = json.loads(files["mapping"].read_text(encoding="utf-8"))
    mappings = {k: Mapping.from_dict(v) for k, v in mappings.items()}
    alone = summarize(open_files([files["telco"], files["copy"]], mappings))
    assert "volume" not in metrics.available(alone) and "csat" in metrics.available(alone)
    beside = summarize(open_files([files["cfpb"], files["telco"]], mappings))
    assert "volume" in metrics.available(beside)
    assert beside.column_counts["customer_id"] == len(pd.read_csv(files["cfpb"], dtype=str))
