"""A channel or stage filter on a table broken down by that column is a cut of the unfiltered table.

The Trends page answers a new channel by cutting the unfiltered table it holds
(``covering_scope`` + ``cut_cells``) instead of a new query: here the cut equals the filtered query
on every backend, for every metric (shares, means, NPS with its cluster-robust sums, exact medians
and p90, counts, per-customer rates), every grain, breakdowns that hold the filtered column, and
scopes that also carry a day range and a segment. Response rates likewise. Floats agree to 1e-9
(a server may add a cell's float sums in another order: PostgreSQL differed by 1e-12).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from cx import demo
from cx.metrics import covering_scope, cut_cells, metric_table
from cx.scope import Scope
from cx.teams.response import response_rates

METRICS = ("nps", "csat", "ces", "frt", "ttr", "fcr", "volume", "churn", "retention", "ltv")


def demo_frames(directory, customers: int, interactions: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small demo's interactions and customers, to load into any backend."""
    path = directory / "demo.duckdb"
    demo.generate(path, customers=customers, interactions=interactions, seed=seed)
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT * FROM interactions").fetchdf(), con.execute("SELECT * FROM customers").fetchdf()


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    interactions, customers = demo_frames(tmp_path_factory.mktemp("cuts"), 300, 5000, 11)
    interactions.loc[interactions.index[:7], "channel"] = None  # rows without a channel: their own cell
    return interactions, customers


@pytest.fixture
def source(make_source, frames):
    return make_source(*frames)


def same_frames(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal columns, rows and values (floats to 1e-9, missing values alike whatever their kind)."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for name in got.columns:
        a, b = got[name].reset_index(drop=True), want[name].reset_index(drop=True)
        if pd.api.types.is_float_dtype(b):
            assert a.to_numpy("float64") == pytest.approx(b.to_numpy("float64"), rel=1e-9, abs=1e-9, nan_ok=True), name
        else:
            assert [None if pd.isna(v) else v for v in a] == [None if pd.isna(v) else v for v in b], name


SCOPES = [
    Scope(channels=("email",)),
    Scope(channels=("chat", "phone")),
    Scope(stages=("purchase",)),
    Scope(channels=("email", "app"), stages=("retention", "advocacy")),
    Scope(channels=("phone",), date_from="2025-09-01", date_to="2025-12-15"),
    Scope(channels=("email",), segments=("small business",)),
]


@pytest.mark.parametrize("by", [("channel",), ("journey_stage", "channel"), ("channel", "segment")])
def test_a_cut_of_the_unfiltered_table_equals_the_filtered_query(source, by):
    for number, scope in enumerate(SCOPES):
        wider, cuts = covering_scope(scope, by)
        assert wider != scope or not cuts
        # each scope at two of the three grains, every grain at four scopes (all three: 3 minutes of CI on MariaDB)
        for grain in [("week", "month", "all")[(number + step) % 3] for step in (0, 1)]:
            for metric in METRICS:
                want = metric_table(source, metric, grain, list(by), scope)
                got = cut_cells(metric_table(source, metric, grain, list(by), wider), cuts)
                same_frames(got, want)
            for metric in ("nps", "csat"):
                same_frames(cut_cells(response_rates(source, metric, grain, list(by), wider), cuts),
                      response_rates(source, metric, grain, list(by), scope))


def test_a_filter_on_a_column_not_broken_down_is_kept():
    scope = Scope(channels=("email",), stages=("retention",), segments=("consumer",), date_from="2025-09-01")
    wider, cuts = covering_scope(scope, ["segment"])
    assert wider == scope and cuts == {}
    wider, cuts = covering_scope(scope, ["channel"])
    assert wider == Scope(stages=("retention",), segments=("consumer",), date_from="2025-09-01")
    assert cuts == {"channel": ("email",)}
    table = pd.DataFrame({"channel": ["app", "email", None], "n": [1, 2, 3]})
    assert cut_cells(table, cuts)["n"].tolist() == [2]
    assert cut_cells(table, {}) is table
    assert np.array_equal(cut_cells(table, {"channel": ("app", "email")}).index, [0, 1])
