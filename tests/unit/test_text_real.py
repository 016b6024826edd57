"""Measured accuracy on public labelled customer text (tests/data/real/, sources in its README):
floors a little under what bench/bench_text.py measured (BENCHMARKS.md, "Voice of the customer"),
so a change that makes the themes or the sentiment worse fails here."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from cx.text.evaluate import purity, sentiment_agreement, theme_agreement
from cx.text.language import _identifier, detect
from cx.text.sentiment import _analyzer, sentiment_all

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_text import real_sets  # noqa: E402  the same loading as the benchmark

# measured: cfpb 0.383 / 0.547, clothing 0.160 / 0.607, skytrax 0.929 / 0.990
THEME_FLOORS = {"cfpb": (0.33, 0.50), "clothing": (0.12, 0.55), "skytrax": (0.85, 0.95)}
# measured AUC: clothing 0.783, skytrax 0.808
SENTIMENT_FLOORS = {"clothing": 0.75, "skytrax": 0.77}


@pytest.fixture(scope="module")
def sets():
    return real_sets()


@pytest.mark.parametrize("name", sorted(THEME_FLOORS))
def test_themes_agree_with_the_labels(sets, name):
    data = sets[name]
    result = theme_agreement(data["text"].tolist(), data["label"].tolist())
    nmi_floor, purity_floor = THEME_FLOORS[name]
    assert result["nmi"] >= nmi_floor and result["purity"] >= purity_floor, result
    # and far above chance: the same labels shuffled
    shuffled = np.random.default_rng(0).permutation(data["label"].to_numpy())
    chance = theme_agreement(data["text"].tolist(), shuffled.tolist())
    assert chance["nmi"] < result["nmi"] / 3


@pytest.mark.parametrize("name", sorted(SENTIMENT_FLOORS))
def test_sentiment_agrees_with_the_ratings(sets, name):
    data = sets[name]
    positive = data["rating"] >= 4 if name == "clothing" else data["recommended"] == 1
    negative = data["rating"] <= 2 if name == "clothing" else data["recommended"] == 0
    result = sentiment_agreement(sentiment_all(data["text"]), data["rating"], positive, negative)
    assert result["auc"] >= SENTIMENT_FLOORS[name], result
    assert result["spearman"] > 0.3 and result["sign_accuracy"] > 0.6


def test_linear_vader_equals_vader_on_every_real_text(sets):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    original, ours = SentimentIntensityAnalyzer(), _analyzer()
    texts = [t for data in sets.values() for t in data["text"]]
    assert all(original.polarity_scores(t) == ours.polarity_scores(t) for t in texts)


def test_languages_of_real_reviews(sets):
    import pandas as pd

    olist = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "real" / "olist_classified_reviews.csv")
    portuguese = [detect(t) for t in olist["review_comment_message"].dropna().astype(str)]
    assert sum(lang == "pt" for lang, _ in portuguese) > 0.8 * len(portuguese)
    assert all(reason is not None for _, reason in portuguese)  # none analysed as English
    english = [detect(t) for t in sets["clothing"]["text"]]
    assert sum(lang == "en" and reason is None for lang, reason in english) > 0.97 * len(english)


def test_language_fast_path_agrees_with_the_model(sets):
    import pandas as pd

    olist = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "real" / "olist_classified_reviews.csv")
    texts = [t for data in sets.values() for t in data["text"]] + list(olist["review_comment_message"].dropna().astype(str))
    model = _identifier()
    for text in texts:
        language, reason = detect(text)
        if language is not None:
            expected, confidence = model.classify(text)
            assert language == expected or confidence < 0.5, text


def test_purity_by_hand():
    assert purity(["a", "a", "b", "b", "b"], [0, 0, 0, 1, 1]) == pytest.approx(4 / 5)
