"""Start-up time of the command line: ``cx --help``, an argument error and real commands from the shell until exit.

Each command runs as a fresh process (what cron and scripts pay), ``--runs`` times, interleaved with
the same command of ``--baseline`` (another checkout, e.g. /work/main) when given, so that load from
other work hits both alike. Alerts are recorded in a throw-away app database (``CX_APP_DB``), never
in data/app.sqlite. Also prints the slowest imports (``-X importtime``) of ``import cx.cli`` and of
the ``cx metrics`` run.

    .venv/bin/python bench/bench_cli.py --runs 7 --baseline /work/main
    .venv/bin/python bench/bench_cli.py --runs 9 --only "metrics --metric" --baseline /work/main

``--only`` keeps the commands whose name holds the text. The last table is the floor under a real
command: a fresh interpreter that only imports the libraries ``cx metrics`` runs its query with.

"start" is what a command pays before its own work: a fresh interpreter that imports exactly the
modules the command loaded, in the order it loaded them (recorded once per command and checkout),
and nothing else. "wall" is the whole command, start plus its queries and printing.

Both checkouts' ``cx/`` are byte-compiled first (``compileall``), as an installed package is: this
machine sets PYTHONDONTWRITEBYTECODE=1, which otherwise makes every run compile cx's own modules
from source (``--no-compile`` measures that case).

``--instructions`` also counts the instructions (valgrind's callgrind, about 100× slower: one run
each) of every chosen command, its start and the two floors: a figure that other work on the
machine does not change, for when the load makes wall and CPU times noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commands(demo: Path) -> dict[str, list[str]]:
    return {
        "cx --help": ["--help"],
        "cx metrics --help": ["metrics", "--help"],
        "cx metrics (argument error: no --metric)": ["metrics"],
        "cx metrics --metric nps (demo, weekly)": ["metrics", "--metric", "nps", "--source", str(demo)],
        "cx alerts (demo)": ["alerts", "--source", str(demo)],
        "cx review --format json (demo)": ["review", "--format", "json", "--source", str(demo)],
    }


PROBE = "import sys; from cx.cli import main; sys.exit(main())"
#: what ``cx metrics`` started with: its query layer is SQLAlchemy over DuckDB, its tables pandas (until
#: round 6; now numpy computes the intervals and cx.columns prints the rows)
_NO_ARROW = ("import sys\n"
             "class NoArrow:\n"
             "    def find_spec(name, path=None, target=None):\n"
             "        if name.partition('.')[0] == 'pyarrow': raise ModuleNotFoundError(name)\n"
             "sys.meta_path.insert(0, NoArrow)\n")
FLOOR = {
    "python (no imports)": "pass",
    "import pandas": "import pandas",
    "import pandas (without pyarrow, as cx metrics now)": _NO_ARROW + "import pandas",
    "import sqlalchemy": "import sqlalchemy",
    "import duckdb, duckdb_engine": "import duckdb, duckdb_engine",
    "all four": "import pandas, sqlalchemy, duckdb, duckdb_engine",
    "all four, pandas without pyarrow": _NO_ARROW + "import pandas, sqlalchemy, duckdb, duckdb_engine",
    "numpy, sqlalchemy, duckdb, duckdb_engine (no pandas: cx metrics since round 6)":
        "import numpy, sqlalchemy, duckdb, duckdb_engine",
}
#: run a command, then write the modules it loaded (in order) and whether it hid pyarrow to argv[1]
RECORD = ("import json, sys\n"
          "out = sys.argv.pop(1)\n"
          "from cx.cli import main\n"
          "try:\n"
          "    main()\n"
          "finally:\n"
          "    arrowless = any(type(f).__name__ == '_NoArrow' for f in sys.meta_path)\n"
          "    json.dump({'modules': list(sys.modules), 'arrowless': arrowless}, open(out, 'w'))\n")
#: import what RECORD wrote, in the same order, and nothing else: the command's start
REPLAY = ("import importlib, json, sys\n"
          "record = json.load(open(sys.argv[1]))\n"
          "if record['arrowless']:\n"
          "    from cx.cli import _NoArrow\n"
          "    sys.meta_path.insert(0, _NoArrow())\n"
          "for name in record['modules']:\n"
          "    if name not in sys.modules and name != '__main__':\n"
          "        try:\n"
          "            importlib.import_module(name)\n"
          "        except Exception:\n"
          "            pass\n")
ENV = {**os.environ, "CX_APP_DB": f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench_cli_')) / 'app.sqlite'}"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(root: Path, argv: list[str], code: str = PROBE) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system: steadier when the machine is busy) of one run."""
    env = {**ENV, "PYTHONPATH": str(root)}
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *argv],
                   env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, children_cpu() - cpu


def record_imports(root: Path, argv: list[str], name: str) -> Path:
    """Run ``argv`` once and keep the list of modules it loaded (for :data:`REPLAY`)."""
    stem = re.sub(r"\W+", "_", name)
    out = Path(tempfile.mkdtemp(prefix="bench_cli_modules_")) / f"{stem}.json"
    run(root, [str(out), *argv], RECORD)
    return out


def instructions(root: Path, argv: list[str], code: str = PROBE) -> int:
    """Instructions executed by one run (all threads), counted by valgrind's callgrind."""
    env = {**ENV, "PYTHONPATH": str(root)}
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code,
                          *argv], env=env, cwd=root, capture_output=True, text=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    return int(found.group(1)) if found else -1


def slowest_imports(root: Path, argv: list[str] | None = None, top: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports (and their direct children) of ``import cx.cli``, or of a run of ``argv``."""
    env = {**ENV, "PYTHONPATH": str(root)}
    code = ["-c", "import cx.cli"] if argv is None else ["-c", PROBE, *argv]
    out = subprocess.run([sys.executable, "-X", "importtime", *code], env=env, cwd=root,
                         capture_output=True, text=True).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and len(m.group(2)) <= 2:  # top-level imports and their direct children
            rows.append((m.group(3), int(m.group(1)) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", help="another checkout to time alongside (e.g. /work/main)")
    parser.add_argument("--demo", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--only", default="", help="only the commands whose name holds this text")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not byte-compile cx/ first (every run then compiles cx's modules from source)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions under valgrind (load-independent; slow)")
    args = parser.parse_args()
    demo = Path(args.demo).resolve()
    chosen = {name: argv for name, argv in commands(demo).items() if args.only in name}
    roots = {"after": ROOT} | ({"before": Path(args.baseline).resolve()} if args.baseline else {})
    if not args.no_compile:
        for root in roots.values():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "cx")], stdout=subprocess.DEVNULL,
                           check=True)
    records = {(name, label): record_imports(root, argv, f"{name}_{label}")
               for name, argv in chosen.items() for label, root in roots.items()}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    starts: dict[tuple[str, str], list[tuple[float, float]]] = {}
    load = os.getloadavg()
    for _ in range(args.runs):
        for name, argv in chosen.items():
            for label, root in roots.items():
                times.setdefault((name, label), []).append(run(root, argv))
                starts.setdefault((name, label), []).append(run(root, [str(records[(name, label)])], REPLAY))
        for name, code in FLOOR.items():
            times.setdefault((name, "floor"), []).append(run(ROOT, [], code))
    print(f"command: python bench/bench_cli.py --runs {args.runs}" + (f" --only {args.only!r}" if args.only else "")
          + (f" --baseline {args.baseline}" if args.baseline else "") + (" --no-compile" if args.no_compile else ""))
    print(f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print("cx/ byte-compiled first" if not args.no_compile else "cx/ compiled from source on every run")
    print()
    print("| command | start median | wall median | wall best | CPU median |"
          + (" before: start median | wall median | wall best | CPU median | CPU after / before |" if args.baseline else ""))
    print("|---|---|---|---|---|" + ("---|---|---|---|---|" if args.baseline else ""))
    for name in chosen:
        row, cpu_medians = f"| `{name}` |", []
        for label in roots:
            wall, cpu = zip(*times[(name, label)])
            start = statistics.median(w for w, _ in starts[(name, label)])
            cpu_medians.append(statistics.median(cpu))
            row += (f" {start:.2f} s | {statistics.median(wall):.2f} s | {min(wall):.2f} s |"
                    f" {statistics.median(cpu):.2f} s |")
        if args.baseline:
            row += f" {cpu_medians[0] / cpu_medians[1]:.2f} |"
        print(row)
    print("\n| the floor: a fresh interpreter that only imports | wall median | wall best | CPU median |\n|---|---|---|---|")
    for name in FLOOR:
        wall, cpu = zip(*times[(name, "floor")])
        print(f"| `{name}` | {statistics.median(wall):.2f} s | {min(wall):.2f} s | {statistics.median(cpu):.2f} s |")
    if args.instructions:
        print("\n| instructions (callgrind, one run) | after | before | after / before |\n|---|---|---|---|")
        for name, argv in chosen.items():
            for what, code, extra in (("", PROBE, None), (" start", REPLAY, True)):
                counts = [instructions(root, [str(records[(name, label)])] if extra else argv, code)
                          for label, root in roots.items()]
                print(f"| `{name}`{what} | {counts[0] / 1e9:.2f} G |"
                      + (f" {counts[1] / 1e9:.2f} G | {counts[0] / counts[1]:.2f} |" if len(counts) > 1 else " | |"))
        for name in ("all four", "all four, pandas without pyarrow",
                     "numpy, sqlalchemy, duckdb, duckdb_engine (no pandas: cx metrics since round 6)"):
            print(f"| floor: `{name}` | {instructions(ROOT, [], FLOOR[name]) / 1e9:.2f} G | | |")
    for label, root in roots.items():
        for what, argv in (("import cx.cli", None), ("cx metrics --metric nps", ["metrics", "--metric", "nps",
                                                                                 "--source", str(demo)])):
            print(f"\nslowest imports of `{what}` ({label}, cumulative): "
                  + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in slowest_imports(root, argv)))


if __name__ == "__main__":
    main()
