"""Funnel, stage × channel grid and flows on every backend, against hand counts and a pandas reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx.journeys import stages as journeys_stages
from cx.scope import Scope

T0 = dt.datetime(2026, 3, 2, 8, 0, 0)


def path(customer, stages, channels=None, csat=None):
    channels = channels or ["web"] * len(stages)
    csat = csat or [4] * len(stages)
    return [{"customer_id": customer, "occurred_at": T0 + dt.timedelta(hours=k), "seq": k + 1, "journey_stage": s,
             "channel": c, "csat": v} for k, (s, c, v) in enumerate(zip(stages, channels, csat))]


def data() -> pd.DataFrame:
    rows = []
    rows += path("a", ["awareness", "awareness", "consideration", "purchase"], ["web", "web", "chat", "store"])
    rows += path("b", ["awareness", "purchase", "retention", "purchase"], ["app", "chat", "chat", "web"])
    rows += path("c", ["awareness"], csat=[1])
    rows += path("d", ["retention", "loyalty club"], ["email", "email"], csat=[1, 5])  # a stage of the user's own
    rows += path("e", ["consideration", None], ["chat", None])
    return pd.DataFrame(rows)


def test_funnel_counts_customers_reaching_each_stage(make_source):
    funnel = journeys_stages.stage_funnel(make_source(data())).set_index("journey_stage")
    assert list(funnel.index) == ["awareness", "consideration", "purchase", "retention", "loyalty club"]
    # furthest stages: a purchase, b retention, c awareness, d loyalty club, e consideration
    assert funnel["reached"].tolist() == [5, 4, 3, 2, 1]
    assert funnel["customers"].tolist() == [3, 2, 2, 2, 1]
    assert funnel.loc["purchase", "share_of_first"] == 60.0
    assert funnel.loc["retention", "conversion"] == pytest.approx(200 / 3)


def test_stage_channel_matrix_matches_pandas(make_source):
    frame = data()
    matrix = journeys_stages.stage_channel_matrix(make_source(frame))
    ref = frame.fillna({"journey_stage": "(none)", "channel": "(none)"}).assign(
        idx=lambda f: (f["csat"] - 1) * 25).groupby(["journey_stage", "channel"]).agg(
        interactions=("customer_id", "size"), customers=("customer_id", "nunique"), mean_index=("idx", "mean"))
    got = matrix.set_index(["journey_stage", "channel"]).sort_index()
    ref = ref.sort_index()
    assert got["interactions"].tolist() == ref["interactions"].tolist()
    assert got["customers"].tolist() == ref["customers"].tolist()
    np.testing.assert_allclose(got["mean_index"], ref["mean_index"])
    # CSAT 1 is the bottom of the 1–5 scale: c's awareness and d's retention interactions are incidents
    assert got.loc[("awareness", "web"), "incidents"] == 1 and got.loc[("retention", "email"), "incident_rate"] == 100
    assert matrix["journey_stage"].iloc[0] == "awareness"  # funnel order


def test_flows_collapse_repeats_and_count_customers(make_source):
    source = make_source(data())
    flows = journeys_stages.journey_flows(source, steps=3)
    links = {(r.step, r.source, r.target): r.customers for r in flows.itertuples()}
    assert links == {
        (1, "awareness", "consideration"): 1, (2, "consideration", "purchase"): 1,
        (1, "awareness", "purchase"): 1, (2, "purchase", "retention"): 1,
        (1, "retention", "loyalty club"): 1, (1, "consideration", "(none)"): 1,
    }
    by_channel = journeys_stages.journey_flows(source, by="channel", steps=2)
    assert {(r.source, r.target) for r in by_channel.itertuples()} == {
        ("web", "chat"), ("app", "chat"), ("chat", "(none)")}
    assert journeys_stages.journey_flows(source, Scope(channels=["store"])).empty


def test_stage_metrics_in_funnel_order(make_source):
    table = journeys_stages.stage_metrics(make_source(data()), metric_keys=("csat",))
    assert table["journey_stage"].tolist()[:3] == ["awareness", "consideration", "purchase"]
    assert set(table["metric"]) == {"csat"}
