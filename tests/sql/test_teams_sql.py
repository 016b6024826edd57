"""Scores by agent and team, and response rates, on every backend: the SQL statistics equal pandas on the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx.db.summary import summarize
from cx.metrics import MetricError
from cx.scope import Scope
from cx.teams import team_scores
from cx.teams.response import has_offers, nonresponse_sensitivity, response_rates, response_warning
from cx.teams.shrinkage import shrink_means, shrink_proportions


def _frames(rows: int = 900, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    agents = np.array(["Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus"])
    teams = {"Ann": "North", "Bob": "North", "Cy": "North", "Dee": "South", "Eve": "South", "Fay": "South",
             "Gus": "South"}
    agent = rng.choice(agents, rows, p=[0.25, 0.2, 0.2, 0.15, 0.1, 0.095, 0.005])
    lift = pd.Series(agent).map({"Ann": 1.5, "Bob": 0.0, "Cy": -1.0, "Dee": 0.5, "Eve": -0.5, "Fay": 0.0,
                                 "Gus": 0.0}).to_numpy()
    customers = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(120)],
                              "segment": rng.choice(["consumer", "business"], 120, p=[0.7, 0.3])})
    answered = rng.random(rows) < 0.6
    frame = pd.DataFrame({
        "customer_id": rng.choice(customers["customer_id"], rows),
        "occurred_at": pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 60 * 24, rows), unit="h"),
        "channel": rng.choice(["email", "chat", "phone"], rows),
        "agent": agent,
        "team": pd.Series(agent).map(teams).to_numpy(),
        "nps": np.where(answered, np.clip(np.rint(rng.normal(7 + lift, 2.2)), 0, 10), np.nan),
        "csat": np.where(answered, np.clip(np.rint(rng.normal(3.6 + 0.5 * lift, 1.0)), 1, 5), np.nan),
        "ces": np.where(answered & (rng.random(rows) < 0.7), np.clip(np.rint(rng.normal(5 + lift, 1.2)), 1, 7), np.nan),
        "resolved_first_contact": rng.random(rows) < 0.6 + 0.05 * lift,
        "resolution_hours": np.round(rng.lognormal(2 - 0.2 * lift, 0.6), 2),
        "survey_offered": answered | (rng.random(rows) < 0.5),
    })
    frame.loc[frame.index[:3], ["agent", "team"]] = None  # contacts nobody is credited with
    return frame, customers


@pytest.fixture
def data(make_source):
    frame, customers = _frames()
    return make_source(frame, customers), frame, customers


def _pandas_raw(frame: pd.DataFrame, by: str, metric: str) -> pd.DataFrame:
    rows = frame[frame[by].notna()]
    if metric == "nps":
        answers = rows.dropna(subset=["nps"])
        values = 100.0 * ((answers["nps"] >= 9).astype(float) - (answers["nps"] <= 6).astype(float))
    elif metric == "csat":
        answers = rows.dropna(subset=["csat"])
        values = 100.0 * (answers["csat"] >= 4)
    elif metric == "ces":
        answers = rows.dropna(subset=["ces"])
        values = answers["ces"]
    else:  # fcr
        answers = rows
        values = 100.0 * answers["resolved_first_contact"].astype(float)
    return values.groupby(answers[by]).agg(["size", "mean", "var"])


@pytest.mark.parametrize("metric", ["nps", "csat", "ces", "fcr"])
@pytest.mark.parametrize("by", ["agent", "team"])
def test_raw_scores_and_n_equal_pandas_and_shrunk_scores_follow_from_them(data, metric, by):
    source, frame, _ = data
    scores = team_scores(source, metric, by=by).set_index(by)
    expected = _pandas_raw(frame, by, metric)
    assert sorted(scores.index) == sorted(expected.index)
    scores = scores.loc[expected.index]
    assert scores["n"].tolist() == expected["size"].tolist()
    assert scores["raw"].to_numpy() == pytest.approx(expected["mean"].to_numpy(), abs=1e-9)
    # the shrinkage fitted independently on the pandas statistics gives the same shrunk scores
    n = expected["size"].to_numpy("float64")
    if metric in ("csat", "fcr"):
        fit = shrink_proportions(np.rint(expected["mean"].to_numpy() * n / 100), n)
        shrunk, low = 100 * fit.shrunk, 100 * fit.low
    else:
        scale = 100.0 if metric == "nps" else 1.0
        within = np.nansum(expected["var"].to_numpy() * (n - 1)) / (n.sum() - len(n))
        fit = shrink_means(expected["mean"].to_numpy() / scale, within / scale**2 / n,
                           bounds=(-1, 1) if metric == "nps" else None)
        shrunk, low = scale * fit.shrunk, scale * fit.low
    assert scores["shrunk"].to_numpy() == pytest.approx(shrunk, abs=1e-6)
    assert scores["ci_low"].to_numpy() == pytest.approx(low, abs=1e-6)
    assert (scores["rank_low"] <= scores["rank_high"]).all()
    assert scores["rank_high"].max() <= len(scores) and scores["rank_low"].min() >= 1


def test_the_tiny_agent_is_flagged_and_pulled_toward_the_overall_level(data):
    source, frame, _ = data
    scores = team_scores(source, "csat", by="agent", min_n=30).set_index("agent")
    gus = scores.loc["Gus"]
    assert gus["low_n"] and gus["weight"] < scores.drop("Gus")["weight"].min()
    overall = scores.attrs["overall"]
    assert abs(gus["shrunk"] - overall) <= abs(gus["raw"] - overall)
    assert gus["rank_high"] - gus["rank_low"] >= 2


def test_scope_restricts_the_rows(data):
    source, frame, _ = data
    scores = team_scores(source, "nps", by="team", scope=Scope(channels=("chat",))).set_index("team")
    expected = _pandas_raw(frame[frame["channel"] == "chat"], "team", "nps")
    assert scores.loc[expected.index, "n"].tolist() == expected["size"].tolist()


def test_ttr_by_team_uses_the_medians(data):
    source, frame, _ = data
    scores = team_scores(source, "ttr", by="team").set_index("team")
    medians = frame.dropna(subset=["team"]).groupby("team")["resolution_hours"].median()
    assert scores.loc[medians.index, "raw"].to_numpy() == pytest.approx(medians.to_numpy())
    assert scores.attrs["unit"] == "hours"


def test_unknown_group_or_metric_is_one_clear_error(data):
    source, _, _ = data
    with pytest.raises(MetricError, match="agent or team"):
        team_scores(source, "nps", by="channel")
    with pytest.raises(MetricError, match="compared on"):
        team_scores(source, "volume", by="agent")


@pytest.mark.parametrize("by", ["channel", "segment"])
def test_response_rates_equal_pandas(data, by):
    source, frame, customers = data
    rates = response_rates(source, "csat", by=[by]).set_index(by)
    rows = frame.merge(customers, on="customer_id", how="left")
    offered = rows["survey_offered"] | rows["csat"].notna()
    expected = rows[offered].groupby(by).agg(offered=("csat", "size"), answered=("csat", "count"))
    assert rates.loc[expected.index, "offered"].tolist() == expected["offered"].tolist()
    assert rates.loc[expected.index, "answered"].tolist() == expected["answered"].tolist()
    assert rates.loc[expected.index, "response_rate"].to_numpy() == pytest.approx(
        100 * expected["answered"].to_numpy() / expected["offered"].to_numpy())


def test_response_rates_by_week(data):
    source, frame, _ = data
    rates = response_rates(source, "nps", grain="week")
    offered = frame[frame["survey_offered"] | frame["nps"].notna()]
    week = offered["occurred_at"].dt.to_period("W-SUN").dt.start_time
    expected = offered.groupby(week)["nps"].agg(["size", "count"])
    assert rates["offered"].tolist() == expected["size"].tolist()
    assert rates["answered"].tolist() == expected["count"].tolist()


def test_nonresponse_sensitivity_reweights_group_scores_by_offers(data):
    source, frame, customers = data
    result = nonresponse_sensitivity(source, "csat", by="channel")
    offered = frame[frame["survey_offered"] | frame["csat"].notna()]
    group = offered.groupby("channel").agg(offers=("csat", "size"),
                                           value=("csat", lambda c: 100 * (c.dropna() >= 4).mean()))
    answers = frame.dropna(subset=["csat"])
    assert result.measured == pytest.approx(100 * (answers["csat"] >= 4).mean())
    assert result.reweighted == pytest.approx(np.average(group["value"], weights=group["offers"]))


def test_warning_when_response_rates_differ_a_lot():
    rates = pd.DataFrame({"channel": ["email", "chat", "phone"], "offered": [400, 300, 10],
                          "response_rate": [20.0, 45.0, 90.0]})
    warning = response_warning(rates, "channel")
    assert warning is not None and "chat 45% vs email 20%" in warning  # phone: too few offers to compare
    assert response_warning(rates.assign(response_rate=[40.0, 45.0, 90.0]), "channel") is None


def test_no_offer_marker_no_response_rate(make_source):
    frame, customers = _frames(rows=60)
    source = make_source(frame.drop(columns=["survey_offered"]), customers)  # mapped, but empty everywhere
    assert source.has("survey_offered") and not has_offers(source, summarize(source))
    assert has_offers(source)  # without the summary: mapped is all that can be said
    with pytest.raises(MetricError, match="response rates exist for survey scores"):
        response_rates(source, "ttr")
