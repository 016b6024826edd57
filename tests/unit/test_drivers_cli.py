"""`cx drivers`: the JSON contract of DESIGN.md, the table, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx import cli

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def test_json_is_exactly_the_contract(demo_path, capsys):
    assert cli.main(["drivers", "--source", str(demo_path), "--metric", "nps", "--boot", "30", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"metric", "r2", "drivers"} and out["metric"] == "nps"
    assert all(set(d) == {"driver", "importance", "ci_low", "ci_high", "performance"} for d in out["drivers"])
    assert sum(d["importance"] for d in out["drivers"]) == pytest.approx(out["r2"], abs=1e-5)
    assert all(d["ci_low"] <= d["importance"] <= d["ci_high"] for d in out["drivers"])
    assert all(0 <= d["performance"] <= 100 for d in out["drivers"])


def test_table_on_a_wide_survey_file(capsys, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(json.loads((REAL / "airline_satisfaction.expected.json").read_text())["mapping"]))
    code = cli.main(["drivers", "--source", str(REAL / "airline_satisfaction.csv"), "--mapping", str(mapping),
                     "--metric", "csat", "--outcome", "satisfied", "--boot", "20"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].startswith("satisfied: R² = 0.533")
    assert "Online Boarding" in out.splitlines()[3]


@pytest.mark.parametrize(("argv", "message"), [
    (["--metric", "nps", "--from", "2031-01-01"], "no rows in scope"),
    (["--metric", "csat", "--outcome", "nope"], "no customer column 'nope'"),
    (["--metric", "nps", "--from", "yesterday"], "YYYY-MM-DD"),
])
def test_errors_are_one_line_on_stderr(demo_path, capsys, argv, message):
    code = cli.main(["drivers", "--source", str(demo_path), *argv])
    err = capsys.readouterr().err
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
