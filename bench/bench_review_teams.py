"""Weekly review, issue 17: what "Who moves it" (agents and teams, response rates) and the week's
key drivers add to a review built with extras, on the default demo warehouse (`cx demo`).

    PYTHONPATH=$PWD .venv/bin/python bench/bench_review_teams.py --runs 5

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from bench_drivers import ROOT, timed  # bench/ is on the path when a bench script runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--demo", type=Path, default=ROOT / "data" / "demo.duckdb")
    args = parser.parse_args()

    from cx import metrics
    from cx.db import demo_source, summarize
    from cx.review.teams import week_key_drivers, week_teams
    from cx.scope import Scope

    source = demo_source(args.demo)
    summary = summarize(source)
    available = set(metrics.available(summary))
    week = Scope(date_from=dt.date(2026, 10, 5), date_to=dt.date(2026, 10, 11))
    teams_s, (teams, rates) = timed(lambda: week_teams(source, week, available, summary), args.runs)
    drivers_s, drivers = timed(lambda: week_key_drivers(source, week, available), args.runs)
    print(f"load average {os.getloadavg()[0]:.1f} · {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · "
          f"median of {args.runs}")
    print("| step | wall median | result |\n|---|---|---|")
    print(f"| week_teams 2026-W41: {len(teams)} standings (NPS, CSAT × agent, team) + {len(rates)} response-rate "
          f"tables | {teams_s:.2f} s | {sum(len(t.scores) for t in teams)} groups |")
    print(f"| week_key_drivers NPS 2026-W41, 200 customer resamples | {drivers_s:.2f} s | "
          f"R² {drivers.r2:.3f} on {drivers.n:,} rows |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
