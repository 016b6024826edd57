"""Mapping warehouse tables: suggest from a LIMITed sample, then hand column names to :func:`cx.source.table_source`.

Nothing is copied: the mapping becomes a ``SELECT src AS canonical`` view. What a view cannot do
(derive durations from two timestamps, convert units, melt a wide table) is reported in the notes
instead of being silently skipped.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from cx.db import Source, read_frame
from cx.ingest.mapping import Mapping
from cx.ingest.readers import RawTable, from_frame
from cx.ingest.vocabulary import IGNORE
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS

SAMPLE_LIMIT = 500


def sample_table(engine: sa.Engine, table: str, limit: int = SAMPLE_LIMIT, schema: str | None = None) -> RawTable:
    """The first ``limit`` rows of a table or view as a :class:`RawTable` (identifiers quoted by SQLAlchemy).

    Raises
    ------
    cx.source.SourceError
        When the table cannot be read (message without secrets).
    """
    query = sa.select(sa.text("*")).select_from(sa.table(table, schema=schema)).limit(limit)
    return from_frame(read_frame(engine, query, f"cannot read table or view {table!r}"), table)


def warehouse_columns(mapping: Mapping, customers: Mapping | None = None) -> dict:
    """Keyword arguments for :func:`cx.source.table_source` from the mappings of two tables.

    Returns
    -------
    dict
        ``interactions_columns`` and ``customers_columns`` (canonical -> table column),
        ``booleans`` (canonical -> lower-case value meaning true), ``scales``,
        ``customer_attributes`` (extra customer columns) and ``notes`` (what a view cannot do).
    """
    interactions = {t: s for s, t in mapping.columns.items() if t in INTERACTION_COLUMNS}
    booleans = {mapping.columns[s]: v.lower() for s, v in mapping.booleans.items() if mapping.columns.get(s) in INTERACTION_COLUMNS}
    customer_columns, attributes = _customer_columns(customers, booleans) if customers is not None else ({}, [])
    return {
        "interactions_columns": interactions,
        "customers_columns": customer_columns or None,
        "booleans": booleans,
        "scales": mapping.scales,
        "customer_attributes": tuple(attributes),
        "notes": _view_notes(mapping),
    }


def _view_notes(mapping: Mapping) -> list[str]:
    """What a ``SELECT … AS …`` view cannot do with this mapping, said instead of silently skipped."""
    notes: list[str] = []
    if mapping.shape in ("wide", "stream"):
        notes.append(f"a {mapping.shape} table cannot be mapped as a view; only its plain columns are used")
    for target in mapping.durations:
        notes.append(f"{target} cannot be derived from two timestamps in a view; map a duration column or "
                     "create a view that computes it")
    for column, unit in mapping.units.items():
        target = mapping.columns.get(column)
        expected = "minutes" if target == "first_response_minutes" else "hours"
        if target in ("first_response_minutes", "resolution_hours") and unit != expected:
            notes.append(f"'{column}' is in {unit}; the view uses it as {expected} unchanged")
    stray = [s for s, t in mapping.columns.items() if t.startswith("customers.")]
    if stray:
        notes.append(f"customer columns on the interactions table are not used ({', '.join(stray)}); "
                     "choose a customers table for them")
    return notes


def _customer_columns(customers: Mapping, booleans: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Canonical customer column -> table column, and the extra attribute columns (flag values go to ``booleans``)."""
    columns: dict[str, str] = {}
    attributes: list[str] = []
    for source, target in customers.columns.items():
        if target == IGNORE:
            continue
        name = target.split(".", 1)[1] if target.startswith("customers.") else target
        if name in CUSTOMER_COLUMNS:
            columns[name] = source
            if source in customers.booleans:
                booleans[name] = customers.booleans[source].lower()
        elif target.startswith("customers."):
            attributes.append(source)
    return columns, attributes


def preview_rows(source: Source, limit: int = 50) -> pd.DataFrame:
    """The first ``limit`` canonical interaction rows of a source (for the Data page's preview)."""
    return source.read(sa.select(source.interactions).limit(limit), f"reading a preview of {source.label} failed")
