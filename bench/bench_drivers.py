"""Drivers (issue 17): mix-shift split, key drivers with a 200-resample bootstrap, fixed-cohort trend.

Times each on the default demo warehouse (320,000 interactions / 20,000 customers; `cx demo`) and
the key drivers of the airline survey slice (1,500 respondents, 14 touchpoints = 16,384 subsets),
and prints wall-time medians with the load average.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_drivers.py --runs 5

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from cx import demo
    from cx.db import demo_source
    from cx.drivers.cohort import cohort_trend
    from cx.drivers.keydrivers import key_drivers
    from cx.drivers.mix import mix_shift
    from cx.ingest.pipeline import open_files

    source = demo_source(demo.ensure_demo())
    launch = demo.SOCIAL_LAUNCH
    rows = []
    t, shift = timed(lambda: mix_shift(source, "nps", "channel", (launch - dt.timedelta(days=7), launch - dt.timedelta(days=1)),
                                       (launch, launch + dt.timedelta(days=6))), args.runs)
    rows.append(("mix_shift NPS by channel, two weeks (one SQL query)", t, f"mix {shift.mix:+.2f}"))
    t, found = timed(lambda: key_drivers(source, "nps", n_boot=200), args.runs)
    rows.append((f"key_drivers NPS per answer, {found.n:,} rows, {len(found.table)} drivers, 200 resamples", t,
                 f"R² {found.r2:.3f}"))
    t, trend = timed(lambda: cohort_trend(source, "csat", "month"), args.runs)
    rows.append((f"cohort_trend CSAT by month ({len(trend.table)} months, 3 queries)", t, f"cohort {trend.size:,}"))
    real = ROOT / "tests" / "data" / "real"
    with tempfile.TemporaryDirectory() as tmp:
        mapping = Path(tmp) / "mapping.json"
        mapping.write_text(json.dumps(json.loads((real / "airline_satisfaction.expected.json").read_text())["mapping"]))
        airline = open_files([real / "airline_satisfaction.csv"], mapping)
        t, found = timed(lambda: key_drivers(airline, "csat", outcome="satisfied", n_boot=200), args.runs)
    rows.append((f"key_drivers airline survey, {found.n:,} respondents, 14 drivers, 200 resamples", t,
                 f"R² {found.r2:.3f}"))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores, {args.runs} runs")
    print("| step | wall median | result |\n|---|---|---|")
    for name, seconds, note in rows:
        print(f"| {name} | {seconds:.2f} s | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
