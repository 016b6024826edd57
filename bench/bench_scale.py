"""At warehouse scale: every page's first load on a 10 M-interaction, 1 M-customer demo, and the app's memory.

Starts the real app (`streamlit run app.py`, loopback only) on a big demo file and opens each page
once in a fresh Chromium session (Playwright, the system browser), in the order a person would:
Overview, Trends, Journeys, Incidents, Churn. For each page it records

- **answered**: from the navigation until the script state is ``notRunning`` and the page's content
  is drawn (a chart, a table, a tile, or the progress line of a part still computing in the
  background), as in bench/bench_meeting.py;
- **complete**: until no progress line is left (the churn fit, the journeys, the incident list and
  the bootstrap comparison all drawn);
- the app process's resident memory after the page (``VmRSS``) and its peak so far (``VmHWM``).

Each repeat starts a new server (a first load is the first on that server: nothing cached). With
``--baseline DIR`` the same walk runs first against another checkout (e.g. ``/work/main``, the code
before the change) on the same file, so the ratios compare like with like.

    cx demo --interactions 10000000 --customers 1000000 --out data/bench10m.duckdb   # ~1 min
    .venv/bin/python bench/bench_scale.py --demo data/bench10m.duckdb --repeats 1 --baseline /work/main

Prints a Markdown block for BENCHMARKS.md ("Meeting" → "At 10 M").
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_meeting as meeting  # noqa: E402  (the same server, browser and "drawn" rule)

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "trends", "journeys", "incidents", "churn"]


def walk(browser, root: Path, demo: Path, pages: list[str]) -> dict[str, list[float]]:
    """One fresh server of checkout ``root``; each page's first load in a fresh session, and memory."""
    out: dict[str, list[float]] = {}
    with meeting.serve(root, demo) as (base, pid):
        for name in pages:
            started = time.monotonic()
            answered, complete, page = meeting.open_page(browser, f"{base}/{'' if name == 'overview' else name}")
            page.context.close()
            rss, peak = meeting.rss_mb(pid)
            out.setdefault(f"{name}: first load, answered", []).append(answered)
            out.setdefault(f"{name}: first load, complete", []).append(complete)
            out.setdefault(f"{name}: app memory after it (MB)", []).append(rss)
            print(f"  {root}: {name}: answered {answered:.1f} s, complete {complete:.1f} s "
                  f"({time.monotonic() - started:.0f} s wall), app {rss:,.0f} MB, peak {peak:,.0f} MB", flush=True)
        out["peak app memory (MB)"] = [meeting.rss_mb(pid)[1]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", default=str(ROOT / "data" / "bench10m.duckdb"))
    parser.add_argument("--repeats", type=int, default=1, help="fresh servers per checkout")
    parser.add_argument("--baseline", help="another checkout to run the same walk against first (e.g. /work/main)")
    parser.add_argument("--pages", nargs="+", default=PAGES, choices=PAGES)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a page to complete")
    args = parser.parse_args()
    demo = Path(args.demo).resolve()
    if not demo.exists():
        raise SystemExit(f"no demo file {demo}: make one with cx demo --interactions 10000000 --customers 1000000 "
                         f"--out {args.demo}")
    meeting.TIMEOUT_MS = int(args.timeout * 1000)
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    runs: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
                                     args=meeting.CHROMIUM_ARGS)
        try:
            for label, root in (("before", args.baseline), ("after", str(ROOT))):
                if root is None:
                    continue
                for _ in range(args.repeats):
                    for key, values in walk(browser, Path(root).resolve(), demo, args.pages).items():
                        runs.setdefault(label, {}).setdefault(key, []).extend(values)
        finally:
            browser.close()
    load_after = os.getloadavg()
    command = "python bench/bench_scale.py --demo {} --repeats {}{}{}".format(
        args.demo, args.repeats, f" --pages {' '.join(args.pages)}" if args.pages != PAGES else "",
        f" --baseline {args.baseline}" if args.baseline else "")
    print(f"\ncommand: {command}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    after, before = runs["after"], runs.get("before")
    header = "| what | n | median |" + (" before (median) | after/before |" if before else "")
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, values in after.items():
        unit = " MB" if "MB" in name else " s"
        med = statistics.median(values)
        row = f"| {name} | {len(values)} | {med:,.1f}{unit} |"
        if before and name in before:
            bmed = statistics.median(before[name])
            row += f" {bmed:,.1f}{unit} | {med / bmed if bmed else float('nan'):.2f} |"
        print(row)


if __name__ == "__main__":
    main()
