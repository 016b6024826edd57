"""A week's alerts as the Overview asks for them: ``alerts.evaluate`` with the source's history already read.

The page reads every week's scores once per source (``history_tables``); a week then costs its change rules'
baseline queries and the tests. This times that for many weeks of the demo, split by part, for this
checkout and optionally a baseline checkout (each in its own process, interleaved), and checks that both
give the same records.

    PYTHONPATH=. .venv/bin/python bench/bench_alert_week.py --demo /tmp/demo_bench.duckdb --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from _common import in_checkout  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ["metric_tables", "anomaly_tests", "change_tests", "threshold_tests", "judge"]


def measure(demo: str, weeks: int) -> dict:
    """In this process (its checkout on sys.path): ms per week, whole and by part, and a digest of the records."""
    import collections
    import dataclasses
    import hashlib

    from cx.db.connect import open_database
    from cx.loop import alerts

    source = dataclasses.replace(open_database(demo), kind="demo")
    rules = alerts.rules_for(source, [])
    history = alerts.history_tables(source, rules)
    spent = collections.Counter()
    for name in PARTS:
        original = getattr(alerts, name)

        def timed(*args, _f=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(alerts, name, timed)
    labels = [f"2026-W{w:02d}" for w in range(44 - weeks, 44)]
    alerts.evaluate(source, rules, week=labels[0], history=history)  # warm
    spent.clear()
    each, digest = [], hashlib.sha256()
    for label in labels:
        started = time.perf_counter()
        run = alerts.evaluate(source, rules, week=label, history=history)
        each.append(time.perf_counter() - started)
        digest.update(run.records.to_csv(index=False).encode())
    return {"median_ms": 1000 * statistics.median(each), "parts_ms": {k: 1000 * v / len(labels) for k, v in spent.items()},
            "records": digest.hexdigest()[:16]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", required=True, help="a demo warehouse file (a copy of data/demo.duckdb)")
    parser.add_argument("--baseline", help="another checkout, timed in the same run")
    parser.add_argument("--weeks", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.demo, args.weeks)))
        return
    roots = [ROOT] + ([Path(args.baseline)] if args.baseline else [])
    results: dict = {str(r): [] for r in roots}
    for _ in range(args.repeats):
        for root in roots:
            results[str(root)].append(in_checkout(__file__, root, "--demo", args.demo, "--weeks", str(args.weeks)))
    print(f"load average {os.getloadavg()[0]:.2f}; {args.weeks} weeks, {args.repeats} processes each; ms per week (median of "
          "the processes' medians), by part (mean)")
    for root, runs in results.items():
        parts = {k: statistics.median(r["parts_ms"].get(k, 0.0) for r in runs) for k in PARTS}
        print(f"{root}: {statistics.median(r['median_ms'] for r in runs):.1f} ms; "
              + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + f"; records {runs[0]['records']}")
    digests = {r[0]["records"] for r in results.values()}
    print("same records" if len(digests) == 1 else "RECORDS DIFFER")


if __name__ == "__main__":
    main()
