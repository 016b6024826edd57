"""The memory-saving steps of an upload give the same data as the whole-frame steps they replace:
the in-memory DuckDB loaded slice by slice (cx.db.local.LOAD_ROWS) and the duplicate-row test folded a
column at a time (cx.ingest.validate._duplicated). The bad-input and real-export corpora also run
through the folded duplicate test in tests/unit/test_ingest_fastcsv.py (DISTINCT_MIN_ROWS = 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cx.db.local as local
from cx.ingest import validate


def _frames(n: int = 1_003):
    rng = np.random.default_rng(7)
    when = pd.Series(pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    when[rng.random(n) < 0.1] = pd.NaT
    interactions = pd.DataFrame({
        "customer_id": [f"C{i % 97}" for i in range(n)],
        "occurred_at": when.astype("datetime64[us]"),
        "seq": pd.array(rng.integers(1, 9, n), dtype="Int64"),
        "channel": pd.Series(np.where(rng.random(n) < 0.5, "web", None), dtype=object),
        "nps": pd.array(np.where(rng.random(n) < 0.3, None, rng.integers(0, 11, n)), dtype="Int64"),
        "csat": pd.array(np.where(rng.random(n) < 0.5, np.nan, rng.random(n) * 5), dtype="Float64"),
        "resolved_first_contact": pd.array(np.where(rng.random(n) < 0.5, None, rng.random(n) < 0.5), dtype="boolean"),
        "comment": pd.Series([None] * n, dtype=object),  # all empty: still VARCHAR
        "priority": rng.integers(1, 4, n).astype(float),  # an extra attribute kept per row (fixed dtype)
    })
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(97)], "segment": ["smb", None] * 48 + ["ent"],
                              "lifetime_value": np.arange(97, dtype=float)})
    return interactions, customers


def _tables(source) -> dict:
    con = source.engine.cx_database
    return {t: (con.execute(f"SELECT * FROM {t}").df(), con.execute(f"DESCRIBE {t}").df())
            for t in ("interactions", "customers")}


def _load(monkeypatch, rows: int, interactions, customers):
    monkeypatch.setattr(local, "LOAD_ROWS", rows)
    source = local.memory_source(interactions, customers)
    try:
        return _tables(source), source.available, source.customer_attributes
    finally:
        local.release(source)


@pytest.mark.parametrize("extra", ["fixed", "objects"])
def test_sliced_load_equals_whole_load(monkeypatch, extra):
    interactions, customers = _frames()
    if extra == "objects":  # an attribute of mixed Python objects: typed whole, as before
        interactions["ticket"] = pd.Series([None if i % 3 else f"T{i}" for i in range(len(interactions))], dtype=object)
    whole = _load(monkeypatch, 10**9, interactions, customers)
    sliced = _load(monkeypatch, 100, interactions, customers)  # 11 slices, the last one short
    for table in ("interactions", "customers"):
        pd.testing.assert_frame_equal(sliced[0][table][0], whole[0][table][0])
        pd.testing.assert_frame_equal(sliced[0][table][1], whole[0][table][1])  # same column types
    assert sliced[1:] == whole[1:]
    assert len(sliced[0]["interactions"][0]) == len(interactions)
    assert sliced[0]["interactions"][0]["nps"].sum() == interactions["nps"].sum()


def test_content_digest_sees_every_slice(monkeypatch):
    import hashlib

    import duckdb

    from cx.schema import INTERACTION_COLUMNS

    monkeypatch.setattr(local, "LOAD_ROWS", 100)
    interactions, _ = _frames()
    other = interactions.copy()
    other.loc[len(other) - 1, "nps"] = 99  # a change in the last, short slice

    def digest(frame):
        made = hashlib.sha256()
        with duckdb.connect() as con:
            local._copy_in(con, "interactions", frame, INTERACTION_COLUMNS, made)
        return made.hexdigest()

    assert digest(interactions) == digest(interactions.copy()) != digest(other)


def _repeating(seed: int, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": pd.Series(rng.choice(["x", "y", None], n), dtype=object),
        "b": pd.Series(rng.integers(0, 3, n)).astype(str).where(rng.random(n) < 0.8),
        "c": pd.Series(rng.choice(["1", "2"], n), dtype="str"),
        "d": pd.Series([f"v{i % (2 + seed)}" for i in range(n)], dtype=object),
    })


def _many_distinct(seed: int, n: int = 3_000) -> pd.DataFrame:
    """Seven columns of ~1,500 distinct values: their codes' product passes 2⁶², so the fold renumbers."""
    rng = np.random.default_rng(seed)
    base = pd.DataFrame({c: pd.Series(rng.integers(0, 1_500, n // 2)).astype(str).where(rng.random(n // 2) < 0.95)
                         for c in "abcdefg"})
    copies = base.sample(n - n // 2, replace=True, random_state=seed)  # whole rows again, some more than once
    copies.loc[copies.index[::3], "d"] = "changed"  # ...and near-copies, which are not duplicates
    return pd.concat([base, copies], ignore_index=True).sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("make", [_repeating, _many_distinct])
def test_folded_duplicate_test_equals_pandas(seed, make):
    frame = make(seed)
    # codes made by the parser for some columns, the others factorized by the test itself
    factorized = {c: pd.factorize(frame[c], use_na_sentinel=True)[0].astype(np.int32) for c in ("a", "c")}
    saved = validate.DISTINCT_MIN_ROWS
    try:
        validate.DISTINCT_MIN_ROWS = 1
        folded = validate._duplicated(frame, factorized)
    finally:
        validate.DISTINCT_MIN_ROWS = saved
    expected = frame.duplicated(keep="first").to_numpy()
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(folded, expected)
    assert factorized == {}  # the parser's codes are freed as they are used
