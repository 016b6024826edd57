"""The churn features in batches of customers (DuckDB: bounded working memory) are the features of one query."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from cx.churn import features
from cx.churn.table import CutoffRule
from cx.scope import Scope


def _frame(source, size, monkeypatch, **kwargs) -> pd.DataFrame:
    monkeypatch.setattr(features, "FEATURE_BATCH", size)
    return features.churn_features(source, **kwargs).frame.sort_values("customer_id", ignore_index=True)


def test_batches_split_the_customers_once_each(demo_source):
    batches = features.customer_batches(demo_source, 3_000)
    assert len(batches) == 7  # 20,000 customers in ranges of 3,000
    c = demo_source.customers
    counts = [int(demo_source.read(sa.select(sa.func.count()).select_from(c).where(*b)).iloc[0, 0]) for b in batches]
    total = int(demo_source.read(sa.select(sa.func.count()).select_from(c)).iloc[0, 0])
    assert sum(counts) == total and all(0 < n <= 3_000 for n in counts)
    assert features.customer_batches(demo_source, total) == [None]  # all in one: no condition


@pytest.mark.parametrize("kwargs", [{}, {"rule": CutoffRule("window", horizon_days=60)},
                                    {"scope": Scope(segments=("small business",))}, {"as_of_now": True}])
def test_batched_features_equal_one_query(demo_source, monkeypatch, kwargs):
    one = _frame(demo_source, 10**9, monkeypatch, **kwargs)
    batched = _frame(demo_source, 2_500, monkeypatch, **kwargs)
    assert len(one) > 1_000
    # the same customers with the same features; sums over a customer's rows may be added in another order
    pd.testing.assert_frame_equal(one, batched, check_exact=False, rtol=1e-12, atol=1e-12)


def test_batched_rows_come_in_customer_order(demo_source, monkeypatch):
    """The fit sample is drawn by position: batched rows have one order, whatever the threads did."""
    monkeypatch.setattr(features, "FEATURE_BATCH", 2_500)
    ids = features.churn_features(demo_source).frame["customer_id"]
    assert ids.is_monotonic_increasing
