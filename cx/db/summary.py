"""What a source holds: row and customer counts, date span, channels, stages, filled columns."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from cx.db.source import Source
from cx.db.where import contacts, row_attributes
from cx.schema import INTERACTION_COLUMNS


@dataclass(frozen=True)
class SourceSummary:
    """What a source holds: counts, span and per-column fill (:func:`cx.metrics.available` reads the metrics it supports)."""

    rows: int
    customers: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    undated_rows: int
    channels: dict[str, int]
    stages: dict[str, int]
    column_counts: dict[str, int]
    customer_rows: int | None


#: Kinds of source whose data never change under one key: the demo file (its key carries the file's
#: time stamp). Their summaries are remembered per engine for as long as the engine lives.
_UNCHANGING = ("demo",)
#: Seconds a warehouse's summary is remembered (its rows may change). The review, its alerts and the
#: churn fit each ask for it, and on a warehouse it is four scans of the whole table (a distinct count of
#: the customers among them): without this, every week a page reviews read them again. The app keeps the
#: summary it shows for an hour; this is shorter. An upload's is read each time (its rows are in memory,
#: and once released it must not be readable at all).
FRESH_SECONDS = 600.0
_FOR_A_WHILE = ("warehouse",)
_remembered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {source key: (summary, when)}
_lock = threading.Lock()
_now = time.monotonic


def summarize(source: Source) -> SourceSummary:
    """Counts, date span, channels, stages and per-column fill — three aggregate queries.

    The review, the alerts and the churn fit each ask for it: the answer is read once per engine and
    key, for the demo for good, for a warehouse for :data:`FRESH_SECONDS`.
    """
    if source.kind not in (*_UNCHANGING, *_FOR_A_WHILE):
        return _summarize(source)
    now = _now()
    with _lock:
        known, when = _remembered.get(source.engine, {}).get(source.key, (None, None))
    if known is not None and (source.kind in _UNCHANGING or now - when <= FRESH_SECONDS):
        return known
    known = _summarize(source)
    with _lock:
        _remembered.setdefault(source.engine, {})[source.key] = (known, now)
    return known


def _summarize(source: Source) -> SourceSummary:
    i = source.interactions
    counted = [c for c in INTERACTION_COLUMNS if c != "customer_id"]
    contact = contacts(source)
    q = sa.select(
        sa.func.count().label("rows"),
        sa.func.count(sa.distinct(i.c.customer_id)).label("customers"),
        sa.func.min(i.c.occurred_at).label("first"),
        sa.func.max(i.c.occurred_at).label("last"),
        *[sa.func.count(i.c[c]).label(c) for c in counted],
        (sa.func.count() if contact is None else sa.func.count(sa.case((contact, 1)))).label("contacts"),
    )
    context = f"reading {source.label} failed"
    row = source.read(q, context).iloc[0]
    by_channel = source.read(
        sa.select(i.c.channel, sa.func.count().label("n")).group_by(i.c.channel).order_by(sa.desc("n")), context
    )
    by_stage = source.read(sa.select(i.c.journey_stage, sa.func.count().label("n")).group_by(i.c.journey_stage), context)
    counts = {c: int(row[c]) for c in counted}
    counts["customer_id"] = int(row["contacts"])  # the contacts: what contact volume counts
    customer_rows = None
    if source.customers is not None:
        cu = source.customers
        crow = source.read(sa.select(sa.func.count().label("n"), *[sa.func.count(cu.c[c]).label(c) for c in cu.c.keys()]),
                           context).iloc[0]
        customer_rows = int(crow["n"])
        counts |= {f"customers.{c}": int(crow[c]) for c in cu.c.keys()}

    def ts(value):
        return None if value is None or pd.isna(value) else pd.Timestamp(value)

    return SourceSummary(
        rows=int(row["rows"]),
        customers=int(row["customers"]),
        first=ts(row["first"]),
        last=ts(row["last"]),
        undated_rows=int(row["rows"]) - counts["occurred_at"],
        channels={str(k): int(v) for k, v in zip(by_channel.iloc[:, 0], by_channel["n"]) if pd.notna(k)},
        stages={str(k): int(v) for k, v in zip(by_stage.iloc[:, 0], by_stage["n"]) if pd.notna(k)},
        column_counts=counts,
        customer_rows=customer_rows,
    )


def attribute_values(source: Source, name: str, limit: int = 200) -> list[str]:
    """The distinct values of customer attribute ``name`` (at most ``limit``, sorted), for a filter's choices:
    the customers' values and, where the attribute is kept per row (:mod:`cx.db.where`), the rows' too."""
    parts = []
    if source.customers is not None and name in source.customers.c:
        parts.append(sa.select(source.customers.c[name].label("value")))
    if name in row_attributes(source.interactions):
        parts.append(sa.select(source.interactions.c[name].label("value")))
    if not parts:
        return []
    values = (sa.union(*parts) if len(parts) > 1 else parts[0]).subquery("attribute_values")
    query = sa.select(values.c.value).where(values.c.value.is_not(None)).distinct().order_by(values.c.value).limit(limit)
    return [str(v) for v in source.read(query, f"reading the values of {name} failed")["value"]]
