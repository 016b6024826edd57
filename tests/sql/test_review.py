"""The weekly review on the demo: the planted outage is the top real mover, and numbers agree with metric tables."""

import json

import numpy as np
import pandas as pd
import pytest

from cx import cli, metrics
from cx.db import summarize
from cx.review.weekly import MOVER_METRICS, weekly_review
from cx.scope import Scope


@pytest.fixture(scope="module")
def outage(demo_source):
    return weekly_review(demo_source, "2026-W11")


def test_outage_week_is_the_top_significant_mover(outage):
    assert len(outage.movers) >= 3
    top = outage.movers.iloc[0]
    assert top.channel == "chat" and not top.better and top.q_value < 0.001
    assert (outage.movers.head(5).channel == "chat").all()
    assert "chat" in outage.sentences[0].text


def test_movers_are_bh_significant_and_sorted(outage):
    assert (outage.movers.q_value < 0.05).all()
    assert (outage.movers.q_value >= outage.movers.p_value - 1e-15).all()
    assert np.all(np.diff(outage.movers.impact.to_numpy()) <= 0)
    assert outage.tested >= len(outage.movers)


def test_kpis_equal_metric_tables(outage, demo_source):
    week = Scope(date_from=outage.start, date_to=outage.end)
    for row in outage.kpis.itertuples():
        if row.metric == "churn":
            continue  # weekly churn events, checked against pandas below
        table = metrics.metric_table(demo_source, row.metric, "all", (), week)
        assert row.value == pytest.approx(float(table.value.iloc[0]), rel=1e-12)
        assert row.n == int(table.n.iloc[0])


def test_outage_kpis_significantly_worse(outage):
    kpis = outage.kpis.set_index("metric")
    for metric in ("csat", "fcr", "frt"):
        assert kpis.loc[metric, "significant"] and kpis.loc[metric, "better"] is False


def test_quiet_week_has_no_chat_story(demo_source):
    review = weekly_review(demo_source, "2026-W05")
    assert not (review.movers.channel == "chat").any() or len(review.movers) < 3


def test_cli_prints_the_same_numbers(outage, demo_path, monkeypatch, capsys):
    monkeypatch.setattr("cx.demo.DEFAULT_PATH", demo_path)
    assert cli.main(["review", "--week", "2026-W11", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["week"] == "2026-W11"
    by_metric = {k["metric"]: k for k in printed["kpis"]}
    for row in outage.kpis.itertuples():
        assert by_metric[row.metric]["value"] == pytest.approx(row.value, rel=1e-12)
    assert printed["movers"][0]["channel"] == "chat"


def test_cli_rejects_a_week_outside_the_data(demo_path, monkeypatch, capsys):
    monkeypatch.setattr("cx.demo.DEFAULT_PATH", demo_path)
    assert cli.main(["review", "--week", "2019-W10"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cx review:") and "before the first dated interaction" in err and "Traceback" not in err


def test_weekly_churn_counts_events_among_customers_still_there(outage, demo_source):
    import pandas as pd
    import sqlalchemy as sa

    c = demo_source.customers
    customers = demo_source.read(sa.select(c.c.signup_at, c.c.churned_at))
    start, end = pd.Timestamp(outage.start), pd.Timestamp(outage.end) + pd.Timedelta(days=1)
    at_risk = (customers.signup_at < end) & (customers.churned_at.isna() | (customers.churned_at >= start))
    churned = (customers.churned_at >= start) & (customers.churned_at < end)
    row = outage.kpis.set_index("metric").loc["churn"]
    assert row.n == int(at_risk.sum())
    assert row.value == pytest.approx(100 * churned.sum() / at_risk.sum(), rel=1e-12)


def test_the_review_reads_each_metric_once(demo_source, source_reads):
    summarize(demo_source)
    overhead = len(source_reads)  # what the source holds: span, fill, channels, stages
    source_reads.clear()
    review = weekly_review(demo_source, "2026-W11", extras=False)
    tiles = [m for m in review.kpis.metric if m != "churn"]  # churn: one query of churn dates
    assert set(MOVER_METRICS) <= set(tiles)  # the movers' metrics come from the same queries as the tiles
    assert len(source_reads) == overhead + len(tiles) + 1
    assert len(source_reads) < 2 * len(tiles)  # was 5 per metric: two-week table and its statistics, trailing, movers twice


def test_a_new_minimum_n_reselects_movers_without_a_query(demo_source, source_reads):
    review = weekly_review(demo_source, "2026-W11", extras=False)
    source_reads.clear()
    strict = review.with_min_n(150)
    assert source_reads == []
    fresh = weekly_review(demo_source, "2026-W11", extras=False, min_n=150)
    pd.testing.assert_frame_equal(strict.movers, fresh.movers)
    assert strict.tested == fresh.tested < review.tested
    assert [s.text for s in strict.sentences] == [s.text for s in fresh.sentences]
    assert (strict.movers.n >= 150).all() and (strict.movers.previous_n >= 150).all()
    assert strict.min_n == 150 and review.with_min_n(30).tested == review.tested


def test_the_weeks_incidents_are_counted_in_full_when_the_list_is_cut(demo_source):
    """The list holds the worst `limit` incidents; the counts are all of the week's. Asking only for the
    week's customers changes no journey: the same incidents as the whole history up to Sunday, cut to the week."""
    import datetime as dt

    from cx.journeys import incidents
    from cx.review.extras import week_incidents
    from cx.review.weeks import parse_week

    monday = parse_week("2026-W11")
    full, unrecovered, total = week_incidents(demo_source, Scope(), monday, limit=100_000)
    cut, cut_unrecovered, cut_total = week_incidents(demo_source, Scope(), monday, limit=50)
    assert len(cut) == 50 < total == cut_total == len(full) and unrecovered == cut_unrecovered
    assert cut["severity"].min() >= full["severity"].iloc[50]  # the worst are the ones kept
    upto = incidents(demo_source, Scope(date_to=monday + dt.timedelta(days=6)), sort="recency", limit=100_000)
    upto = upto[pd.to_datetime(upto["occurred_at"]) >= pd.Timestamp(monday)]
    key = ["customer_id", "occurred_at", "severity", "journey_class"]
    assert (full[key].sort_values(key).reset_index(drop=True)
            .equals(upto[key].sort_values(key).reset_index(drop=True)))
    assert unrecovered == len(upto[upto["journey_class"] == "unrecovered"][["customer_id", "journey"]].drop_duplicates())


def _weeks_of_contacts(seed: int = 5) -> pd.DataFrame:
    """3,000 contacts over 30 weeks, two channels, with CSAT, NPS and both response times."""
    import datetime as dt

    rng = np.random.default_rng(seed)
    n = 3000
    start = dt.datetime(2026, 1, 7, 8)  # a Wednesday: the first week is partial
    occurred = [start + dt.timedelta(days=int(d), hours=int(h)) for d, h in zip(rng.integers(0, 210, n), rng.integers(0, 12, n))]
    return pd.DataFrame({
        "customer_id": [f"c{k:03d}" for k in rng.integers(0, 250, n)], "occurred_at": occurred,
        "channel": rng.choice(["email", "chat"], n),
        "csat": np.where(rng.random(n) < 0.8, rng.integers(1, 6, n), np.nan),
        "nps": np.where(rng.random(n) < 0.5, rng.integers(0, 11, n), np.nan),
        "first_response_minutes": np.where(rng.random(n) < 0.7, rng.exponential(30, n).round(1), np.nan),
        "resolution_hours": np.where(rng.random(n) < 0.6, rng.exponential(20, n).round(2), np.nan),
    })


@pytest.mark.parametrize("scope", [Scope(), Scope(channels=("chat",))], ids=["all", "chat"])
def test_the_trend_tables_come_from_the_reviews_own_queries(make_source, source_reads, scope):
    """The 12-week trend charts are cut from the weeks the tiles' queries read: no query of their own,
    and the same tables as a query of the 12-week window (what ``trend_tables`` read before)."""
    import dataclasses

    from cx.review.weekly import TREND_METRICS, trend_tables

    source = make_source(_weeks_of_contacts())
    review = weekly_review(source, "2026-W27", scope, extras=False)
    assert set(review.trends) == {"csat", "nps", "frt", "ttr"} <= set(TREND_METRICS)
    source_reads.clear()
    tables = trend_tables(source, review)
    assert source_reads == []
    queried = trend_tables(source, dataclasses.replace(review, trends={}))
    assert len(source_reads) == len(tables) == 4
    for metric, table in tables.items():
        assert len(table) == 12 and table.period.min() == pd.Timestamp("2026-04-13")
        pd.testing.assert_frame_equal(table, queried[metric], check_exact=False, rtol=1e-12)


def test_the_mix_split_is_computed_when_asked_and_the_headline_alone_when_only_it_is(outage, demo_source):
    """``Review.mix`` (the report, ``cx review``) is every metric's split from the kept cells, as the
    review computed it eagerly before; the Overview asks only for the headline (the first metric by
    channel), which is the same shift."""
    from cx.drivers.mix import week_mix
    from cx.review.weekly import read_week

    eager = [shift for metric in dict.fromkeys(MOVER_METRICS)
             for shift in week_mix(read_week(demo_source, Scope(), outage.start, metric)["cells"], outage.start)]
    assert len(outage.mix) == len(eager) >= 4
    for lazy, direct in zip(outage.mix, eager):
        assert (lazy.metric, lazy.by) == (direct.metric, direct.by)
        assert (lazy.total, lazy.within, lazy.mix) == pytest.approx((direct.total, direct.within, direct.mix), abs=1e-12)
        pd.testing.assert_frame_equal(lazy.cells, direct.cells)
    headline = outage.headline_mix("channel")
    first = next(s for s in eager if s.by == ("channel",))
    assert (headline.metric, headline.total, headline.mix) == (first.metric, pytest.approx(first.total), pytest.approx(first.mix))
