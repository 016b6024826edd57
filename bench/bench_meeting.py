"""The Monday meeting in a real browser: how long every page takes to answer a click.

Starts the real app (`streamlit run app.py`, the demo warehouse, loopback only) and drives it in the
system Chromium with Playwright. A duration runs from the click (or the navigation) until the
script state is ``notRunning``, no element is stale, the page's content is drawn (no grey skeleton in its place), and nothing
moved for 300 ms (the quiet window itself is not counted). A run too quick for the page to ever show
"running" is recognised by the server's messages after the click. Measured:

- **tiles**: a new browser session on the Overview until its KPI tiles are drawn (the first session
  after the server starts, then new sessions on a warm server: while the first session's background
  jobs still run, and once the server is at rest);
- **first visit**: a fresh session opening each page (the first ever on this server, then again in a new
  browser once the server is at rest, and in a new tab of a browser that opened the app before, whose
  code is cached): until the first tile, chart or table is drawn, and until the whole page is;
- **changes** on every page in one warm session: a channel filter added (a channel not chosen
  before: a new scope), the filter removed again, the time grain changed, and on the Overview the
  week under review: the week before the one shown (the page reads it ahead in the background) and a
  week 4 weeks back (read on the click). Each change comes as soon as the last one is complete, or
  ``--think`` seconds later (a person looking at the page: the time the background has to read ahead).

Slow parts (the churn fit, the bootstrap comparison) run in the background and show a progress line
(a container keyed ``cx-pending-…``) while the page answers; "complete" rows time the same click
until no progress line is left and the page has been redrawn with every part.

With ``--baseline DIR`` the same walk is first run against another checkout (e.g. ``/work/main``,
the code before a change) on the same demo file, so the printed ratios compare like with like.

    .venv/bin/python bench/bench_meeting.py --repeats 5 --baseline /work/main

Prints a Markdown block for BENCHMARKS.md ("Meeting").
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
PAGES = ["overview", "trends", "journeys", "incidents", "churn"]
# what counts as drawn content: a chart, a table, a tile, or the progress line of a part still computing
CONTENT = ('.js-plotly-plot, [data-testid=stDataFrame], [data-testid=stMetricValue], '
           '[class*="st-key-cx-pending"]')
QUIET_MS = 300

# Records every change of the app's script state with its time (performance.now(), ms since navigation),
# and the time of the last message from the server: a run of a few tens of milliseconds can start and end
# within one render of the page, so that "running" never reaches the DOM; its messages still arrive.
OBSERVER = """
window.__cx = {events: [], doneAt: null, lastMessage: -1};
const PageWebSocket = window.WebSocket;
window.WebSocket = class extends PageWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => { window.__cx.lastMessage = performance.now(); });
  }
};
new MutationObserver(records => {
  for (const r of records) {
    const s = r.target.getAttribute('data-test-script-state');
    const ev = window.__cx.events;
    if (!ev.length || ev[ev.length - 1][1] !== s) ev.push([performance.now(), s]);
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
// the first moment the main area shows an answer: a KPI tile's value, a drawn chart or a table
new MutationObserver(() => {
  if (window.__cx.drawn === undefined && document.querySelector(
      '[data-testid=stMain] [data-testid=stMetricValue], [data-testid=stMain] .js-plotly-plot, '
      + '[data-testid=stMain] [data-testid=stDataFrame]')) window.__cx.drawn = performance.now();
  // the KPI tiles: the first moment four values are in the main area, then painted (the frame after them)
  if (window.__cx.tilesIn === undefined
      && document.querySelectorAll('[data-testid=stMain] [data-testid=stMetricValue]').length >= 4) {
    window.__cx.tilesIn = performance.now();
    requestAnimationFrame(() => setTimeout(() => { window.__cx.tiles = performance.now(); }, 0));
  }
}).observe(document, {childList: true, subtree: true});
"""

# True once a run that started after t0 (seen running, or its messages seen) has ended, the content is
# drawn (no grey skeleton left in its place: an element whose code a new browser is still loading) and
# nothing moved (no script state, no message) for QUIET_MS.
SETTLED = """
([t0, content, quiet, complete]) => {
  const cx = window.__cx;
  const ev = cx.events.filter(e => e[0] >= t0);
  if (!ev.some(e => e[1] === 'running') && cx.lastMessage < t0) return false;
  const app = document.querySelector('[data-testid=stApp]');
  const ok = app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale=true]') && document.querySelector(content) !== null
    && !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')
    && !(complete && document.querySelector('[class*="st-key-cx-pending"]'));
  const now = performance.now();
  if (!ok) { cx.doneAt = null; return false; }
  const last = Math.max(ev.length ? ev[ev.length - 1][0] : -1, cx.lastMessage);
  if (cx.doneAt === null || cx.doneAt < last) cx.doneAt = Math.max(now, last);
  return now - cx.doneAt >= quiet;
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the app server has used so far: steadier than wall time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@contextlib.contextmanager
def serve(root: Path, demo: Path):
    """`streamlit run serve.py` of checkout ``root`` (what `make run` starts; app.py where there is no
    serve.py) on a free loopback port; yields (base URL, pid)."""
    port = free_port()
    env = {**os.environ, "CX_DEMO_PATH": str(demo), "PYTHONPATH": str(root)}
    entry = root / "serve.py" if (root / "serve.py").exists() else root / "app.py"
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(entry), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"the app in {root} did not start") from None
                time.sleep(0.3)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


TIMEOUT_MS = 90_000


def settle(page, t0: float, content: str = CONTENT, complete: bool = False) -> float:
    """Seconds from ``t0`` (page clock, ms) until the run it started has ended and the content is drawn
    (``complete``: also every part that was computing in the background, i.e. no progress line left).
    A wait beyond TIMEOUT_MS is recorded as infinite (and printed as such), not an abort."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate("window.__cx.doneAt = null")
    try:
        page.wait_for_function(SETTLED, arg=[t0, content, QUIET_MS, complete], polling="raf", timeout=TIMEOUT_MS)
    except PlaywrightTimeout:
        print(f"  timeout after {TIMEOUT_MS / 1000:.0f} s on {page.url} (complete={complete})", flush=True)
        return float("inf")
    return (page.evaluate("window.__cx.doneAt") - t0) / 1000


def pending(page) -> bool:
    return page.locator('[class*="st-key-cx-pending"]').count() > 0


#: Seconds a person looks at the page before the next click (``--think``; 0: the next click comes as soon as the
#: last one is complete, the pace of every round before round 9).
THINK = 0.0


def measure(page, click, out: dict, kind: str, pid: int) -> None:
    """Record how long ``click()`` (returning the page time of the click) took to answer, to complete
    (background parts drawn), and the app server's CPU seconds until complete; :data:`THINK` seconds
    after the last click was complete."""
    if THINK:
        page.wait_for_timeout(THINK * 1000)
    cpu = cpu_seconds(pid)
    try:
        t0 = click()
    except Exception as exc:  # the widget could not be operated: say so, record nothing, go on
        print(f"  {kind}: the click failed ({str(exc).splitlines()[0]})", flush=True)
        page.keyboard.press("Escape")
        return
    answered = settle(page, t0)
    out.setdefault(kind, []).append(answered)
    out.setdefault(f"{kind}, complete", []).append(settle(page, t0, complete=True) if pending(page) else answered)
    out.setdefault(f"{kind}, server CPU s", []).append(cpu_seconds(pid) - cpu)


def now(page) -> float:
    return page.evaluate("performance.now()")


def new_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(OBSERVER)
    return context.new_page()


class Visit(NamedTuple):
    """A fresh session's first look at a page, in seconds from navigation start."""

    answered: float  # the run ended with content or a progress line drawn (as a click's "answered")
    drawn: float  # the first tile, chart or table drawn (a progress line alone is not an answer)
    complete: float  # the whole page: no progress line, no skeleton
    page: object


def open_page(browser, url: str, content: str = CONTENT, context=None) -> Visit:
    """A fresh session opening ``url``, in a new browser or in a new tab of ``context``."""
    page = context.new_page() if context is not None else new_page(browser)
    page.goto(url, timeout=180_000)
    answered = settle(page, 0.0, content)
    complete = settle(page, 0.0, content, complete=True) if pending(page) else answered
    drawn = page.evaluate("window.__cx.drawn")
    return Visit(answered, drawn / 1000 if drawn is not None else complete, complete, page)


def at_rest(pid: int, limit: float = 120.0) -> None:
    """Wait until the app server has used under 0.1 s of CPU in a second (its background jobs done)."""
    end = time.time() + limit
    while time.time() < end:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < 0.1:
            return


def tiles(browser, base: str) -> float:
    """A fresh session on the Overview: seconds from navigation start until four KPI tiles are drawn (in the
    page and painted: the page's own clock, noted by :data:`OBSERVER`).

    Until round 13 this was the moment Playwright's wait for the fourth tile returned: its checks are polled
    from outside the page at growing intervals, and while a new browser is busy loading the code of the charts
    and tables under the tiles, they ran late. The tiles were in the page 0.5–1 s before that (a probe noting
    their arrival every 10 ms; BENCHMARKS.md, Meeting, round 13)."""
    page = new_page(browser)
    try:
        page.goto(base, timeout=180_000)
        page.locator("[data-testid=stMain] [data-testid=stMetricValue]").nth(3).wait_for(timeout=180_000)
        page.wait_for_function("window.__cx.tiles !== undefined", timeout=30_000)
        return page.evaluate("window.__cx.tiles") / 1000
    finally:
        page.context.close()


def sidebar_select(page, label: str):
    return page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text=label)


def pick(page, box, option: str) -> float:
    """Open a selectbox or multiselect and choose ``option``; returns the page time of the choosing click."""
    target = page.get_by_role("option", name=option, exact=True)
    for attempt in range(3):  # a dropdown left open elsewhere, or a box redrawn under the click, swallows it
        page.keyboard.press("Escape")
        box.click()
        try:
            target.wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
    t0 = now(page)
    target.click()
    return t0


def add_channel(page, channel: str) -> float:
    return pick(page, page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text="Channels"),
                channel)


def remove_channel(page) -> float:
    page.keyboard.press("Escape")
    box = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text="Channels")
    clear = box.get_by_role("button", name="Clear all")
    if not clear.count():
        clear = box.locator("[title='Clear all'], [aria-label='Clear all']")
    t0 = now(page)
    clear.first.click()
    return t0


def pick_grain(page, grain: str) -> float:
    return pick(page, sidebar_select(page, "Time grain"), grain)


def pick_week(page, back: int) -> float:
    """Choose the week ``back`` weeks before the one under review (typed into the picker's search, as
    the list is long); returns the page time of the choosing click."""
    box = page.locator("[data-testid=stMain] [data-testid=stSelectbox]").filter(has_text="Week under review")
    shown = re.search(r"(\d{4})-W(\d{2})", box.inner_text() + " " + " ".join(
        box.locator("input").evaluate_all("els => els.map(e => e.value + ' ' + (e.getAttribute('aria-label') || ''))")))
    shown = shown or re.search(r"week=(\d{4})-W(\d{2})", page.url)
    year, week = (int(x) for x in shown.groups())
    monday = dt.date.fromisocalendar(year, week, 1) - dt.timedelta(weeks=back)
    label = "{}-W{:02d}".format(*monday.isocalendar()[:2])
    page.keyboard.press("Escape")
    box.click()
    page.keyboard.type(label)
    target = page.get_by_role("option", name=label, exact=True)
    target.wait_for(timeout=10_000)
    t0 = now(page)
    target.click()
    return t0


def changes(browser, base: str, page_name: str, channels: list[str], repeats: int, pid: int) -> dict[str, list[float]]:
    """Filter, un-filter, grain (and week) changes on one page in one warm session."""
    *_, page = open_page(browser, f"{base}/{'' if page_name == 'overview' else page_name}")
    settle(page, 0.0, complete=True)
    out: dict[str, list[float]] = {}
    try:
        for i in range(repeats):
            measure(page, partial(add_channel, page, channels[i % len(channels)]), out, "filter (a new channel)", pid)
            measure(page, partial(remove_channel, page), out, "filter removed", pid)
            measure(page, partial(pick_grain, page, "Month" if i % 2 == 0 else "Week"), out, "grain", pid)
            if page_name == "overview":
                measure(page, partial(pick_week, page, 1), out, "week (the week before)", pid)
                measure(page, partial(pick_week, page, 4), out, "week (4 weeks back)", pid)
    finally:
        page.context.close()
    return out


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """Median, 95th percentile (nearest rank) and maximum."""
    ordered = sorted(values)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def walk(browser, root: Path, demo: Path, channels: list[str], repeats: int, pages: list[str]) -> dict:
    results: dict[str, list[float]] = {}
    with serve(root, demo) as (base, pid):
        results["tiles, first session after start"] = [tiles(browser, base)]
        results["tiles, new session (warm server, its first session's jobs running)"] = [
            tiles(browser, base) for _ in range(max(2, repeats // 2))]
        rested = []
        for _ in range(max(2, repeats // 2)):
            at_rest(pid)
            rested.append(tiles(browser, base))
        results["tiles, new session (server at rest)"] = rested
        returning = new_page(browser).context  # a browser that has opened the app before: its code is cached
        returning.pages[0].goto(base, timeout=180_000)
        settle(returning.pages[0], 0.0, complete=True)
        returning.pages[0].close()
        for name in pages:
            url = f"{base}/{'' if name == 'overview' else name}"
            _, first, complete, page = open_page(browser, url)
            page.context.close()
            results[f"{name}: first visit (page never opened on this server), first drawn"] = [first]
            results[f"{name}: first visit (page never opened on this server), complete"] = [complete]
            again, whole = [], []
            for _ in range(max(1, repeats // 3)):
                at_rest(pid)
                _, answered, complete, page = open_page(browser, url)
                page.context.close()
                again.append(answered)
                whole.append(complete)
            results[f"{name}: first visit of a new session (new browser), first drawn"] = again
            results[f"{name}: first visit of a new session (new browser), complete"] = whole
            at_rest(pid)
            _, answered, complete, page = open_page(browser, url, context=returning)
            page.close()
            results[f"{name}: first visit of a new session (a tab of a browser that opened the app before), "
                    "first drawn"] = [answered]
            results[f"{name}: first visit of a new session (a tab of a browser that opened the app before), "
                    "complete"] = [complete]
            print(f"  {root.name} {name}: first visit {first:.2f}, new browser "
                  + ", ".join(f"{v:.2f}/{w:.2f}" for v, w in zip(again, whole))
                  + f", returning browser {answered:.2f}/{complete:.2f}", flush=True)
        returning.close()
        for name in pages:
            for kind, values in changes(browser, base, name, channels, repeats, pid).items():
                results[f"{name}: {kind}"] = values
                print(f"  {root.name} {name}: {kind}: " + ", ".join(f"{v:.2f}" for v in values), flush=True)
        results["_rss"] = list(rss_mb(pid))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--baseline", help="another checkout to run the same walk against first (e.g. /work/main)")
    parser.add_argument("--pages", nargs="+", default=PAGES, choices=PAGES)
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a person looks at the page before each change (default 0: at once)")
    args = parser.parse_args()
    global THINK
    THINK = args.think
    from playwright.sync_api import sync_playwright

    from cx.demo import ensure_demo

    demo = Path(ensure_demo(args.demo)).resolve()
    import duckdb

    with duckdb.connect(str(demo), read_only=True) as con:
        channels = [r[0] for r in con.execute("SELECT channel, count(*) n FROM interactions WHERE channel IS NOT NULL "
                                              "GROUP BY channel ORDER BY n DESC").fetchall()]
    load_before = os.getloadavg()
    runs: dict[str, dict] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("BROWSER_PATH", "/usr/bin/chromium"),
                                     args=CHROMIUM_ARGS)
        try:
            if args.baseline:
                runs["before"] = walk(browser, Path(args.baseline).resolve(), demo, channels, args.repeats, args.pages)
            runs["after"] = walk(browser, ROOT, demo, channels, args.repeats, args.pages)
        finally:
            browser.close()
    load_after = os.getloadavg()
    command = "python bench/bench_meeting.py --repeats {}{}{}{}".format(
        args.repeats, f" --pages {' '.join(args.pages)}" if args.pages != PAGES else "",
        f" --baseline {args.baseline}" if args.baseline else "", f" --think {args.think:g}" if args.think else "")
    print(f"command: {command} (demo {demo.name})")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    after = runs["after"]
    before = runs.get("before")
    header = "| what | n | median | p95 | max |" + (" before median | before p95 | after/before (median) |" if before else "")
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, values in after.items():
        if name.startswith("_"):
            continue
        med, p95, top = quantiles(values)
        row = f"| {name} | {len(values)} | {med:.2f} s | {p95:.2f} s | {top:.2f} s |"
        if before and name in before:
            bmed, bp95, _ = quantiles(before[name])
            row += f" {bmed:.2f} s | {bp95:.2f} s | {med / bmed if bmed else float('nan'):.2f} |"
        print(row)
    print()
    for label, result in runs.items():
        rss, peak = result["_rss"]
        print(f"app server memory ({label}): {rss:,.0f} MB resident at the end, peak {peak:,.0f} MB")


if __name__ == "__main__":
    main()
