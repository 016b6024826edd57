"""Concurrent sessions: N browser sessions open the dashboard at once against one app process.

Measures the slowest and median time until each session's page has finished its script run
(`[data-test-script-state=notRunning]` with a chart or table drawn), and the app process's resident
memory (current and peak, from /proc). Loopback only; bounded in count and time.

    .venv/bin/python bench/bench_sessions.py --sessions 20 --page trends

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds used so far by one process (user + system), or by the whole machine when pid is None."""
    ticks = os.sysconf("SC_CLK_TCK")
    if pid is None:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(v) for i, v in enumerate(fields) if i not in (3, 4))  # all but idle and iowait
        return busy / ticks
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


async def one_session(browser, url: str, timeout_ms: int) -> float:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    started = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout_ms)
        await page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
        await page.wait_for_selector(".js-plotly-plot, [data-testid=stDataFrame]", timeout=timeout_ms)
        await page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
        return time.perf_counter() - started
    finally:
        await context.close()


async def run(url: str, sessions: int, timeout_ms: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
                                           args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(one_session(browser, url, timeout_ms) for _ in range(sessions)))
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--page", default="trends")
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--timeout", type=int, default=180, help="seconds per session")
    args = parser.parse_args()
    from cx.demo import ensure_demo

    ensure_demo(args.demo)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CX_DEMO_PATH": str(Path(args.demo).resolve())}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        # one warm-up session so the first-start work (opening the demo) is not counted N times
        asyncio.run(run(f"{base}/{args.page}", 1, args.timeout * 1000))
        idle_rss, _ = rss_mb(proc.pid)
        started = time.perf_counter()
        app_cpu, machine_cpu = cpu_seconds(proc.pid), cpu_seconds()
        times = asyncio.run(run(f"{base}/{args.page}", args.sessions, args.timeout * 1000))
        wall = time.perf_counter() - started
        app_cpu, machine_cpu = cpu_seconds(proc.pid) - app_cpu, cpu_seconds() - machine_cpu
        rss, peak = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"command: .venv/bin/python bench/bench_sessions.py --sessions {args.sessions} --page {args.page}")
    print(f"{args.sessions} concurrent sessions on /{args.page}: slowest {max(times):.2f} s, "
          f"median {statistics.median(times):.2f} s, all done in {wall:.2f} s")
    print(f"CPU during the sessions: app server {app_cpu:.1f} s ({app_cpu / args.sessions:.2f} s per session), "
          f"whole machine {machine_cpu:.1f} s (browsers, the bench and other work: {machine_cpu - app_cpu:.1f} s)")
    print(f"app RSS: {idle_rss:.0f} MB after warm-up, {rss:.0f} MB after the sessions, peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
