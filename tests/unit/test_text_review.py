"""The weekly review gains "what customers wrote about this week": the chat outage's theme in its week,
the same in the CLI's JSON and in the HTML report (escaped)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from cx import cli
from cx.demo import OUTAGE_WEEK
from cx.review.extras import COMMENT_THEME_COLUMNS, week_comment_themes
from cx.scope import Scope


@pytest.fixture(autouse=True)
def _own_app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'app.sqlite'}")


def test_outage_week_themes_grew(demo_source):
    grown = week_comment_themes(demo_source, Scope(), OUTAGE_WEEK[0])
    assert list(grown.columns) == list(COMMENT_THEME_COLUMNS)
    chat = grown[grown.theme.str.contains("chat")]
    assert len(chat) == 1 and chat.change.iloc[0] > 10 and chat.q.iloc[0] < 0.05
    assert "chat" in chat.example.iloc[0].lower()


def test_a_quiet_week_has_no_chat_theme(demo_source):
    quiet = week_comment_themes(demo_source, Scope(), dt.date(2026, 10, 5))
    assert not quiet.theme.str.contains("chat").any()


def test_cli_json_and_report_agree(demo_path, tmp_path, capsys):
    assert cli.main(["review", "--source", str(demo_path), "--week", "2026-W11", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    themes = pd.DataFrame(doc["comment_themes"])
    assert themes.theme.str.contains("chat").any()
    out = tmp_path / "report.html"
    assert cli.main(["review", "--source", str(demo_path), "--week", "2026-W11", "--out", str(out)]) == 0
    html = out.read_text()
    assert "What customers wrote about this week" in html
    for name in themes.theme:
        assert name in html
