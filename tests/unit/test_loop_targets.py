"""Targets: a status only when the interval clears the target, saved with the source's settings,
drawn as goal lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cx import charts
from cx.db.write import AppStore, StaleUpdate
from cx.loop import targets
from cx.loop.targets import OFF_TRACK, ON_TRACK, TOO_CLOSE, Target


@pytest.mark.parametrize(("value", "low", "high", "target", "higher", "expected"), [
    (45, 41, 49, 40, True, ON_TRACK),
    (35, 31, 39, 40, True, OFF_TRACK),
    (41, 38, 44, 40, True, TOO_CLOSE),
    (40, 40, 44, 40, True, TOO_CLOSE),  # touching the target is not clearing it
    (8, 6, 9.5, 10, False, ON_TRACK),  # durations: lower is better
    (12, 10.5, 14, 10, False, OFF_TRACK),
    (1200, np.nan, np.nan, 1000, True, ON_TRACK),  # a count: no interval, the value decides
    (np.nan, np.nan, np.nan, 1000, True, TOO_CLOSE),
])
def test_status_needs_the_whole_interval_on_one_side(value, low, high, target, higher, expected):
    assert targets.status(value, low, high, target, higher) == expected


def test_status_matches_interval_arithmetic_on_random_cells():
    rng = np.random.default_rng(1)
    value = rng.normal(50, 10, 500)
    half = rng.uniform(0, 10, 500)
    got = targets.status(value, value - half, value + half, 50.0)
    expected = np.select([value - half > 50, value + half < 50], [ON_TRACK, OFF_TRACK], TOO_CLOSE)
    assert (got == expected).all()


def test_judge_takes_the_cell_target_over_the_overall_one():
    table = pd.DataFrame({"period": "all", "channel": ["chat", "email"], "metric": "csat", "n": 100,
                          "value": [60.0, 80.0], "ci_low": [55.0, 75.0], "ci_high": [65.0, 85.0], "low_n": False})
    judged = targets.judge(table, [Target("csat", 70), Target("csat", 50, {"channel": "chat"})], by=["channel"])
    assert judged.set_index("channel")["status"].to_dict() == {"chat": ON_TRACK, "email": ON_TRACK}
    assert judged.set_index("channel")["target"].to_dict() == {"chat": 50.0, "email": 70.0}
    overall = targets.judge(table.drop(columns="channel"), [Target("csat", 50, {"channel": "chat"})])
    assert overall.empty  # a channel's target does not judge the total


def test_targets_are_saved_with_the_source_and_refuse_lost_updates(tmp_path):
    store = AppStore(f"sqlite:///{tmp_path / 'app.sqlite'}")
    saved, version = targets.load_targets(store, "demo")
    assert saved == [] and version == 0
    version = targets.set_target(store, "demo", Target("nps", 20), version=version, user="ann@example.org")
    version = targets.set_target(store, "demo", Target("frt", 5, {"channel": "chat"}), version=version)
    version = targets.set_target(store, "demo", Target("nps", 25), version=version)  # replaces, not adds
    saved, _ = targets.load_targets(store, "demo")
    assert sorted((t.metric, t.value, t.where) for t in saved) == [("frt", 5.0, "channel = chat"), ("nps", 25.0, "all")]
    assert saved[0].higher_is_better is (saved[0].metric == "nps")
    assert targets.load_targets(store, "another source")[0] == []
    with pytest.raises(StaleUpdate):
        targets.set_target(store, "demo", Target("csat", 70), version=1)
    targets.remove_target(store, "demo", "nps", version=version)
    assert [t.metric for t in targets.load_targets(store, "demo")[0]] == ["frt"]


def test_bad_targets_are_one_clear_sentence():
    with pytest.raises(targets.TargetError, match="must be a number"):
        Target("nps", "forty")
    with pytest.raises(targets.TargetError, match="per channel"):
        Target("nps", 40, {"agent": "x"})


def test_goal_lines_go_to_their_series():
    saved = [Target("csat", 70), Target("csat", 50, {"channel": "chat"}), Target("nps", 10)]
    lines = [charts.GoalLine(*g) for g in targets.goal_lines(saved, "csat", by=["channel"])]
    assert [(g.value, g.series) for g in lines] == [(70.0, None), (50.0, "chat")]
    fig = charts.add_goal_lines(go.Figure(), lines, series=["email", "phone"])  # no chat drawn: its line is left out
    assert charts.goal_lines_of(fig) == [70.0]
    assert "Target: CSAT ≥ 70" in fig.layout.annotations[0].text
    assert targets.goal_lines(saved, "csat", by=[]) == [("CSAT ≥ 70", 70.0, None)]
