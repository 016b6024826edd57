"""The Trends page's non-response sensitivity from the tables it already holds equals the two-query one.

``sensitivity_of`` pools a per-period response-rate table and a per-period metric table over their
periods; ``nonresponse_sensitivity`` reads both at grain "all". On data without undated rows they
must give the same numbers, on every backend, for every score, grain, breakdown and scope. The
reference below is the computation ``nonresponse_sensitivity`` did before it was split (verbatim).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx.metrics import metric_table
from cx.metrics.query import MetricTable
from cx.metrics.registry import lookup
from cx.schema import Grain
from cx.scope import Scope
from cx.teams.response import nonresponse_sensitivity, response_rates, response_warning, sensitivity_of
from tests.sql.test_teams_sql import _frames


def _old_sensitivity(source, metric, by, scope):
    """nonresponse_sensitivity as it was (two queries at grain "all"), for the comparison."""
    m = lookup(metric, source.scales)
    rates = response_rates(source, m.key, Grain.ALL, [by], scope)
    scores = MetricTable.read(source, m, Grain.ALL, [by], scope)
    values = scores.table(min_n=0)[[by, "n", "value"]]
    merged = rates.merge(values, on=by, how="inner")
    merged = merged[merged["n"] > 0].reset_index(drop=True)
    answers, offers = merged["n"].to_numpy("float64"), merged["offered"].to_numpy("float64")
    value = merged["value"].to_numpy("float64")
    groups = merged[[by, "offered", "answered", "response_rate", "value"]].assign(
        answer_share=answers / answers.sum(), offer_share=offers / offers.sum())
    return (float(np.sum(answers * value) / answers.sum()), float(np.sum(offers * value) / offers.sum()), groups,
            response_warning(rates, by))


def _same(new, old, by):
    measured, reweighted, groups, warning = old
    assert new.measured == pytest.approx(measured, rel=1e-12, abs=1e-12)
    assert new.reweighted == pytest.approx(reweighted, rel=1e-12, abs=1e-12)
    assert new.warning == warning
    got, want = new.groups.reset_index(drop=True), groups.reset_index(drop=True)
    assert [None if pd.isna(v) else str(v) for v in got[by]] == [None if pd.isna(v) else str(v) for v in want[by]]
    assert got["offered"].tolist() == want["offered"].tolist()
    assert got["answered"].tolist() == want["answered"].tolist()
    for name in ("response_rate", "value", "answer_share", "offer_share"):
        assert got[name].to_numpy("float64") == pytest.approx(want[name].to_numpy("float64"), rel=1e-12, abs=1e-12)


@pytest.fixture
def data(make_source):
    frame, customers = _frames(rows=700, seed=9)
    frame.loc[frame.index[5:9], "channel"] = None  # a missing group is a group too
    return make_source(frame, customers)


@pytest.mark.parametrize("metric", ["nps", "csat", "ces"])
@pytest.mark.parametrize("by", ["channel", "segment", "agent"])
def test_sensitivity_from_the_pages_tables_equals_the_two_queries(data, metric, by):
    source = data
    for scope in (Scope(), Scope(channels=("email", "chat")), Scope(date_from=pd.Timestamp("2026-01-20").date())):
        old = _old_sensitivity(source, metric, by, scope)
        _same(nonresponse_sensitivity(source, metric, by, scope), old, by)
        for grain in ("week", "month", "day", "all"):
            rates = response_rates(source, metric, grain, [by], scope)
            scores = metric_table(source, metric, grain, [by], scope)
            _same(sensitivity_of(rates, scores, lookup(metric, source.scales), by), old, by)
