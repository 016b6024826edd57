"""Distinctive words: the log-odds ratio with an informative Dirichlet prior (Monroe et al. 2008)
against a word-by-word computation written from the paper's formulas."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from cx.text.terms import comments_with_term, distinctive_terms, log_odds


def _reference(counts_a: dict, counts_b: dict, prior: float):
    """Eq. 16, 20 and 22 of Monroe, Colaresi & Quinn (2008), one word at a time, plain Python."""
    words = sorted(set(counts_a) | set(counts_b))
    n_a, n_b = sum(counts_a.values()), sum(counts_b.values())
    total = n_a + n_b
    out = {}
    for w in words:
        ya, yb = counts_a.get(w, 0), counts_b.get(w, 0)
        alpha = prior * (ya + yb) / total
        delta = math.log((ya + alpha) / (n_a + prior - ya - alpha)) - math.log((yb + alpha) / (n_b + prior - yb - alpha))
        out[w] = (delta, delta / math.sqrt(1 / (ya + alpha) + 1 / (yb + alpha)))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_log_odds_matches_the_papers_formulas(seed):
    rng = np.random.default_rng(seed)
    a = {f"w{i}": int(v) for i, v in enumerate(rng.poisson(5, 40)) if v}
    b = {f"w{i}": int(v) for i, v in enumerate(rng.poisson(5, 40)) if v}
    words = sorted(set(a) | set(b))
    delta, z = log_odds([a.get(w, 0) for w in words], [b.get(w, 0) for w in words], prior=300.0)
    ref = _reference(a, b, 300.0)
    np.testing.assert_allclose(delta, [ref[w][0] for w in words], rtol=1e-10)
    np.testing.assert_allclose(z, [ref[w][1] for w in words], rtol=1e-10)


def test_distinctive_terms_end_to_end_and_rare_words_are_shrunk():
    detractors = ["slow delivery again", "delivery was slow", "rude agent"] * 20 + ["xylophone"]
    promoters = ["friendly agent", "fast delivery, friendly staff"] * 20
    table = distinctive_terms(detractors, promoters, min_count=1, prior=100.0)
    a_words = table[table.side == "a"].term.tolist()
    b_words = table[table.side == "b"].term.tolist()
    assert a_words[0] == "slow" and "friendly" == b_words[0]
    # counts come from the texts: an independent Counter over the same tokens
    counted = Counter(w for t in detractors for w in t.replace(",", "").split())
    row = table.set_index("term").loc["slow"]
    assert row.count_a == counted["slow"] and row.count_b == 0
    # said once, never elsewhere: far from the top however extreme its raw odds
    z = table.set_index("term")["z"]
    assert "xylophone" not in z or z["xylophone"] < z["slow"] / 3


def test_empty_groups_give_an_empty_table():
    assert distinctive_terms([], ["a b c"]).empty
    assert list(distinctive_terms(["the and"], ["of it"]).columns)[:2] == ["term", "count_a"]


def test_comments_behind_a_word_are_whole_word_matches():
    texts = pd.Series(["Slow reply", "slowly but fine", "so slow!", None])
    assert comments_with_term(texts, "slow").tolist() == ["Slow reply", "so slow!"]
