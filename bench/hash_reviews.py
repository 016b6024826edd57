"""A fingerprint of the weekly reviews: change the review's code, run this before and after, compare.

Hashes the KPIs, changes, movers, sentences, trend tables and headline mix split of 4 weeks x 3 scopes
on the demo warehouse (or ``--demo FILE``). The same hash means the same numbers and words.

    PYTHONPATH=. .venv/bin/python bench/hash_reviews.py
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import pandas as pd

from cx import db
from cx.review import weekly
from cx.scope import Scope

WEEKS = ["2026-W40", "2026-W38", "2026-W30", "2026-W20"]
SCOPES = [Scope(), Scope(channels=["email"]), Scope(stages=["purchase"], segments=["consumer"])]


def _frame(digest, frame: pd.DataFrame) -> None:
    digest.update(pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy().tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", help="a demo warehouse file (default: data/demo.duckdb, made if missing)")
    args = parser.parse_args()
    source = db.demo_source(Path(args.demo)) if args.demo else db.demo_source()
    digest = hashlib.sha256()
    for week in WEEKS:
        for scope in SCOPES:
            review = weekly.weekly_review(source, week, scope, extras=False).with_min_n(30)
            for frame in (review.kpis, review.changes, review.movers):
                _frame(digest, frame)
            digest.update(repr([s.text for s in review.sentences]).encode() + str(review.tested).encode())
            for metric, table in sorted(weekly.trend_tables(source, review).items()):
                digest.update(metric.encode())
                _frame(digest, table)
            mix = review.headline_mix("channel")
            digest.update(repr(mix.explanation() if mix else None).encode())
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
