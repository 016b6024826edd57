"""Hostile inputs against the ingest limits: time and peak memory of each read, one fresh process each.

Builds, in a temporary directory, the inputs of issue 13 at full size — a 26 MB gzip and a 26 MB
zip that unpack to 25 GB each, a gzip nested 1,500 times, a 109 MB file on one line, a 20,000-column
header — plus the million-row CSV (the largest accepted file of the corpus), and reads each with
``cx.ingest.prepare`` (read + suggested mapping, what an upload costs before Load) in its own
process. Reports wall time, peak resident memory (VmHWM) and what the reader said. Also times the
column fitting at 2,000 to 20,000 columns with the column limit lifted, to show it grows linearly.

    .venv/bin/python bench/bench_ingest_bounds.py [--keep DIR]

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = bytes(1 << 20)
GB25 = 25_000  # 1 MB blocks


def _deflate_blocks(blocks: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``blocks`` MB of zeros and its CRC-32, built from one flushed block repeated.

    After a full flush deflate starts afresh, so every further block compresses to the same bytes.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(BLOCK) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(BLOCK) + packer.flush(zlib.Z_FULL_FLUSH)
    stream = first + again * (blocks - 1) + packer.flush()
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(BLOCK, crc)
    return stream, crc


def gzip_bomb(path: Path, blocks: int = GB25) -> None:
    stream, crc = _deflate_blocks(blocks)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    path.write_bytes(header + stream + struct.pack("<II", crc, (blocks << 20) & 0xFFFFFFFF))


def zip_bomb(path: Path, blocks: int = GB25, member: bytes = b"export.csv") -> None:
    """One member of ``blocks`` MB declared in zip64 fields (sizes past 4 GB)."""
    stream, crc = _deflate_blocks(blocks)
    size, packed = blocks << 20, len(stream)
    extra = struct.pack("<HHQQ", 1, 16, size, packed)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x5C21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(member), len(extra)) + member + extra
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x5C21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(member), len(extra), 0, 0, 0, 0o644 << 16, 0) + member + extra
    offset = len(local) + packed
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0)
    path.write_bytes(local + stream + central + end)


def nested_gzip(path: Path, levels: int = 1_500) -> None:
    import gzip

    data = b"Customer ID,NPS\nC1,9\n"
    for _ in range(levels):
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


def one_line(path: Path, size: int = 109_000_000) -> None:
    path.write_bytes(b"Customer ID,NPS," + b"value," * ((size - 16) // 6))


def wide(path: Path, columns: int) -> None:
    header = ",".join(["Customer ID", "Date", "NPS"] + [f"Q{k}" for k in range(4, columns + 1)])
    path.write_text(header + "\nC1,2026-01-05,9\nC2,2026-01-06,4\n")


def million_rows(path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from bad_corpus import BY_NAME, case_path

    path.symlink_to(case_path(BY_NAME["million_rows"]))


CHILD = """
import json, sys, time
from pathlib import Path
from cx.ingest import IngestError, prepare
from cx.ingest.readers import read_table
start = time.perf_counter()
try:
    if sys.argv[2] == "read":
        raw = read_table(Path(sys.argv[1]))
        said = f"read {raw.rows_read:,} rows x {len(raw.frame.columns):,} columns"
    else:
        item = prepare(Path(sys.argv[1]))
        said = f"read {item.raw.rows_read:,} rows x {len(item.raw.frame.columns):,} columns, mapping suggested"
except IngestError as exc:
    said = str(exc)
seconds = time.perf_counter() - start
peak = next(int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak_mb": peak, "said": said}))
"""

BASELINE = """
import json
from pathlib import Path
import cx.ingest  # noqa: F401
peak = next(int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(json.dumps({"peak_mb": peak}))
"""


def measure(path: Path, step: str = "prepare", env: dict | None = None) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), step], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=900, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="build the inputs here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cx-bounds-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs = [
        ("zip bomb: 26 MB zip, one member declaring 25 GB", "bomb.zip", zip_bomb),
        ("gzip bomb: 26 MB gzip of 25 GB", "bomb.csv.gz", gzip_bomb),
        ("gzip nested 1,500 times (37 KB)", "nested.csv.gz", nested_gzip),
        ("109 MB on one line", "one_line.csv", one_line),
        ("20,000-column header (140 KB)", "wide.csv", lambda p: wide(p, 20_000)),
        ("1,000,000 rows × 6 columns (50 MB CSV, accepted)", "million_rows.csv", million_rows),
    ]
    baseline = json.loads(subprocess.run([sys.executable, "-c", BASELINE], capture_output=True, text=True, check=True,
                                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)["peak_mb"]
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"`import cx.ingest` alone peaks at {baseline:.0f} MB")
    print("\n| input | file size | wall | peak RSS | what the reader says |\n|---|---|---|---|---|")
    for label, name, build in inputs:
        path = work / name
        if not path.exists():
            build(path)
        outcome = measure(path)
        said = outcome["said"].split(" (")[0]
        print(f"| {label} | {path.stat().st_size / 1e6:,.1f} MB | {outcome['seconds']:.2f} s | "
              f"{outcome['peak_mb']:.0f} MB | {said} |")
    print("\nColumn fitting (read only, CX_INGEST_MAX_COLUMNS lifted), a header over two short rows:\n")
    print("| columns | wall |\n|---|---|")
    for columns in (2_000, 5_000, 10_000, 20_000):
        path = work / f"wide_{columns}.csv"
        wide(path, columns)
        outcome = measure(path, "read", {"CX_INGEST_MAX_COLUMNS": "100000"})
        print(f"| {columns:,} | {outcome['seconds']:.2f} s |")
    if args.keep is None:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
