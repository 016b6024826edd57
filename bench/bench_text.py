"""Voice of the customer: accuracy on public labelled sets, and the time to theme 100,000 comments.

Accuracy (``--part accuracy``) on the real slices in tests/data/real/ (sources and licences in its
README):

- themes against labels people gave: CFPB complaint narratives (product, 5 classes), women's
  clothing reviews (department, 5 classes), Skytrax seat and lounge reviews (which kind, 2 classes);
  NMI and purity of the product's themes (TF-IDF + NMF, k = number of labels) and of the
  alternative it was compared with (k-means on the same TF-IDF);
- sentiment against ratings: clothing reviews (1–5 stars; positive = 4–5, negative = 1–2) and
  Skytrax reviews (overall 1–10; positive = recommended); VADER (the product's) and AFINN-165
  (the alternative, ``pip install afinn``) side by side; on CFPB complaints (all complaints) the
  share VADER reads as negative.

Speed (``--part speed``): the whole :func:`cx.text.analyse_comments` (SQL read, masking,
language, sentiment, themes, impact) over 100,000 distinct comments in an in-memory DuckDB
source. The comments are made of two sentences drawn from different real reviews and complaints
of the clothing and Skytrax reviews (so the vocabulary is real and no two comments are equal); the median of ``--runs`` runs, wall and
CPU time, each step's share from the progress callback.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_text.py             # both parts
    PYTHONPATH=$PWD .venv/bin/python bench/bench_text.py --part speed --runs 3

Writes nothing by itself; paste the printed block into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

REAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "real"


def real_sets() -> dict[str, pd.DataFrame]:
    """The labelled slices as ``text`` + label columns."""
    cfpb = pd.read_csv(REAL / "cfpb_narratives.csv").drop_duplicates("narrative")
    clothes = pd.read_csv(REAL / "womens_clothing_reviews.csv").dropna(subset=["Review Text"])
    clothes = clothes[clothes["Department Name"] != "Trend"]  # 10 reviews: too few to be a theme
    seat = pd.read_csv(REAL / "skytrax_seat_reviews.csv").assign(kind="seat")
    lounge = pd.read_csv(REAL / "skytrax_lounge_reviews.csv").assign(kind="lounge")
    sky = pd.concat([seat, lounge], ignore_index=True).dropna(subset=["content"])
    return {
        "cfpb": pd.DataFrame({"text": cfpb["narrative"], "label": cfpb["product"]}),
        "clothing": pd.DataFrame({"text": clothes["Review Text"], "label": clothes["Department Name"],
                                  "rating": clothes["Rating"]}),
        "skytrax": pd.DataFrame({"text": sky["content"], "label": sky["kind"], "rating": sky["overall_rating"],
                                 "recommended": sky["recommended"]}),
    }


def accuracy() -> None:
    from cx.text.evaluate import sentiment_agreement, theme_agreement
    from cx.text.sentiment import sentiment_all

    sets = real_sets()
    print("Themes against labels (k = number of labels)")
    print(f"{'set':10} {'n':>5} {'k':>2}  {'NMF NMI':>8} {'purity':>7}  {'k-means NMI':>11} {'purity':>7}")
    for name, data in sets.items():
        nmf = theme_agreement(data["text"].tolist(), data["label"].tolist(), method="nmf")
        km = theme_agreement(data["text"].tolist(), data["label"].tolist(), method="kmeans")
        print(f"{name:10} {nmf['n']:>5} {nmf['k']:>2}  {nmf['nmi']:8.3f} {nmf['purity']:7.3f}  "
              f"{km['nmi']:11.3f} {km['purity']:7.3f}")
    try:
        from afinn import Afinn

        afinn = Afinn()
    except ImportError:
        afinn = None
    print("\nSentiment against ratings (Spearman with the rating; AUC for positive; sign accuracy on clear cases)")
    for name in ("clothing", "skytrax"):
        data = sets[name]
        positive = data["rating"] >= 4 if name == "clothing" else data["recommended"] == 1
        negative = data["rating"] <= 2 if name == "clothing" else data["recommended"] == 0
        scores = {"VADER": sentiment_all(data["text"])}
        if afinn is not None:
            scores["AFINN"] = np.tanh(np.array([afinn.score(t) for t in data["text"]]) / 5.0)
        for method, s in scores.items():
            r = sentiment_agreement(s, data["rating"], positive, negative)
            print(f"{name:10} {method:6} n={r['n']:>4}  spearman {r['spearman']:.3f}  AUC {r['auc']:.3f}  "
                  f"sign accuracy {r['sign_accuracy']:.3f} (n={r['clear']})")
    cfpb = sentiment_all(sets["cfpb"]["text"])
    print(f"cfpb       VADER  share of complaints read as negative (≤ −0.05): {np.mean(cfpb <= -0.05):.3f}")


def _synthetic_comments(n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` distinct comments of two sentences from different real texts, over a year, with scores."""
    sentences = []
    for name, data in real_sets().items():
        if name == "cfpb":  # lower-cased, stop words removed, no sentence ends: not how comments read
            continue
        for t in data["text"]:
            sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", str(t)) if 4 <= len(s.split()) <= 40]
    sentences = np.array(sorted(set(sentences)), dtype=object)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(sentences), n), rng.integers(0, len(sentences), n)
    text = pd.Series(sentences[a] + " " + sentences[b]) + pd.Series(np.arange(n)).map(lambda i: f" (#{i})")
    return pd.DataFrame({
        "customer_id": [f"C{i % 40_000:06d}" for i in range(n)],
        "occurred_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "channel": rng.choice(["email", "chat", "phone", "web"], n),
        "journey_stage": rng.choice(["purchase", "retention"], n),
        "nps": rng.integers(0, 11, n),
        "comment": text,
    })


def speed(runs: int, n: int) -> None:
    from cx.db import memory_source
    from cx.text import analyse_comments
    from cx.text.language import _identifier

    frame = _synthetic_comments(n)
    source = memory_source(frame, label="bench")
    _identifier()  # the language model loads once per process (~1–3 s); timed apart below
    walls, cpus, steps = [], [], []
    for _ in range(runs):
        marks = []
        wall, cpu = time.perf_counter(), time.process_time()
        result = analyse_comments(source, progress=lambda f, step, marks=marks: marks.append(
            (step, time.perf_counter(), time.process_time())))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        steps.append(marks)
    load = time.perf_counter()
    _identifier.cache_clear()
    _identifier()
    load = time.perf_counter() - load
    print(f"{n:,} distinct comments ({len(result.analysed):,} analysed, {len(result.themes)} themes)")
    print(f"analyse_comments: median wall {statistics.median(walls):.1f} s (runs: "
          f"{', '.join(f'{w:.1f}' for w in walls)}), median CPU {statistics.median(cpus):.1f} s")
    marks = steps[len(steps) // 2]
    for (step, at, cpu_at), (_, nxt, cpu_nxt) in zip(marks, marks[1:]):
        print(f"  {step:22} wall {nxt - at:6.1f} s  CPU {cpu_nxt - cpu_at:6.1f} s")
    print(f"language model load (once per process): {load:.1f} s")
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["accuracy", "speed", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--comments", type=int, default=100_000)
    args = parser.parse_args()
    if args.part in ("accuracy", "both"):
        accuracy()
    if args.part in ("speed", "both"):
        print()
        speed(args.runs, args.comments)


if __name__ == "__main__":
    main()
