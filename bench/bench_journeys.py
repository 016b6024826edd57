"""Journey features at scale: 10,000,000 interactions / 1,000,000 customers in DuckDB.

Times :func:`cx.journeys.journey_features` end to end — the one window-function query run inside
DuckDB, the columnar fetch of one row per journey, and the dtype tidy-up — and reports wall time,
process CPU time and the process's peak resident memory (VmHWM, which includes DuckDB's own
allocations, since DuckDB runs in-process). The data never pass through pandas row by row: only
the per-journey result (about a million rows) is fetched.

    .venv/bin/python bench/bench_journeys.py                    # uses/creates data/bench10m.duckdb
    .venv/bin/python bench/bench_journeys.py --runs 5 --incidents

The demo generator is deterministic, so an existing data/bench10m.duckdb with the right row counts is
reused. Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from _common import ensure_data, peak_rss_mb  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "data" / "bench10m.duckdb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--incidents", action="store_true", help="also time the incident list (top 500)")
    args = parser.parse_args()
    ensure_data(args.path, args.interactions, args.customers)

    from cx import journeys
    from cx.db import demo_source

    source = demo_source(args.path)
    walls, cpus = [], []
    rows = 0
    for _ in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        features = journeys.journey_features(source)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        rows = len(features)
        del features
    threads = source.read(__import__("sqlalchemy").text("SELECT current_setting('threads') AS t")).iloc[0, 0]
    print(f"journey_features: {args.interactions:,} interactions / {args.customers:,} customers → {rows:,} journeys")
    print(f"  wall  best {min(walls):.2f} s · median {statistics.median(walls):.2f} s over {args.runs} runs")
    print(f"  cpu   median {statistics.median(cpus):.2f} s (process, all threads)")
    print(f"  peak resident memory {peak_rss_mb():,.0f} MB (whole process, DuckDB included)")
    if args.incidents:
        wall = time.perf_counter()
        journeys.incidents(source, limit=500)
        print(f"  incidents (top 500 by severity): {time.perf_counter() - wall:.2f} s")
    load = os.getloadavg()
    print(f"  machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, DuckDB threads {threads}, "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
