"""Agent, team and survey-offered columns: the mapper recognises them and they load as canonical columns."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cx.ingest import apply_mapping, read_table, suggest_mapping
from cx.schema import DIMENSIONS, INTERACTION_COLUMNS


def _raw(columns: dict[str, list]):
    buffer = io.StringIO()
    pd.DataFrame(columns).to_csv(buffer, index=False)
    return read_table(buffer.getvalue().encode(), "tickets.csv")


BASE = {
    "Customer ID": ["C1", "C2", "C3", "C4", "C5", "C6"],
    "Created": [f"2026-01-0{d} 10:00" for d in range(1, 7)],
    "CSAT": [5, None, 4, 2, None, 5],
}


@pytest.mark.parametrize("agent, team, offered", [
    ("Agent", "Team", "Survey offered"),
    ("Assignee", "Queue", "Survey sent"),
    ("Handled by", "Assignment group", "Invited"),
    ("Rep", "Department", "Surveyed"),
    ("Sachbearbeiter", "Abteilung", "Umfrage gesendet"),
])
def test_headers_for_who_handled_it_and_whether_a_survey_was_offered(agent, team, offered):
    raw = _raw({**BASE, agent: ["Ann", "Bob", "Ann", "Cy", "Bob", "Ann"],
                team: ["Billing", "Tech", "Billing", "Tech", "Tech", "Billing"],
                offered: ["yes", "yes", "yes", "yes", "yes", "no"]})
    mapping = suggest_mapping(raw)
    assert mapping.columns[agent] == "agent"
    assert mapping.columns[team] == "team"
    assert mapping.columns[offered] == "survey_offered"
    result = apply_mapping(raw, mapping)
    frame = result.interactions
    assert frame["agent"].tolist() == ["Ann", "Bob", "Ann", "Cy", "Bob", "Ann"]
    assert frame["team"].tolist() == ["Billing", "Tech", "Billing", "Tech", "Tech", "Billing"]
    assert frame["survey_offered"].astype(bool).tolist() == [True] * 5 + [False]


def test_a_rating_column_named_like_a_team_is_not_taken_as_the_team():
    # a wide survey's "Service" or "Group" question holds ratings, not names
    raw = _raw({**BASE, "Support group": [1, 2, 3, 4, 5, 3]})
    assert suggest_mapping(raw).columns["Support group"] != "team"


def test_agent_and_team_are_optional_text_columns_and_breakdowns():
    assert INTERACTION_COLUMNS["agent"] == INTERACTION_COLUMNS["team"] == "text"
    assert INTERACTION_COLUMNS["survey_offered"] == "bool"
    assert DIMENSIONS["agent"] == DIMENSIONS["team"] == "interactions"
    mapping = suggest_mapping(_raw(BASE))
    assert "agent" not in mapping.columns.values() and "team" not in mapping.columns.values()
