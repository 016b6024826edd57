"""How amounts read to a person: the currency symbol of money values, one setting for the whole app.

The symbol comes from ``[display] currency`` in the app's secrets (set by the Streamlit adapter, ``ui/``), else the
``CX_CURRENCY`` environment variable, else ``"$"``. Pure: no streamlit.

Examples
--------
>>> money(15975.6976, "€")
'€15,976'
>>> money(-1234.5, "$")
'-$1,234'
>>> money(1234.5, "$", signed=True)
'+$1,234'
"""

from __future__ import annotations

import math
import os

DEFAULT_CURRENCY = "$"
_chosen: str | None = None


def set_currency(symbol: str | None) -> None:
    """Use ``symbol`` for money from now on (``None`` or blank: back to the environment / default)."""
    global _chosen
    _chosen = str(symbol).strip() or None if symbol is not None else None


def currency() -> str:
    """The currency symbol money is shown with."""
    return _chosen or os.environ.get("CX_CURRENCY", "").strip() or DEFAULT_CURRENCY


def money(value, symbol: str | None = None, *, signed: bool = False) -> str:
    """A money amount with its currency symbol and thousands separators, whole units (``–`` when missing);
    ``signed``: a change, with its ``+`` sign when not negative (``+$0`` for no change)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    symbol = currency() if symbol is None else symbol
    rounded = round(float(value))
    sign = "-" if rounded < 0 else "+" if signed else ""
    return f"{sign}{symbol}{abs(rounded):,.0f}"
