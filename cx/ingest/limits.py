"""How much one input may hold: bytes after unpacking, columns, line length, distinct values per dimension.

Every limit is enforced while the file is read, before the costly step it protects: an archive is
unpacked in chunks and abandoned at the size limit (a 25 MB zip bomb never becomes gigabytes in
memory), a header wider than the column limit is refused before any row is split, a line longer
than the line limit is found by one scan of the bytes before any parsing, and a dimension column
(channel, journey stage, touchpoint, segment…) with more distinct values than the dashboard can
break down by is refused before it is loaded.

The defaults below can be changed per deployment: ``[ingest]`` in ``.streamlit/secrets.toml``
(``max_input_mb``, ``max_columns``, ``max_line_kb``, ``max_distinct``) or the environment
(``CX_INGEST_MAX_INPUT_MB``, ``CX_INGEST_MAX_COLUMNS``, ``CX_INGEST_MAX_LINE_KB``,
``CX_INGEST_MAX_DISTINCT``); the environment wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import tomllib

#: bytes of one file after unpacking (gzip, zip): Streamlit's default upload cap, so a compressed
#: upload can cost no more memory than a plain one may
MAX_INPUT_BYTES = 200_000_000
#: columns of one table (the widest survey exports seen have a few hundred)
MAX_COLUMNS = 2_000
#: bytes of one physical line of a text table (a comment of a whole book still fits)
MAX_LINE_BYTES = 1_000_000
#: distinct values of one dimension column after normalisation (channels, stages, touchpoints…)
MAX_DISTINCT = 1_000
#: archives inside archives (x.csv.gz inside y.zip is two)
MAX_NESTING = 3
#: brackets inside brackets in a JSON document
MAX_JSON_DEPTH = 64

#: mapping targets that become breakdowns on the pages: their distinct values are limited
DIMENSION_TARGETS = ("channel", "journey_stage", "touchpoint", "agent", "team", "customers.segment",
                     "customers.region")

_SETTINGS = {  # field -> (secrets key, environment variable, unit multiplier)
    "max_input_bytes": ("max_input_mb", "CX_INGEST_MAX_INPUT_MB", 1_000_000),
    "max_columns": ("max_columns", "CX_INGEST_MAX_COLUMNS", 1),
    "max_line_bytes": ("max_line_kb", "CX_INGEST_MAX_LINE_KB", 1_000),
    "max_distinct": ("max_distinct", "CX_INGEST_MAX_DISTINCT", 1),
}


@dataclass(frozen=True)
class Limits:
    """The bounds one read respects (see the module docstring for where they come from).

    Examples
    --------
    >>> Limits(max_columns=50).caption()[:40]
    'Limits per file: 200 MB after unpacking '
    """

    max_input_bytes: int = MAX_INPUT_BYTES
    max_columns: int = MAX_COLUMNS
    max_line_bytes: int = MAX_LINE_BYTES
    max_distinct: int = MAX_DISTINCT
    max_nesting: int = MAX_NESTING
    max_json_depth: int = MAX_JSON_DEPTH

    def caption(self) -> str:
        """One line for the Data page: what a file may hold."""
        return (f"Limits per file: {_size(self.max_input_bytes)} after unpacking · {self.max_columns:,} columns · "
                f"lines up to {_size(self.max_line_bytes)} · {self.max_distinct:,} distinct values per channel, "
                "journey stage, touchpoint, segment or region column.")

    @property
    def max_cells(self) -> int:
        """Cells of a Parquet or Excel table: what a CSV within the size limit could hold (one byte and a comma each)."""
        return self.max_input_bytes // 2


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:,.0f} MB"
    return f"{n / 1_000:,.0f} KB"


def _secrets(path: Path | None = None) -> dict:
    """The ``[ingest]`` table of ``.streamlit/secrets.toml`` (the working directory's), or nothing."""
    path = path or Path.cwd() / ".streamlit" / "secrets.toml"
    try:
        with path.open("rb") as handle:
            section = tomllib.load(handle).get("ingest", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return section if isinstance(section, dict) else {}


def current_limits(environ: dict | None = None, secrets: dict | None = None) -> Limits:
    """The limits in force: module defaults, then ``[ingest]`` secrets, then ``CX_INGEST_*`` variables.

    A value that is not a positive number is ignored (the default stays), so a typo never lifts a
    limit altogether.
    """
    environ = os.environ if environ is None else environ
    secrets = _secrets() if secrets is None else secrets
    values = {}
    for field, (key, variable, unit) in _SETTINGS.items():
        for raw in (secrets.get(key), environ.get(variable)):
            try:
                number = float(raw)
            except (TypeError, ValueError):
                continue
            if number > 0:
                values[field] = int(number * unit)
    return Limits(**values)
