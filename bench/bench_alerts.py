"""Alerts: one week's check of every default rule in every cell, on the demo warehouse.

``cx.loop.alerts.evaluate`` end to end (one UNION ALL query per metric: weekly cells over the
history the seasonal rule needs plus the 4-week baseline; then the tests and one Benjamini–Hochberg
correction), and the pure part alone (``evaluate_tables`` on tables already read), for the
default rules (change + anomaly for NPS, CSAT, CES, FRT, FCR by channel) and for channel, stage and
segment side by side.

    .venv/bin/python bench/bench_alerts.py --runs 5 [--source data/demo.duckdb]

Prints a Markdown block for BENCHMARKS.md; writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

from _common import peak_rss_mb  # bench/ is the script's directory, first on sys.path

from cx.db import demo_source
from cx.loop import alerts
from cx.metrics import Cut, metric_tables
from cx.review.weeks import parse_week
from cx.scope import Scope

ROOT = Path(__file__).resolve().parents[1]


def _timed(f, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", type=Path, default=ROOT / "data" / "demo.duckdb")
    parser.add_argument("--week", default="2026-W11")
    args = parser.parse_args()
    source = demo_source(args.source)
    monday = parse_week(args.week)
    lines = ["| what | cells checked | alerts | wall best | wall median |", "|---|---|---|---|---|"]
    for label, by in (("default rules, by channel", ("channel",)),
                      ("by channel, stage and segment", ("channel", "journey_stage", "segment"))):
        best, median, run = _timed(lambda by=by: alerts.evaluate(source, week=args.week, by=by), args.runs)
        lines.append(f"| `evaluate` end to end, {label} | {run.checked} | {len(run.fired)} | {best:.2f} s | {median:.2f} s |")
    rules = alerts.default_rules(alerts.DEFAULT_METRICS)
    history = Scope(alerts.history_start(monday), monday + dt.timedelta(days=6))
    weekly, baselines = {}, {}
    for metric in alerts.DEFAULT_METRICS:
        base = Scope(monday - dt.timedelta(weeks=4), monday - dt.timedelta(days=1))
        tables = metric_tables(source, metric, {"w": Cut("week", ("channel",), history), "b": Cut("all", ("channel",), base)})
        weekly[(metric, ("channel",))], baselines[(metric, ("channel",), 4)] = tables["w"], tables["b"]
    best, median, run = _timed(lambda: alerts.evaluate_tables(weekly, baselines, rules, monday), args.runs)
    lines.append(f"| `evaluate_tables` (no query), default rules | {run.checked} | {len(run.fired)} | {best:.2f} s | {median:.2f} s |")
    print(f"`.venv/bin/python bench/bench_alerts.py --runs {args.runs}` on `{args.source.name}`, week {args.week}; "
          f"load average {os.getloadavg()[0]:.1f}; peak RSS {peak_rss_mb():.0f} MB\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
