"""A week's review on a warehouse: ``weekly_review`` of several weeks in a row, as the Overview reads them.

A database file opened as a warehouse (``open_database``: not the demo, whose summary is remembered for good),
so what a week costs there shows: its queries, and whatever it reads again each time (the source's summary).
This checkout and optionally a baseline checkout, each in its own process.

    PYTHONPATH=. .venv/bin/python bench/bench_review_week.py --database /tmp/bench10m.duckdb --baseline /tmp/base
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


def measure(database: str, weeks: int) -> dict:
    """In this process (its checkout on sys.path): one summary read and each week's review, in seconds."""
    import datetime as dt

    from cx.db.connect import open_database
    from cx.db.summary import _summarize
    from cx.review.weekly import default_week, week_label, weekly_review
    from cx.scope import Scope

    source = open_database(database)
    started = time.perf_counter()
    summary = _summarize(source)
    read = time.perf_counter() - started
    last = default_week(summary.last, summary.first)
    labels = [week_label(last - dt.timedelta(weeks=k)) for k in range(weeks + 1)]
    weekly_review(source, labels[0], Scope(), extras=False)  # the first: connections, compiled queries
    each = []
    for label in labels[1:]:
        started = time.perf_counter()
        weekly_review(source, label, Scope(), extras=False)
        each.append(time.perf_counter() - started)
    return {"kind": source.kind, "summary": read, "weeks": each}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a .duckdb file in the canonical schema (cx demo --out …)")
    parser.add_argument("--baseline", help="another checkout, timed in the same run")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.database, args.weeks)))
        return
    print(f"load average before {os.getloadavg()[0]:.2f}; {args.weeks} weeks after a first one, seconds")
    for root in [ROOT] + ([Path(args.baseline)] if args.baseline else []):
        result = in_checkout(__file__, root, "--database", args.database, "--weeks", str(args.weeks))
        print(f"{root} ({result['kind']}): summary read {result['summary']:.2f} s; a week's review "
              f"{statistics.median(result['weeks']):.2f} s median ({', '.join(f'{w:.2f}' for w in result['weeks'])})")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
