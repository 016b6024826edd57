"""Unpacking gzip and zip archives with bounded memory.

An archive is unpacked only as far as the size limit: a gzip stream is first counted in 1 MB
chunks and dropped (never held) as soon as it passes the limit, and only a stream within it is
unpacked for real; a zip member's declared size is checked before it is opened (``zipfile`` never
returns more than the declared size, so the declaration is a bound, not a promise). Archives
inside archives are unwrapped one level at a time, in a loop, up to a fixed depth: a gzip nested
1,500 times is refused at the fourth level, without recursion.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from pathlib import Path

from cx.ingest import sniff
from cx.ingest.limits import Limits
from cx.ingest.sniff import IngestError

CHUNK = 1 << 20
#: members of a zip archive that can be the table it carries
TABLE_MEMBERS = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl", ".ndjson", ".parquet", ".gz", ".zip")


def too_big(name: str, limits: Limits, what: str = "unpacks to") -> IngestError:
    why = ("export a shorter period" if what == "is" else
           "a compressed export that large, or an archive built to fill memory")
    return IngestError(f"{name}: {what} more than {limits.max_input_bytes:,} bytes, the limit for one file "
                       f"({why}; CX_INGEST_MAX_INPUT_MB raises it)")


def unpack(data: bytes, name: str, limits: Limits) -> tuple[bytes, str, str, str]:
    """The table inside any gzip / zip wrapping: ``(data, name, hint, kind)``.

    ``name`` is what messages call the file (``export.zip/tickets.csv``), ``hint`` the file name
    whose suffix describes the content (``tickets.csv`` for ``tickets.csv.gz``), ``kind`` what
    :func:`cx.ingest.sniff.kind_of` says the content is (``excel`` for a workbook).
    """
    hint, depth = name, 0
    while True:
        kind = sniff.kind_of(data, name)
        if kind not in ("gzip", "zip"):
            return data, name, hint, kind
        if kind == "zip":
            members = zip_members(data, name)
            if sniff.EXCEL_MEMBER in {m.filename for m in members}:
                return data, name, hint, "excel"
        if depth >= limits.max_nesting:
            raise IngestError(f"{name}: is packed in more than {limits.max_nesting} archives, one inside another; "
                              "unpack it and load the table itself")
        depth += 1
        if kind == "gzip":
            data = gunzip(data, name, limits)
            hint = hint[:-3] if hint.lower().endswith(".gz") else hint
        else:
            member = _single_table(members, name, hint)
            data = unzip(data, member, name, limits)
            name, hint = f"{name}/{member.filename}", member.filename


def gunzip(data: bytes, name: str, limits: Limits) -> bytes:
    """A gzip stream's content, counted in chunks first so that a bomb is never held in memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            total = 0
            while chunk := handle.read(CHUNK):
                total += len(chunk)
                if total > limits.max_input_bytes:
                    raise too_big(name, limits)
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error):  # a bad header, a cut-off stream, a corrupt deflate block
        raise IngestError(f"{name}: is a damaged gzip archive") from None


def zip_members(data: bytes, name: str) -> list[zipfile.ZipInfo]:
    """The files inside a zip archive (raises a clear error when it is damaged)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):  # NotImplementedError: a garbled version
        raise IngestError(f"{name}: is a damaged zip archive or Excel workbook (it cannot be opened)") from None


def _single_table(members: list[zipfile.ZipInfo], name: str, hint: str) -> zipfile.ZipInfo:
    tables = [m for m in members if Path(m.filename).suffix.lower() in TABLE_MEMBERS]
    if len(tables) == 1 and Path(hint).suffix.lower() == ".zip":
        return tables[0]
    suffix = Path(hint).suffix.lower()
    what = "an Excel workbook" if suffix in (".xlsx", ".xlsm", ".xls") else "a table"
    names = [m.filename for m in members]
    listing = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    raise IngestError(f"{name}: is a zip archive, not {what} (it holds: {listing or 'nothing'})")


def unzip(data: bytes, member: zipfile.ZipInfo, name: str, limits: Limits) -> bytes:
    """One member of a zip archive, refused by its declared size before anything is unpacked."""
    if member.file_size > limits.max_input_bytes:
        raise too_big(f"{name}/{member.filename}", limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(member) as handle:
            return handle.read(limits.max_input_bytes + 1)
    # damaged headers (ValueError), unknown methods (NotImplementedError), a password (RuntimeError)…
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, ValueError, RuntimeError):
        raise IngestError(f"{name}: {member.filename} in this zip archive is damaged, encrypted or packed in a way "
                          "that cannot be unpacked") from None


def workbook_size(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a workbook whose sheets and strings unpack to more than the size limit (an .xlsx is a zip)."""
    members = zip_members(data, name)
    total = sum(m.file_size for m in members if m.filename.startswith("xl/"))
    if total > limits.max_input_bytes:
        raise too_big(name, limits, "is a workbook whose sheets unpack to")
