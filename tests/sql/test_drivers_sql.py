"""Drivers on every backend: the mix shift from one SQL aggregate matches pandas on the raw rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx.drivers.mix import mix_shift, week_over_week
from cx.metrics.query import MetricTable
from cx.scope import Scope

WEEK1 = (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
WEEK2 = (dt.date(2026, 3, 9), dt.date(2026, 3, 15))


def _rows(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    week2 = rng.random(n) < 0.5
    # email's share grows from 20% to 60% while it scores lower: a mix shift
    email = rng.random(n) < np.where(week2, 0.6, 0.2)
    channel = np.where(email, "email", rng.choice(["chat", "phone"], n))
    nps = np.clip(np.rint(rng.normal(np.where(email, 6.0, 8.5) + 0.3 * week2, 1.5)), 0, 10)
    day = np.where(week2, 9, 2) + rng.integers(0, 7, n)
    return pd.DataFrame({
        "customer_id": [f"c{k % 90}" for k in range(n)],
        "occurred_at": [dt.datetime(2026, 3, int(d), 10) for d in day],
        "channel": channel, "journey_stage": rng.choice(["purchase", "retention"], n),
        "nps": nps.astype(int), "csat": rng.integers(1, 6, n).astype(float),
    })


def _reference(rows: pd.DataFrame, score, by: str = "channel") -> tuple[float, float, float]:
    week2 = rows["occurred_at"] >= pd.Timestamp(WEEK2[0])
    parts = []
    for sel in (~week2, week2):
        r = rows[sel]
        s = score(r)
        parts.append(pd.DataFrame({"w": r[by].value_counts(normalize=True), "r": s.groupby(r[by]).mean()}))
    both = parts[0].add_suffix("0").join(parts[1].add_suffix("1"), how="outer").fillna(0)
    total = score(rows[week2]).mean() - score(rows[~week2]).mean()
    within = ((both.w0 + both.w1) / 2 * (both.r1 - both.r0)).sum()
    return total, within, total - within


def test_mix_shift_matches_pandas_on_every_backend(make_source):
    rows = _rows()
    source = make_source(rows)
    shift = mix_shift(source, "nps", "channel", before=WEEK1, after=WEEK2)
    want = _reference(rows, lambda r: 100.0 * (r["nps"] >= 9) - 100.0 * (r["nps"] <= 6))
    assert (shift.total, shift.within, shift.mix) == pytest.approx(want, abs=1e-9)
    assert shift.mix < 0  # the planted shift toward email
    csat_shift = mix_shift(source, "csat", ["journey_stage"], before=WEEK1, after=WEEK2, scope=Scope(channels="email,chat"))
    sub = rows[rows.channel.isin(["email", "chat"])]
    want = _reference(sub, lambda r: 100.0 * (r["csat"] >= 4), by="journey_stage")
    assert (csat_shift.total, csat_shift.within, csat_shift.mix) == pytest.approx(want, abs=1e-9)


def test_week_over_week_from_a_kept_table_agrees(make_source):
    rows = _rows(8)
    source = make_source(rows)
    table = MetricTable.read(source, "nps", "week", ["channel"])
    wow = week_over_week(table, WEEK2[0], WEEK1[0])
    direct = mix_shift(source, "nps", "channel", before=WEEK1, after=WEEK2)
    assert (wow.total, wow.within, wow.mix) == pytest.approx((direct.total, direct.within, direct.mix), abs=1e-9)


def _contacts(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 500
    channel = rng.choice(["chat", "email", "phone"], n, p=[0.4, 0.35, 0.25])
    hours = np.round(rng.lognormal(2, 0.8, n) * np.where(channel == "email", 3, 1), 2)
    fcr = rng.random(n) < 0.7
    quality = -0.6 * np.log1p(hours) + 1.2 * fcr + rng.normal(0, 1.2, n)
    return pd.DataFrame({
        "customer_id": [f"c{k:04d}" for k in range(n)],
        "occurred_at": [dt.datetime(2026, 3, 1) + dt.timedelta(hours=int(k)) for k in range(n)],
        "channel": channel, "journey_stage": rng.choice(["purchase", "retention"], n),
        "nps": np.clip(np.rint(7 + 1.5 * quality), 0, 10).astype(int),
        "resolution_hours": hours, "resolved_first_contact": fcr,
    })


def test_contact_drivers_match_a_pandas_design_on_every_backend(make_source):
    from sklearn.linear_model import LinearRegression

    from cx.drivers.keydrivers import contact_drivers

    rows = _contacts()
    source = make_source(rows)
    got = contact_drivers(source, "nps", n_boot=20)
    assert got.n == len(rows) and got.sample == f"all {len(rows)} NPS answers in scope"
    # independent: the same design from the raw rows with pandas, R² of every subset with sklearn
    y = 100.0 * (rows.nps >= 9) - 100.0 * (rows.nps <= 6)
    x = pd.DataFrame({"email": rows.channel.eq("email") * 1.0, "phone": rows.channel.eq("phone") * 1.0,
                      "stage": rows.journey_stage.eq("retention") * 1.0, "ttr": np.log1p(rows.resolution_hours),
                      "fcr": rows.resolved_first_contact * 1.0})
    groups = {"channel": ["email", "phone"], "journey stage": ["stage"], "resolution time": ["ttr"],
              "first-contact resolution": ["fcr"]}
    names = list(groups)

    def r2(subset):
        cols = [c for g in subset for c in groups[g]]
        return LinearRegression().fit(x[cols], y).score(x[cols], y) if cols else 0.0

    import itertools
    want = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        for k, g in enumerate(order):
            want[g] += (r2(order[:k + 1]) - r2(order[:k])) / len(orders)
    table = got.table.set_index("driver")
    assert got.r2 == pytest.approx(r2(names), abs=1e-9)
    for g in names:
        assert table.loc[g, "importance"] == pytest.approx(want[g], abs=1e-9)
    assert table.loc["resolution time", "performance"] == pytest.approx(100 * np.mean(rows.resolution_hours <= 24))
    assert table.loc["first-contact resolution", "performance"] == pytest.approx(100 * rows.resolved_first_contact.mean())


def _cohort_data(seed: int = 9) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    customers, rows = [], []
    for k in range(120):
        happy = rng.random() < 0.6
        churn_month = None if happy or rng.random() < 0.4 else int(rng.integers(1, 4))  # leaves after month 1..3
        customers.append({"customer_id": f"c{k:03d}", "churned": churn_month is not None,
                          "churned_at": dt.datetime(2026, churn_month, 20) if churn_month else None})
        for month in (1, 2, 3, 4):
            if churn_month is not None and month > churn_month:
                break
            if month > 1 and rng.random() < 0.3:
                continue  # silent this month
            for _ in range(int(rng.integers(1, 3))):
                rows.append({"customer_id": f"c{k:03d}", "occurred_at": dt.datetime(2026, month, int(rng.integers(1, 15)), 9),
                             "channel": "chat", "csat": float(rng.integers(3, 6) if happy else rng.integers(1, 5))})
    late = pd.DataFrame([{"customer_id": "new", "occurred_at": dt.datetime(2026, 2, 3, 9), "channel": "chat", "csat": 5.0}])
    return pd.concat([pd.DataFrame(rows), late], ignore_index=True), pd.DataFrame(customers + [{"customer_id": "new", "churned": False}])


def test_fixed_cohort_matches_pandas_on_every_backend(make_source):
    from cx.drivers.cohort import cohort_trend

    rows, customers = _cohort_data()
    source = make_source(rows, customers)
    got = cohort_trend(source, "csat", "month")
    assert got.cohort == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    # pandas reference, customer by customer
    rows = rows.assign(period=rows.occurred_at.dt.to_period("M").dt.start_time, top=100.0 * (rows.csat >= 4))
    cohort = set(rows.loc[rows.period == "2026-01-01", "customer_id"])
    assert got.size == len(cohort)
    info = customers.set_index("customer_id")
    for row in got.table.itertuples():
        here = rows[(rows.period == row.period) & rows.customer_id.isin(cohort)]
        per = here.groupby("customer_id")["top"].mean()
        end = row.period + pd.offsets.MonthEnd(0) + pd.Timedelta(days=1)
        gone = {c for c in cohort if info.loc[c, "churned"] and pd.Timestamp(info.loc[c, "churned_at"]) < end}
        lost = len(gone - set(per.index))
        assert (row.answered, row.lost, row.churned) == (len(per), lost, len(gone))
        assert row.respondents == pytest.approx(per.mean(), abs=1e-9)
        assert row.fixed == pytest.approx(per.sum() / (len(per) + lost), abs=1e-9)
        assert row.fixed_high == pytest.approx((per.sum() + 100 * lost) / (len(per) + lost), abs=1e-9)
        everyone = rows[rows.period == row.period]
        assert row.usual == pytest.approx(everyone["top"].mean(), abs=1e-9)
    # survivorship: the respondents' score rises while the fixed cohort's falls
    first, last = got.table.iloc[0], got.table.iloc[-1]
    assert last.respondents > first.respondents and last.fixed < first.fixed


def test_week_mix_from_finer_cells_equals_the_direct_split(make_source):
    from cx.drivers.mix import week_mix

    rows = _rows(12)
    source = make_source(rows)
    table = MetricTable.read(source, "nps", "week", ["channel", "journey_stage"])
    by_channel, by_stage = week_mix(table, WEEK2[0])
    for shift, by in ((by_channel, "channel"), (by_stage, "journey_stage")):
        direct = mix_shift(source, "nps", by, before=WEEK1, after=WEEK2)
        assert (shift.total, shift.within, shift.mix) == pytest.approx((direct.total, direct.within, direct.mix), abs=1e-9)


def test_respondent_pivot_matches_pandas_on_every_backend(make_source):
    """A wide survey in canonical form: one row per (respondent, touchpoint rating); the verdict on the customer."""
    from cx.drivers.keydrivers import respondent_drivers

    rng = np.random.default_rng(21)
    touchpoints = ["boarding", "seat", "wifi", "food"]
    people = 160
    ratings = rng.integers(1, 6, (people, len(touchpoints))).astype(float)
    ratings[rng.random(ratings.shape) < 0.05] = 0  # 0 = not applicable, outside the 1–5 scale
    verdict = (ratings[:, 0] * 0.8 + ratings[:, 2] * 0.4 + rng.normal(0, 1, people)) > 3.5
    rows = pd.DataFrame([{"customer_id": f"p{k:03d}", "touchpoint": t, "csat": ratings[k, j]}
                         for k in range(people) for j, t in enumerate(touchpoints)])
    customers = pd.DataFrame({"customer_id": [f"p{k:03d}" for k in range(people)],
                              "satisfied": np.where(verdict, "yes", "no")})
    source = make_source(rows, customers)
    got = respondent_drivers(source, "satisfied", "csat", n_boot=10)
    frame = pd.DataFrame(ratings, columns=touchpoints).replace(0, np.nan)
    frame["y"] = 100.0 * verdict
    frame = frame.dropna()
    assert got.n == len(frame)
    from sklearn.linear_model import LinearRegression
    full = LinearRegression().fit(frame[touchpoints], frame["y"]).score(frame[touchpoints], frame["y"])
    assert got.r2 == pytest.approx(full, abs=1e-9)
    table = got.table.set_index("driver")
    assert table["importance"].sum() == pytest.approx(full, abs=1e-9)
    assert table.index[0] == "boarding"
    for t in touchpoints:
        assert table.loc[t, "performance"] == pytest.approx(100 * np.mean(frame[t] >= 4), abs=1e-9)
