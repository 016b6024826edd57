"""Tables held as columns, printed as pandas prints a DataFrame, without importing pandas.

``cx metrics`` prints a few dozen rows; importing pandas to print them cost more than the rest of
the command (cron jobs and scripts pay it on every call). A table here is a mapping of column name
to values: a numpy array (float, int or bool: printed as pandas prints those dtypes) or a list
(text, ``None``, any Python value: pandas' object columns). The three renderings are the ones
:func:`cx.cli.print_frame` makes of the same DataFrame, byte for byte (tests/unit/test_columns.py
checks them against pandas on random tables):

- :func:`to_text` — ``DataFrame.to_string(index=False)``;
- :func:`to_csv` — ``DataFrame.to_csv(index=False)`` of the formula-safe copy (:mod:`cx.safe`);
- :func:`to_records` — ``to_dict("records")`` with missing values as ``None`` (for :func:`cx.schema.dumps`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence

#: pandas' display.precision
_DIGITS = 6
_DECIMAL = re.compile(r"^\s*[+-]?[0-9]+\.[0-9]*$")
_ESCAPES = {"\t": r"\t", "\r": r"\r", "\n": r"\n"}

Columns = Mapping[str, Sequence]


def _kind(values) -> str:
    """``f``, ``i``, ``b`` for a numpy array of floats, integers or booleans; ``O`` for anything else."""
    kind = getattr(getattr(values, "dtype", None), "kind", "O")
    return "i" if kind == "u" else kind if kind in "fib" else "O"


def _trim_zeros(texts: list[str]) -> list[str]:
    """Trailing zeros cut equally from every decimal number, one kept after the point (pandas' rule)."""
    numbers = [_DECIMAL.match(x) is not None for x in texts]
    if not any(numbers):
        return texts
    while all(x.endswith("0") for x, number in zip(texts, numbers) if number):
        texts = [x[:-1] if number else x for x, number in zip(texts, numbers)]
    return [x + "0" if number and x.endswith(".") else x for x, number in zip(texts, numbers)]


def _floats(values) -> list[str]:
    floats = [float(v) for v in values]

    def formatted(spec: str) -> list[str]:
        return _trim_zeros(["NaN" if math.isnan(v) else format(v, spec) for v in floats])

    texts = formatted(f".{_DIGITS}f")
    sizes = [abs(v) for v in floats if not math.isnan(v)]
    too_long = bool(texts) and max(len(x) for x in texts) > _DIGITS + 6
    if any(0 < v < 10 ** -_DIGITS for v in sizes) or (too_long and any(v > 1e6 for v in sizes)):
        texts = formatted(f".{_DIGITS}e")
    return texts


def _thing(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        text = f"{value: .{_DIGITS}f}".rstrip("0")  # an object column's float, as pandas shows it
        return text + "0" if text.endswith(".") else text
    text = str(value)
    return "".join(_ESCAPES.get(c, c) for c in text) if isinstance(value, str) else text


def _cells(values) -> list[str]:
    kind = _kind(values)
    if kind == "f":
        return _floats(values)
    if kind == "i":
        return [f"{int(v):d}" for v in values]
    if kind == "b":
        return [str(bool(v)) for v in values]
    return [_thing(v) for v in values]


def to_text(table: Columns) -> str:
    """The table as ``DataFrame.to_string(index=False)`` prints it (columns right-aligned, one space apart)."""
    lines = []
    for name, values in table.items():
        header = (" " if _kind(values) != "O" else "") + str(name)
        cells = _cells(values)
        width = max([len(header), *map(len, cells)])
        lines.append([x.rjust(width) for x in (header, *cells)])
    return "\n".join(" ".join(row) for row in zip(*lines))


def _csv_cell(value, kind: str):
    if kind == "f":
        return "" if math.isnan(value) else repr(float(value))
    if kind in "ib":
        return value.item() if hasattr(value, "item") else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def to_csv(table: Columns) -> str:
    """The table as ``neutralise_frame(frame).to_csv(index=False)`` writes it: formula-safe text cells."""
    from cx.safe import neutralise_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise_cell(str(name)) for name in table])
    kinds = [_kind(values) for values in table.values()]
    for row in zip(*table.values()):
        writer.writerow([neutralise_cell(_csv_cell(v, kind)) if kind == "O" else _csv_cell(v, kind)
                         for v, kind in zip(row, kinds)])
    return buffer.getvalue()


def to_records(table: Columns) -> list[dict]:
    """One dict per row, Python values, ``None`` for a missing one (as the JSON output of a DataFrame)."""
    def plain(value):
        value = value.item() if hasattr(value, "item") else value
        return None if isinstance(value, float) and math.isnan(value) else value

    names = list(table)
    return [dict(zip(names, map(plain, row))) for row in zip(*table.values())]


def rows(table: Columns) -> int:
    """The number of rows."""
    return len(next(iter(table.values()), ()))


__all__ = ["rows", "to_csv", "to_records", "to_text"]
