"""A week's alerts cut from the source's whole weekly history are the alerts a query of that week's
window gives, on every backend (the Overview reads the history once and cuts every week from it)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from cx.loop import alerts
from cx.loop.alerts import Rule

RULES = [Rule("change", "csat", ("channel",)), Rule("anomaly", "csat", ("channel",)),
         Rule("change", "nps", ()), Rule("anomaly", "frt", ("channel",)),
         Rule("threshold", "csat", ("channel",), threshold=60.0, cell={"channel": "chat"}),
         Rule("change", "volume", ("channel",), baseline_weeks=2)]


def _data(seed: int = 11) -> pd.DataFrame:
    """8,000 contacts of 300 customers over 70 weeks (more than one alert window), three channels; chat
    worse in the last weeks, so some rules fire."""
    rng = np.random.default_rng(seed)
    n = 8000
    start = dt.datetime(2025, 1, 1, 9)  # a Wednesday: the first week is partial
    occurred = [start + dt.timedelta(days=int(d), hours=int(h)) for d, h in zip(rng.integers(0, 490, n), rng.integers(0, 10, n))]
    channel = rng.choice(["email", "chat", "phone"], n)
    late = np.array([o > dt.datetime(2026, 4, 1) for o in occurred])
    csat = np.clip(np.round(rng.normal(4.0, 0.9, n) - 2.0 * (late & (channel == "chat"))), 1, 5)
    return pd.DataFrame({
        "customer_id": [f"c{k:03d}" for k in rng.integers(0, 300, n)],
        "occurred_at": occurred, "channel": channel,
        "csat": np.where(rng.random(n) < 0.8, csat, np.nan),
        "nps": np.where(rng.random(n) < 0.5, rng.integers(0, 11, n), np.nan),
        "first_response_minutes": np.where(rng.random(n) < 0.7, rng.exponential(30, n).round(1), np.nan),
    })


def _same(left: alerts.AlertRun, right: alerts.AlertRun) -> None:
    assert left.week == right.week and left.cell_columns == right.cell_columns
    pdt.assert_frame_equal(left.records, right.records, check_exact=False, rtol=1e-12)


def test_every_weeks_run_cut_from_the_history_equals_its_own_query(make_source):
    source = make_source(_data())
    history = alerts.history_tables(source, RULES)
    fired = 0
    for week in ("2025-W40", "2026-W02", "2026-W15", "2026-W18", "2026-W19"):
        windowed = alerts.evaluate(source, RULES, week=week)
        _same(alerts.evaluate(source, RULES, week=week, history=history), windowed)
        fired += len(windowed.fired)
    assert fired  # the comparison covers alerts that fire, not only quiet weeks


def test_a_run_from_the_history_reads_only_its_baselines(make_source, source_reads):
    source = make_source(_data())
    history = alerts.history_tables(source, RULES)
    source_reads.clear()
    alerts.evaluate(source, RULES, week="2026-W15", history=history)
    assert len(source_reads) == 3  # the change rules' baselines (csat, nps, volume); no weekly table


@pytest.mark.parametrize("week", ["2026-W09", "2026-W11"])
def test_the_demo_run_from_history_equals_the_windowed_run(demo_source, week):
    rules = alerts.rules_for(demo_source)
    history = alerts.history_tables(demo_source, rules)
    _same(alerts.evaluate(demo_source, rules, week=week, history=history), alerts.evaluate(demo_source, week=week))
