"""Where an upload's time goes: a 1 M-row CSV (the demo's own interactions, exported with DuckDB
COPY) through each step of the ingest pipeline, as the Data page and ``cx load`` run it.

    .venv/bin/python bench/bench_upload.py            # makes data/bench1m.duckdb and its CSV when missing

Prints wall and CPU seconds per step, the process's peak memory, and DuckDB's own reader on the
same file for scale.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _common import ROOT, ensure_data, peak_rss_mb


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "data" / "bench1m.duckdb"))
    parser.add_argument("--csv", default=str(ROOT / "data" / "interactions1m.csv"))
    args = parser.parse_args()
    import duckdb

    warehouse, path = Path(args.warehouse), Path(args.csv)
    ensure_data(warehouse, 1_000_000, 60_000)
    if not path.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute(f"COPY interactions TO '{path}' (HEADER, DELIMITER ',')")
    from cx import ingest
    from cx.ingest import pipeline, validate  # noqa: F401  imported before the clock starts

    steps = []

    def step(name, func):
        wall, used = time.perf_counter(), cpu()
        value = func()
        steps.append((name, time.perf_counter() - wall, cpu() - used))
        return value

    load = os.getloadavg()
    raw = step("read the file (every cell as text)", lambda: ingest.read_table(path))
    mapping = step("suggest a mapping (a 20,000-row sample)", lambda: ingest.suggest_mapping(raw))
    result = step("apply the mapping: parse and validate every cell", lambda: ingest.apply_mapping(raw, mapping))
    combined = step("combine", lambda: ingest.combine([result]))
    loaded = pipeline.Loaded([result], *combined)
    step("load into the session's in-memory DuckDB", lambda: ingest.to_source(loaded, "bench"))
    con = duckdb.connect()
    wall0 = time.perf_counter()
    n = con.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone()[0]
    duck = time.perf_counter() - wall0
    print("command: python bench/bench_upload.py")
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {result.rows_read:,} rows read, {result.rows_loaded:,} "
          f"loaded, {result.rows_quarantined:,} quarantined; shape {mapping.shape}; load average "
          f"{load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    print("\n| step | wall | CPU |\n|---|---|---|")
    for name, wall, used in steps:
        print(f"| {name} | {wall:.1f} s | {used:.1f} s |")
    print(f"| **total** | **{sum(s[1] for s in steps):.1f} s** | {sum(s[2] for s in steps):.1f} s |")
    print(f"\npeak memory {peak_rss_mb():,.0f} MB; DuckDB's own read_csv of the same file ({n:,} rows): {duck:.1f} s")


if __name__ == "__main__":
    main()
