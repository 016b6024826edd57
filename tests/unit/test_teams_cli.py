"""`cx teams`: the JSON contract, the demo's planted agents and teams, and a real export (NYC 311 agencies)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cx import cli, demo
from cx.teams import TEAM_METRICS
from cx.teams.response import nonresponse_sensitivity, response_rates, response_warning

REAL = Path(__file__).resolve().parents[1] / "data" / "real"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["teams", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _records(capsys, *argv: str) -> list[dict]:
    code, out, err = _run(capsys, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_metric_choices_are_the_team_metrics():
    action = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices["teams"]._actions
                  if a.dest == "metric")
    assert tuple(action.choices) == TEAM_METRICS


def test_json_records_have_exactly_the_documented_keys(capsys, demo_path):
    for by in ("agent", "team"):
        records = _records(capsys, "--source", str(demo_path), "--metric", "csat", "--by", by)
        assert records and all(list(r) == [by, "n", "raw", "shrunk", "ci_low", "ci_high", "rank_low", "rank_high"]
                               for r in records)
        assert all(r["ci_low"] <= r["shrunk"] <= r["ci_high"] and r["rank_low"] <= r["rank_high"] for r in records)


def test_demo_planted_agents_are_found_and_the_lucky_new_agent_is_not_called_best(capsys, demo_path):
    records = {r["agent"]: r for r in _records(capsys, "--source", str(demo_path), "--metric", "nps")}
    shrunk = sorted(records.values(), key=lambda r: -r["shrunk"])
    assert shrunk[0]["agent"] == demo.STAR_AGENT and shrunk[-1]["agent"] == demo.STRUGGLING_AGENT
    assert records[demo.STAR_AGENT]["rank_low"] == 1 and records[demo.STRUGGLING_AGENT]["rank_low"] == len(records)
    new = records[demo.NEW_AGENT]
    assert new["n"] == demo.NEW_AGENT_TICKETS and new["raw"] == 100.0  # the best raw score of all...
    assert max(r["raw"] for r in records.values()) == new["raw"]
    assert new["shrunk"] < records[demo.STAR_AGENT]["shrunk"]  # ...but not the best agent
    assert new["rank_high"] - new["rank_low"] >= 5  # and its rank is anybody's guess


def test_demo_planted_teams(capsys, demo_path):
    records = _records(capsys, "--source", str(demo_path), "--metric", "csat", "--by", "team")
    assert [r["team"] for r in records][0] == "Borealis" and records[-1]["team"] == "Delta"
    assert records[0]["rank_high"] == 1 and records[-1]["rank_low"] == len(records)


def test_demo_response_rates_differ_by_channel_and_segment(demo_source):
    by_channel = response_rates(demo_source, "csat", by=["channel"]).set_index("channel")
    assert by_channel.loc["store", "response_rate"] - by_channel.loc["social", "response_rate"] > 10
    assert response_warning(by_channel.reset_index(), "channel") is not None
    by_segment = response_rates(demo_source, "csat", by=["segment"]).set_index("segment")
    assert by_segment.loc["consumer", "response_rate"] > by_segment.loc["enterprise", "response_rate"] + 2
    sensitivity = nonresponse_sensitivity(demo_source, "csat", by="channel")
    assert sensitivity.reweighted < sensitivity.measured  # the channels that answer less are the less satisfied


def test_a_source_without_agents_is_one_clear_error(capsys):
    code, out, err = _run(capsys, "--source", str(Path(__file__).resolve().parents[1] / "data" / "tickets.csv"),
                          "--metric", "csat")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "no agent column" in err


# --- real data: NYC 311 service requests, the agency as the team ---------------------------------


def _real_ttr(capsys, tmp_path, name: str, by: str) -> pd.DataFrame:
    expected = json.loads((REAL / f"{name}.expected.json").read_text(encoding="utf-8"))
    mapping = tmp_path / f"{name}.mapping.json"
    mapping.write_text(json.dumps(expected["mapping"]), encoding="utf-8")
    records = _records(capsys, "--source", str(REAL / expected["file"]), "--mapping", str(mapping),
                       "--metric", "ttr", "--by", by)
    return pd.DataFrame(records).set_index(by)


def _hours(frame: pd.DataFrame, start: str, end: str, fmt: str) -> pd.Series:
    return (pd.to_datetime(frame[end], format=fmt, errors="coerce")
            - pd.to_datetime(frame[start], format=fmt)).dt.total_seconds() / 3600


def test_nyc311_agencies_time_to_resolution_equals_pandas(capsys, tmp_path):
    frame = pd.read_csv(REAL / "nyc311_requests.csv", dtype=str, keep_default_na=False)
    hours = _hours(frame, "Created Date", "Closed Date", "%m/%d/%Y %I:%M:%S %p")
    kept = hours >= 0  # open requests have no duration; closed-before-created ones are quarantined
    medians = hours[kept].groupby(frame.loc[kept, "Agency"]).agg(["size", "median"])
    got = _real_ttr(capsys, tmp_path, "nyc311_requests", "team").loc[medians.index]
    assert got["n"].tolist() == medians["size"].tolist()
    assert got["raw"].to_numpy() == pytest.approx(medians["median"].to_numpy(), abs=1e-9)
    assert ((got["ci_low"] <= got["shrunk"]) & (got["shrunk"] <= got["ci_high"])).all()
    # an agency with a handful of requests moves toward the level of all agencies more than a big one
    small, big = medians["size"].idxmin(), medians["size"].idxmax()
    pull = (got["shrunk"] - got["raw"]).abs() / (got["raw"] - got["shrunk"].median()).abs().clip(lower=1e-9)
    assert pull[small] >= pull[big]


@pytest.mark.parametrize("by, column", [("agent", "assigned_to"), ("team", "assignment_group")])
def test_servicenow_resolvers_and_groups_time_to_resolution_equals_pandas(capsys, tmp_path, by, column):
    """A real ServiceNow incident log: the resolver ('assigned_to') is the agent, the assignment group the team."""
    frame = pd.read_csv(REAL / "servicenow_incidents.csv", dtype=str, keep_default_na=False)
    hours = _hours(frame, "opened_at", "resolved_at", "%d-%m-%Y %H:%M")
    kept = (hours >= 0) & (frame[column] != "?")  # '?' is the export's "unknown": nobody is credited
    medians = hours[kept].groupby(frame.loc[kept, column]).agg(["size", "median"])
    got = _real_ttr(capsys, tmp_path, "servicenow_incidents", by)
    assert sorted(got.index) == sorted(medians.index)
    got = got.loc[medians.index]
    assert got["n"].tolist() == medians["size"].tolist()
    assert got["raw"].to_numpy() == pytest.approx(medians["median"].to_numpy(), abs=1e-9)
    # the fastest raw resolver stands on a handful of incidents and is not ranked first for sure
    fastest = medians["median"].idxmin()
    assert got.loc[fastest, "rank_high"] > 1 or medians.loc[fastest, "size"] >= 30
