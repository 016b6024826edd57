"""The churn fit's memory step by step, and hashes of what it computes (to show a change keeps the numbers).

Runs ``fit_churn`` as the Churn page does (in a worker thread, at_risk=500, the default cut-off rule),
samples the process's VmRSS every 0.05 s labelled by the step under way (the feature read, the fit sample,
the cross-validation, the population, the at-risk list, the moments), and prints each step's highest and
last rise over the memory after opening the source, the process's VmHWM, and short hashes of the at-risk
list, the probabilities, the population, the CV metrics, the odds ratios, the importance, the feature sets
and the calibration table.

    PYTHONPATH=. .venv/bin/python bench/profile_churn_memory.py data/bench10m_sorted.duckdb

On a small demo (float64 features) the hashes differ from run to run even on the same code: the feature
query's sums come back from DuckDB's parallel aggregation in another order.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import threading
import time

import pandas as pd

import cx.churn.report as report_module
from cx.churn.features import CutoffRule
from cx.db import demo_source
from cx.scope import Scope

STEPS = {"churn_features": "features read", "fit_sample": "fit sample", "cross_validate": "cross-validation",
         "_population": "population", "_at_risk": "at-risk list", "moments": "moments"}


def memory() -> tuple[int, int]:
    """(VmRSS, VmHWM) in MiB."""
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


class Sampler:
    """The highest and last VmRSS under each step's name, in the order the steps came."""

    def __init__(self):
        self.step, self.seen, self.stopped = "start", {}, False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopped:
            rss, step = memory()[0], self.step
            high, _ = self.seen.get(step, (rss, rss))
            self.seen[step] = (max(high, rss), rss)
            time.sleep(0.05)

    def label(self, name: str, text: str) -> None:
        func = getattr(report_module, name)

        def labelled(*args, **kwargs):
            self.step = text
            out = func(*args, **kwargs)
            self.step = f"{text} (done)"
            return out
        setattr(report_module, name, labelled)


def digest(obj) -> str:
    if isinstance(obj, pd.DataFrame):
        plain = obj.astype({c: object for c in obj.columns if isinstance(obj[c].dtype, pd.CategoricalDtype)})
        data = pd.util.hash_pandas_object(plain, index=True).to_numpy().tobytes()
        return hashlib.sha256(data + repr([(c, str(obj[c].dtype)) for c in obj.columns]).encode()).hexdigest()[:16]
    return hashlib.sha256(repr(obj).encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("demo", help="a demo DuckDB file (cx demo --out …)")
    args = parser.parse_args()
    sampler = Sampler()
    for name, text in STEPS.items():
        sampler.label(name, text)
    source = demo_source(args.demo)
    base = memory()[0]
    sampler.thread.start()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        report = pool.submit(report_module.fit_churn, source, "churned", CutoffRule("before_outcome"), Scope(),
                             at_risk=500).result()
    seconds = time.perf_counter() - started
    sampler.step = "after (report kept)"
    time.sleep(0.5)
    sampler.stopped = True
    sampler.thread.join()
    print(f"{base} MiB after opening the source; fit_churn {seconds:.1f} s; VmHWM {memory()[1]} MiB")
    for step, (high, last) in sampler.seen.items():
        print(f"  {step:32s} highest +{high - base:5d} MiB, last +{last - base:5d} MiB")
    hashes = {"at_risk": digest(report.at_risk),
              "probability": hashlib.sha256(report.population["probability"].to_numpy().tobytes()).hexdigest()[:16],
              **{name: digest(getattr(report, name)) for name in ("population", "cv", "odds_ratios", "importance",
                                                                  "feature_sets", "calibration")}}
    print("hashes", json.dumps(hashes))
    print("ROC AUC", report.cv["roc_auc"])


if __name__ == "__main__":
    main()
