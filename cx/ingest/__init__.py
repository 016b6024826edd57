"""Ingestion: exported files -> canonical interactions and customers, with nothing silently lost.

The steps, each usable on its own (in a notebook, the CLI and the Data page alike)::

    raw = read_table(data, "survey.csv")        # bytes/path -> RawTable (all cells as text)
    mapping = suggest_mapping(raw)              # header names + values -> Mapping (editable, JSON)
    result = apply_mapping(raw, mapping)        # -> LoadResult: canonical frames + quarantine
    interactions, customers, scales = combine([result, ...])

``result.rows_loaded + result.rows_quarantined == result.rows_read`` always; every quarantined
row keeps its original cells plus ``_row``, ``_column`` and ``_reason``.
"""

from cx.ingest.load import combine, load_files, write_tables
from cx.ingest.mapping import SHAPE_LABELS, SHAPES, Mapping, targets
from cx.ingest.readers import RawTable, from_frame, read_table
from cx.ingest.sniff import IngestError
from cx.ingest.suggest import suggest_mapping
from cx.ingest.validate import LoadResult, apply_mapping

__all__ = [
    "IngestError",
    "LoadResult",
    "Mapping",
    "RawTable",
    "SHAPES",
    "SHAPE_LABELS",
    "apply_mapping",
    "combine",
    "from_frame",
    "load_files",
    "read_table",
    "suggest_mapping",
    "targets",
    "write_tables",
]
