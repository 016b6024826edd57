"""The table a reader produces: :class:`RawTable`, plus the shared width and row-numbering steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.ingest import sniff
from cx.ingest.sniff import IngestError

META = ("_row", "_column", "_reason")


@dataclass(frozen=True, eq=False)
class RawTable:
    """A file as read, before any mapping.

    Attributes
    ----------
    name : str
        The file name, used in every message.
    frame : pandas.DataFrame
        All cells as text (missing = NaN), de-duplicated header names; the index is the row number
        in the file as a spreadsheet shows it (header = row 1).
    encoding, delimiter : str or None
        What was detected for text files.
    sheets : tuple of str
        Sheet names of a workbook (empty for other formats); ``sheet`` is the one read.
    format : str
        ``csv``, ``excel``, ``parquet`` or ``json``.
    rejected : pandas.DataFrame
        Rows the reader could not split into the header's columns (e.g. too many fields), with
        ``_row``, ``_column`` and ``_reason``; they count as read and quarantined.
    notes : tuple of str
        What the reader noticed (a title line skipped, a two-row header joined, blank rows…).
    hidden_sheets : tuple of str
        Sheets of a workbook that Excel does not show (listed in ``sheets``; read only when chosen).
    uncomputed : dict
        Column -> row numbers of cells that are formulas without a saved result (a workbook written
        by a program and never opened in Excel): their value is not known, so a row whose mapped
        column has one is quarantined rather than loaded with an empty cell.
    """

    name: str
    frame: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    format: str = "csv"
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(META)))
    notes: tuple[str, ...] = ()
    hidden_sheets: tuple[str, ...] = ()
    uncomputed: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        """Data rows in the file: the frame's rows plus the rejected ones."""
        return len(self.frame) + len(self.rejected)

    def describe(self) -> str:
        """One line: "1,234 rows × 7 columns · CSV, UTF-8, semicolon-separated"."""
        parts = [f"{self.rows_read:,} rows × {len(self.frame.columns)} columns", self.format.upper()]
        if self.encoding:
            parts.append(self.encoding.upper().replace("-SIG", ""))
        if self.delimiter:
            parts.append(f"{sniff.DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        return " · ".join(parts)


def fit_width(frame: pd.DataFrame, names: list[str], delimiter: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give the frame the header's width; rows with surplus fields are rejected (unless most rows have them).

    Linear in the number of columns: missing columns are added in one step (adding them one by one
    made a 20,000-column header with short rows take minutes).
    """
    frame.columns = range(frame.shape[1])
    width = len(names)
    rejected = pd.DataFrame()
    if frame.shape[1] > width:
        extra = frame.iloc[:, width:]
        surplus = extra.notna().any(axis=1)
        if surplus.mean() > 0.5:  # the header is short, not the rows: name the extra columns
            names = sniff.dedupe(names + [""] * (frame.shape[1] - width))
            width = len(names)
        else:
            joiner = delimiter or ","
            rejected = frame.loc[surplus, : width - 1].copy()
            rejected.columns = names
            rejected["_extra"] = extra[surplus].apply(lambda r: joiner.join(r.dropna().astype(str)), axis=1)
            counts = frame.loc[surplus].notna().sum(axis=1)
            rejected["_column"] = ""
            rejected["_reason"] = "too many fields"
            rejected["_fields"] = counts.astype(int).values
            frame = frame.loc[~surplus]
    frame = frame.iloc[:, :width]
    if frame.shape[1] < width:  # one empty text array shared by every missing column (copied only when written)
        empty = pd.array([None] * len(frame), dtype="str")
        missing = pd.DataFrame({position: empty for position in range(frame.shape[1], width)}, index=frame.index)
        frame = pd.concat([frame, missing], axis=1)
    frame.columns = names
    return frame, rejected


def finish(frame: pd.DataFrame, rejected: pd.DataFrame, name: str, notes: list[str], first_row: int, skipped: int = 0):
    """Number rows as the file does, drop blank rows (``skipped``: blank ones already left out), refuse a table without data."""
    frame.index = frame.index + first_row
    if len(rejected):
        rejected.index = rejected.index + first_row
        rejected["_row"] = rejected.index
        rejected = rejected.drop(columns=["_fields"], errors="ignore")
    frame = frame.astype("str") if len(frame.columns) else frame
    blank = _blank_rows(frame)
    if blank.any() or skipped:
        notes.append(f"{int(blank.sum()) + skipped} blank row(s) skipped")
        frame = frame[~blank]
    if frame.empty and not len(rejected):
        raise IngestError(f"{name}: has a header row but no data rows")
    if len(frame.columns) == 0:
        raise IngestError(f"{name}: has no columns")
    return frame, rejected if len(rejected) else pd.DataFrame(columns=list(META)), notes


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is missing or only whitespace.

    Column by column over the rows not yet known to hold text: the first column or two settle
    almost every row, so a 2,000-column table costs a few column operations, not 2,000.
    """
    undecided = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        if not undecided.any():
            break
        rows = np.flatnonzero(undecided)
        cells = frame.iloc[rows, position]
        text = cells.str.strip().str.len().gt(0).fillna(False).to_numpy(dtype=bool)
        undecided[rows[text]] = False
    return pd.Series(undecided, index=frame.index)
