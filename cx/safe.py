"""Output safety: files the app writes must not execute anything when a user opens them.

Spreadsheet programs treat a cell starting with ``=``, ``+``, ``-``, ``@`` (and tab / carriage
return) as a formula; OWASP's advice is to prefix such text cells with a single quote. Numbers are
left alone — a negative NPS is data, not a formula.
"""

from __future__ import annotations

import html
import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and header) neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads accents right) with formula injection neutralised."""
    buffer = io.StringIO()
    neutralise_frame(frame).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8-sig")


def plain_text(value) -> str:
    """User text escaped for HTML, so a comment holding ``<script>`` shows as those characters."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else html.escape(str(value))
