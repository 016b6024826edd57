"""Where an upload's time goes: a 1 M-row CSV (the demo's own interactions, exported with DuckDB
COPY) through each step of the ingest pipeline, as the Data page and ``cx load`` run it, up to the
first chart (the weekly NPS by channel the Trends page opens with).

    PYTHONPATH=$PWD .venv/bin/python bench/bench_upload.py --runs 3 --baseline /work/main

Makes data/bench1m.duckdb and its CSV when missing. Each run is a fresh process (so peak memory is
one upload's), this tree's interleaved with ``--baseline``'s (another checkout: the old code,
measured in the same run, on the same file). Prints the median wall and CPU seconds of each step,
the median peak memory (VmHWM) within each step (reset before it: /proc/self/clear_refs) and over the
whole upload, the load average, the ratio to the baseline, and a check that both
loaded the same numbers (rows, quarantine, mapping, sums of every score).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, ensure_data, peak_rss_mb, reset_peak_rss

STEPS = ("read the file (every cell as text)", "suggest a mapping", "apply the mapping: parse and validate every cell",
         "combine", "load into the session's in-memory DuckDB", "first chart: weekly NPS by channel")


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def one(path: Path) -> dict:
    """One upload, in this process: the steps' wall and CPU seconds, peak memory, what loaded."""
    from cx import ingest
    from cx.ingest import pipeline, validate  # noqa: F401  imported before the clock starts
    from cx.metrics import metric_table

    steps, peaks = [], [peak_rss_mb()]  # the imports' peak, then each step's

    def step(func):
        reset_peak_rss()
        wall, used = time.perf_counter(), cpu()
        value = func()
        steps.append((time.perf_counter() - wall, cpu() - used))
        peaks.append(peak_rss_mb())
        return value

    raw = step(lambda: ingest.read_table(path))
    mapping = step(lambda: ingest.suggest_mapping(raw))
    result = step(lambda: ingest.apply_mapping(raw, mapping))
    combined = step(lambda: ingest.combine([result]))
    loaded = pipeline.Loaded([result], *combined)
    source = step(lambda: ingest.to_source(loaded, "bench"))
    chart = step(lambda: metric_table(source, "nps", "week", by=["channel"]))
    frame = loaded.interactions
    sums = {c: round(float(frame[c].sum()), 6) for c in ("nps", "csat", "ces", "first_response_minutes",
                                                         "resolution_hours", "revenue") if c in frame}
    return {"steps": steps, "peak_mb": max(peaks), "step_peaks": peaks[1:], "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
            "rows_quarantined": result.rows_quarantined, "reasons": result.reasons, "shape": mapping.shape,
            "columns": mapping.columns, "sums": sums, "chart_cells": len(chart),
            "chart_nps": round(float(chart["value"].sum()), 9) if "value" in chart else None}


def run_tree(tree: Path, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", "--csv", str(path)], env=env,
                         capture_output=True, text=True, check=True, cwd=str(tree))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "data" / "bench1m.duckdb"))
    parser.add_argument("--csv", default=str(ROOT / "data" / "interactions1m.csv"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="another checkout (the old code) measured in the same run")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = Path(args.csv).resolve()  # the runs start in each tree's folder
    if args.one:
        print(json.dumps(one(path)))
        return
    import duckdb

    warehouse = Path(args.warehouse)
    ensure_data(warehouse, 1_000_000, 60_000)
    if not path.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute(f"COPY interactions TO '{path}' (HEADER, DELIMITER ',')")
    trees = {"this tree": ROOT} | ({"baseline": Path(args.baseline)} if args.baseline else {})
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    before = os.getloadavg()
    for _ in range(args.runs):
        for name, tree in trees.items():
            runs[name].append(run_tree(tree, path))
    after = os.getloadavg()
    wall0 = time.perf_counter()
    with duckdb.connect() as con:
        duck_rows = con.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone()[0]
    duck = time.perf_counter() - wall0
    first = runs["this tree"][0]
    print(f"command: PYTHONPATH=$PWD python bench/bench_upload.py --runs {args.runs}"
          + (f" --baseline {args.baseline}" if args.baseline else ""))
    print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {first['rows_read']:,} rows read, {first['rows_loaded']:,} "
          f"loaded, {first['rows_quarantined']:,} quarantined; shape {first['shape']}; load average (1/5/15 min) "
          f"{before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f} before, {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} after; "
          f"medians of {args.runs} runs")

    def median(name: str, i: int, k: int) -> float:
        return statistics.median(r["steps"][i][k] for r in runs[name])

    def peak(name: str, i: int) -> float:
        return statistics.median(r["step_peaks"][i] for r in runs[name])

    names = list(trees)
    head = " | ".join(f"{n}: wall | CPU | peak memory" for n in names)
    print(f"\n| step | {head} |" + ("" if len(names) == 1 else " wall ratio |"))
    print("|---" * (1 + 3 * len(names) + (len(names) > 1)) + "|")
    for i, label in enumerate(STEPS):
        cells = " | ".join(f"{median(n, i, 0):.1f} s | {median(n, i, 1):.1f} s | {peak(n, i):,.0f} MB" for n in names)
        ratio = "" if len(names) == 1 else f" {median('baseline', i, 0) / max(median('this tree', i, 0), 1e-9):.1f}× |"
        print(f"| {label} | {cells} |{ratio}")
    totals = {n: [sum(s[0] for s in r["steps"]) for r in runs[n]] for n in names}
    cpus = {n: [sum(s[1] for s in r["steps"]) for r in runs[n]] for n in names}
    cells = " | ".join(f"**{statistics.median(totals[n]):.1f} s** | {statistics.median(cpus[n]):.1f} s | "
                       f"**{statistics.median(r['peak_mb'] for r in runs[n]):,.0f} MB**" for n in names)
    ratio = "" if len(names) == 1 else \
        f" **{statistics.median(totals['baseline']) / statistics.median(totals['this tree']):.1f}×** |"
    print(f"| **upload to first chart** | {cells} |{ratio}")
    for n in names:
        peaks = [r["peak_mb"] for r in runs[n]]
        print(f"\n{n}: peak memory median {statistics.median(peaks):,.0f} MB (runs: "
              f"{', '.join(f'{p:,.0f}' for p in peaks)}); totals {', '.join(f'{t:.1f}' for t in totals[n])} s")
    if args.baseline:
        keys = ("rows_read", "rows_loaded", "rows_quarantined", "reasons", "shape", "columns", "sums", "chart_cells",
                "chart_nps")
        same = all({k: r[k] for k in keys} == {k: first[k] for k in keys} for n in names for r in runs[n])
        print(f"\nsame rows, quarantine, mapping, score sums and chart in every run of both: {same}")
    print(f"DuckDB's own read_csv of the same file ({duck_rows:,} rows): {duck:.1f} s")


if __name__ == "__main__":
    main()
