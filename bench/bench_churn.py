"""Churn model at scale: 100,000 customers / 1,600,000 interactions in DuckDB, 5-fold CV.

Times the two halves of :func:`cx.churn.fit_churn` separately, because they scale differently:

- **features** — :func:`cx.churn_features.churn_features`, the one SQL query (journey windows,
  medians, per-touchpoint means) run inside DuckDB and fetched as one row per customer;
- **fit** — :func:`cx.churn.fit_churn_table`: restating-column screen, stratified 5-fold CV of the
  full model (with held-out permutation importance), 5-fold CV of the four comparison feature
  sets, the score intervals, the final fit and 200 bootstrap refits for the odds-ratio CIs.

and the at-risk lookup as the rest of ``fit_churn``. Wall time and process CPU time are both
printed: the machine is shared, so wall time swings with the neighbours' load; CPU time does not.

    .venv/bin/python bench/bench_churn.py              # uses/creates data/bench100k.duckdb
    .venv/bin/python bench/bench_churn.py --runs 3

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from _common import ensure_data  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "data" / "bench100k.duckdb"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--interactions", type=int, default=1_600_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_data(args.path, args.interactions, args.customers)

    from cx.churn import fit_churn, fit_churn_table
    from cx.churn.features import churn_features
    from cx.db import demo_source

    source = demo_source(args.path)
    results = {"features": [], "fit": [], "fit_churn": []}
    report = None
    for _ in range(args.runs):
        table, wall, cpu = timed(lambda: churn_features(source))
        results["features"].append((wall, cpu))
        report, wall, cpu = timed(lambda: fit_churn_table(table))  # noqa: B023 - called at once
        results["fit"].append((wall, cpu))
        _, wall, cpu = timed(lambda: fit_churn(source))
        results["fit_churn"].append((wall, cpu))
    print(f"churn: {args.customers:,} customers / {args.interactions:,} interactions, "
          f"{report.card.positives:,} churned, {len(report.card.features)} features, 5-fold CV")
    labels = {"features": "features (SQL, DuckDB)", "fit": "fit: CV + feature sets + bootstrap",
              "fit_churn": "fit_churn end to end"}
    for key, label in labels.items():
        walls = [w for w, _ in results[key]]
        cpus = [c for _, c in results[key]]
        print(f"  {label:38} wall best {min(walls):5.2f} s · median {statistics.median(walls):5.2f} s · "
              f"cpu median {statistics.median(cpus):5.2f} s")
    print(f"  ROC AUC {report.cv['roc_auc'].value:.3f} ({report.cv['roc_auc'].ci_low:.3f}–"
          f"{report.cv['roc_auc'].ci_high:.3f})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {load:.1f} at the end; Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
