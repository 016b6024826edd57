"""Mix-shift decomposition: exact sums (property test), an independent pandas reference, Simpson's paradox."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx.drivers.mix import decomposable, decompose, pooled_value
from cx.metrics.registry import CHURN, FCR, NPS, TTR, VOLUME, MetricError, ces, csat
from cx.schema import Scales

CHANNELS = ("chat", "email", "phone", "web")


def reference(rows_before: pd.DataFrame, rows_after: pd.DataFrame, score) -> dict:
    """The decomposition straight from rows with pandas: per-row score, channel shares and means."""
    parts = []
    for rows in (rows_before, rows_after):
        s = score(rows)
        parts.append(pd.DataFrame({"w": rows["channel"].value_counts(normalize=True), "r": s.groupby(rows["channel"]).mean()}))
    both = parts[0].add_suffix("0").join(parts[1].add_suffix("1"), how="outer")
    both[["w0", "w1"]] = both[["w0", "w1"]].fillna(0)
    both["r0"] = both["r0"].fillna(both["r1"])
    both["r1"] = both["r1"].fillna(both["r0"])
    within = ((both.w0 + both.w1) / 2 * (both.r1 - both.r0)).sum()
    mix = ((both.w1 - both.w0) * (both.r0 + both.r1) / 2).sum()
    return {"total": score(rows_after).mean() - score(rows_before).mean(), "within": within, "mix": mix}


def nps_cells(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.groupby("channel").agg(n=("nps", "size"), promoters=("nps", lambda x: int((x >= 9).sum())),
                                       detractors=("nps", lambda x: int((x <= 6).sum()))).reset_index()


def nps_score(rows):
    return 100.0 * (rows["nps"] >= 9) - 100.0 * (rows["nps"] <= 6)


rows_strategy = st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(0, 10)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(rows_strategy, rows_strategy)
def test_nps_parts_sum_to_total_and_match_pandas(before, after):
    b = pd.DataFrame(before, columns=["channel", "nps"])
    a = pd.DataFrame(after, columns=["channel", "nps"])
    shift = decompose(NPS, nps_cells(b), nps_cells(a), ["channel"])
    assert shift.within + shift.mix == pytest.approx(shift.total, abs=1e-9)
    assert shift.cells["change"].sum() == pytest.approx(shift.total, abs=1e-9)
    want = reference(b, a, nps_score)
    for key in ("total", "within", "mix"):
        assert getattr(shift, key) == pytest.approx(want[key], abs=1e-9)
    # the total is the metric's own value in each period (NPS from the pooled statistics)
    assert shift.before == pytest.approx(pooled_value(NPS, nps_cells(b), ["promoters", "detractors"]), abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(1, 7)), min_size=1, max_size=50),
       st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(1, 7)), min_size=1, max_size=50))
def test_means_and_shares_sum_exactly(before, after):
    b = pd.DataFrame(before, columns=["channel", "x"])
    a = pd.DataFrame(after, columns=["channel", "x"])

    def moments(rows):
        g = rows.groupby("channel")["x"]
        return pd.DataFrame({"n": g.size(), "total": g.sum().astype(float), "squares": g.apply(lambda v: float((v * v).sum())),
                             "lowest": g.min().astype(float), "highest": g.max().astype(float)}).reset_index()

    def shares(rows):
        g = rows.groupby("channel")["x"]
        return pd.DataFrame({"n": g.size(), "successes": g.apply(lambda v: int((v >= 4).sum()))}).reset_index()

    effort = ces(Scales())
    shift = decompose(effort, moments(b), moments(a), ["channel"])
    want = reference(b, a, lambda r: r["x"].astype(float))
    assert (shift.total, shift.within, shift.mix) == pytest.approx((want["total"], want["within"], want["mix"]), abs=1e-9)
    assert shift.within + shift.mix == pytest.approx(shift.total, abs=1e-9)
    sat = csat(Scales())
    shift = decompose(sat, shares(b), shares(a), ["channel"])
    want = reference(b, a, lambda r: 100.0 * (r["x"] >= 4))
    assert (shift.total, shift.within, shift.mix) == pytest.approx((want["total"], want["within"], want["mix"]), abs=1e-9)


def test_simpson_paradox_is_flagged_and_explained():
    # every channel improves, but responses move from the good channel (chat) to the poor one (email)
    before = pd.DataFrame({"channel": ["chat", "email"], "n": [80, 20], "promoters": [40, 4], "detractors": [8, 10]})
    after = pd.DataFrame({"channel": ["chat", "email"], "n": [20, 80], "promoters": [11, 20], "detractors": [1, 32]})
    shift = decompose(NPS, before, after, ["channel"])
    assert shift.total < 0 < shift.within
    assert shift.simpson
    assert "Simpson" in shift.warning() and "fell overall" in shift.warning()
    assert "email" in shift.explanation()
    assert shift.record() == {"metric": "nps", "by": "channel", "total": -28.0, "within": 12.5, "mix": -40.5}
    # no paradox when everything moves together
    same = decompose(NPS, before, before.assign(promoters=[50, 8]), ["channel"])
    assert same.mix == pytest.approx(0.0) and not same.simpson and same.warning() is None


def test_a_cell_present_in_one_period_only_is_all_mix():
    before = pd.DataFrame({"channel": ["chat"], "n": [10], "successes": [5]})
    after = pd.DataFrame({"channel": ["chat", "app"], "n": [10, 10], "successes": [5, 9]})
    shift = decompose(FCR, before, after, ["channel"])
    app = shift.cells.set_index("channel").loc["app"]
    # average level (50 + 70) / 2 = 60: app's arrival (+50% share at 90) adds 0.5 × 30, chat's loss of
    # share at 50 adds −0.5 × −10
    assert app["within"] == 0.0 and app["mix"] == pytest.approx(15.0)
    assert shift.cells.set_index("channel").loc["chat", "mix"] == pytest.approx(5.0)
    assert shift.total == pytest.approx(70.0 - 50.0) and shift.within == pytest.approx(0.0)


def test_row_order_does_not_matter():
    rng = np.random.default_rng(3)
    before = pd.DataFrame({"channel": list(CHANNELS), "n": rng.integers(5, 50, 4)}).assign(successes=lambda f: f.n // 2)
    after = before.assign(n=rng.integers(5, 50, 4)).assign(successes=lambda f: f.n // 3)
    one = decompose(FCR, before, after, ["channel"])
    two = decompose(FCR, before.iloc[::-1], after.sample(frac=1, random_state=1), ["channel"])
    assert (one.total, one.within, one.mix) == pytest.approx((two.total, two.within, two.mix), abs=1e-12)


@pytest.mark.parametrize(("metric", "by", "word"), [(TTR, ["channel"], "median"), (VOLUME, ["channel"], "count"),
                                                    (CHURN, ["channel"], "customer")])
def test_what_cannot_be_decomposed_says_why(metric, by, word):
    assert word in decomposable(metric, by)
    cells = pd.DataFrame({"channel": ["a"], "n": [3], "successes": [1]})
    with pytest.raises(MetricError, match="cannot split"):
        decompose(metric, cells, cells, by)
    assert decomposable(CHURN, ["segment"]) is None


def test_an_empty_period_is_a_clear_error():
    cells = pd.DataFrame({"channel": ["a"], "n": [3], "promoters": [1], "detractors": [1]})
    with pytest.raises(MetricError, match="before period"):
        decompose(NPS, cells.assign(n=0), cells, ["channel"])


def test_the_demo_social_care_launch_is_found_as_a_mix_shift(demo_source):
    import datetime as dt

    from cx import demo
    from cx.drivers.mix import mix_shift

    launch = demo.SOCIAL_LAUNCH
    before = (launch - dt.timedelta(days=7), launch - dt.timedelta(days=1))
    after = (launch, launch + dt.timedelta(days=6))
    for metric in ("nps", "csat"):
        shift = mix_shift(demo_source, metric, "channel", before, after)
        assert shift.mix < -1.5, (metric, shift.mix)
        top = shift.cells.iloc[shift.cells["mix"].abs().to_numpy().argmax()]
        assert top["channel"] == "social" and top["weight_after"] - top["weight_before"] > 0.15
        assert "toward social" in shift.explanation()
    # the week before the launch shows no such shift
    quiet = mix_shift(demo_source, "nps", "channel", (before[0] - dt.timedelta(days=7), before[0] - dt.timedelta(days=1)),
                      before)
    assert abs(quiet.mix) < 1.0
