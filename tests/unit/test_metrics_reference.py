"""A pandas reference implementation of every metric, checked by hand, then against metric_table.

``reference_table`` is written independently of cx.metrics (its own bucket arithmetic, statsmodels'
Wilson interval, scipy's t interval, statsmodels' cluster-robust variance where a customer answered
more than once, the textbook order-statistic median interval) so that the SQL
and the reference can only agree by both being right. tests/sql/test_metrics_backends.py runs the
same comparison on every database backend.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels import api as sm
from statsmodels.stats.proportion import proportion_confint

from cx import metrics
from cx.db import memory_source
from cx.schema import DIMENSIONS, Grain, Scale, Scales
from cx.scope import Scope

Z = stats.norm.ppf(0.975)
PER_CUSTOMER = ("churn", "retention", "ltv")


# --- the reference -----------------------------------------------------------------------------


def _period(ts: pd.Series, grain: Grain) -> pd.Series:
    day = ts.dt.normalize()
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return day - pd.to_timedelta(ts.dt.day_of_week, unit="D")  # Monday = 0
    if grain is Grain.MONTH:
        return pd.to_datetime({"year": ts.dt.year, "month": ts.dt.month, "day": 1})
    return pd.to_datetime({"year": ts.dt.year, "month": (ts.dt.month - 1) // 3 * 3 + 1, "day": 1})


def _wilson(k, n):
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return 100 * k / n, 100 * low, 100 * high


def _cluster_variance(scores: pd.Series, customers: pd.Series | None) -> float | None:
    """statsmodels' cluster-robust variance of a mean (OLS on a constant, clusters = customers).

    ``None`` when no customer answered twice (the textbook interval applies); NaN with one customer.
    """
    if customers is None or customers.nunique() == len(customers):
        return None
    if customers.nunique() < 2:
        return math.nan
    fit = sm.OLS(scores.to_numpy(float), np.ones(len(scores))).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(customers)[0]})  # G/(G−1) small-sample factor
    return float(fit.bse[0]) ** 2


def _share(k: int, n: int, customers, scores) -> tuple[float, float, float]:
    robust = _cluster_variance(scores, customers)
    p = k / n
    if robust is None or p in (0, 1):
        return _wilson(k, n)
    if math.isnan(robust):
        return 100 * p, math.nan, math.nan
    n_eff = n / max(robust / (p * (1 - p) / n), 1.0)
    low, high = proportion_confint(p * n_eff, n_eff, alpha=0.05, method="wilson")
    return 100 * p, 100 * low, 100 * high


def _summarise(metric: str, x: pd.Series, scales: Scales, customers: pd.Series | None = None) -> dict:
    n = len(x)
    if metric == "nps":
        p, d = (x >= 9).mean(), (x <= 6).mean()
        value = 100 * (p - d)
        variance = max(p + d - (p - d) ** 2, 0) / n
        robust = _cluster_variance((x >= 9).astype(float) - (x <= 6).astype(float), customers)
        if robust is not None:
            variance = max(robust, variance) if not math.isnan(robust) else math.nan
        half = 100 * Z * math.sqrt(variance)
        return dict(n=n, value=value, ci_low=max(value - half, -100) if not math.isnan(half) else math.nan,
                    ci_high=min(value + half, 100) if not math.isnan(half) else math.nan)
    if metric == "csat":
        top = x >= scales.csat.high - 1
        value, low, high = _share(int(top.sum()), n, customers, top.astype(float))
        return dict(n=n, value=value, ci_low=low, ci_high=high)
    if metric == "fcr":
        value, low, high = _share(int(x.astype(bool).sum()), n, customers, x.astype(float))
        return dict(n=n, value=value, ci_low=low, ci_high=high)
    if metric == "churn":
        value, low, high = _wilson(int(x.astype(bool).sum()), n)
        return dict(n=n, value=value, ci_low=low, ci_high=high)
    if metric == "retention":
        value, low, high = _wilson(int((~x.astype(bool)).sum()), n)
        return dict(n=n, value=value, ci_low=low, ci_high=high)
    if metric in ("ces", "ltv"):
        mean = float(x.mean())
        if n < 2:
            return dict(n=n, value=mean, ci_low=np.nan, ci_high=np.nan)
        if x.min() == x.max():
            return dict(n=n, value=mean, ci_low=mean, ci_high=mean)
        scale, df = float(x.std(ddof=1)) / math.sqrt(n), n - 1
        robust = _cluster_variance(x.astype(float), customers if metric == "ces" else None)
        if robust is not None:
            scale, df = math.sqrt(max(robust, scale**2)) if not math.isnan(robust) else math.nan, customers.nunique() - 1
        if math.isnan(scale):
            return dict(n=n, value=mean, ci_low=np.nan, ci_high=np.nan)
        low, high = stats.t.interval(0.95, df, loc=mean, scale=scale)
        return dict(n=n, value=mean, ci_low=low, ci_high=high)
    if metric in ("frt", "ttr"):
        ordered = np.sort(x.to_numpy(float))
        lo_rank = math.floor((n + 1 - Z * math.sqrt(n)) / 2)  # normal approximation, continuity-corrected
        hi_rank = n + 1 - lo_rank
        return dict(n=n, value=float(np.quantile(ordered, 0.5)), p90=float(np.quantile(ordered, 0.9)),
                    ci_low=ordered[lo_rank - 1] if lo_rank >= 1 else np.nan,
                    ci_high=ordered[hi_rank - 1] if hi_rank <= n else np.nan)
    return dict(n=n, value=float(n), ci_low=np.nan, ci_high=np.nan)  # volume


def reference_table(interactions: pd.DataFrame, customers: pd.DataFrame | None, metric: str, grain,
                    by=(), scope: Scope = Scope(), scales: Scales = Scales(), min_n: int = 30) -> pd.DataFrame:
    """What metric_table must return, computed row by row in pandas."""
    grain = Grain(grain)
    by = list(by)
    df = interactions.copy()
    for column in ("channel", "journey_stage", "touchpoint", "nps", "csat", "ces", "first_response_minutes",
                   "resolution_hours", "resolved_first_contact"):
        if column not in df:
            df[column] = None
    ts = pd.to_datetime(df["occurred_at"])
    keep = pd.Series(True, index=df.index)
    if scope.date_from:
        keep &= ts.dt.normalize() >= pd.Timestamp(scope.date_from)
    if scope.date_to:
        keep &= ts.dt.normalize() <= pd.Timestamp(scope.date_to)
    if scope.channels:
        keep &= df["channel"].isin(scope.channels)
    if scope.stages:
        keep &= df["journey_stage"].isin(scope.stages)
    if grain is not Grain.ALL:
        keep &= ts.notna()
    df, ts = df[keep].copy(), ts[keep]
    df["period"] = _period(ts, grain) if grain is not Grain.ALL else "all"
    customer_dims = [b for b in by if DIMENSIONS.get(b) == "customers"]
    interaction_dims = [b for b in by if b not in customer_dims]
    cust = customers if customers is not None else pd.DataFrame(columns=["customer_id", "segment"])

    if metric in PER_CUSTOMER:
        cells = df[["period", *interaction_dims, "customer_id"]].drop_duplicates()
        frame = cells.merge(cust, on="customer_id", how="inner")
        if scope.segments:
            frame = frame[frame["segment"].isin(scope.segments)]
        column = "lifetime_value" if metric == "ltv" else "churned"
        frame = frame[frame[column].notna()]
        values = frame[column]
    else:
        frame = df
        if customer_dims or scope.segments:
            frame = frame.merge(cust, on="customer_id", how="left")
        if scope.segments:
            frame = frame[frame["segment"].isin(scope.segments)]
        if metric == "volume":
            values = frame["customer_id"]
        else:
            column = {"nps": "nps", "csat": "csat", "ces": "ces", "frt": "first_response_minutes",
                      "ttr": "resolution_hours", "fcr": "resolved_first_contact"}[metric]
            values = frame[column]
            ok = values.notna()
            if metric == "nps":
                ok &= values.between(0, 10)
            elif metric in ("csat", "ces"):
                scale = scales.for_column(metric)
                ok &= values.between(scale.low, scale.high)
            elif metric in ("frt", "ttr"):
                ok &= values >= 0
            frame, values = frame[ok], values[ok]
    rows = []
    keys = ["period", *by]
    for key, group in frame.assign(_x=values.to_numpy() if len(frame) else []).groupby(keys, dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        x = group["_x"]
        if metric != "volume":
            x = x.astype(float) if metric not in ("fcr", "churn", "retention") else x.astype(bool)
        row = dict(zip(keys, [None if (not isinstance(k, str) and pd.isna(k)) else k for k in key]))
        customers = group["customer_id"] if metric in ("nps", "csat", "ces", "fcr") else None
        row.update(metric=metric, **_summarise(metric, x, scales, customers))
        row["low_n"] = row["n"] < min_n
        rows.append(row)
    columns = ["period", *by, "metric", "n", "value", "ci_low", "ci_high", "low_n"]
    if metric in ("frt", "ttr"):
        columns.append("p90")
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["period", *by], na_position="last", kind="stable").reset_index(drop=True)


def assert_same(result: pd.DataFrame, expected: pd.DataFrame, tol: float = 1e-9) -> None:
    """Same cells, same n and low-n flags, values and intervals equal to ``tol`` (NaN = NaN)."""
    assert list(result.columns) == list(expected.columns)
    assert len(result) == len(expected), (result, expected)
    for column in result.columns:
        got, want = result[column].tolist(), expected[column].tolist()
        if column in ("value", "ci_low", "ci_high", "p90"):
            np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=tol, atol=tol,
                                       equal_nan=True, err_msg=column)
        elif column == "period":
            assert [str(pd.Timestamp(v).date()) if v != "all" else v for v in got] == \
                   [str(pd.Timestamp(v).date()) if v != "all" else v for v in want]
        else:
            norm = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in got]
            wanted = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in want]
            assert norm == wanted, column


# --- hand-checked examples of the reference itself -------------------------------------------


def _rows(**columns):
    return pd.DataFrame(columns)


def test_reference_nps_by_hand():
    frame = _rows(customer_id=["a", "b", "c", "d"], occurred_at=pd.to_datetime(["2026-03-09"] * 4),
                  nps=[10, 9, 7, 0])
    table = reference_table(frame, None, "nps", "all")
    assert table.loc[0, "value"] == pytest.approx(25.0)  # 2 promoters − 1 detractor of 4
    assert table.loc[0, "n"] == 4


def test_reference_weeks_start_on_monday():
    stamps = pd.to_datetime(["2021-01-03 23:59:59", "2021-01-04 00:00:00", "2020-12-28 08:00:00"])
    assert list(_period(pd.Series(stamps), Grain.WEEK).dt.date.astype(str)) == ["2020-12-28", "2021-01-04", "2020-12-28"]
    assert list(_period(pd.Series(stamps), Grain.QUARTER).dt.date.astype(str)) == ["2021-01-01", "2021-01-01", "2020-10-01"]


# --- metric_table on hand-built data (DuckDB in memory, the upload path) -----------------------


@pytest.fixture
def small():
    interactions = _rows(
        customer_id=["a", "a", "b", "c", "c", "d", "e"],
        occurred_at=pd.to_datetime(["2026-03-08 23:59:59", "2026-03-09 00:00:00", "2026-03-15 12:00:00",
                                    "2026-03-16 08:00:00", None, "2026-03-10 10:00:00", "2026-03-11 10:00:00"]),
        channel=["chat", "chat", "email", "chat", "email", None, "chat"],
        journey_stage=["purchase"] * 7,
        nps=[10, 3, 9, None, 8, 7, 10],
        csat=[5.0, 2.0, 4.0, 0.0, 3.0, None, 5.0],  # 0 = not applicable: outside the 1–5 scale
        first_response_minutes=[1.0, 30.0, 200.0, 2.0, None, 5.0, 4.0],
        resolved_first_contact=[True, False, True, None, True, False, True],
    )
    customers = _rows(customer_id=["a", "b", "c", "d"], segment=["consumer", "enterprise", "consumer", None],
                      churned=[True, False, None, False], lifetime_value=[100.0, 250.5, 80.0, None])
    return interactions, customers


def test_weekly_nps_by_channel_by_hand(small):
    interactions, customers = small
    table = metrics.metric_table(memory_source(interactions, customers), "nps", "week", ["channel"])
    got = {(str(r.period.date()), r.channel): (r.n, r.value) for r in table.itertuples()}
    assert got == {
        ("2026-03-02", "chat"): (1, 100.0),  # Sunday 8 March belongs to the week of Monday 2 March
        ("2026-03-09", "chat"): (2, 0.0),  # 3 and 10
        ("2026-03-09", "email"): (1, 100.0),
        ("2026-03-09", None): (1, 0.0),  # a 7 is passive
    }
    assert table["low_n"].all()
    assert list(table.columns) == ["period", "channel", "metric", "n", "value", "ci_low", "ci_high", "low_n"]


def test_csat_ignores_answers_outside_the_scale(small):
    interactions, customers = small
    table = metrics.metric_table(memory_source(interactions, customers), "csat", "all")
    assert table.loc[0, "n"] == 5  # the 0 and the missing answer are not counted
    assert table.loc[0, "value"] == pytest.approx(60.0)  # 5, 4, 5 of 5, 2, 4, 3, 5


def test_csat_top_two_boxes_follow_the_declared_scale():
    interactions = _rows(customer_id=list("abcd"), occurred_at=pd.to_datetime(["2026-01-01"] * 4),
                         csat=[10.0, 9.0, 8.0, 1.0])
    ten = Scales(csat=Scale(1, 10))
    table = metrics.metric_table(memory_source(interactions, scales=ten), "csat", "all")
    assert table.loc[0, "value"] == pytest.approx(50.0)
    assert "9 or 10" in metrics.definitions(ten)["csat"].formula


def test_undated_rows_count_only_in_all(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    assert metrics.metric_table(source, "volume", "all").loc[0, "n"] == 7
    assert metrics.metric_table(source, "volume", "week")["n"].sum() == 6


def test_date_range_is_inclusive_by_day(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    table = metrics.metric_table(source, "volume", "all", scope=Scope(date_from="2026-03-09", date_to="2026-03-15"))
    assert table.loc[0, "n"] == 4  # 9 March 00:00 and 15 March 12:00 are in; 8 March 23:59:59 is not


def test_per_customer_metrics_count_each_customer_once(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    churn = metrics.metric_table(source, "churn", "all")
    assert churn.loc[0, "n"] == 3  # a (twice in the data), b, d; c has no churn flag, e is unknown
    assert churn.loc[0, "value"] == pytest.approx(100 / 3)
    retention = metrics.metric_table(source, "retention", "all")
    assert retention.loc[0, "value"] == pytest.approx(200 / 3)
    ltv = metrics.metric_table(source, "ltv", "all", ["segment"])
    assert dict(zip(ltv.segment, ltv.value)) == {"consumer": pytest.approx(90.0), "enterprise": pytest.approx(250.5)}


def test_segment_filter_and_breakdown_join_customers(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    table = metrics.metric_table(source, "volume", "all", ["segment"])
    assert dict(zip(table.segment, table.n)) == {"consumer": 4, "enterprise": 1, None: 2}
    only = metrics.metric_table(source, "volume", "all", scope=Scope(segments=["enterprise"]))
    assert only.loc[0, "n"] == 1


def test_medians_with_p90_and_interval(small):
    interactions, customers = small
    table = metrics.metric_table(memory_source(interactions, customers), "frt", "all")
    assert table.loc[0, "value"] == pytest.approx(4.5)  # 1, 2, 4, 5, 30, 200
    assert table.loc[0, "p90"] == pytest.approx(115.0)  # between 30 and 200
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == (1.0, 200.0)  # n = 6: the extremes, 97% coverage
    fewer = metrics.metric_table(memory_source(interactions, customers), "frt", "all", ["channel"])
    assert fewer["ci_low"].isna().all()  # no channel has the 6 values an interval needs


def test_low_n_threshold_comes_from_the_filters(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    assert not metrics.metric_table(source, "volume", "all", min_n=7).loc[0, "low_n"]
    assert metrics.metric_table(source, "volume", "all", min_n=8).loc[0, "low_n"]


def test_no_matching_rows_gives_an_empty_table(small):
    interactions, customers = small
    table = metrics.metric_table(memory_source(interactions, customers), "nps", "week", ["channel"],
                                 Scope(channels=["store"]))
    assert table.empty
    assert list(table.columns) == ["period", "channel", "metric", "n", "value", "ci_low", "ci_high", "low_n"]


def test_clear_errors():
    source = memory_source(_rows(customer_id=["a"], occurred_at=pd.to_datetime(["2026-01-01"]), nps=[9]))
    with pytest.raises(metrics.MetricError, match="unknown metric"):
        metrics.metric_table(source, "happiness")
    with pytest.raises(metrics.MetricError, match="needs a customers table"):
        metrics.metric_table(source, "nps", "week", ["segment"])
    with pytest.raises(metrics.MetricError, match="cannot break down by"):
        metrics.metric_table(source, "nps", "week", ["favourite_colour"])
    with pytest.raises(metrics.MetricError, match="needs a customers table"):
        metrics.metric_table(source, "churn")


def test_time_zones_bucket_in_utc():
    # an upload with offsets is stored in UTC: Sunday 23:30 in New York is Monday in UTC
    stamps = pd.Series(pd.to_datetime(["2026-01-04 23:30:00"]).tz_localize("America/New_York"))
    source = memory_source(_rows(customer_id=["a"], occurred_at=stamps, nps=[10]))
    table = metrics.metric_table(source, "nps", "week")
    assert str(table.loc[0, "period"].date()) == "2026-01-05"


def test_one_query_per_table(small):
    import sqlalchemy as sa

    interactions, customers = small
    source = memory_source(interactions, customers)
    statements = []
    sa.event.listen(source.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for metric in metrics.METRICS:
        statements.clear()
        metrics.metric_table(source, metric, "week", ["channel", "segment"])
        assert len(statements) == 1, metric
        assert "GROUP BY" in statements[0]


def test_drill_down_lists_the_cell(small):
    interactions, customers = small
    source = memory_source(interactions, customers)
    rows = metrics.interactions_for_cell(source, "nps", grain="week", period="2026-03-09", cell={"channel": "chat"})
    assert list(rows["customer_id"]) == ["a", "e"]
    assert {"occurred_at", "channel", "nps", "comment"} <= set(rows.columns)
    assert len(metrics.interactions_for_cell(source, "volume", limit=2)) == 2
    missing = metrics.interactions_for_cell(source, "nps", grain="week", period="2026-03-09", cell={"channel": None})
    assert list(missing["customer_id"]) == ["d"]
    churn = metrics.interactions_for_cell(source, "churn", grain="all", cell={"segment": "consumer"})
    assert set(churn["customer_id"]) == {"a"} and "churned" in churn.columns  # c has no churn flag


def test_definitions_cover_every_metric():
    defs = metrics.definitions()
    assert list(defs) == list(metrics.METRICS)
    for d in defs.values():
        assert d.label and d.definition and d.formula and d.interval and d.unit


# --- property: metric_table equals the reference (DuckDB, the upload path) -------------------

STAMPS = [dt.datetime(2020, 12, 27, 23, 59, 59), dt.datetime(2020, 12, 28), dt.datetime(2020, 12, 31, 23, 59, 59, 999999),
          dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 3, 12), dt.datetime(2021, 1, 4), dt.datetime(2021, 3, 31, 23, 59),
          dt.datetime(2021, 4, 1, 0, 0, 1), dt.datetime(2024, 2, 29, 13), dt.datetime(2024, 3, 1, 1)]
SMALL_FLOATS = st.one_of(st.none(), st.integers(0, 40000).map(lambda k: k / 100))


@st.composite
def datasets(draw, max_rows: int = 30):
    n = draw(st.one_of(st.just(0), st.just(1), st.integers(8, max_rows)))  # empty, single, or a few cells' worth
    stamp = st.one_of(st.none(), st.sampled_from(STAMPS),
                      st.datetimes(dt.datetime(2020, 12, 20), dt.datetime(2021, 1, 12)).map(lambda d: d.replace(microsecond=0)))
    rows = draw(st.lists(st.fixed_dictionaries({
        "customer_id": st.sampled_from(["c0", "c1", "c2", "c3", "c4", "c5", "c6"]),
        "occurred_at": stamp,
        "channel": st.sampled_from(["chat", "email", "phone", None]),
        "journey_stage": st.sampled_from(["purchase", "retention", None]),
        "touchpoint": st.sampled_from(["checkout", "returns"]),
        "nps": st.one_of(st.integers(0, 10), st.just(10), st.none()),
        "csat": st.one_of(st.none(), st.integers(0, 5).map(float)),
        "ces": st.one_of(st.none(), st.integers(1, 7).map(float), st.just(3.5)),
        "first_response_minutes": SMALL_FLOATS,
        "resolution_hours": SMALL_FLOATS,
        "resolved_first_contact": st.one_of(st.none(), st.booleans()),
        "agent": st.sampled_from(["ann", "bob", None]),
        "team": st.sampled_from(["north", "south", None]),
    }), min_size=n, max_size=n))
    interactions = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "channel", "journey_stage", "touchpoint",
                                               "nps", "csat", "ces", "first_response_minutes", "resolution_hours",
                                               "resolved_first_contact", "agent", "team"])
    interactions["occurred_at"] = pd.to_datetime(interactions["occurred_at"])
    customers = pd.DataFrame(draw(st.lists(st.fixed_dictionaries({
        "segment": st.sampled_from(["consumer", "enterprise", None]),
        "region": st.sampled_from(["north", "south"]),
        "churned": st.one_of(st.none(), st.booleans()),
        "lifetime_value": SMALL_FLOATS,
    }), min_size=5, max_size=5)))
    customers.insert(0, "customer_id", ["c0", "c1", "c2", "c3", "c4"])  # c5 and c6 are unknown customers
    return interactions, customers


@st.composite
def queries(draw):
    """A grain, up to two breakdowns and filters — usually none, so that cells stay populated."""
    grain = draw(st.sampled_from([g.value for g in Grain]))
    by = draw(st.lists(st.sampled_from(list(DIMENSIONS)), max_size=2, unique=True))
    days = st.sampled_from([None, None, None, *[d.date() for d in STAMPS[:6]]])
    first, last = draw(days), draw(days)
    if first and last and first > last:
        first, last = last, first
    scope = Scope(date_from=first, date_to=last,
                      channels=draw(st.sampled_from([(), (), (), ("chat",), ("chat", "email")])),
                      stages=draw(st.sampled_from([(), (), (), ("purchase",)])),
                      segments=draw(st.sampled_from([(), (), (), ("consumer",), ("enterprise",)])),
                      )
    return grain, by, scope, draw(st.integers(1, 4))


@pytest.mark.parametrize("backend", ["duckdb"])  # overrides conftest's backend list: one fast backend, with shrinking
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=datasets(), query=queries())
def test_metric_table_equals_reference(make_source, data, query):
    interactions, customers = data
    grain, by, scope, min_n = query
    source = make_source(interactions, customers)
    try:
        for metric in metrics.METRICS:
            expected = reference_table(interactions, customers, metric, grain, by, scope, min_n=min_n)
            assert_same(metrics.metric_table(source, metric, grain, by, scope, min_n=min_n), expected)
    finally:
        source.engine.dispose()  # the next example's writer needs the DuckDB file free of read-only handles


def test_upload_with_an_empty_text_column_can_still_be_filtered():
    frame = _rows(customer_id=["a"], occurred_at=pd.to_datetime(["2026-01-01"]), journey_stage=[None], nps=[9])
    table = metrics.metric_table(memory_source(frame), "nps", "all", scope=Scope(stages=["purchase"]))
    assert table.empty
