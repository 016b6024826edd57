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
