"""Loaded files together: combine interactions and customers; write them into a database (``cx load --into``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import sqlalchemy as sa

from cx.db import safe_url, scrub, typed_frame
from cx.ingest.sniff import IngestError
from cx.ingest.validate import LoadResult
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, Scale, Scales


def _merge_scale(name: str, scales: list[tuple[str, Scale]]) -> Scale:
    distinct = {(s.low, s.high, s.higher_is_better) for _, s in scales}
    if len(distinct) > 1:
        listing = "; ".join(f"{file}: {s.label()}" for file, s in scales)
        raise IngestError(f"the files declare different {name.upper()} scales ({listing}); map them to one scale")
    return scales[0][1]


def _canonical_first(frame: pd.DataFrame, canonical: dict) -> pd.DataFrame:
    """Canonical columns first, in schema order, then the extra ones as they come."""
    return frame[[c for c in canonical if c in frame] + [c for c in frame if c not in canonical]]


def _precedence(results: list[LoadResult]) -> list[LoadResult]:
    """Files in the order their customer facts win: customer tables first, then by file name — never the
    order the files were given in (lifetime value must not depend on it)."""
    return sorted(results, key=lambda r: (r.shape != "customers", r.name))


def customer_conflicts(results: list[LoadResult]) -> list[str]:
    """Sentences for customer attributes that two files give differently (the file that wins is named)."""
    ranked = [r for r in _precedence(results) if r.customers is not None and len(r.customers)]
    notes = []
    for i, first in enumerate(ranked):
        a = first.customers.drop_duplicates("customer_id").set_index("customer_id")
        for later in ranked[i + 1:]:
            b = later.customers.drop_duplicates("customer_id").set_index("customer_id")
            shared = a.index.intersection(b.index)
            for column in [c for c in a.columns if c in b.columns]:
                x, y = a.loc[shared, column], b.loc[shared, column]
                differ = int((x.notna() & y.notna() & (x.astype(str) != y.astype(str))).sum())
                if differ:
                    notes.append(f"{first.name} and {later.name} give different {column} for {differ:,} customers; "
                                 f"{first.name}'s value is kept (customer tables first, then by file name).")
    return notes


def _customers(results: list[LoadResult]) -> pd.DataFrame | None:
    """One row per customer over every file; where files disagree, a customer table's value wins, then the
    file whose name sorts first (see :func:`customer_conflicts`)."""
    customers = None
    for result in _precedence(results):
        if result.customers is None or not len(result.customers):
            continue
        part = result.customers.drop_duplicates("customer_id", keep="first").set_index("customer_id")
        customers = part if customers is None else customers.combine_first(part)
    return _canonical_first(customers.reset_index(), CUSTOMER_COLUMNS) if customers is not None else None


def _scales(results: list[LoadResult]) -> Scales:
    chosen = {}
    for score in ("csat", "ces"):
        carrying = [(r.name, r.scales.for_column(score)) for r in results
                    if score in r.interactions and r.interactions[score].notna().any()]
        chosen[score] = _merge_scale(score, carrying) if carrying else Scales().for_column(score)
    return Scales(csat=chosen["csat"], ces=chosen["ces"])


def _customer_scores(results: list[LoadResult]) -> pd.DataFrame | None:
    """The undated score rows of customer tables, one per customer however many customer files carry
    one (two CRM extracts must not count each customer twice); files in :func:`_precedence` order."""
    parts = [r.interactions for r in _precedence(results) if r.shape == "customers" and r.interactions is not None
             and len(r.interactions)]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    merged = pd.concat(parts, ignore_index=True)
    return merged.groupby("customer_id", sort=False, dropna=True).first().reset_index()


def combine(results: list[LoadResult]) -> tuple[pd.DataFrame, pd.DataFrame | None, Scales]:
    """Merge the loaded files: all interactions stacked, customers joined on ``customer_id``.

    Customer rows from several files (a customers table, a survey's verdicts) are merged into one
    row per customer; where two files give the same attribute, the first file's value wins.

    Raises
    ------
    IngestError
        When two files carrying the same score declare different scales for it.
    """
    frames = [r.interactions for r in results if r.interactions is not None and len(r.interactions)
              and r.shape != "customers"]
    per_customer = _customer_scores(results)
    if per_customer is not None:
        frames.append(per_customer)
    interactions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"customer_id": pd.Series([], dtype=object)})
    return _canonical_first(interactions, INTERACTION_COLUMNS), _customers(results), _scales(results)


def write_tables(url: str, interactions: pd.DataFrame, customers: pd.DataFrame | None) -> str:
    """Write canonical ``interactions`` (and ``customers``) into a database, replacing those tables.

    ``url`` is a SQLAlchemy URL or a path to a ``.duckdb`` / ``.sqlite`` file (created if missing).
    This is the one write path of the project (``cx load --into``); warehouses opened for reading
    stay read-only. Returns the URL shown to the user (password masked).
    """
    text = str(url)
    if "://" not in text:
        path = Path(text)
        suffix = path.suffix.lower()
        if suffix not in (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3"):
            raise IngestError(f"{text}: --into needs a SQLAlchemy URL or a .duckdb / .sqlite file")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"{'sqlite' if suffix.startswith('.sqlite') else 'duckdb'}:///{path.resolve()}"
    itab = typed_frame(interactions, INTERACTION_COLUMNS, extras=True)  # as the in-memory upload source (per-row attributes kept)
    ctab = typed_frame(customers, CUSTOMER_COLUMNS, extras=True) if customers is not None else None
    try:
        parsed = sa.engine.make_url(text)
        if parsed.get_backend_name() == "duckdb":
            con = duckdb.connect(parsed.database or ":memory:")
            try:
                for name, table in (("interactions", itab), ("customers", ctab)):
                    if table is None:
                        continue
                    con.register("_cx_frame", table)
                    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _cx_frame')
                    con.unregister("_cx_frame")
            finally:
                con.close()
        else:
            engine = sa.create_engine(parsed)
            try:
                with engine.begin() as con:
                    itab.to_sql("interactions", con, if_exists="replace", index=False, chunksize=10_000)
                    if ctab is not None:
                        ctab.to_sql("customers", con, if_exists="replace", index=False, chunksize=10_000)
                    if engine.dialect.name == "postgresql":
                        # statistics now, not at autovacuum's next pass (never when it is off): without
                        # them PostgreSQL plans the journey queries as nested loops, minutes instead of ms
                        con.execute(sa.text("ANALYZE interactions"))
                        if ctab is not None:
                            con.execute(sa.text("ANALYZE customers"))
            finally:
                engine.dispose()
    except Exception as exc:  # driver errors: one line, no password
        reason = scrub(str(getattr(exc, "orig", exc)), text).strip().splitlines()
        raise IngestError(f"writing into {safe_url(text)} failed: {reason[0] if reason else type(exc).__name__}") from None
    return safe_url(text)
