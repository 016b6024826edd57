"""Big and wide files, generated at run time (never committed): a million rows, three hundred columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx.ingest import apply_mapping, read_table, suggest_mapping


def _million_row_csv(n: int = 1_000_000) -> tuple[bytes, list[int]]:
    rng = np.random.default_rng(3)
    opened = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 30_000_000, n), unit="s")
    frame = pd.DataFrame({
        "Customer ID": np.char.add("C", rng.integers(1, 200_000, n).astype(str)),
        "Created": opened.strftime("%Y-%m-%d %H:%M:%S"),
        "First reply": (opened + pd.to_timedelta(rng.integers(60, 7200, n), unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "Channel": rng.choice(["Email", "Chat", "Phone", "Web"], n),
        "NPS": rng.integers(0, 11, n).astype(str),
        "Comment": rng.choice(["great service", "slow, very slow", "=1+1", ""], n),
        "Ticket": np.arange(n).astype(str),  # keeps rows distinct: no accidental exact duplicates
    })
    bad = [10, 250_000, 999_999]  # 0-based data rows with a broken date
    frame.loc[bad, "Created"] = "not a date"
    return frame.to_csv(index=False).encode(), [b + 2 for b in bad]  # header is row 1


@pytest.mark.slow
def test_a_million_rows_load_with_progress_and_exact_accounting():
    data, bad_rows = _million_row_csv()
    raw = read_table(data, "big.csv")
    assert raw.rows_read == 1_000_000
    mapping = suggest_mapping(raw)
    assert mapping.columns["Created"] == "occurred_at" and mapping.columns["NPS"] == "nps"
    seen: list[float] = []
    result = apply_mapping(raw, mapping, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3
    assert (result.rows_loaded, result.rows_quarantined) == (1_000_000 - 3, 3)
    assert result.quarantine["_row"].tolist() == bad_rows
    assert result.reasons == {"unparseable date": 3}
    assert result.interactions["first_response_minutes"].between(1, 120).all()


def test_three_hundred_columns():
    rng = np.random.default_rng(5)
    columns = {"Customer ID": [f"C{i}" for i in range(50)], "Date": ["2026-01-05"] * 50}
    columns |= {f"Attribute {k}": rng.integers(0, 1000, 50).astype(str) for k in range(298)}
    raw = read_table(pd.DataFrame(columns).to_csv(index=False).encode(), "wide.csv")
    assert raw.frame.shape == (50, 300)
    mapping = suggest_mapping(raw)
    assert mapping.columns["Customer ID"] == "customer_id"
    result = apply_mapping(raw, mapping)
    assert result.rows_loaded + result.rows_quarantined == 50
