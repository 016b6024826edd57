"""Alerts: the false-alarm rate stated is the one delivered (simulation), planted changes fire in
the right week (simulation and the demo's chat outage), and each test agrees with scipy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cx.loop import alerts
from cx.loop.alerts import Rule
from cx.metrics import MetricTable, lookup

CHANNELS = ("email", "chat", "phone", "social", "web", "app", "store")
WEEKS = 90
MONDAY0 = dt.date(2024, 1, 1)
LAST = MONDAY0 + dt.timedelta(weeks=WEEKS - 1)


def _csat_tables(rng, p: np.ndarray, n_mean: int = 150):
    """Weekly CSAT statistics per channel (``p``: weeks × channels success probabilities) as the
    database would return them, and the pooled 4-week baseline before the last week."""
    n = rng.poisson(n_mean, size=p.shape)
    successes = rng.binomial(n, p)
    periods = [pd.Timestamp(MONDAY0 + dt.timedelta(weeks=w)) for w in range(WEEKS)]
    raw = pd.DataFrame({
        "period": np.repeat(periods, len(CHANNELS)), "channel": np.tile(CHANNELS, WEEKS),
        "n": n.ravel(), "successes": successes.ravel(),
    })
    metric = lookup("csat")
    weekly = MetricTable.from_statistics(raw, metric, "week", ["channel"])
    base = raw[raw["period"].between(periods[-5], periods[-2])].groupby("channel", as_index=False)[["n", "successes"]].sum()
    baseline = MetricTable.from_statistics(base.assign(period=None), metric, "all", ["channel"])
    return {("csat", ("channel",)): weekly}, {("csat", ("channel",), 4): baseline}


RULES = [Rule("change", "csat"), Rule("anomaly", "csat"), Rule("threshold", "csat", threshold=70.0)]


def _share_alerting(p: np.ndarray, runs: int, seed: int, rules=RULES) -> float:
    rng = np.random.default_rng(seed)
    alerted = 0
    for _ in range(runs):
        weekly, baselines = _csat_tables(rng, p)
        run = alerts.evaluate_tables(weekly, baselines, rules, LAST, fdr=0.05)
        alerted += bool(run.records["fired"].any())
    return alerted / runs


def _upper(rate: float, runs: int) -> float:
    """The stated rate plus three Monte Carlo standard errors (the simulation's own noise)."""
    return rate + 3 * np.sqrt(rate * (1 - rate) / runs)


def test_no_change_alerts_at_most_the_stated_rate():
    # 7 channels × 3 rules = 21 cells per run, true CSAT exactly at the 70% threshold: the worst case
    p = np.full((WEEKS, len(CHANNELS)), 0.70)
    runs = 100
    assert _share_alerting(p, runs, seed=1) <= _upper(0.05, runs)


def test_seasonal_series_without_change_is_not_an_anomaly():
    # a strong yearly season (±8 points) and nothing else: the anomaly rule learns it from the series
    season = 0.08 * np.sin(2 * np.pi * np.arange(WEEKS) / 52)[:, None]
    p = np.clip(0.65 + season + np.zeros((1, len(CHANNELS))), 0, 1)
    runs = 100
    assert _share_alerting(p, runs, seed=2, rules=[Rule("anomaly", "csat")]) <= _upper(0.05, runs)


def test_a_planted_drop_fires_in_its_week_and_cell():
    p = np.full((WEEKS, len(CHANNELS)), 0.70)
    p[-1, CHANNELS.index("chat")] = 0.45
    rng = np.random.default_rng(3)
    hits = false = 0
    for _ in range(20):
        weekly, baselines = _csat_tables(rng, p)
        fired = alerts.evaluate_tables(weekly, baselines, RULES[:2], LAST).fired
        hits += {"change", "anomaly"} <= set(fired[fired["channel"] == "chat"]["rule"])
        false += int((fired["channel"] != "chat").sum())  # a true finding relaxes BH: a few may join it
    assert hits >= 18 and false <= 3


def test_the_demo_chat_outage_fires_in_week_11_and_not_before(demo_source):
    fired = {w: alerts.evaluate(demo_source, week=w).fired for w in ("2026-W09", "2026-W10", "2026-W11")}
    assert fired["2026-W09"].empty and fired["2026-W10"].empty
    outage = fired["2026-W11"]
    assert set(outage["channel"]) == {"chat"}
    assert {"csat", "frt", "nps"} <= set(outage[outage["rule"] == "change"]["metric"])
    assert {"csat", "frt"} <= set(outage[outage["rule"] == "anomaly"]["metric"])
    csat = outage[(outage["metric"] == "csat") & (outage["rule"] == "change")].iloc[0]
    assert csat["value"] < 30 < 55 < csat["expected"]
    records = alerts.evaluate(demo_source, week="2026-W11").to_records()
    assert set(records[0]) == {"rule", "metric", "channel", "period", "value", "expected", "threshold", "fired",
                               "false_alarm_rate"}
    assert records[0]["period"] == "2026-03-09" and records[0]["false_alarm_rate"] == 0.05


# --- each test against an independent computation ----------------------------------------------


def test_change_test_is_the_two_proportion_z_test_against_the_pooled_baseline():
    rng = np.random.default_rng(4)
    p = np.full((WEEKS, len(CHANNELS)), 0.7)
    weekly, baselines = _csat_tables(rng, p)
    tests = alerts.change_tests(weekly[("csat", ("channel",))], baselines[("csat", ("channel",), 4)],
                                Rule("change", "csat"), LAST)
    cells = weekly[("csat", ("channel",))].cells
    for row in tests.itertuples():
        now = cells[(cells.period == pd.Timestamp(LAST)) & (cells.channel == row.channel)].iloc[0]
        base = cells[(cells.period < pd.Timestamp(LAST)) & (cells.period >= pd.Timestamp(LAST - dt.timedelta(weeks=4)))
                     & (cells.channel == row.channel)]
        s0, n0 = base.successes.sum(), base.n.sum()
        pooled = (now.successes + s0) / (now.n + n0)
        z = (now.successes / now.n - s0 / n0) / np.sqrt(pooled * (1 - pooled) * (1 / now.n + 1 / n0))
        assert row.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
        assert row.expected == pytest.approx(100 * s0 / n0)


def test_threshold_test_reads_the_interval_half_facing_the_threshold():
    rng = np.random.default_rng(5)
    weekly, _ = _csat_tables(rng, np.full((WEEKS, len(CHANNELS)), 0.7))
    table = weekly[("csat", ("channel",))]
    tests = alerts.threshold_tests(table, Rule("threshold", "csat", threshold=75.0), LAST)
    rows = table.table()
    rows = rows[rows.period == pd.Timestamp(LAST)].set_index("channel")
    for row in tests.itertuples():
        r = rows.loc[row.channel]
        se = ((r.ci_high - r.value) if r.value < 75 else (r.value - r.ci_low)) / stats.norm.ppf(0.975)
        assert row.p_value == pytest.approx(stats.norm.cdf((r.value - 75) / se), rel=1e-9)


def test_anomaly_test_is_a_t_test_on_the_past_residuals():
    rng = np.random.default_rng(6)
    x = 50 + rng.normal(0, 2, 40)
    x[-1] = 60
    expected, p = alerts.anomaly_test(x, 39)
    assert expected == pytest.approx(x[31:39].mean())  # under a year of history: the 8 weeks before
    residuals = np.array([x[s] - x[max(0, s - 8):s].mean() for s in range(13, 39)])
    scale = np.sqrt(np.mean(residuals**2))
    assert p == pytest.approx(2 * stats.t.sf(abs(60 - expected) / scale, df=len(residuals)))


def test_seasonal_expectation_moves_last_years_weeks_by_the_level_change():
    x = np.arange(70, dtype=float)  # a trend: last year + level change recovers it exactly
    assert alerts.seasonal_expectation(x, 65) == pytest.approx(65.0)
    x = np.full(70, 10.0)
    x[65 - 52] = 40  # last year's same week was high: so is this year's expectation
    assert alerts.seasonal_expectation(x, 65) == pytest.approx(20.0)


def test_expectations_of_every_week_match_the_definition():
    rng = np.random.default_rng(8)
    x = rng.normal(50, 3, 90)
    x[[10, 40, 70]] = np.nan
    wide = alerts.expectations(pd.DataFrame({"a": x}))["a"].to_numpy()
    for t in range(90):
        assert wide[t] == pytest.approx(alerts.seasonal_expectation(x, t), nan_ok=True)


def test_rules_refuse_what_they_cannot_do():
    with pytest.raises(alerts.AlertError, match="needs a threshold"):
        Rule("threshold", "nps")
    with pytest.raises(alerts.AlertError, match="unknown rule"):
        Rule("spike", "nps")
    with pytest.raises(ValueError, match="unknown metric"):
        Rule("change", "happiness")


def test_fired_alerts_are_remembered_once(tmp_path):
    from cx.db.write import AppStore

    store = AppStore(f"sqlite:///{tmp_path / 'app.sqlite'}")
    p = np.full((WEEKS, len(CHANNELS)), 0.70)
    p[-1, 1] = 0.3
    weekly, baselines = _csat_tables(np.random.default_rng(7), p)
    run = alerts.evaluate_tables(weekly, baselines, RULES[:1], LAST)
    assert alerts.record_alerts(store, "demo", run) == 1
    assert alerts.record_alerts(store, "demo", run) == 0
    kept = alerts.fired_alerts(store, "demo")
    assert kept["cell"].tolist() == ['{"channel": "chat"}'] and kept["period"].tolist() == [LAST.isoformat()]
