"""Metric tables at scale: weekly NPS by channel on 10,000,000 interactions, and the Trends page rerun.

Three ways to the same table (NPS per ISO week × channel with n and a 95% interval):

- ``metric_table``: cx.metrics through the Source (SQLAlchemy Core → DuckDB, one aggregate query);
- ``hand SQL``: the same aggregate written by hand and run on a raw ``duckdb`` connection, with the
  interval computed by hand in numpy — the floor any wrapper can reach;
- ``naive pandas``: read the rows (only the three columns needed) through SQLAlchemy into pandas,
  then group there.

Then the Trends page (the whole app: router, sidebar filters, page) in Streamlit's AppTest: the
first load, and full reruns after a sidebar filter change (each a new filter combination, so the
cached tables miss and both the trend and the heatmap queries run).

Each part runs in its own process so that its peak resident memory (VmHWM, DuckDB included) is its
own. The demo generator is deterministic: an existing data/bench10m.duckdb with the right row counts
is reused.

    .venv/bin/python bench/bench_metrics.py                      # all parts
    .venv/bin/python bench/bench_metrics.py --part page --runs 5

Prints a Markdown block for BENCHMARKS.md; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ensure_data, peak_rss_mb  # bench/ is the script's directory, first on sys.path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "data" / "bench10m.duckdb"

HAND_SQL = """
SELECT CAST(date_trunc('week', occurred_at) AS DATE) AS period, channel,
       count(nps) AS n,
       sum(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) AS promoters,
       sum(CASE WHEN nps <= 6 THEN 1 ELSE 0 END) AS detractors
FROM interactions
WHERE occurred_at IS NOT NULL AND nps BETWEEN 0 AND 10
GROUP BY 1, 2
ORDER BY 1, 2
"""


def _timed(func, runs: int) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def _nps_by_hand(frame):
    import numpy as np

    n = frame["n"].to_numpy(float)
    p, d = frame["promoters"].to_numpy(float) / n, frame["detractors"].to_numpy(float) / n
    value = 100 * (p - d)
    half = 100 * 1.959963984540054 * np.sqrt((p + d - (p - d) ** 2) / n)
    return frame.assign(value=value, ci_low=np.clip(value - half, -100, 100), ci_high=np.clip(value + half, -100, 100),
                        low_n=n < 30)


def part_metric(path: Path, runs: int) -> dict:
    from cx import metrics
    from cx.db import demo_source

    source = demo_source(path)
    metrics.metric_table(source, "nps", "week", ["channel"])  # warm: file pages, connection, plan cache
    walls, cpus, table = _timed(lambda: metrics.metric_table(source, "nps", "week", ["channel"]), runs)
    return {"walls": walls, "cpus": cpus, "rows": len(table), "responses": int(table["n"].sum()),
            "rss": peak_rss_mb(), "checksum": float(table["value"].sum())}


def part_hand(path: Path, runs: int) -> dict:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    con.execute(HAND_SQL).df()
    walls, cpus, table = _timed(lambda: _nps_by_hand(con.execute(HAND_SQL).df()), runs)
    return {"walls": walls, "cpus": cpus, "rows": len(table), "responses": int(table["n"].sum()),
            "rss": peak_rss_mb(), "checksum": float(table["value"].sum()),
            "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}


def part_naive(path: Path, runs: int) -> dict:
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})

    def naive():
        frame = pd.read_sql("SELECT occurred_at, channel, nps FROM interactions", engine)
        frame = frame[frame["occurred_at"].notna() & frame["nps"].between(0, 10)]
        day = frame["occurred_at"].dt.normalize()
        frame = frame.assign(period=day - pd.to_timedelta(day.dt.day_of_week, unit="D"),
                             promoter=frame["nps"] >= 9, detractor=frame["nps"] <= 6)
        grouped = frame.groupby(["period", "channel"]).agg(n=("nps", "size"), promoters=("promoter", "sum"),
                                                          detractors=("detractor", "sum")).reset_index()
        return _nps_by_hand(grouped)

    walls, cpus, table = _timed(naive, runs)
    return {"walls": walls, "cpus": cpus, "rows": len(table), "responses": int(table["n"].sum()),
            "rss": peak_rss_mb(), "checksum": float(table["value"].sum())}


def part_page(path: Path, runs: int) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cx import demo

    demo.DEFAULT_PATH = path
    os.environ["CX_DEMO_PATH"] = str(path)
    st.cache_data.clear()
    st.cache_resource.clear()
    with tempfile.TemporaryDirectory() as tmp:
        # run app.py from a shim outside the repo, so every rerun goes through the router
        shim = Path(tmp) / "app_shim.py"
        shim.write_text(f"import runpy\nrunpy.run_path({str(ROOT / 'app.py')!r}, run_name='__main__')\n")
        at = AppTest.from_file(str(shim), default_timeout=600)
        # straight to /trends (its url path is its file name), as a link to it would: the overview's
        # own cost is not part of this measurement
        at.switch_page(str(ROOT / "views" / "trends.py"))
        wall = time.perf_counter()
        at.run()
        assert [t.value for t in at.title] == ["Trends"] and at.sidebar.multiselect(key="f.channels")
        first = time.perf_counter() - wall
        assert not at.exception, at.exception
        choices = [["chat"], ["chat", "email"], ["email"], ["phone", "chat"], ["social"], ["web", "app"],
                   ["store"], ["email", "phone", "social"], ["app"], ["chat", "store"]]
        walls = []
        for channels in choices[:runs]:
            at.sidebar.multiselect(key="f.channels").set_value(channels)
            wall = time.perf_counter()
            at.run()
            walls.append(time.perf_counter() - wall)
            assert not at.exception, at.exception
        traces = len(json.loads(at.get("plotly_chart")[0].proto.spec)["data"])
    return {"first": first, "walls": walls, "rss": peak_rss_mb(), "traces": traces}


def part_every(path: Path, runs: int) -> dict:
    """Every metric, weekly by channel and as the whole-range stage × channel heatmap (best of ``runs``)."""
    from cx import metrics
    from cx.db import demo_source

    source = demo_source(path)
    out = {}
    for metric in metrics.METRICS:
        week = _timed(lambda m=metric: metrics.metric_table(source, m, "week", ["channel"]), runs)[0]
        heat = _timed(lambda m=metric: metrics.metric_table(source, m, "all", ["journey_stage", "channel"]), runs)[0]
        out[metric] = [min(week), min(heat)]
    return {"times": out, "rss": peak_rss_mb()}


PARTS = {"metric": part_metric, "hand": part_hand, "naive": part_naive, "page": part_page, "every": part_every}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=DEFAULT)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--naive-runs", type=int, default=2)
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child process's output
    args = parser.parse_args()
    if args.part != "all":
        runs = args.naive_runs if args.part == "naive" else args.runs
        result = PARTS[args.part](args.path, runs)
        print(json.dumps(result) if args.json else result)
        return 0

    ensure_data(args.path, args.interactions, args.customers)
    results = {}
    for part in ("hand", "metric", "naive", "page", "every"):
        runs = 3 if part == "every" else args.runs
        out = subprocess.run([sys.executable, __file__, "--part", part, "--path", str(args.path), "--runs",
                              str(runs), "--naive-runs", str(args.naive_runs), "--json"],
                             check=True, capture_output=True, text=True).stdout
        results[part] = json.loads(out.strip().splitlines()[-1])
    hand, metric, naive, page = (results[k] for k in ("hand", "metric", "naive", "page"))
    assert hand["rows"] == metric["rows"] == naive["rows"] and hand["responses"] == metric["responses"]
    assert abs(hand["checksum"] - metric["checksum"]) < 1e-6 and abs(naive["checksum"] - metric["checksum"]) < 1e-6

    med = statistics.median
    load = os.getloadavg()
    print(f"`.venv/bin/python bench/bench_metrics.py --runs {args.runs} --naive-runs {args.naive_runs}` on "
          f"`{args.path.relative_to(ROOT) if args.path.is_relative_to(ROOT) else args.path}` "
          f"({args.interactions:,} interactions, {args.customers:,} customers); {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, DuckDB threads {hand['threads']}, "
          f"load average {load[0]:.1f} at the end.\n")
    print(f"Weekly NPS by channel: {metric['rows']:,} cells from {metric['responses']:,} NPS answers "
          "(the three tables are identical: same cells, n and values).\n")
    print("| approach | wall best | wall median | CPU median | vs hand SQL (median) | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, r in (("hand-written SQL on a raw duckdb connection", hand), ("**`metric_table`** (SQLAlchemy Core, one query)", metric),
                    ("naive: 3 columns into pandas via SQLAlchemy, group there", naive)):
        print(f"| {name} | {min(r['walls']):.3f} s | {med(r['walls']):.3f} s | {med(r['cpus']):.3f} s | "
              f"{med(r['walls']) / med(hand['walls']):.2f}× | {r['rss']:,.0f} MB |")
    print(f"\n`metric_table` is {med(naive['walls']) / med(metric['walls']):.0f}× faster than the naive approach "
          f"(median wall).\n")
    print("| Trends page (AppTest, whole app) | wall |")
    print("|---|---|")
    print(f"| first load (summary, sidebar, trend, heatmap; cold caches) | {page['first']:.2f} s |")
    print(f"| rerun after a channel-filter change, best / median / worst of {len(page['walls'])} | "
          f"{min(page['walls']):.2f} / {med(page['walls']):.2f} / {max(page['walls']):.2f} s |")
    print(f"| peak resident memory of the app process (DuckDB included) | {page['rss']:,.0f} MB |")
    print("\nEvery metric through `metric_table` (best of 3):\n")
    print("| metric | weekly × channel | whole range, stage × channel (heatmap) |")
    print("|---|---|---|")
    for metric, (week, heat) in results["every"]["times"].items():
        print(f"| {metric} | {week:.2f} s | {heat:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
