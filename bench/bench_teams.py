"""Teams and response rates at scale: shrunk scores by agent or team, and response rates, on the demo's shape.

Times each call end to end (one SQL aggregate in DuckDB + the empirical Bayes fit + 4,000 posterior
rank simulations), and the fit alone on statistics already read, on a 3.2 million interaction demo
(ten times the default; an existing data/bench_teams.duckdb with the right row counts is reused).

    /work/main/.venv/bin/python bench/bench_teams.py [--runs 7] [--interactions 3200000]

Prints a Markdown block for BENCHMARKS.md; writes nothing but the benchmark warehouse.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(func, runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        seconds.append(time.perf_counter() - started)
    return min(seconds), statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--interactions", type=int, default=3_200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench_teams.duckdb")
    args = parser.parse_args()
    customers = args.interactions // 16

    import duckdb

    from cx import demo
    from cx.db import demo_source
    from cx.metrics.query import MetricTable
    from cx.teams import scores_frame, team_scores
    from cx.teams.response import nonresponse_sensitivity, response_rates

    fresh = True
    if args.out.exists():
        with duckdb.connect(str(args.out), read_only=True) as con:
            fresh = con.execute("SELECT count(*) FROM interactions").fetchone()[0] != args.interactions
    if fresh:
        demo.generate(args.out, customers=customers, interactions=args.interactions)
    source = demo_source(args.out)
    cases = {
        "`team_scores(nps, by=agent)`": lambda: team_scores(source, "nps", "agent"),
        "`team_scores(csat, by=team)`": lambda: team_scores(source, "csat", "team"),
        "`team_scores(ttr, by=agent)` (exact medians)": lambda: team_scores(source, "ttr", "agent"),
        "`response_rates(csat, by=channel)`": lambda: response_rates(source, "csat", by=["channel"]),
        "`response_rates(nps, grain=week, by=channel)`": lambda: response_rates(source, "nps", "week", ["channel"]),
        "`nonresponse_sensitivity(csat, by=segment)` (two queries)": lambda: nonresponse_sensitivity(source, "csat"),
    }
    table = MetricTable.read(source, "nps", "all", ["agent"])
    table = MetricTable(table.definition, table.grain, table.by, table.cells[table.cells["agent"].notna()],
                        table.confidence)
    cases["the fit alone: shrinkage + 4,000 rank draws for 25 agents (no query)"] = lambda: scores_frame(table, "agent")
    rows = []
    for label, func in cases.items():
        func()  # warm: DuckDB's first read of the file
        best, median = _timed(func, args.runs)
        rows.append(f"| {label} | {best:.3f} s | {median:.3f} s |")
    load = os.getloadavg()
    print(f"{args.interactions:,} interactions, {customers:,} customers; {args.runs} runs each after one warm-up; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)\n")
    print("| call | wall best | wall median |\n|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
