"""``cx themes``: the JSON of DESIGN.md, the assignments file (masked), --by, and one-line errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cx import cli


@pytest.fixture(autouse=True)
def _own_app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")


def test_json_and_assignments(demo_path, tmp_path, capsys):
    out_csv = tmp_path / "assign.csv"
    code = cli.main(["themes", "--source", str(demo_path), "--from", "2026-10-01", "--format", "json",
                     "--assignments", str(out_csv)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"comments", "analysed", "themes"}
    assert doc["comments"] >= doc["analysed"] > 0
    assert all(set(t) == {"name", "terms", "count", "share", "sentiment", "score_gap"} for t in doc["themes"])
    assert any("email" in t["terms"] for t in doc["themes"])
    rows = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert list(rows.columns) == ["comment", "theme", "sentiment", "language"]
    assert len(rows) == doc["analysed"] and rows.sentiment.between(-1, 1).all() and set(rows.language) == {"en"}
    counts = rows.theme.value_counts()
    for theme in doc["themes"]:
        assert counts[theme["name"]] == theme["count"]


def test_assignments_are_masked(tmp_path, capsys):
    data = tmp_path / "comments.csv"
    pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(40)],
        "occurred_at": pd.date_range("2026-01-01", periods=40, freq="D").astype(str),
        "nps": [3, 9] * 20,
        "comment": ["Refund still missing, mail me at jo@example.com or call +44 20 7946 0958",
                    "Great delivery, fast and friendly"] * 20,
    }).to_csv(data, index=False)
    out_csv = tmp_path / "a.csv"
    assert cli.main(["themes", "--source", str(data), "--themes", "2", "--assignments", str(out_csv)]) == 0
    text = out_csv.read_text(encoding="utf-8-sig")
    assert "jo@example.com" not in text and "7946" not in text and "[email]" in text and "[phone]" in text
    assert "Themes" in capsys.readouterr().out


def test_by_channel_in_table_and_json(demo_path, capsys):
    assert cli.main(["themes", "--source", str(demo_path), "--from", "2026-10-01", "--by", "channel",
                     "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    split = pd.DataFrame(doc["by"]["channel"])
    email_theme = next(t["name"] for t in doc["themes"] if "email" in t["terms"])
    shares = split[split.theme == email_theme].set_index("channel")["share"]
    assert shares.idxmax() == "email"


@pytest.mark.parametrize("argv, message", [
    (["--by", "segment"], "--by 'segment'"),
    (["--from", "2026-02-30"], "--from/--to"),
    (["--themes", "0"], "at least 1"),
])
def test_bad_arguments_are_one_line(demo_path, capsys, argv, message):
    assert cli.main(["themes", "--source", str(demo_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_no_comments_exits_non_zero_with_the_reason(tmp_path, capsys):
    data = tmp_path / "scores.csv"
    pd.DataFrame({"customer_id": ["a", "b"], "nps": [3, 9]}).to_csv(data, index=False)
    assert cli.main(["themes", "--source", str(data)]) == 2
    assert "no comments in scope" in capsys.readouterr().err
