"""Ingestion: exported files -> canonical interactions and customers, with nothing silently lost.

The steps, each usable on its own (in a notebook, the CLI and the Data page alike)::

    raw = read_table(data, "survey.csv")        # bytes/path -> RawTable (all cells as text)
    mapping = suggest_mapping(raw)              # header names + values -> Mapping (editable, JSON)
    result = apply_mapping(raw, mapping)        # -> LoadResult: canonical frames + quarantine
    interactions, customers, scales = combine([result, ...])

The pipeline (:mod:`cx.ingest.pipeline`) runs them the same way for the Data page, the CLI and
``--source``: ``prepare`` (read + mapping), ``check``, ``run`` (apply + combine), ``to_source``;
``open_files(paths, mapping=...)`` does it all and returns a :class:`cx.db.Source`. Every read is
bounded by :class:`cx.ingest.limits.Limits` (size after unpacking, columns, line length, distinct
values per dimension).

``result.rows_loaded + result.rows_quarantined == result.rows_read`` always; every quarantined
row keeps its original cells plus ``_row``, ``_column`` and ``_reason``.
"""

from typing import TYPE_CHECKING

from cx.lazy import exports

# The names below are imported on first use (PEP 562), so that ``import cx.ingest.sniff`` or a
# command that never reads a file (``cx metrics --source warehouse.duckdb``) does not load every
# reader (Excel, Parquet) and the validator.
_HOME = {
    "Limits": "limits", "current_limits": "limits",
    "combine": "load", "write_tables": "load",
    "SHAPE_LABELS": "mapping", "SHAPES": "mapping", "Mapping": "mapping", "targets": "mapping",
    "Loaded": "pipeline", "Prepared": "pipeline", "check": "pipeline", "ingest": "pipeline",
    "load_files": "pipeline", "open_files": "pipeline", "prepare": "pipeline", "read_mapping_file": "pipeline",
    "run": "pipeline", "to_source": "pipeline",
    "RawTable": "readers", "from_frame": "readers", "read_table": "readers",
    "IngestError": "sniff", "is_data_file": "sniff",
    "suggest_mapping": "suggest",
    "LoadResult": "validate", "apply_mapping": "validate", "check_mapping": "validate",
}


__getattr__ = exports(__name__, _HOME)


if TYPE_CHECKING:
    from cx.ingest.limits import Limits, current_limits
    from cx.ingest.load import combine, write_tables
    from cx.ingest.mapping import SHAPE_LABELS, SHAPES, Mapping, targets
    from cx.ingest.pipeline import (
        Loaded,
        Prepared,
        check,
        ingest,
        is_data_file,
        load_files,
        open_files,
        prepare,
        read_mapping_file,
        run,
        to_source,
    )
    from cx.ingest.readers import RawTable, from_frame, read_table
    from cx.ingest.sniff import IngestError
    from cx.ingest.suggest import suggest_mapping
    from cx.ingest.validate import LoadResult, apply_mapping, check_mapping

__all__ = [
    "IngestError",
    "Limits",
    "LoadResult",
    "Loaded",
    "Mapping",
    "Prepared",
    "RawTable",
    "SHAPES",
    "SHAPE_LABELS",
    "apply_mapping",
    "check",
    "check_mapping",
    "combine",
    "current_limits",
    "from_frame",
    "ingest",
    "is_data_file",
    "load_files",
    "open_files",
    "prepare",
    "read_mapping_file",
    "read_table",
    "run",
    "suggest_mapping",
    "targets",
    "to_source",
    "write_tables",
]
