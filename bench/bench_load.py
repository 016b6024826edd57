"""Load: N concurrent sessions on one app server, speaking Streamlit's WebSocket protocol directly.

Each session does what a browser tab does, without a browser: it opens ``/_stcore/stream``, sends
the rerun ``BackMsg`` for the page (``ClientState``: page name, query string, context), reads
``ForwardMsg``s until ``script_finished``, then changes a widget (a rerun carrying that widget's
new value, as the frontend sends it) and reads until that run finishes too. One server
(``streamlit run serve.py``, what ``make run`` starts) on 127.0.0.1; everything bounded in time.

Reports errors (an exception the app drew, a run that did not finish successfully, a page not
found, a closed socket, a timeout), the time of each rerun (send → ``script_finished``) as
p50/p95/max, and the server's resident memory before the sessions (after a warm-up session, or
cold), its peak while they ran (sampled every 0.1 s, child processes included) and after they left.

    .venv/bin/python bench/bench_load.py --sessions 50 --page trends --change "trends.by=Journey stage"
    .venv/bin/python bench/bench_load.py --sessions 50 --page overview --change "overview.week=#1"

``--change KEY=VALUE`` names the widget by its key; VALUE is an option's label, or ``#N`` for the
option at index N. Prints a block for BENCHMARKS.md; writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Widget element types whose value a rerun can carry, and the WidgetState field for each.
VALUE_FIELDS = {"selectbox": "string_value", "radio": "string_value", "multiselect": "string_array_value",
                "button_group": "string_array_value", "checkbox": "bool_value"}


# --- the server ------------------------------------------------------------------------------


def _proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _tree(pid: int) -> list[int]:
    """The process and its descendants (from /proc/<pid>/task/*/children)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return pids


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its children, in MB."""
    total = 0
    for p in _tree(pid):
        try:
            total += _proc_status(p, "VmRSS")
        except OSError:  # a child that just ended
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """Samples the server's RSS every 0.1 s while load runs; ``peak`` is the highest sample."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._halt = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._halt.wait(0.1)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return max(self.peak, rss_mb(self.pid))


def start_server(demo: Path, log_path: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CX_DEMO_PATH": str(demo.resolve()), "PYTHONPATH": str(ROOT)}
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, port
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise SystemExit(f"the app did not start:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.3)


# --- one session: the browser's messages -------------------------------------------------------


@dataclasses.dataclass
class Run:
    seconds: float
    ok: bool
    problems: list[str]
    widgets: dict  # element id -> (element type, proto)
    page_hash: str
    label: str = "first run (page load)"


@dataclasses.dataclass
class Session:
    runs: list[Run] = dataclasses.field(default_factory=list)
    error: str | None = None


def _client_state(page: str, port: int, page_hash: str = "", widgets=None):
    from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo

    state = ClientState(page_name="" if page_hash else page, page_script_hash=page_hash,
                        context_info=ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                                 url=f"http://127.0.0.1:{port}/{page}", is_embedded=False))
    for widget in widgets or []:
        state.widget_states.widgets.append(widget)
    return state


async def rerun(ws, state, deadline: float) -> Run:
    """Send one rerun and read ForwardMsgs until its script run has finished."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    finished_ok = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
    problems, widgets, page_hash = [], {}, state.page_script_hash
    started = time.perf_counter()
    await ws.send(BackMsg(rerun_script=state).SerializeToString())
    while True:
        msg = ForwardMsg.FromString(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
        kind = msg.WhichOneof("type")
        if kind == "new_session" and msg.new_session.page_script_hash:
            page_hash = msg.new_session.page_script_hash
        elif kind == "navigation" and msg.navigation.page_script_hash:
            page_hash = msg.navigation.page_script_hash
        elif kind == "page_not_found":
            problems.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            element_type = element.WhichOneof("type")
            if element_type == "exception":
                problems.append(f"{element.exception.type}: {element.exception.message[:160]}")
            elif element_type in VALUE_FIELDS:
                widget = getattr(element, element_type)
                widgets[widget.id] = (element_type, widget)
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue  # another run follows at once (e.g. the app called st.rerun)
            ok = msg.script_finished in finished_ok and not problems
            if msg.script_finished not in finished_ok:
                problems.append(f"script finished with status {msg.script_finished}")
            return Run(time.perf_counter() - started, ok, problems, widgets, page_hash)


def widget_change(widgets: dict, key: str, value: str):
    """The WidgetState a browser sends when the widget with this key is set to ``value``, and the value."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    found = [(wid, kind, proto) for wid, (kind, proto) in widgets.items() if wid.endswith("-" + key)]
    if not found:
        raise LookupError(f"no widget with key {key!r} on the page (saw: {sorted(w.rsplit('-', 1)[-1] for w in widgets)})")
    wid, kind, proto = found[0]
    options = [getattr(o, "content", o) for o in getattr(proto, "options", [])]
    if value.startswith("#"):
        value = options[int(value[1:])]
    elif options and value not in options and kind != "checkbox":
        raise LookupError(f"{value!r} is not an option of {key!r}: {options}")
    state = WidgetState(id=wid)
    field = VALUE_FIELDS[kind]
    if field == "string_value":
        state.string_value = value
    elif field == "string_array_value":
        state.string_array_value.data.append(value)
    else:
        state.bool_value = value.lower() in ("1", "true", "yes", "on")
    return state, value


async def session(port: int, page: str, changes: list[tuple[str, str]], deadline: float) -> Session:
    from websockets.asyncio.client import connect

    result = Session()
    try:
        async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                           open_timeout=max(1.0, deadline - time.monotonic()), ping_interval=None) as ws:
            run = await rerun(ws, _client_state(page, port), deadline)
            result.runs.append(run)
            for key, value in changes:
                change, chosen = widget_change(run.widgets, key, value)
                run = await rerun(ws, _client_state(page, port, run.page_hash, [change]), deadline)
                run.label = f"rerun after {key} → {chosen}"
                result.runs.append(run)
    except TimeoutError:
        result.error = "timeout"
    except LookupError as exc:
        result.error = str(exc)
    except Exception as exc:  # a refused or dropped connection: counted, never fatal to the bench
        result.error = f"{type(exc).__name__}: {exc}"
    return result


async def sessions(port: int, page: str, changes, count: int, timeout: float) -> list[Session]:
    deadline = time.monotonic() + timeout
    return await asyncio.gather(*(session(port, page, changes, deadline) for _ in range(count)))


# --- the report --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summarise(results: list[Session], changes) -> tuple[list[str], int]:
    lines = []
    failed = [r for r in results if r.error or not all(run.ok for run in r.runs)]
    errors = len(failed)
    kinds: dict[str, int] = {}
    for r in failed:
        reasons = [r.error] if r.error else [p for run in r.runs for p in run.problems]
        for reason in reasons or ["a run did not finish successfully"]:
            kinds[reason] = kinds.get(reason, 0) + 1
    for i in range(1 + len(changes)):
        done = [r.runs[i] for r in results if len(r.runs) > i]
        times, label = [run.seconds for run in done], done[0].label if done else ""
        if times:
            lines.append(f"| {label} | {len(times)} | {statistics.median(times):.2f} s | "
                         f"{percentile(times, 95):.2f} s | {max(times):.2f} s |")
    lines.append(f"sessions with an error: {errors} of {len(results)}"
                 + ("".join(f"\n  - {n}× {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))))
    return lines, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--page", default="trends", help="url path of the page (trends, overview, …)")
    parser.add_argument("--change", action="append", default=[], metavar="KEY=VALUE",
                        help="a widget change after the first run (repeatable)")
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the whole load")
    parser.add_argument("--cold", action="store_true", help="no warm-up session: the N sessions are the first visitors")
    args = parser.parse_args()
    changes = [tuple(c.split("=", 1)) for c in args.change]
    if any(len(c) != 2 for c in changes):
        parser.error("--change takes KEY=VALUE")
    from cx.demo import ensure_demo

    demo = Path(ensure_demo(args.demo))
    page = "" if args.page in ("", "overview") else args.page  # the default page has the empty path
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "streamlit.log"
        proc, port = start_server(demo, log_path)
        try:
            started_rss = rss_mb(proc.pid)
            warm = None
            if not args.cold:
                warm = asyncio.run(sessions(port, page, changes, 1, args.timeout))[0]
            before = rss_mb(proc.pid)
            sampler = RssSampler(proc.pid)
            sampler.start()
            cpu0, wall0, own0 = cpu_seconds(proc.pid), time.perf_counter(), time.process_time()
            results = asyncio.run(sessions(port, page, changes, args.sessions, args.timeout))
            wall, cpu = time.perf_counter() - wall0, cpu_seconds(proc.pid) - cpu0
            own = time.process_time() - own0
            peak = sampler.stop()
            time.sleep(5)  # the sockets are closed; Streamlit keeps their sessions for server.disconnectedSessionTTL
            after = rss_mb(proc.pid)
            hwm = _proc_status(proc.pid, "VmHWM") / 1024
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        server_log = log_path.read_text()
    load_after = load_average()
    table, errors = summarise(results, changes)
    command = " ".join(["bench/bench_load.py", f"--sessions {args.sessions}", f"--page {args.page}"]
                       + [f'--change "{c}"' for c in args.change] + (["--cold"] if args.cold else []))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average before {load_before}, after {load_after}")
    print(f"command: .venv/bin/python {command}")
    if warm is not None:
        print("warm-up (1 session first, cold caches): "
              + ", ".join(f"{run.seconds:.2f} s" for run in warm.runs) + (f" (error: {warm.error})" if warm.error else ""))
    print(f"{args.sessions} concurrent sessions on /{args.page}: all done in {wall:.1f} s; "
          f"CPU: server {cpu:.1f} s, this client {own:.1f} s")
    print("| run | sessions | p50 | p95 | max |\n|---|---|---|---|---|")
    print("\n".join(table))
    print(f"server RSS: {started_rss:.0f} MB at start, {before:.0f} MB before the sessions, peak {peak:.0f} MB "
          f"while they ran, {after:.0f} MB 5 s after they left (VmHWM {hwm:.0f} MB)")
    tracebacks = server_log.count("Traceback")
    if tracebacks:
        print(f"server log: {tracebacks} traceback(s); last lines:\n{server_log[-1500:]}")
    return 1 if errors or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
