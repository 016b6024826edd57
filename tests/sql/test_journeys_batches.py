"""Journeys computed a batch of customers at a time equal one query over everyone, on every backend.

On DuckDB the Incidents page reads every journey (and ranks every incident) 250,000 customers at a
time, so that DuckDB needs a quarter of its working memory (``customer_ranges``). Here small batches
(a few dozen customers, customers missing from the customers table, rows without a customer id)
must give the same features in the same order, and the same incident list, as one query.
"""

from __future__ import annotations

import pytest

from cx.journeys import journey_features, journey_outcomes
from cx.journeys.queries import customer_ranges, incidents
from cx.schema import IncidentRules
from cx.scope import Scope
from tests.sql.test_metric_cuts import demo_frames, same_frames


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    interactions, customers = demo_frames(tmp_path_factory.mktemp("batches"), 200, 3000, 5)
    interactions.loc[interactions.index[:5], "customer_id"] = None  # rows nobody owns: a journey of their own
    interactions.loc[interactions.index[5:40], "customer_id"] = "ZZ-unknown"  # not in the customers table
    interactions.loc[interactions.index[40:60], "customer_id"] = "00-unknown"
    return interactions, customers.iloc[10:]  # and customers missing from the table


@pytest.fixture
def source(make_source, frames):
    return make_source(*frames)


def test_the_ranges_split_every_customer_once(source, frames):
    ranges = customer_ranges(source, 40)
    assert len(ranges) >= 4 and sum(r.nulls for r in ranges) == 1
    assert customer_ranges(source, 10_000) == [None]


@pytest.mark.parametrize("scope", [Scope(), Scope(channels=("email", "chat")), Scope(segments=("consumer",)),
                                   Scope(date_from="2026-01-01")])
def test_batched_journeys_equal_one_query(source, scope):
    rules = IncidentRules(nps_at_most=3, repeat_contact_days=5)
    for options in ({}, {"gap_days": 30.0}, {"end_last": 2}):
        same_frames(journey_features(source, scope, rules, batch=40, **options),
              journey_features(source, scope, rules, batch=10_000, **options))
    same_frames(journey_outcomes(source, "churned", scope, rules, batch=40),
          journey_outcomes(source, "churned", scope, rules, batch=10_000))


@pytest.mark.parametrize("sort", ["severity", "recency"])
def test_batched_incident_ranking_gives_the_same_list(source, sort):
    for scope in (Scope(), Scope(channels=("phone",))):
        for options in ({"limit": 25}, {"limit": 7, "classes": ("unrecovered",)}, {"limit": 500}):
            same_frames(incidents(source, scope, sort=sort, batch=40, **options),
                  incidents(source, scope, sort=sort, batch=10_000, **options))
