"""The demo's own interactions, exported as CSV, load back as interactions with nothing lost.

An export of the canonical schema (``COPY interactions TO 'x.csv'``) names every column by its
canonical name; each must map to itself. It used to be suggested as a rating stream (the
``first_response_minutes`` column taken as a time offset), which dropped the NPS answers.
"""

from __future__ import annotations

import duckdb
import pytest

from cx import demo, ingest
from cx.schema import INTERACTION_COLUMNS


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    warehouse = folder / "demo.duckdb"
    demo.generate(warehouse, customers=400, interactions=6000)
    path = folder / "interactions.csv"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"COPY interactions TO '{path}' (HEADER, DELIMITER ',')")
        counts = con.execute("SELECT count(*), count(nps), count(csat), count(ces), count(first_response_minutes) "
                             "FROM interactions").fetchone()
    return path, counts


def test_every_canonical_column_maps_to_itself(export):
    path, _ = export
    mapping = ingest.prepare(path).mapping
    assert mapping.shape == "interactions"
    assert {c: t for c, t in mapping.columns.items() if c in INTERACTION_COLUMNS} == {
        c: c for c in mapping.columns if c in INTERACTION_COLUMNS}


def test_the_export_loads_back_every_row_and_answer(export):
    path, (rows, nps, csat, ces, frt) = export
    loaded = ingest.ingest([path])
    result = loaded.results[0]
    assert result.rows_read == rows and result.rows_loaded + result.rows_quarantined == rows
    frame = loaded.interactions
    assert (len(frame), frame["nps"].notna().sum(), frame["csat"].notna().sum(), frame["ces"].notna().sum(),
            frame["first_response_minutes"].notna().sum()) == (rows, nps, csat, ces, frt)
