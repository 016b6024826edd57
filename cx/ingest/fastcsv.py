"""The fast step of the text reader: DuckDB's CSV reader splits a plain delimited file into text cells.

:func:`cx.ingest.readers.read_table` decodes, checks and sniffs every text file the same way; for
the body of a *plain* file it then asks DuckDB (every column VARCHAR, the sniffed delimiter, no
guessing) instead of pandas' parser over a Python copy of the text. The frame it returns is the one
the pandas path returns, cell for cell (tests/unit/test_ingest_fastcsv.py compares both on the bad-input
and real-export corpora), so everything after it — the suggestion, validation, quarantine — is
unchanged. At a million rows it reads in a quarter of the time and half the memory.

Anything the step is not sure to split exactly as pandas would goes the old way (``None``):

* not UTF-8 (a code page, UTF-16, stray bytes replaced): DuckDB reads UTF-8 only, and the replaced
  bytes must read as the decoder replaced them;
* a header that is not one line at the top (title lines, two header rows, a quoted newline in a
  name): the header is read by the sniffer, DuckDB only skips its one line;
* a lone carriage return as a line end (old Mac files), a blank line, a quoted field running over
  several lines: pandas numbers rows by records and keeps blank lines (dropped later with a note),
  so the step is taken only when every physical line is one record — checked by counting;
* a row DuckDB refuses (more fields than the header, a stray quote): the pandas path and the csv
  module then reject or repair it exactly as before, with the same row numbers and reasons.

Excel, Parquet and JSON never get here (their readers already produce typed cells from their own
libraries), nor do archives' contents until unpacked (then they are plain bytes like any file).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd

from cx.ingest import sniff

#: turned off by the tests that compare both paths (and by ``CX_INGEST_FAST_CSV=0``)
ENABLED = os.environ.get("CX_INGEST_FAST_CSV", "1") != "0"
#: below this many bytes the pandas parser is as fast and the step is not worth its temporary file
MIN_BYTES = int(os.environ.get("CX_INGEST_FAST_CSV_MIN_BYTES", str(1 << 20)))
#: rows per Arrow batch fetched from DuckDB (streaming keeps DuckDB's own copy of the result small)
BATCH = 200_000
UTF8 = ("utf-8", "utf-8 (with BOM)")
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # the readers' "str" dtype


def split(data: bytes, encoding: str, delimiter: str, width: int, header_lines: int) -> pd.DataFrame | None:
    """The data records of a plain delimited file as text cells (index 0, 1, … in file order), or None.

    ``width`` is the header's number of fields and ``header_lines`` the physical lines the header
    takes (1 for the fast step). None means: use the pandas path (see the module's list of why).
    """
    if not ENABLED or len(data) < MIN_BYTES or encoding not in UTF8 or header_lines != 1:
        return None
    if data.count(b"\r") != data.count(b"\r\n"):  # a lone \r ends a line for pandas; not worth the doubt
        return None
    first = data.find(b"\n")
    if first < 0:
        return None
    expected = data.count(b"\n", first + 1) + (0 if data.endswith(b"\n") else 1)
    if expected <= 0 or b"\n\n" in data or b"\n\r\n" in data:  # a blank line: a record for pandas, none for DuckDB
        return None
    frame = _duckdb_read(data, delimiter, width)
    if frame is None or len(frame) != expected:  # a quoted field over several lines, or a line DuckDB skipped
        return None
    return frame


def _duckdb_read(data: bytes, delimiter: str, width: int) -> pd.DataFrame | None:
    import duckdb
    import pyarrow as pa

    if delimiter not in sniff.DELIMITERS:
        return None
    with tempfile.TemporaryDirectory(prefix="cx-upload-") as folder:
        path = os.path.join(folder, "body.csv")
        if "'" in path:  # a quote in TMPDIR would end the SQL string
            return None
        with open(path, "wb") as out:
            out.write(data)
        con = duckdb.connect(config={"preserve_insertion_order": True})
        try:
            con.execute("SET enable_progress_bar = false")
            # text as large_string, the type of the readers' "str" columns: the frame then holds DuckDB's
            # buffers as they are (with 4-byte offsets, pandas cast every column: 130 MB more at 1 M rows)
            con.execute("SET arrow_large_buffer_size = true")
            # the sniffer's delimiter, RFC 4180 quoting as pandas reads it, nothing auto-detected; a
            # short row is padded with NULLs (pandas pads it with NaN); a long one is an error
            # literals, not parameters: a prepared read_csv is read on one thread (4× slower here); the
            # path is our own temporary file and the delimiter one of sniff.DELIMITERS, so nothing to escape
            columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
            relation = con.sql(
                f"SELECT * FROM read_csv('{path}', header = false, skip = 1, delim = '{delimiter}', quote = '\"', "
                f"escape = '\"', columns = {{{columns}}}, null_padding = true, auto_detect = false, strict_mode = true)")
            reader = relation.to_arrow_reader(BATCH)
            table = pa.Table.from_batches(list(reader), reader.schema)
        except duckdb.Error:
            return None
        finally:
            con.close()
    frame = table.to_pandas(types_mapper=lambda _type: _TEXT)
    del table
    frame.columns = range(width)
    return frame
