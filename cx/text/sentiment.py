"""Sentiment of each comment, from −1 (very negative) to 1 (very positive).

Method: VADER (Hutto & Gilbert 2014, ``vaderSentiment`` 3.3.2, MIT licence): a 7,500-entry lexicon
of words, emoticons and slang rated by human judges, plus rules for negation ("not good"),
intensifiers ("very"), "but" clauses, capitals and exclamation marks. The score is its
*compound* value, already normalised to −1…1. The lexicon ships inside the wheel; nothing is
downloaded at run time, and the result is deterministic.

Compared (see BENCHMARKS.md, "Voice of the customer"): AFINN-165 (Nielsen 2011, a word list of
3,382 words rated −5…5, summed and squashed) on the same labelled reviews. VADER agreed more
with the star ratings and, unlike a bag of words, reads negation and "but"; it was chosen.
English only (see :mod:`cx.text.language`).

Thresholds used by the page: ≤ −0.05 negative, ≥ 0.05 positive (VADER's own convention).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np

NEGATIVE = -0.05
POSITIVE = 0.05


@functools.lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    class LinearVader(SentimentIntensityAnalyzer):
        """VADER with its two look-around checks handed the words around the sentiment word
        instead of the whole comment.

        ``sentiment_valence`` calls them only where every index they read, i−3 … i+2, exists
        (``i > start_i``), so the window gives the same result; the original lower-cases the whole
        comment at every sentiment word, which makes long comments quadratic. The tests compare
        both on every real review in tests/data/real/.
        """

        @staticmethod
        def _negation_check(valence, words_and_emoticons, start_i, i):
            low = max(0, i - 3)
            return SentimentIntensityAnalyzer._negation_check(valence, words_and_emoticons[low:i + 3], start_i, i - low)

        @staticmethod
        def _special_idioms_check(valence, words_and_emoticons, i):
            low = max(0, i - 3)
            return SentimentIntensityAnalyzer._special_idioms_check(valence, words_and_emoticons[low:i + 3], i - low)

    return LinearVader()


def sentiment(text: str | None) -> float:
    """VADER compound score of one comment (NaN for a missing one).

    Examples
    --------
    >>> sentiment("Great service, thank you!") > 0.5
    True
    >>> sentiment("Terrible, nobody helped me") < 0
    True
    """
    if not isinstance(text, str) or not text.strip():
        return float("nan")
    return float(_analyzer().polarity_scores(text)["compound"])


def sentiment_all(texts: Iterable[str | None]) -> np.ndarray:
    """:func:`sentiment` of every comment (repeated texts are scored once)."""
    seen: dict[str, float] = {}
    out = []
    for text in texts:
        if isinstance(text, str):
            if text not in seen:
                seen[text] = sentiment(text)
            out.append(seen[text])
        else:
            out.append(float("nan"))
    return np.asarray(out, dtype="float64")


def label(scores) -> np.ndarray:
    """"negative", "neutral" or "positive" for each score (VADER's ±0.05 convention)."""
    scores = np.asarray(scores, dtype="float64")
    return np.where(scores <= NEGATIVE, "negative", np.where(scores >= POSITIVE, "positive", "neutral"))
