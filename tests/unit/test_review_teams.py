"""The weekly review's "Who moves it": agents and teams, response rates and key drivers of the week,
with the same numbers as `cx teams` / the functions behind it for that week and scope."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

from cx import cli
from cx.scope import Scope

WEEK, MONDAY, SUNDAY = "2026-W41", dt.date(2026, 10, 5), dt.date(2026, 10, 11)


@pytest.fixture(scope="module")
def review(demo_source):
    from cx.review import weekly

    return weekly.weekly_review(demo_source, WEEK)


def _cli_json(capsys, *argv) -> object:
    assert cli.main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_review_json_teams_are_cx_teams_for_the_week(demo_path, capsys):
    out = _cli_json(capsys, "review", "--source", str(demo_path), "--week", WEEK, "--channel", "email,phone",
                    "--format", "json")
    assert {(t["metric"], t["by"]) for t in out["teams"]} == {("nps", "agent"), ("nps", "team"),
                                                               ("csat", "agent"), ("csat", "team")}
    for standing in out["teams"]:
        teams = _cli_json(capsys, "teams", "--source", str(demo_path), "--metric", standing["metric"], "--by",
                          standing["by"], "--channel", "email,phone", "--from", str(MONDAY), "--to", str(SUNDAY),
                          "--format", "json")
        assert standing["records"] == teams  # the same numbers, to the last digit
        assert standing["best"] == teams[0][standing["by"]] and standing["worst"] == teams[-1][standing["by"]]
    assert {(r["metric"], r["by"]) for r in out["response_rates"]} == {(t["metric"], t["by"]) for t in out["teams"]}
    assert out["key_drivers"]["metric"] == "nps" and out["key_drivers"]["drivers"]


def test_teams_are_team_scores_over_the_week(demo_source, review):
    from cx.teams import team_scores

    week = Scope(date_from=MONDAY, date_to=SUNDAY)
    for standing in review.teams:
        expected = team_scores(demo_source, standing.metric, by=standing.by, scope=week)
        pd.testing.assert_frame_equal(standing.scores, expected)


def _rows(source, first: dt.date, last: dt.date, *columns: str) -> pd.DataFrame:
    i = source.interactions.c
    return source.read(sa.select(*(i[c] for c in columns)).where(
        i.occurred_at >= dt.datetime.combine(first, dt.time()),
        i.occurred_at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time())))


def test_team_counts_match_an_independent_count(demo_source, review):
    """The week only: answers and offers per team, counted independently in pandas."""
    rows = _rows(demo_source, MONDAY, SUNDAY, "team", "nps", "survey_offered").dropna(subset=["team"])
    standing = next(s for s in review.teams if (s.metric, s.by) == ("nps", "team"))
    counts = rows.dropna(subset=["nps"]).groupby("team").size()
    assert standing.scores.set_index("team")["n"].sort_index().to_dict() == counts.sort_index().to_dict()
    rates = next(r for r in review.response_rates if (r.metric, r.by) == ("nps", "team")).rates.set_index("team")
    offered = rows[rows.survey_offered.fillna(False).astype(bool) | rows.nps.notna()].groupby("team").size()
    assert rates["offered"].sort_index().to_dict() == offered.sort_index().to_dict()
    assert rates["answered"].sort_index().to_dict() == counts.sort_index().to_dict()


def test_best_worst_and_raw_leader_warning(review):
    from cx.teams import extremes

    agents = next(s for s in review.teams if (s.metric, s.by) == ("nps", "agent"))
    found = extremes(agents.scores)
    best, worst = agents.lines()
    assert best.startswith(f"Most likely best agent, {found['best']['agent']}:") and "rank 1–" in best
    assert f"n = {found['worst']['n']:,}" in worst and f"of {len(agents.scores)}" in worst
    raw_leaders = [w for w in ("best", "worst") if found[f"raw_{w}"]["agent"] != found[w]["agent"]]
    assert raw_leaders  # the demo's week has a low-n raw leader among the agents
    assert len(agents.warnings()) == len(raw_leaders)
    assert all("not the" in w for w in agents.warnings())


def test_key_drivers_are_those_of_the_week(demo_source, review):
    from cx.drivers.keydrivers import key_drivers

    expected = key_drivers(demo_source, "nps", Scope(date_from=MONDAY, date_to=SUNDAY))
    assert review.key_drivers.record() == expected.record()


def test_overview_path_gets_the_same_extras(demo_source, review):
    from cx.review import weekly

    light = weekly.weekly_review(demo_source, WEEK, extras=False)
    assert light.teams == () and light.response_rates == () and light.key_drivers is None
    full = light.with_extras(weekly.review_extras(demo_source, WEEK, Scope()))
    assert [(s.metric, s.by) for s in full.teams] == [(s.metric, s.by) for s in review.teams]
    for a, b in zip(full.teams, review.teams):
        pd.testing.assert_frame_equal(a.scores, b.scores)


def test_report_has_the_teams_section(review):
    import html

    from cx.review.export import render_html

    page = render_html(review, {})
    assert 'id="teams"' in page and 'id="key-drivers"' in page
    for standing in review.teams:
        for warning in standing.warnings():
            assert html.escape(warning) in page
    light = replace(review, teams=(), response_rates=(), key_drivers=None)
    assert 'id="teams"' not in render_html(light, {})


def test_no_agent_columns_no_section(demo_source, tmp_path, capsys):
    rows = _rows(demo_source, dt.date(2026, 9, 14), SUNDAY, "customer_id", "occurred_at", "channel", "journey_stage",
                 "nps", "csat")
    path = tmp_path / "contacts.csv"
    rows.to_csv(path, index=False)
    out = _cli_json(capsys, "review", "--source", str(path), "--week", WEEK, "--format", "json")
    assert out["teams"] == [] and out["response_rates"] == []
    assert len(out["kpis"])
    assert cli.main(["review", "--source", str(path), "--week", WEEK]) == 0
    assert "Who moves it" not in capsys.readouterr().out


def test_real_service_desk_shows_its_agents_on_resolution_time(capsys):
    """Real ServiceNow incidents (tests/data/real): agents and teams, no scores to ask about, so no
    response rates and no key drivers, and no error."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "real" / "servicenow_incidents.csv"
    out = _cli_json(capsys, "review", "--source", str(path), "--format", "json")
    assert {(t["metric"], t["by"]) for t in out["teams"]} == {("ttr", "agent"), ("ttr", "team")}
    agents = next(t for t in out["teams"] if t["by"] == "agent")
    assert agents["warnings"] and all(r["rank_low"] <= r["rank_high"] for r in agents["records"])
    assert out["response_rates"] == [] and out["key_drivers"] is None
