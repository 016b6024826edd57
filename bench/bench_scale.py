"""At warehouse scale: every page's first load on a 10 M-interaction, 1 M-customer demo, and the app's memory.

Starts the real app (`streamlit run app.py`, loopback only) on a big demo file and opens each page
once in a fresh Chromium session (Playwright, the system browser), in the order a person would:
Overview, Trends, Journeys, Incidents, Churn. For each page it records

- **answered**: from the navigation until the script state is ``notRunning`` and the page's content
  is drawn (a chart, a table, a tile, or the progress line of a part still computing in the
  background), as in bench/bench_meeting.py; and until its first tile, chart or table is drawn;
- **complete**: until no progress line is left (the churn fit, the journeys, the incident list and
  the bootstrap comparison all drawn);
- the app process's resident memory after the page (``VmRSS``) and its peak so far (``VmHWM``);
- the highest ``VmRSS`` seen while the page loaded (sampled every 0.1 s from its navigation until it is
  complete): which page's work makes the peak, and how far above the memory before it.

Each repeat starts a new server (a first load is the first on that server: nothing cached). With
``--baseline DIR`` the same walk runs first against another checkout (e.g. ``/work/main``, the code
before the change) on the same file, so the ratios compare like with like.

    cx demo --interactions 10000000 --customers 1000000 --out data/bench10m.duckdb   # ~1 min
    .venv/bin/python bench/bench_scale.py --demo data/bench10m.duckdb --repeats 1 --baseline /work/main

With ``--fit`` it times the churn fit alone instead (``fit_churn`` as the page calls it, then the page's
first what-if, in a fresh process per checkout, alternating with the baseline): seconds, the peak memory
(``VmHWM``) and the ROC AUC, under the default statement timeout (``CX_STATEMENT_TIMEOUT``).

Prints a Markdown block for BENCHMARKS.md ("Meeting" → "At 10 M").
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_meeting as meeting  # noqa: E402  (the same server, browser and "drawn" rule)

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "trends", "journeys", "incidents", "churn"]


class RssSampler:
    """The highest ``VmRSS`` of process ``pid`` while it runs (sampled every ``interval`` seconds)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.highest, self.stopped = pid, interval, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.highest = max(self.highest, meeting.rss_mb(self.pid)[0])
            except (OSError, KeyError):
                return
            self.stopped.wait(self.interval)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()


def walk(browser, root: Path, demo: Path, pages: list[str]) -> dict[str, list[float]]:
    """One fresh server of checkout ``root``; each page's first load in a fresh session, and memory."""
    out: dict[str, list[float]] = {}
    with meeting.serve(root, demo) as (base, pid):
        for name in pages:
            started = time.monotonic()
            before = meeting.rss_mb(pid)[0]
            with RssSampler(pid) as sampler:
                answered, drawn, complete, page = meeting.open_page(
                    browser, f"{base}/{'' if name == 'overview' else name}")
                page.context.close()
            rss, peak = meeting.rss_mb(pid)
            out.setdefault(f"{name}: first load, answered", []).append(answered)
            out.setdefault(f"{name}: first load, first tile, chart or table drawn", []).append(drawn)
            out.setdefault(f"{name}: first load, complete", []).append(complete)
            out.setdefault(f"{name}: app memory after it (MB)", []).append(rss)
            out.setdefault(f"{name}: highest app memory while it loaded (MB)", []).append(sampler.highest)
            print(f"  {root}: {name}: answered {answered:.1f} s, first drawn {drawn:.1f} s, complete {complete:.1f} s "
                  f"({time.monotonic() - started:.0f} s wall), app {before:,.0f} MB before, {sampler.highest:,.0f} MB "
                  f"at most while it loaded, {rss:,.0f} MB after, peak so far {peak:,.0f} MB", flush=True)
        out["peak app memory (MB)"] = [meeting.rss_mb(pid)[1]]
    return out


# The churn fit alone, in a fresh process of the checkout (no app, no browser): fit_churn as the page calls
# it (features in the database, cross-validation, bootstrap, the at-risk list), then the page's first what-if.
FIT = """
import json, os, re, sys, time
from cx.db import demo_source
from cx.churn import fit_churn, what_if
marks = {}
t0 = time.perf_counter()
report = fit_churn(demo_source(sys.argv[1]), at_risk=500,
                   progress=lambda f, m: marks.setdefault(m.split(" ")[0], time.perf_counter() - t0))
fit = time.perf_counter() - t0
t1 = time.perf_counter()
what_if(report, report.strongest_driver(), 10.0, mode="absolute")
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
auc = report.cv["roc_auc"]
print(json.dumps({"fit": fit, "features": marks.get("Cross-validating", float("nan")), "what_if": time.perf_counter() - t1,
                  "peak": peak, "auc": [auc.value, auc.ci_low, auc.ci_high], "n": report.card.n,
                  "population": len(report.population)}))
"""


def fit_alone(root: Path, demo: Path) -> dict[str, list[float]]:
    """fit_churn and one what-if in a fresh process of checkout ``root``: seconds and peak memory."""
    import json
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", FIT, str(demo)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=1800)
    if done.returncode:
        print(f"  {root}: the fit failed: {done.stderr.strip().splitlines()[-1]}", flush=True)
        return {}
    got = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {root}: fit_churn {got['fit']:.1f} s (features and sample {got['features']:.1f} s), what-if "
          f"{got['what_if']:.1f} s, peak {got['peak']:,.0f} MB, ROC AUC {got['auc'][0]:.3f} ({got['auc'][1]:.3f}–"
          f"{got['auc'][2]:.3f}) on {got['n']:,}, {got['population']:,} scored", flush=True)
    return {"churn fit alone: fit_churn": [got["fit"]], "churn fit alone: features, to the sample": [got["features"]],
            "churn fit alone: first what-if": [got["what_if"]], "churn fit alone: peak memory (MB)": [got["peak"]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", default=str(ROOT / "data" / "bench10m.duckdb"))
    parser.add_argument("--repeats", type=int, default=1, help="fresh servers per checkout")
    parser.add_argument("--baseline", help="another checkout to run the same walk against first (e.g. /work/main)")
    parser.add_argument("--pages", nargs="+", default=PAGES, choices=PAGES)
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a page to complete")
    parser.add_argument("--fit", action="store_true",
                        help="instead of the pages: the churn fit alone (fit_churn + one what-if) in a fresh process")
    args = parser.parse_args()
    demo = Path(args.demo).resolve()
    if not demo.exists():
        raise SystemExit(f"no demo file {demo}: make one with cx demo --interactions 10000000 --customers 1000000 "
                         f"--out {args.demo}")
    meeting.TIMEOUT_MS = int(args.timeout * 1000)
    load_before = os.getloadavg()
    runs: dict[str, dict[str, list[float]]] = {}
    if args.fit:
        for _ in range(args.repeats):  # alternating, so that both checkouts see the same spread of load
            for label, root in (("before", args.baseline), ("after", str(ROOT))):
                if root is not None:
                    for key, values in fit_alone(Path(root).resolve(), demo).items():
                        runs.setdefault(label, {}).setdefault(key, []).extend(values)
        report(args, runs, load_before)
        return
    from playwright.sync_api import sync_playwright

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
    report(args, runs, load_before)


def report(args, runs: dict[str, dict[str, list[float]]], load_before) -> None:
    """The Markdown block: command, machine and load, medians (and the ratio to the baseline)."""
    load_after = os.getloadavg()
    command = "python bench/bench_scale.py --demo {} --repeats {}{}{}{}".format(
        args.demo, args.repeats, f" --pages {' '.join(args.pages)}" if args.pages != PAGES else "",
        f" --baseline {args.baseline}" if args.baseline else "", " --fit" if args.fit else "")
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
