"""User notes on dates: saved with the source's settings (versions refuse lost updates), drawn on trends."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cx import charts, notes
from cx.charts import theme
from cx.db.write import AppStore, StaleUpdate


def _table(series, periods=6):
    rows = []
    for s, name in enumerate(series):
        for k in range(periods):
            rows.append({"period": pd.Timestamp("2026-03-02") + pd.Timedelta(weeks=k), "channel": name, "n": 200,
                         "value": 10.0 * s + k, "ci_low": 10.0 * s + k - 3, "ci_high": 10.0 * s + k + 3,
                         "low_n": False})
    return pd.DataFrame(rows)


def test_notes_round_trip_and_refuse_a_lost_update(tmp_path):
    store = AppStore(f"sqlite:///{tmp_path / 'app.sqlite'}")
    assert notes.read_notes(store, "demo") == ([], 0)
    outage = notes.new_note(dt.date(2026, 3, 10), "  chat   outage ")
    version = notes.save_notes(store, "demo", [outage], 0)
    found, seen = notes.read_notes(store, "demo")
    assert found == [notes.DateNote(dt.date(2026, 3, 10), "chat outage")] and seen == version
    assert notes.read_notes(store, "other source") == ([], 0)  # per source
    with pytest.raises(StaleUpdate):
        notes.save_notes(store, "demo", [], 0)  # read before the save above: refused, nothing lost
    with pytest.raises(ValueError, match="a few words"):
        notes.new_note(dt.date(2026, 3, 10), "   ")
    with pytest.raises(ValueError, match="at most"):
        notes.new_note(dt.date(2026, 3, 10), "x" * 61)


def test_notes_are_drawn_on_every_panel_and_escaped():
    note = notes.DateNote(dt.date(2026, 3, 10), '<b onmouseover="x">chat outage</b>')
    later = notes.DateNote(dt.date(2027, 1, 1), "outside the chart")
    fig = theme.mark_dates(charts.trend_chart(_table(["chat", "email"]), by=["channel"]), [note, later],
                           first=dt.date(2026, 3, 2), last=dt.date(2026, 4, 6))
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and pd.Timestamp(lines[0].x0, unit="ms") == pd.Timestamp("2026-03-10")
    assert "<b" not in fig.layout.annotations[-1].text and "chat outage" in fig.layout.annotations[-1].text
    many = charts.trend_chart(_table([f"tp {k}" for k in range(10)]).rename(columns={"channel": "touchpoint"}),
                              by=["touchpoint"])
    theme.mark_dates(many, [note])
    assert len([s for s in many.layout.shapes if s.type == "line"]) == 10  # one per panel
