"""Alerts on real data nobody here made: 6,123 Olist marketplace reviews (Brazil, Oct 2016 – Aug 2018;
tests/data/real/README.md). Checked against pandas/statsmodels computed from the raw file, and
against a documented real event: the truckers' strike that stopped deliveries across Brazil
(21 May – early June 2018) shows as a collapse of reviews in the week of 28 May 2018."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pandas as pd
import pytest

from cx import ingest
from cx.loop import alerts
from cx.loop.alerts import Rule

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
FILE, MAPPING = REAL / "olist_order_reviews.csv", REAL / "olist_order_reviews.mapping.json"


@functools.cache
def _source():
    return ingest.open_files([str(FILE)], str(MAPPING))


def _raw() -> pd.DataFrame:
    frame = pd.read_csv(FILE)
    frame["week"] = pd.to_datetime(frame["review_creation_date"]).dt.to_period("W-SUN").dt.start_time
    return frame


def test_csat_change_matches_a_two_proportion_test_on_the_raw_reviews():
    from statsmodels.stats.proportion import proportions_ztest

    monday = dt.date(2018, 3, 19)  # 2018-W12: satisfaction fell (late deliveries)
    run = alerts.evaluate(_source(), [Rule("change", "csat", ())], week=monday)
    record = run.records.iloc[0]
    raw = _raw()
    top = raw["review_score"] >= 4
    now = raw["week"] == pd.Timestamp(monday)
    before = raw["week"].between(pd.Timestamp(monday - dt.timedelta(weeks=4)), pd.Timestamp(monday - dt.timedelta(days=1)))
    _, p = proportions_ztest([top[now].sum(), top[before].sum()], [now.sum(), before.sum()])
    assert record["value"] == pytest.approx(100 * top[now].mean())
    assert record["expected"] == pytest.approx(100 * top[before].mean())
    assert record["p_value"] == pytest.approx(p, rel=1e-9)
    assert bool(record["fired"])  # 58.5% against 74.8%: q = 0.002


def test_the_2018_truckers_strike_shows_as_a_volume_alert_in_its_week():
    rules = [Rule("anomaly", "volume", ())]
    fired = {w: alerts.evaluate(_source(), rules, week=w).fired for w in ("2018-W21", "2018-W22", "2018-W23")}
    strike = fired["2018-W22"]
    assert len(strike) == 1 and strike["value"][0] == (_raw()["week"] == pd.Timestamp("2018-05-28")).sum() == 33
    assert strike["expected"][0] > 100 and fired["2018-W21"].empty and fired["2018-W23"].empty
