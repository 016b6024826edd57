"""The alerts' false-alarm rate and power, by simulation with more runs than the tests afford.

Uses the simulation of tests/unit/test_loop_alerts.py (7 channels × 90 weeks of CSAT statistics,
~150 responses per cell-week) and prints the share of runs that raise any alert:

- no change, true CSAT exactly at the 70% threshold, change + anomaly + threshold rules (21 cells);
- no change but a ±8-point yearly season, anomaly rule only;
- a planted drop (chat 70% → 45% in the last week), change + anomaly: share of runs where chat fires.

    PYTHONPATH=$PWD .venv/bin/python bench/alerts_false_alarms.py --runs 400
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
import test_loop_alerts as sim  # noqa: E402

from cx.loop import alerts  # noqa: E402
from cx.loop.alerts import Rule  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=400)
    runs = parser.parse_args().runs
    flat = np.full((sim.WEEKS, len(sim.CHANNELS)), 0.70)
    season = np.clip(0.65 + 0.08 * np.sin(2 * np.pi * np.arange(sim.WEEKS) / 52)[:, None]
                     + np.zeros((1, len(sim.CHANNELS))), 0, 1)
    planted = flat.copy()
    planted[-1, sim.CHANNELS.index("chat")] = 0.45
    rng = np.random.default_rng(13)
    hits = 0
    for _ in range(runs):
        weekly, baselines = sim._csat_tables(rng, planted)
        fired = alerts.evaluate_tables(weekly, baselines, sim.RULES[:2], sim.LAST).fired
        hits += "chat" in set(fired["channel"])
    se = np.sqrt(0.05 * 0.95 / runs)
    print(f"{runs} runs each (Monte Carlo standard error at 5%: {se:.1%})")
    print(f"- no change, all three rules: {sim._share_alerting(flat, runs, 11):.1%} of runs alert (stated 5%)")
    print(f"- seasonal, anomaly rule: {sim._share_alerting(season, runs, 12, [Rule('anomaly', 'csat')]):.1%} "
          "of runs alert (stated 5%)")
    print(f"- planted chat drop 70% → 45%: chat alerts in {hits / runs:.1%} of runs")


if __name__ == "__main__":
    main()
