"""Where one click of a page spends the server's time: every thread sampled, every query timed.

Runs ``app.py`` in ``streamlit.testing`` (no browser), opens a page on the demo warehouse, warms it
(one channel chosen and cleared, background jobs given time to end), then makes one change and
samples the stacks of every thread of the process (the script thread and the background jobs) every
few milliseconds while it runs, like py-spy would. Prints the wall and CPU seconds of the click,
each query with its time, thread and caller, and the functions that held the most samples.

    PYTHONPATH=. .venv/bin/python bench/profile_click.py --page overview --change channel

Background jobs are not waited for (``CX_WAIT_SECONDS`` 0.3 as in the browser), but they run while
the click is sampled, as on the server.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("/cx/", "/views/", "/ui/")
IDLE = ("threading.py", "selectors.py", "queue.py", "local_script_runner.py", "concurrent/futures/thread.py")


class Sampler:
    """Stacks of every other thread, every ``interval`` seconds, counted per function (idle waits left out)."""

    def __init__(self, interval: float = 0.005, only: str = "", trace: str = ""):
        self.interval, self.stopped, self.only, self.trace = interval, threading.Event(), only, trace
        self.inclusive: collections.Counter = collections.Counter()
        self.own: collections.Counter = collections.Counter()
        self.callers: collections.Counter = collections.Counter()  # the project's line under a ``trace``d function
        self.samples = 0

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stopped.is_set():
            names_of = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me or frame.f_code.co_filename.endswith(IDLE):
                    continue
                if self.only and not names_of.get(ident, "").startswith(self.only):
                    continue
                names, ours = [], None
                while frame is not None:
                    code = frame.f_code
                    names.append(f"{Path(code.co_filename).name}:{code.co_name}:{code.co_firstlineno}")
                    if ours is None and any(part in code.co_filename for part in OURS):
                        ours = f"{Path(code.co_filename).name}:{code.co_name} line {frame.f_lineno}"
                    frame = frame.f_back
                self.samples += 1
                if self.trace and ours and any(self.trace in name for name in names):
                    self.callers[ours] += 1
                self.own[names[0]] += 1
                self.inclusive.update(set(names))
            time.sleep(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", default="overview", choices=["overview", "trends", "journeys", "incidents", "churn"])
    parser.add_argument("--change", default="channel", choices=["channel", "grain", "week", "first", "session"],
                        help="the change clicked after warming; 'first': the page's first load on a fresh server; "
                             "'session': a new session opening the page on the warmed server")
    parser.add_argument("--channel", default="email")
    parser.add_argument("--back", type=int, default=1, help="with --change week: how many weeks back to go (1: the "
                        "week before, which the Overview reads ahead in the background; round 5 and earlier used 2)")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds given to background jobs while warming")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--after", choices=["overview"], default=None,
                        help="with --change first: open this page first (as the browser bench does), then the page")
    parser.add_argument("--thread", default="", help="sample only threads whose name starts with this "
                        "(ScriptRunner: the click's own script run; cx-job: the background jobs)")
    parser.add_argument("--trace", default="", help="also list the project's lines under which sampled stacks "
                        "held a function whose name:file contains this (say string_arrow.py: where Arrow strings are made)")
    args = parser.parse_args()
    os.environ.setdefault("CX_WAIT_SECONDS", "0.3")
    os.environ.setdefault("CX_TOP_FIRST", "0")  # AppTest cannot ask for the rest of a first run's page: the whole page
    from streamlit.testing.v1 import AppTest

    import cx.db.source as source_module

    queries: list[tuple[float, str, str]] = []
    read_frame = source_module.read_frame

    def timed_read(engine, query, context=None):
        started = time.perf_counter()
        try:
            return read_frame(engine, query, context)
        finally:
            callers = [f"{Path(f.filename).name}:{f.name}" for f in traceback.extract_stack()[:-1]
                       if "/cx/" in f.filename or "/views/" in f.filename]
            queries.append((time.perf_counter() - started, threading.current_thread().name,
                            " < ".join(reversed(callers[-4:]))))

    source_module.read_frame = timed_read
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if args.change == "first" and args.after:
        at.run()
        time.sleep(args.settle)
    if args.page != "overview":
        at.switch_page(f"views/{args.page}.py")
    if args.change == "first":
        click = at
    else:
        at.run()
        channels = at.sidebar.multiselect(key="f.channels")
        warm = next(c for c in channels.options if c != args.channel)
        for value in ([warm], []):
            time.sleep(args.settle)
            at.sidebar.multiselect(key="f.channels").set_value(value).run()
        time.sleep(args.settle)
        at.run()
    if args.change == "channel":
        click = at.sidebar.multiselect(key="f.channels").set_value([args.channel])
    elif args.change == "grain":
        click = at.sidebar.selectbox(key="f.grain").set_value("month")
    elif args.change == "week":
        click = at.selectbox(key="overview.week").select_index(args.back)
    elif args.change == "session":
        click = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        if args.page != "overview":
            click.switch_page(f"views/{args.page}.py")
    sampler = Sampler(only=args.thread, trace=args.trace)
    thread = threading.Thread(target=sampler.run, daemon=True)
    queries.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    thread.start()
    click.run()
    sampler.stopped.set()
    thread.join()
    print(f"{args.page}, {args.change}: wall {time.perf_counter() - wall:.2f} s, process CPU "
          f"{time.process_time() - cpu:.2f} s, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
          + (f"; the page failed: {at.exception}" if at.exception else ""))
    print(f"\n{len(queries)} queries, {sum(q[0] for q in queries):.2f} s (wall, threads overlap):")
    for seconds, thread_name, caller in sorted(queries, reverse=True):
        print(f"  {seconds:6.3f} s  {thread_name[:14]:14s} {caller}")
    print(f"\nshare of {sampler.samples} busy-thread samples, inclusive:")
    for name, count in sampler.inclusive.most_common(args.top):
        print(f"  {100 * count / max(sampler.samples, 1):5.1f}%  {name}")
    print("\nown time:")
    for name, count in sampler.own.most_common(15):
        print(f"  {100 * count / max(sampler.samples, 1):5.1f}%  {name}")
    if args.trace:
        print(f"\nthe project's lines under {args.trace}:")
        for name, count in sampler.callers.most_common(args.top):
            print(f"  {100 * count / max(sampler.samples, 1):5.1f}%  {name}")


if __name__ == "__main__":
    main()
