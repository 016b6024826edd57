"""What the bench scripts share: the benchmark warehouse and the process's peak memory."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM) in MB, DuckDB's own allocations included."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Start this process's VmHWM again from its current resident memory (Linux 4.0+), so that the next
    :func:`peak_rss_mb` is the peak of what runs in between."""
    Path("/proc/self/clear_refs").write_text("5")


def ensure_data(path: Path, interactions: int, customers: int) -> None:
    """Reuse ``path`` when it holds these row counts (the demo is deterministic), else (re)generate it."""
    if path.exists():
        import duckdb

        with duckdb.connect(str(path), read_only=True) as con:
            n_i = con.execute("SELECT count(*) FROM interactions").fetchone()[0]
            n_c = con.execute("SELECT count(*) FROM customers").fetchone()[0]
        if (n_i, n_c) == (interactions, customers):
            return
        print(f"{path} holds {n_i:,} / {n_c:,} rows, not {interactions:,} / {customers:,}: regenerating")
    subprocess.run([str(ROOT / ".venv" / "bin" / "cx"), "demo", "--interactions", str(interactions),
                    "--customers", str(customers), "--out", str(path)], check=True)


def in_checkout(script: str, root, *args: str) -> dict:
    """Run ``script --child *args`` in a fresh interpreter with checkout ``root`` on its path (a baseline's code
    measured beside this one's, each in its own process); its last printed line, read as JSON."""
    import json
    import os
    import sys

    out = subprocess.run([sys.executable, script, "--child", *args], env={**os.environ, "PYTHONPATH": str(root)},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
