"""cx alerts: JSON records as DESIGN.md says, breakdowns checked side by side, one-line errors."""

from __future__ import annotations

import json

import pytest

from cx import cli


@pytest.fixture(autouse=True)
def app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.chdir(tmp_path)


def test_every_cell_checked_by_stage_and_channel_in_one_family(demo_path, capsys):
    code = cli.main(["alerts", "--source", str(demo_path), "--week", "2026-W10", "--by", "channel,journey_stage",
                     "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = json.loads(out)
    assert {tuple(r) for r in records} == {("rule", "metric", "channel", "journey_stage", "period", "value",
                                            "expected", "threshold", "fired", "false_alarm_rate")}
    assert not any(r["fired"] for r in records)  # the week before the outage: nothing
    by_stage = [r for r in records if r["journey_stage"] is not None]
    assert by_stage and all(r["channel"] is None for r in by_stage)
    assert {r["period"] for r in records} == {"2026-03-02"} and {r["false_alarm_rate"] for r in records} == {0.05}


@pytest.mark.parametrize(("argv", "message"), [
    (["--by", "colour"], "cannot break down by 'colour'"),
    (["--week", "2026-W99"], "is not an ISO week"),
    (["--week", "2024-W01"], "no cell could be checked in 2024-W01"),
    (["--fdr", "2"], "false discovery rate must lie between 0 and 1"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(demo_path, capsys, argv, message):
    code = cli.main(["alerts", "--source", str(demo_path), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("cx alerts: ")
