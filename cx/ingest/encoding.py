"""Bytes to text, over the whole stream: line lengths, the encoding, and binary junk anywhere in it.

* UTF-8 is checked exactly over every byte (a byte sequence either is valid UTF-8 or not), so a
  stretch of damage after the first 64 KB can no longer pass unseen.
* Which other encoding a file is in (Windows-1252, UTF-16 without a BOM, Cyrillic, Japanese,
  Chinese…) is charset-normalizer's call, on samples spread over the whole file; among the
  code pages it finds equally clean, the common Western one is preferred.
* Whatever encoding is chosen, the decoded text is scanned block by block for control characters
  and replacement characters: random bytes anywhere in a file refuse it, naming where.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import numpy as np

from cx.ingest.sniff import IngestError

#: code pages tried when a file is not UTF-8, in order of preference when they fit equally well
CANDIDATES = ("cp1252", "utf_16_le", "utf_16_be", "cp1250", "latin_1", "cp1251", "cp932", "gb18030", "big5", "euc_kr")
LABELS = {"utf_16_le": "utf-16-le", "utf_16_be": "utf-16-be", "latin_1": "latin-1"}
#: charset-normalizer's "mess" above which a code page is not taken (0 = clean text, 1 = noise)
MAX_CHAOS = 0.2
#: how much of the file charset-normalizer samples: STEPS chunks of CHUNK bytes, spread evenly
STEPS, CHUNK = 32, 2048
#: a block of BLOCK characters holding more than JUNK control or replacement characters is binary
BLOCK, JUNK = 4096, 32
_JUNK = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_SCAN = 8 << 20  # bytes per step of the line-length scan


def check_line_length(data: bytes, name: str, limit: int) -> None:
    """Refuse a text table with a physical line longer than ``limit`` bytes (\\n, \\r\\n and \\r end lines).

    One vectorised pass over the bytes in 8 MB steps, stopping at the first long line: a 109 MB
    file on one line is refused after its first step, before any decoding or parsing.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    size, line_start, lines = len(view), 0, 0
    for offset in range(0, size, _SCAN):
        stop = min(offset + _SCAN, size)
        block = view[offset:stop]
        ends = block == 10
        returns = np.flatnonzero(block == 13)
        if len(returns):  # a lone \r ends a line; in \r\n the \n does
            after = returns + 1
            inside = after < len(block)
            followed = np.full(len(returns), stop < size and bool(view[min(stop, size - 1)] == 10))
            followed[inside] = block[after[inside]] == 10
            ends[returns[~followed]] = True
        positions = np.flatnonzero(ends) + offset
        if len(positions):
            starts = np.empty(len(positions), dtype=np.int64)
            starts[0], starts[1:] = line_start, positions[:-1] + 1
            before = np.maximum(positions - 1, 0)
            crlf = (positions > starts) & (view[before] == 13) & (view[positions] == 10)  # \r\n: the \r is no content
            over = np.flatnonzero(positions - starts - crlf > limit)
            if len(over):
                _long_line(name, lines + int(over[0]) + 1, limit)
            lines, line_start = lines + len(positions), int(positions[-1]) + 1
        if stop - line_start - int(stop > line_start and view[stop - 1] == 13) > limit:  # a \r may await its \n
            _long_line(name, lines + 1, limit)


def _long_line(name: str, line: int, limit: int):
    raise IngestError(f"{name}: line {line:,} is longer than {limit:,} bytes, the limit for one line of a text table "
                      "(is this a table at all? a file on one line, or a field that never ends)")


def decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode text: a BOM, else UTF-8 checked over every byte, else the code page charset-normalizer finds.

    Returns the text, the encoding's name and notes for the user.
    """
    for bom, encoding, label in ((codecs.BOM_UTF8, "utf-8-sig", "utf-8 (with BOM)"),
                                 (codecs.BOM_UTF32_LE, "utf-32", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
                                 (codecs.BOM_UTF16_LE, "utf-16", "utf-16"), (codecs.BOM_UTF16_BE, "utf-16", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), label, []
            except UnicodeDecodeError as exc:
                raise IngestError(f"{name}: looks like {label.upper()} text but is damaged near byte {exc.start:,}") from None
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    stray = _mostly_utf8(data)
    if stray is not None:
        return stray
    for encoding in _ranked_encodings(data):
        try:
            return data.decode(encoding), LABELS.get(encoding, encoding), []
        except UnicodeDecodeError:  # charset-normalizer samples large files: a later byte may not fit
            continue
    # nothing reads as clean text: the binary check decides, on text that keeps every byte
    text = data.decode("cp1252", errors="replace") if b"\x00" not in data[:4096] else data.decode("latin-1")
    return text, "cp1252", [f"the encoding could not be recognised (the first byte that is not UTF-8 is byte "
                            f"{first_bad:,}): read as Windows-1252; check accented letters"]


def _mostly_utf8(data: bytes) -> tuple[str, str, list[str]] | None:
    """UTF-8 with a few stray bytes (two exports pasted together): keep UTF-8, say how many bytes were lost.

    Taken when valid multi-byte UTF-8 characters outnumber the stray bytes five to one; random
    bytes fail this (most of their lead bytes start no valid character) and reach the binary check.
    """
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd") - data.count("\ufffd".encode())
    view = np.frombuffer(data, dtype=np.uint8)
    leads = int(np.count_nonzero((view >= 0xC2) & (view <= 0xF4)))
    if bad and leads - bad >= 5 * bad:
        return replaced.lstrip("\ufeff"), "utf-8", [f"{bad:,} byte(s) were not valid UTF-8 and show as '\ufffd'"]
    return None


def _ranked_encodings(data: bytes) -> list[str]:
    """Code pages that decode the samples as clean text, cleanest first (ties: the order of CANDIDATES)."""
    ranked = []
    for preference, encoding in enumerate(CANDIDATES):
        match = charset_normalizer.from_bytes(data, steps=STEPS, chunk_size=CHUNK, threshold=MAX_CHAOS,
                                              cp_isolation=[encoding], enable_fallback=False).best()
        if match is not None:
            ranked.append((round(match.chaos, 2), -round(match.coherence, 2), preference, encoding))
    return [encoding for *_, encoding in sorted(ranked)]


def check_text(text: str, name: str) -> None:
    """Refuse binary data anywhere in the text: a block of 4,096 characters with more than 32 control,
    NUL or undecodable characters (tab, line breaks, form feed and vertical tab are text)."""
    block, count = -1, 0
    for match in _JUNK.finditer(text):
        here = match.start() // BLOCK
        if here != block:
            block, count = here, 0
        count += 1
        if count > JUNK:
            where = text.find("\x00")
            where = where if 0 <= where < (block + 1) * BLOCK else block * BLOCK
            line = text.count("\n", 0, where) + 1
            raise IngestError(f"{name}: does not look like a text table: it holds binary data (near character "
                              f"{where:,}, line {line:,}); expected CSV, TSV, Excel (.xlsx), Parquet or JSON")
