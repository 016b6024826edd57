"""``cx metrics``: the contract of DESIGN.md (table / csv / json), and one-line errors."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from cx import cli, demo, metrics
from cx.db import demo_source
from cx.scope import Scope


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "small.duckdb"
    demo.generate(path, customers=400, interactions=6000)
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["metrics", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_records_match_metric_table(capsys, warehouse):
    code, out, err = _run(capsys, "--source", str(warehouse), "--metric", "nps", "--grain", "month", "--by",
                          "channel,segment", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert records and all(list(r) == ["period", "channel", "segment", "metric", "n", "value", "ci_low", "ci_high",
                                       "low_n"] for r in records)
    assert {r["period"] for r in records} == {"2026-01-01", "2026-02-01", "2026-03-01"}
    table = metrics.metric_table(demo_source(warehouse), "nps", "month", ["channel", "segment"],
                                 Scope(date_from="2026-01-01", date_to="2026-03-31"))
    assert [r["n"] for r in records] == table["n"].tolist()
    assert [r["value"] for r in records] == pytest.approx(table["value"].tolist(), abs=1e-12)
    assert [r["low_n"] for r in records] == table["low_n"].tolist()


def test_all_grain_csv_and_durations_carry_p90(capsys, warehouse):
    code, out, _ = _run(capsys, "--source", str(warehouse), "--metric", "ttr", "--grain", "all", "--by", "channel",
                        "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "period,channel,metric,n,value,ci_low,ci_high,low_n,p90"
    assert all(line.startswith("all,") for line in lines[1:])


def test_table_format_and_min_n(capsys, warehouse):
    code, out, _ = _run(capsys, "--source", str(warehouse), "--metric", "csat", "--grain", "quarter",
                        "--min-n", "100000")
    assert code == 0
    assert out.splitlines()[0].split() == ["period", "metric", "n", "value", "ci_low", "ci_high", "low_n"]
    assert "True" in out and "False" not in out  # every quarter is under 100,000 responses


def test_negative_values_are_data_not_formulas(capsys, warehouse):
    code, out, _ = _run(capsys, "--source", str(warehouse), "--metric", "nps", "--grain", "all", "--format", "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert frame["ci_low"].dtype.kind == "f"  # numbers stay numbers (no quote prefix)


@pytest.mark.parametrize("argv,message", [
    (["--metric", "happiness"], "unknown metric 'happiness'"),
    (["--metric", "nps", "--by", "colour"], "cannot break down by 'colour'"),
    (["--metric", "nps", "--from", "2026-02-30"], "--from '2026-02-30': expected a date"),
    (["--metric", "nps", "--from", "2026-03-01", "--to", "2026-01-01"], "starts (2026-03-01) after it ends"),
])
def test_errors_are_one_line(capsys, warehouse, argv, message):
    code, out, err = _run(capsys, "--source", str(warehouse), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("cx metrics: ")


def test_missing_source_file(capsys, tmp_path):
    code, _, err = _run(capsys, "--source", str(tmp_path / "nope.duckdb"), "--metric", "nps")
    assert code == 2 and "no such database file" in err
