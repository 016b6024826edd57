"""Journey features, incidents and timelines on every backend, checked against a pandas reference.

The reference below is written from the definitions in cx/journeys.py's docstring, row by row in
plain pandas / Python, independently of the SQL. The same data go into SQLite, DuckDB (and
PostgreSQL / MariaDB when configured), and every feature must agree to 1e-9.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cx import journeys
from cx.journeys import stages
from cx.schema import IncidentRules, Scale, Scales
from cx.scope import Scope

T0 = dt.datetime(2026, 1, 5, 9, 0, 0)


# --- a pandas reference ------------------------------------------------------------------------


def _index(value, scale: Scale):
    if value is None or pd.isna(value):
        return np.nan
    if scale.zero_means_na and value == 0 and not scale.low <= 0 <= scale.high:
        return np.nan
    return scale.index(float(value))


def reference_rows(inter: pd.DataFrame, scales: Scales, rules: IncidentRules, gap_days=None, everything=None) -> pd.DataFrame:
    df = inter.copy().reset_index(drop=True)
    df["occurred_at"] = pd.to_datetime(df["occurred_at"])
    parts = np.column_stack([
        df["nps"].map(lambda v: _index(v, scales.nps)),
        df["csat"].map(lambda v: _index(v, scales.csat)),
        df["ces"].map(lambda v: _index(v, scales.ces)),
    ]).astype(float)
    counts = (~np.isnan(parts)).sum(axis=1)
    df["idx"] = np.where(counts > 0, np.nansum(parts, axis=1) / np.maximum(counts, 1), np.nan)
    flags = {}
    flags["low_nps"] = (df["nps"] <= rules.nps_at_most).fillna(False)
    flags["bottom_csat"] = (df["csat"] <= scales.csat.worst).fillna(False)
    flags["worst_effort"] = (df["ces"] <= scales.ces.worst).fillna(False) if scales.ces.higher_is_better else \
        (df["ces"] >= scales.ces.worst).fillna(False)
    whole = inter if everything is None else everything  # the p95 bar comes from the whole source
    p95 = whole.dropna(subset=["resolution_hours"]).groupby("channel")["resolution_hours"].quantile(0.95)
    flags["slow_resolution"] = (df["resolution_hours"] > df["channel"].map(p95)).fillna(False)
    df = df.assign(**{k: v.astype(int) for k, v in flags.items()})
    df["_undated"] = df["occurred_at"].isna()
    df = df.sort_values(["customer_id", "_undated", "occurred_at", "seq"], na_position="last", kind="stable")
    df["next_at"] = df.groupby("customer_id")["occurred_at"].shift(-1)
    df["prev_at"] = df.groupby("customer_id")["occurred_at"].shift(1)
    gap = (df["next_at"] - df["occurred_at"]).dt.total_seconds()
    unresolved = df["resolved_first_contact"].map(lambda v: v is False or v == 0 if v is not None and not pd.isna(v) else False)
    df["repeat_contact"] = (unresolved & (gap <= rules.repeat_contact_days * 86400)).astype(int)
    df["severity"] = df[["low_nps", "bottom_csat", "worst_effort", "slow_resolution", "repeat_contact"]].sum(axis=1)
    df["incident"] = (df["severity"] > 0).astype(int)
    if gap_days is None:
        df["journey"] = 1
    else:
        new = ((df["occurred_at"] - df["prev_at"]).dt.total_seconds() > gap_days * 86400).astype(int)
        df["journey"] = new.groupby(df["customer_id"]).cumsum() + 1
    df["position"] = df.groupby("customer_id").cumcount() + 1
    return df


def reference_features(inter, scales=Scales(), rules=IncidentRules(), gap_days=None, end_last=1,
                       everything=None) -> pd.DataFrame:
    df = reference_rows(inter, scales, rules, gap_days, everything)
    out = []
    for (customer, journey), g in df.groupby(["customer_id", "journey"], sort=True):
        scored = g[g["idx"].notna()]
        idx = scored["idx"].to_numpy()
        n = len(idx)
        row = {"customer_id": customer, "journey": journey, "interactions": len(g), "scored": n,
               "incidents": int(g["incident"].sum())}
        if n:
            worst = idx.min()
            last_worst = np.flatnonzero(idx == worst).max()
            end = idx[-end_last:].mean()
            x = np.arange(1, n + 1, dtype=float)
            dated_worst = scored["occurred_at"][idx == worst].dropna()
            end_at = scored["occurred_at"].iloc[-1]
            row |= {
                "mean": idx.mean(), "worst": worst, "best": idx.max(), "first": idx[0], "end": end,
                "peak_end": (worst + end) / 2,
                "slope": np.polyfit(x, idx, 1)[0] if n >= 2 else np.nan,
                "worst_to_end_steps": n - 1 - last_worst,
                "worst_to_end_days": ((end_at - dated_worst.max()).total_seconds() / 86400
                                      if len(dated_worst) and pd.notna(end_at) else np.nan),
            }
        else:
            row |= dict.fromkeys(["mean", "worst", "best", "first", "end", "peak_end", "slope", "worst_to_end_days"],
                                 np.nan)
            row["worst_to_end_steps"] = pd.NA
        if row["incidents"] == 0:
            cls = "clean"
        else:
            positions = np.flatnonzero(g["incident"].to_numpy() == 1)
            after = g["idx"].iloc[positions.max() + 1:].notna().any()
            cls = "recovered" if n and row["end"] >= rules.good_end_index and after else "unrecovered"
        row["journey_class"] = cls
        out.append(row)
    return pd.DataFrame(out)


# --- data --------------------------------------------------------------------------------------


def random_interactions(seed: int = 3, customers: int = 40, rows: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, customers, rows)
    channel = rng.choice(["email", "chat", "phone", None], rows, p=[0.35, 0.35, 0.25, 0.05])
    # unique, whole-second timestamps; a few customers are undated (ordered by seq only)
    seconds = rng.choice(np.arange(0, 200 * 86400, 37), rows, replace=False)
    at = pd.Series(pd.to_datetime(T0) + pd.to_timedelta(seconds, unit="s"))
    undated = np.isin(cust, [3, 7]) | (rng.random(rows) < 0.03)
    at = at.where(~undated, pd.NaT)
    frame = pd.DataFrame({
        "customer_id": [f"K{c:03d}" for c in cust],
        "occurred_at": at,
        "seq": rng.permutation(rows) + 1,
        "channel": channel,
        "journey_stage": rng.choice(["awareness", "purchase", "retention"], rows),
        "nps": pd.array(np.where(rng.random(rows) < 0.5, rng.integers(0, 11, rows), -1), dtype="Int64"),
        "csat": np.where(rng.random(rows) < 0.6, rng.integers(1, 6, rows).astype(float), np.nan),
        "ces": np.where(rng.random(rows) < 0.3, rng.integers(1, 8, rows).astype(float), np.nan),
        "resolution_hours": np.where(rng.random(rows) < 0.5, np.round(rng.lognormal(2, 1, rows), 3), np.nan),
        "resolved_first_contact": pd.array(np.where(rng.random(rows) < 0.5, rng.random(rows) < 0.5, None),
                                           dtype="boolean"),
        "comment": np.where(rng.random(rows) < 0.2, "=HYPERLINK(\"x\") <b>bad</b>", None),
    })
    frame["nps"] = frame["nps"].where(frame["nps"] >= 0, pd.NA)
    return frame


FLOATS = ["mean", "worst", "best", "first", "end", "peak_end", "slope", "worst_to_end_days"]


def assert_features_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.sort_values(["customer_id", "journey"]).reset_index(drop=True)
    want = want.sort_values(["customer_id", "journey"]).reset_index(drop=True)
    assert list(got["customer_id"]) == list(want["customer_id"])
    for column in ("journey", "interactions", "scored", "incidents"):
        assert got[column].tolist() == want[column].astype(int).tolist(), column
    for column in FLOATS:
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float), rtol=1e-9,
                                   atol=1e-6 if column == "worst_to_end_days" else 1e-9, err_msg=column)
    steps = pd.array(want["worst_to_end_steps"], dtype="Int64")
    assert got["worst_to_end_steps"].astype("Int64").tolist() == steps.tolist()
    assert got["journey_class"].tolist() == want["journey_class"].tolist()


# --- reference equality across backends --------------------------------------------------------


def test_features_equal_the_pandas_reference(make_source):
    inter = random_interactions()
    source = make_source(inter)
    assert_features_equal(journeys.journey_features(source), reference_features(inter))


def test_episodes_and_last_k_equal_the_reference(make_source):
    inter = random_interactions(seed=11)
    source = make_source(inter)
    got = journeys.journey_features(source, gap_days=20, end_last=3)
    want = reference_features(inter, gap_days=20, end_last=3)
    assert got["journey"].max() > 1  # the gap really split journeys
    assert_features_equal(got, want)


def test_declared_scales_and_rules_equal_the_reference(make_source):
    scales = Scales(csat=Scale(1, 10), ces=Scale(1, 7, higher_is_better=False))
    rules = IncidentRules(nps_at_most=4, repeat_contact_days=30, good_end_index=70)
    inter = random_interactions(seed=5)
    inter["csat"] = np.where(inter["csat"].notna(), inter["csat"] * 2, np.nan)
    source = make_source(inter, scales=scales)
    assert_features_equal(journeys.journey_features(source, rules=rules), reference_features(inter, scales, rules))


def test_channel_p95_equals_pandas_quantile(make_source):
    inter = random_interactions()
    got = journeys.channel_p95(make_source(inter)).set_index("channel")["p95_resolution_hours"]
    want = inter.dropna(subset=["resolution_hours", "channel"]).groupby("channel")["resolution_hours"].quantile(0.95)
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False, rtol=1e-9)


def test_row_order_does_not_matter(make_source):
    inter = random_interactions(seed=8)
    shuffled = inter.sample(frac=1, random_state=1).assign(customer_id=lambda f: "Z" + f.customer_id)
    both = journeys.journey_features(make_source(pd.concat([inter, shuffled], ignore_index=True)))
    a = both[~both.customer_id.str.startswith("Z")].reset_index(drop=True)
    b = both[both.customer_id.str.startswith("Z")].reset_index(drop=True)
    b["customer_id"] = b["customer_id"].str[1:]
    pd.testing.assert_frame_equal(a, b)


# --- hand-built journeys with known answers ----------------------------------------------------


def _journey(customer, csats, start=T0, days=1, **extra):
    rows = []
    for k, csat in enumerate(csats):
        rows.append({"customer_id": customer, "occurred_at": start + dt.timedelta(days=k * days), "seq": k + 1,
                     "channel": "chat", "journey_stage": "purchase", "csat": csat, **extra})
    return rows


def hand_built() -> pd.DataFrame:
    rows = []
    rows += _journey("clean", [4, 5, 4])  # index 75, 100, 75: no incident
    rows += _journey("recovered", [4, 1, 5])  # incident in the middle, ends on 100
    rows += _journey("unrecovered", [5, 4, 1])  # ends on the incident
    rows += _journey("bad-end", [1, 4, 2])  # incident, later end of 25 (< 60)
    rows += _journey("unscored", [None, None])  # no scores at all
    return pd.DataFrame(rows)


def test_hand_built_journeys_have_known_features(make_source):
    features = journeys.journey_features(make_source(hand_built())).set_index("customer_id")
    assert features.loc["clean", "journey_class"] == "clean"
    assert features.loc["recovered", "journey_class"] == "recovered"
    assert features.loc["unrecovered", "journey_class"] == "unrecovered"
    assert features.loc["bad-end", "journey_class"] == "unrecovered"
    rec = features.loc["recovered"]
    assert (rec["worst"], rec["end"], rec["first"], rec["best"]) == (0.0, 100.0, 75.0, 100.0)
    assert rec["peak_end"] == 50.0 and rec["mean"] == pytest.approx(175 / 3)
    assert rec["worst_to_end_steps"] == 1 and rec["worst_to_end_days"] == pytest.approx(1.0)
    assert rec["slope"] == pytest.approx(12.5) and rec["incidents"] == 1
    unrec = features.loc["unrecovered"]
    assert unrec["worst_to_end_steps"] == 0 and unrec["end"] == 0 and unrec["worst_to_end_days"] == 0
    clean = features.loc["clean"]
    assert clean["worst_to_end_steps"] == 0  # the latest of two equal worst moments is the end
    unscored = features.loc["unscored"]
    assert unscored["scored"] == 0 and unscored["interactions"] == 2 and np.isnan(unscored["mean"])
    assert unscored["journey_class"] == "clean"


def test_no_timestamps_orders_by_seq(make_source):
    rows = _journey("stream", [5, 1, 3, 4])
    frame = pd.DataFrame(rows).drop(columns="occurred_at")
    frame = frame.iloc[::-1]  # stored backwards: only seq knows the order
    features = journeys.journey_features(make_source(frame)).set_index("customer_id")
    row = features.loc["stream"]
    assert (row["first"], row["end"], row["worst_to_end_steps"]) == (100.0, 75.0, 2)
    assert np.isnan(row["worst_to_end_days"])
    assert row["journey_class"] == "recovered"


def test_incident_rules_each_fire(make_source):
    base = {"customer_id": "r", "channel": "email", "journey_stage": "retention"}
    rows = [
        {**base, "occurred_at": T0, "seq": 1, "nps": 2},  # low NPS
        {**base, "occurred_at": T0 + dt.timedelta(days=1), "seq": 2, "ces": 1},  # worst effort
        {**base, "occurred_at": T0 + dt.timedelta(days=2), "seq": 3, "resolved_first_contact": False, "csat": 3},
        {**base, "occurred_at": T0 + dt.timedelta(days=8), "seq": 4, "csat": 4},  # back within 7 days → repeat
        {**base, "occurred_at": T0 + dt.timedelta(days=30), "seq": 5, "resolved_first_contact": False, "csat": 4},
        {**base, "occurred_at": T0 + dt.timedelta(days=45), "seq": 6, "csat": 5},  # 15 days later: no repeat
    ]
    # slow resolution: 20 ordinary tickets on another customer and one very slow one
    rows += [{"customer_id": "s", "channel": "email", "occurred_at": T0 + dt.timedelta(hours=h), "seq": h + 1,
              "resolution_hours": 5.0 + h % 3} for h in range(20)]
    rows += [{"customer_id": "s", "channel": "email", "occurred_at": T0 + dt.timedelta(days=3), "seq": 99,
              "resolution_hours": 500.0, "csat": 5}]
    source = make_source(pd.DataFrame(rows))
    found = journeys.incidents(source, sort="recency")
    r = found[found.customer_id == "r"].set_index("seq")
    assert set(r.index) == {1, 2, 3}
    assert r.loc[1, "low_nps"] == 1 and r.loc[2, "worst_effort"] == 1 and r.loc[3, "repeat_contact"] == 1
    assert "back within 7 days" in r.loc[3, "reasons"]
    s = found[found.customer_id == "s"]
    assert s["seq"].tolist() == [99] and s["slow_resolution"].tolist() == [1]
    assert s["is_end"].tolist() == [True] and s["is_worst"].tolist() == [True]  # its only scored moment
    features = journeys.journey_features(source).set_index("customer_id")
    assert features.loc["r", "incidents"] == 3 and features.loc["r", "journey_class"] == "recovered"
    assert features.loc["s", "journey_class"] == "unrecovered"  # the incident is the end, however good


def test_incidents_sort_tag_and_limit(make_source):
    source = make_source(hand_built())
    by_severity = journeys.incidents(source)
    assert set(by_severity.customer_id) == {"recovered", "unrecovered", "bad-end"}
    assert by_severity["is_worst"].all()  # each incident here is its journey's worst moment
    tagged = by_severity.set_index("customer_id")
    assert bool(tagged.loc["unrecovered", "is_end"]) and not bool(tagged.loc["recovered", "is_end"])
    assert tagged.loc["recovered", "journey_class"] == "recovered"
    recent = journeys.incidents(source, sort="recency")
    assert recent["occurred_at"].is_monotonic_decreasing
    assert len(journeys.incidents(source, limit=2)) == 2
    only = journeys.incidents(source, classes=["recovered"])
    assert only.customer_id.tolist() == ["recovered"]
    assert journeys.incidents(source, kinds=["slow_resolution"]).empty


def test_incidents_agree_with_features(make_source):
    inter = random_interactions(seed=21)
    source = make_source(inter)
    found = journeys.incidents(source, limit=10_000)
    features = journeys.journey_features(source).set_index("customer_id")
    counts = found.groupby("customer_id").size()
    assert (features.loc[counts.index, "incidents"] == counts).all()
    assert (found.set_index("customer_id")["journey_class"].groupby(level=0).first()
            == features.loc[counts.index, "journey_class"]).all()
    assert (found["severity"] >= 1).all()


@pytest.mark.parametrize("gap_days", [None, 3.0])
def test_incident_counts_are_the_uncut_lists_counts(make_source, gap_days):
    """The counts behind a cut list (the Overview lists the worst 5,000 of 20,000 a week at 10 M rows):
    every incident the filters show and the unrecovered journeys among them, as the whole list says."""
    from cx.journeys.queries import incident_counts

    inter = random_interactions(seed=21)
    source = make_source(inter)
    for scope in (None, Scope(channels=("email",)), Scope(date_from=dt.date(2026, 1, 12), date_to=dt.date(2026, 1, 25))):
        everything = journeys.incidents(source, scope, limit=100_000, gap_days=gap_days)
        unrecovered = everything[everything["journey_class"] == "unrecovered"][["customer_id", "journey"]]
        assert incident_counts(source, scope, gap_days=gap_days) == (len(everything), len(unrecovered.drop_duplicates()))
        assert len(everything) > 5 and len(journeys.incidents(source, scope, limit=5, gap_days=gap_days)) == 5


def test_customer_timeline_marks_worst_and_end(make_source):
    source = make_source(hand_built())
    timeline = journeys.customer_timeline(source, "recovered")
    assert timeline["position"].tolist() == [1, 2, 3]
    assert timeline["index"].tolist() == [75.0, 0.0, 100.0]
    assert timeline["is_worst"].tolist() == [False, True, False]
    assert timeline["is_end"].tolist() == [False, False, True]
    assert timeline["incident"].tolist() == [False, True, False]
    assert set(timeline["journey_class"]) == {"recovered"}
    assert journeys.customer_timeline(source, "nobody").empty


def test_filters_and_before_cut_the_journeys(make_source):
    inter = random_interactions(seed=4)
    customers = pd.DataFrame({"customer_id": sorted(inter.customer_id.unique())})
    customers["segment"] = np.where(np.arange(len(customers)) % 2 == 0, "consumer", "enterprise")
    customers["churned"] = np.arange(len(customers)) % 3 == 0
    customers["churned_at"] = pd.Timestamp(T0) + pd.to_timedelta(np.arange(len(customers)) * 3, unit="D")
    source = make_source(inter, customers)

    # the filters choose which journeys are shown (those with an interaction in scope); each journey
    # is the customer's whole history, so its features are the same with or without the filter
    chatted = inter[inter.customer_id.isin(inter.loc[inter.channel == "chat", "customer_id"])]
    chat = journeys.journey_features(source, Scope(channels=["chat"]))
    assert_features_equal(chat, reference_features(chatted, everything=inter))

    day_from, day_to = dt.date(2026, 2, 1), dt.date(2026, 4, 30)
    dated = inter.occurred_at.notna() & (inter.occurred_at >= pd.Timestamp(day_from)) & \
        (inter.occurred_at < pd.Timestamp(day_to) + pd.Timedelta(days=1))
    ranged = journeys.journey_features(source, Scope(date_from=day_from, date_to=day_to))
    assert_features_equal(ranged, reference_features(inter[inter.customer_id.isin(inter.loc[dated, "customer_id"])],
                                                     everything=inter))
    whole = journeys.journey_features(source).set_index("customer_id")
    assert_features_equal(ranged, whole.loc[ranged["customer_id"]].reset_index())
    # episodes: those with an interaction in the range are shown, each exactly as without the filter
    episodes = journeys.journey_features(source, gap_days=20).set_index(["customer_id", "journey"])
    shown = journeys.journey_features(source, Scope(date_from=day_from, date_to=day_to), gap_days=20)
    assert 0 < len(shown) < len(episodes)
    assert_features_equal(shown, episodes.loc[list(zip(shown.customer_id, shown.journey))].reset_index())
    in_range = [(c, j) for c, j, a, b in zip(episodes.index.get_level_values(0), episodes.index.get_level_values(1),
                                             episodes.first_at, episodes.last_at)
                if pd.notna(a) and a.date() <= day_to and b.date() >= day_from]
    assert set(in_range) <= set(zip(shown.customer_id, shown.journey))

    seg = journeys.journey_features(source, Scope(segments=["enterprise"]), customer_columns=["segment", "churned"])
    assert set(seg["segment"]) == {"enterprise"}
    assert seg["churned"].map(bool).isin([True, False]).all()

    cut = journeys.journey_features(source, before="churned_at")
    merged = inter.merge(customers, on="customer_id")
    keep = merged.occurred_at.isna() | (merged.occurred_at < merged.churned_at)
    assert cut["interactions"].sum() == int(keep.sum())
    with pytest.raises(ValueError, match="no such customer column"):
        journeys.journey_features(source, before="nope")


def test_a_cell_never_depends_on_filters_that_do_not_define_it(make_source):
    """Issue 14: email's incident rate was 15–17% unfiltered and 9–11% with Channels = email, because the
    repeat-contact rule only saw the next contact *in scope*. Rules and journeys see the whole history."""
    inter = random_interactions(seed=8)
    source = make_source(inter)
    rules = IncidentRules(repeat_contact_days=30)
    cells = ["journey_stage", "channel"]
    everything = stages.stage_channel_matrix(source, rules=rules).set_index(cells)
    for channel in sorted(inter.channel.dropna().unique()):
        alone = stages.stage_channel_matrix(source, Scope(channels=[channel]), rules).set_index(cells)
        assert set(alone.index.get_level_values("channel")) == {channel}
        pd.testing.assert_frame_equal(alone, everything.loc[alone.index], check_like=True)
    # the incident list under a filter is exactly the unfiltered list's rows that pass the filter
    found = journeys.incidents(source, rules=rules, limit=100_000)
    email = journeys.incidents(source, Scope(channels=["email"]), rules, limit=100_000)
    keys = ["customer_id", "seq"]
    expected = found[found.channel == "email"].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(email.sort_values(keys).reset_index(drop=True), expected)
    # a customer's timeline is the same whole journey under any filter that shows it
    someone = email["customer_id"].iloc[0]
    pd.testing.assert_frame_equal(journeys.customer_timeline(source, someone, Scope(channels=["email"]), rules),
                                  journeys.customer_timeline(source, someone, rules=rules))


def test_one_customers_features_equal_their_row_among_everyones(make_source):
    inter = random_interactions(seed=7)
    source = make_source(inter)
    scope = Scope(channels=("chat",))
    everyone = journeys.journey_features(source, scope, gap_days=20)
    for customer in sorted(everyone["customer_id"].unique())[:3]:
        mine = journeys.journey_features(source, scope, gap_days=20, customer_id=customer)
        assert_features_equal(mine, everyone[everyone["customer_id"] == customer])
    assert journeys.journey_features(source, scope, customer_id="nobody").empty


def test_compact_features_give_the_same_statistics(make_source):
    inter = random_interactions(seed=9, customers=200, rows=3000)
    source = make_source(inter)
    full = journeys.journey_features(source)
    full["churned"] = np.arange(len(full)) % 3 == 0
    narrow = journeys.compact(full, "churned")
    assert "customer_id" not in narrow and narrow["journey_class"].dtype == "category"
    assert narrow.memory_usage(deep=True).sum() < full.memory_usage(deep=True).sum() / 2
    pd.testing.assert_frame_equal(journeys.outcome_by_class(narrow, "churned"), journeys.outcome_by_class(full, "churned"))
    a, b = journeys.compare_predictors(narrow, "churned", resamples=200), journeys.compare_predictors(full, "churned", resamples=200)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.headline == b.headline
