"""Attributes that vary by row stay per row (issue 12), with the same numbers on every backend.

A customer attribute (segment, region, an extra one) that changes from row to row within a customer is
kept on the interactions too (a column of the same name). Questions about rows (metrics, drill-downs)
read the row's value where it has one and the customer's otherwise; questions about customers (churn
rate, churn features, journeys) read the customer's. Each is checked against pandas here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx import metrics
from cx.db.summary import attribute_values
from cx.db.where import row_attributes
from cx.metrics.query import Cut
from cx.scope import Scope


def _data(seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """40 customers with 1–6 contacts each; region, segment and plan given per row, changing within a customer,
    blank on some rows; the customers table holds each customer's latest values (as the loader keeps them)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(40):
        for j in range(int(rng.integers(1, 7))):
            rows.append({
                "customer_id": f"c{k:02d}", "occurred_at": dt.datetime(2026, 1, 5) + dt.timedelta(days=int(rng.integers(0, 60))),
                "channel": str(rng.choice(["email", "chat", "phone"])), "csat": float(rng.integers(1, 6)),
                "region": None if rng.random() < 0.15 else str(rng.choice(["NY", "TX", "CA", "WA"])),
                "segment": None if rng.random() < 0.1 else str(rng.choice(["gold", "silver"])),
                "plan": str(rng.choice(["basic", "pro"])) if j % 2 else "basic",
            })
    interactions = pd.DataFrame(rows)
    latest = interactions.sort_values("occurred_at", kind="stable").groupby("customer_id")[["region", "segment", "plan"]].last()
    customers = latest.reset_index()
    customers["churned"] = pd.array(rng.random(len(customers)) < 0.3, dtype="boolean")
    return interactions, customers


def _row_values(interactions: pd.DataFrame, customers: pd.DataFrame, column: str) -> pd.Series:
    """The independent reference: the row's value where it has one, else the customer's."""
    theirs = interactions["customer_id"].map(customers.set_index("customer_id")[column])
    return interactions[column].where(interactions[column].notna(), theirs)


def test_breakdowns_and_the_segment_filter_read_the_rows_value(make_source):
    interactions, customers = _data()
    source = make_source(interactions, customers)
    assert set(row_attributes(source.interactions)) == {"region", "segment", "plan"}
    region = _row_values(interactions, customers, "region")
    segment = _row_values(interactions, customers, "segment")
    assert (region != interactions["customer_id"].map(customers.set_index("customer_id")["region"])).any()

    volume = metrics.metric_table(source, "volume", "all", "region")
    assert dict(zip(volume["region"], volume["n"])) == region.value_counts().to_dict()

    csat = metrics.metric_table(source, "csat", "all", ["region", "plan"])
    plan = _row_values(interactions, customers, "plan")
    want = (interactions["csat"] >= 4).groupby([region, plan]).agg(["size", "mean"])
    got = csat.set_index(["region", "plan"])
    assert sorted(got.index) == sorted(want.index)
    for key, (n, share) in want.iterrows():
        assert got.loc[key, "n"] == n
        assert got.loc[key, "value"] == pytest.approx(100 * share, abs=1e-9)

    gold = Scope(segments=("gold",))
    kept = segment == "gold"
    filtered = metrics.metric_table(source, "csat", "all", "region", gold)
    want = (interactions["csat"][kept] >= 4).groupby(region[kept]).agg(["size", "mean"])
    assert dict(zip(filtered["region"], filtered["n"])) == want["size"].to_dict()
    assert dict(zip(filtered["region"], filtered["value"])) == pytest.approx((100 * want["mean"]).to_dict(), abs=1e-9)

    cuts = metrics.metric_tables(source, "volume", {"by_region": Cut("all", ("region",), gold), "all": Cut("all", (), gold)})
    by_region = cuts["by_region"].table(min_n=0)
    assert dict(zip(by_region["region"], by_region["n"])) == region[kept].value_counts().to_dict()

    rows = metrics.interactions_for_cell(source, "volume", gold, grain="all", cell={"region": "TX"}, limit=10_000)
    assert len(rows) == int((kept & (region == "TX")).sum())
    assert set(rows["region"]) == {"TX"}

    assert attribute_values(source, "segment") == sorted({*interactions["segment"].dropna(), *customers["segment"].dropna()})


def test_customer_questions_read_the_customers_value(make_source):
    """Churn rate by region counts each customer once, under their own (latest) region; journeys and churn
    features filtered by segment choose customers by theirs."""
    interactions, customers = _data(6)
    source = make_source(interactions, customers)
    churn = metrics.metric_table(source, "churn", "all", "region")
    known = customers[customers["customer_id"].isin(interactions["customer_id"])]
    want = known.groupby("region")["churned"].agg(["size", "mean"])
    named = churn[churn["region"].notna()]
    assert dict(zip(named["region"], named["n"])) == want["size"].to_dict()
    assert dict(zip(named["region"], named["value"])) == pytest.approx((100 * want["mean"].astype(float)).to_dict(), abs=1e-9)
    assert churn["n"].sum() == len(known)  # each customer once

    from cx.churn.features import churn_features
    from cx.journeys import journey_features

    features = churn_features(source, as_of_now=True).frame.set_index("customer_id")
    theirs = customers.set_index("customer_id")
    assert features["region"].to_dict() == theirs.loc[features.index, "region"].to_dict()
    assert features["plan"].to_dict() == theirs.loc[features.index, "plan"].to_dict()

    journeys = journey_features(source, Scope(segments=("gold",)))
    assert set(journeys["customer_id"]) == set(theirs.index[theirs["segment"] == "gold"])
