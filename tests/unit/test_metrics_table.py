"""A MetricTable keeps its sufficient statistics, and a metric is one object in the registry.

- values, low-n flags for any minimum n and the change test between two weeks come from the one
  query that read the table (the reads are counted);
- the registry is the only place a metric is defined: every registered metric computes end to
  end, a metric written outside it works through the same functions, and no `if metric ==` branch
  is left in cx/.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from cx import metrics
from cx.db import memory_source
from cx.db.dialects import count_where
from cx.metrics import significance as sig
from cx.metrics.registry import Metric, MetricError
from cx.schema import Scale, Scales
from cx.scope import Scope

CX = Path(__file__).resolve().parents[2] / "cx"


@pytest.fixture(scope="module")
def source():
    rng = np.random.default_rng(4)
    n = 600
    days = pd.to_datetime("2026-03-02") + pd.to_timedelta(rng.integers(0, 14, n), unit="D")
    interactions = pd.DataFrame({
        "customer_id": [f"c{k % 90}" for k in range(n)],
        "occurred_at": days + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
        "channel": rng.choice(["chat", "email", "phone"], n),
        "journey_stage": rng.choice(["purchase", "retention"], n),
        "nps": rng.integers(0, 11, n).astype(float),
        "csat": rng.integers(1, 6, n).astype(float),
        "ces": rng.integers(1, 8, n).astype(float),
        "first_response_minutes": rng.lognormal(3, 1, n).round(1),
        "resolution_hours": rng.lognormal(2, 1, n).round(2),
        "resolved_first_contact": rng.random(n) < 0.7,
    })
    customers = pd.DataFrame({"customer_id": [f"c{k}" for k in range(90)], "segment": ["consumer", "business"] * 45,
                              "churned": rng.random(90) < 0.2, "lifetime_value": rng.gamma(2, 300, 90).round(2)})
    return memory_source(interactions, customers), interactions


def test_a_new_minimum_n_re_flags_without_a_query(source, source_reads):
    src, _ = source
    table = metrics.MetricTable.read(src, "nps", "week", ["channel"])
    assert len(source_reads) == 1
    few, many = table.table(min_n=1), table.table(min_n=10**6)
    assert len(source_reads) == 1  # no query for either minimum n
    assert not few.low_n.any() and many.low_n.all()
    pd.testing.assert_frame_equal(few, metrics.metric_table(src, "nps", "week", ["channel"], min_n=1))
    pd.testing.assert_frame_equal(many.drop(columns="low_n"), few.drop(columns="low_n"))


@pytest.mark.parametrize("metric", metrics.METRICS)
def test_every_registered_metric_is_one_query_with_values_and_a_change_test(source, source_reads, metric):
    src, _ = source
    table = metrics.MetricTable.read(src, metric, "week", ["channel"])
    changes = table.changes(dt.date(2026, 3, 9), dt.date(2026, 3, 2))
    assert len(source_reads) == 1
    assert len(changes) == 3 and set(changes.channel) == {"chat", "email", "phone"}
    assert np.isfinite(changes.value).all() and np.isfinite(changes.previous).all()
    assert ((changes.p_value > 0) & (changes.p_value <= 1)).all()
    d = table.definition
    assert d.key == metric and d.label and d.unit and d.definition and d.formula and d.interval


def test_the_change_test_uses_the_statistics_of_both_weeks(source):
    src, interactions = source
    table = metrics.MetricTable.read(src, "csat", "week", ["channel"])
    changes = table.changes(dt.date(2026, 3, 9), dt.date(2026, 3, 2)).set_index("channel")
    week = interactions.occurred_at.dt.normalize() >= pd.Timestamp("2026-03-09")
    for channel, row in changes.iterrows():
        cell = interactions.channel == channel
        top = interactions.csat >= 4
        counts = [int((top & cell & week).sum()), int((top & cell & ~week).sum())]
        sizes = [int((cell & week).sum()), int((cell & ~week).sum())]
        assert row.n == sizes[0] and row.previous_n == sizes[1]
        assert row.p_value == pytest.approx(proportions_ztest(counts, sizes)[1], rel=1e-9)
    ces = metrics.MetricTable.read(src, "ces", "week").changes(dt.date(2026, 3, 9), dt.date(2026, 3, 2))
    welch = stats.ttest_ind(interactions.ces[week], interactions.ces[~week], equal_var=False)
    assert ces.p_value.iloc[0] == pytest.approx(welch.pvalue, rel=1e-9)


def test_a_change_pairs_the_cells_of_both_weeks_as_a_merge_would():
    """Cells measured in one week only are left out, a missing key pairs with a missing key, the order is
    this week's; the pairs and numbers agree with a pandas merge of the two weeks' tables."""
    rng = np.random.default_rng(11)
    n = 3000
    days = pd.Timestamp("2026-03-02") + pd.to_timedelta(rng.integers(0, 14, n), unit="D")
    channel = pd.Series(rng.choice(["chat", "email", "phone", None], n), dtype=object)
    stage = pd.Series(rng.choice(["purchase", "retention"], n), dtype=object)
    second = days >= pd.Timestamp("2026-03-09")
    channel[second & (channel == "phone").to_numpy()] = "sms"  # phone: last week only; sms: this week only
    frame = pd.DataFrame({"interaction_id": [f"i{k}" for k in range(n)], "customer_id": [f"c{k % 97}" for k in range(n)],
                          "occurred_at": days, "channel": channel, "journey_stage": stage,
                          "csat": rng.integers(1, 6, n).astype(float)})
    src = memory_source(frame, pd.DataFrame({"customer_id": [f"c{k}" for k in range(97)]}))
    table = metrics.MetricTable.read(src, "csat", "week", ["channel", "journey_stage"])
    changes = table.changes(dt.date(2026, 3, 9), dt.date(2026, 3, 2))
    cells = table.table()
    now, before = (cells[cells.period == pd.Timestamp(d)] for d in ("2026-03-09", "2026-03-02"))
    expected = now.merge(before, on=["channel", "journey_stage"], suffixes=("", "_before"))
    assert len(changes) == len(expected) == 6  # (chat, email, missing) × 2 stages; phone and sms unpaired
    assert changes.channel.isna().sum() == 2
    assert list(changes.channel.fillna("-")) == list(expected.channel.fillna("-"))
    assert list(changes.journey_stage) == list(expected.journey_stage)
    np.testing.assert_allclose(changes.value, expected.value)
    np.testing.assert_allclose(changes.previous, expected.value_before)
    np.testing.assert_array_equal(changes.n, expected.n)
    np.testing.assert_array_equal(changes.previous_n, expected.n_before)
    for row in changes.itertuples():
        cell = ((frame.channel.isna() if row.channel is None or row.channel != row.channel else frame.channel == row.channel)
                & (frame.journey_stage == row.journey_stage))
        top = frame.csat >= 4
        counts = [int((top & cell & second).sum()), int((top & cell & ~second).sum())]
        sizes = [int((cell & second).sum()), int((cell & ~second).sum())]
        assert (row.n, row.previous_n) == tuple(sizes)
        assert row.p_value == pytest.approx(proportions_ztest(counts, sizes)[1], rel=1e-9)


def test_several_cuts_are_one_query_with_the_numbers_of_each_alone(source, source_reads):
    src, _ = source
    week = metrics.Cut("week", (), Scope(date_from="2026-03-02"))
    cuts = {"cells": metrics.Cut("week", ("channel", "segment")), "weeks": week, "all": metrics.Cut("all")}
    for metric in metrics.METRICS:
        source_reads.clear()
        tables = metrics.metric_tables(src, metric, cuts)
        assert len(source_reads) == 1, metric
        for name, cut in cuts.items():
            alone = metrics.metric_table(src, metric, cut.grain, cut.by, cut.scope)
            pd.testing.assert_frame_equal(tables[name].table(), alone, check_dtype=False, obj=f"{metric} {name}")


def test_a_metric_written_outside_the_registry_runs_through_the_same_functions(source):
    src, interactions = source
    promoters = Metric(
        key="promoters", label="Promoters", unit="%", column="nps", higher_is_better=True,
        definition="Share of 9–10 answers.", formula="100 × promoters / responses", interval="Wilson.",
        statistics=lambda x, z: {"successes": count_where(x >= 9)},
        estimate=lambda s, confidence: metrics.wilson_interval(s.n, s.successes, confidence),
        change_test=lambda now, before: sig.two_proportion_test(now.successes, now.n, before.successes, before.n)[1],
        counted=lambda x: x.between(0, 10), span=100.0)
    table = metrics.metric_table(src, promoters, "all", ["channel"])
    for row in table.itertuples():
        answers = interactions.nps[interactions.channel == row.channel]
        assert row.n == len(answers) and row.value == pytest.approx(100 * (answers >= 9).mean(), rel=1e-12)
    rows = metrics.interactions_for_cell(src, promoters, cell={"channel": "chat"}, limit=5)
    assert list(rows.columns[:2]) == ["occurred_at", "customer_id"] and len(rows) == 5


def test_lookup_and_availability_come_from_the_registry():
    assert metrics.lookup(" NPS ").key == "nps"
    with pytest.raises(MetricError, match="unknown metric 'bogus'"):
        metrics.lookup("bogus")
    assert metrics.available({"customer_id": 5, "resolution_hours": 3, "customers.lifetime_value": 1}) == \
        ["ttr", "volume", "ltv"]
    assert metrics.available({}) == []
    effort = metrics.lookup("ces", Scales(ces=Scale(1, 5, higher_is_better=False)))
    assert not effort.higher_is_better and "1–5" in effort.formula and effort.span == 4


def test_metric_knowledge_lives_in_the_registry_only():
    """No `metric == "nps"`-style branch outside cx/metrics/registry.py: adding a metric touches one file."""
    names = "|".join(metrics.METRICS)
    branch = re.compile(rf"""\b(metric|key)\s*(==|!=)\s*["']({names})["']|\b(metric|key)\s+(not\s+)?in\s+\(["']({names})["']""")
    found = [f"{path.relative_to(CX)}:{k}" for path in CX.rglob("*.py") if path.name != "registry.py"
             for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if branch.search(line)]
    assert found == []


def test_statistics_read_numbers_decimals_text_and_missing_values_alike():
    """Every backend's statistics become the same float64 arrays: numbers straight from their column
    (DuckDB, PostgreSQL), MySQL's Decimal sums and SQLite's text through a per-value conversion."""
    from decimal import Decimal

    import numpy as np
    import pandas as pd

    from cx.metrics.registry import Statistics

    expected = np.array([1.0, np.nan, 2.5, 0.0])
    frames = {
        "float": pd.Series([1.0, np.nan, 2.5, 0.0]),
        "nullable float": pd.Series([1.0, None, 2.5, 0.0], dtype="Float64"),
        "arrow double": pd.Series([1.0, None, 2.5, 0.0], dtype="double[pyarrow]"),
        "decimal": pd.Series([Decimal("1"), None, Decimal("2.5"), Decimal("0")], dtype=object),
        "text": pd.Series(["1", None, "2.5", "0"], dtype=object),
    }
    for name, column in frames.items():
        got = Statistics(pd.DataFrame({"total": column})).total
        assert got.dtype == np.float64 and np.array_equal(got, expected, equal_nan=True), name
    ints = Statistics(pd.DataFrame({"n": pd.Series([3, 0, 7], dtype="int64")})).n
    assert ints.dtype == np.float64 and ints.tolist() == [3.0, 0.0, 7.0]
