"""cx.columns prints a table held as columns exactly as pandas prints the same DataFrame (cx metrics' output).

Random tables of the column kinds a metric table has (text with missing values, integers, flags,
floats with NaN, large, tiny, whole and rounded values) rendered both ways: ``to_string``, the
formula-safe CSV and the JSON records must be the same bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cx import columns
from cx.safe import neutralise_frame
from cx.schema import dumps

WORDS = ["app", "chat", "small business", "=1+2", "-x", "@home", "a,b", 'say "hi"', "tab\there", "line\nbreak",
         "é ü", "", " lead", "2025-06-30", "all", "+44"]


def _float_column(rng, n):
    kind = rng.integers(6)
    if kind == 0:
        values = rng.normal(0, 50, n).round(2)
    elif kind == 1:
        values = rng.integers(-100, 100, n).astype("float64")
    elif kind == 2:
        values = rng.normal(0, 1, n) * 10.0 ** rng.integers(-9, 9, n)
    elif kind == 3:
        values = rng.uniform(0, 3e7, n).round(2)
    elif kind == 4:
        values = np.full(n, np.nan)
    else:
        values = rng.uniform(-1, 1, n)
    values[rng.random(n) < 0.2] = np.nan
    return values


def _table(rng) -> dict:
    n = int(rng.integers(1, 12))
    table = {}
    for k in range(int(rng.integers(1, 7))):
        kind = rng.integers(4)
        name = ["period", "channel", "n", "value", "ci_low", "low_n", "p90", "x"][int(rng.integers(8))] + str(k)
        if kind == 0:
            table[name] = [None if rng.random() < 0.2 else WORDS[int(rng.integers(len(WORDS)))] for _ in range(n)]
        elif kind == 1:
            table[name] = rng.integers(-5, 10 ** int(rng.integers(1, 9)), n).astype("int64")
        elif kind == 2:
            table[name] = rng.random(n) < 0.5
        else:
            table[name] = _float_column(rng, n)
    return table


def _frame(table: dict, text_dtype) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=text_dtype) if isinstance(v, list) else v for k, v in table.items()})


@pytest.mark.parametrize("seed", range(20))
def test_the_same_bytes_as_pandas(seed):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        table = _table(rng)
        frame = _frame(table, object)
        assert columns.to_text(table) == frame.to_string(index=False)
        assert columns.to_csv(table) == neutralise_frame(frame).to_csv(index=False)
        assert dumps(columns.to_records(table)) == dumps(frame.astype(object).where(frame.notna(), None).to_dict("records"))


def test_text_columns_without_missing_values_print_as_pandas_strings():
    """cx metrics' period column is a list of text, which pandas 3 stores as its str dtype."""
    table = {"period": ["2025-06-30", "2025-07-07", "all"], "metric": ["nps"] * 3, "n": np.array([3, 40, 500]),
             "value": np.array([1.5, -12.25, np.nan]), "low_n": np.array([True, False, False])}
    frame = _frame(table, None)
    assert str(frame["period"].dtype) == "str"
    assert columns.to_text(table) == frame.to_string(index=False)
    assert columns.to_csv(table) == neutralise_frame(frame).to_csv(index=False)
    assert columns.rows(table) == 3 and columns.rows({}) == 0
