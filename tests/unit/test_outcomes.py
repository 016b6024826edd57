"""cx.outcomes: the one yes/no vocabulary, outcome parser and ROC AUC (issue 11: one of each)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from cx.ingest import vocabulary
from cx.outcomes import FALSE_WORDS, TRUE_WORDS, OutcomeError, outcome_values, parse_outcome, roc_auc


def test_one_vocabulary_for_the_mapper_and_the_models():
    assert vocabulary.TRUE_WORDS is TRUE_WORDS and vocabulary.FALSE_WORDS is FALSE_WORDS
    assert not TRUE_WORDS & FALSE_WORDS
    # words each of the three former copies knew, read alike everywhere
    words = pd.Series(["yes", "Churned", "1.0", "oui", "lost", "no", "kept", "0.0", "active", "nein"])
    assert parse_outcome(words).tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert outcome_values(words.rename("left"))[0] == "binary"


def test_a_missing_outcome_stays_missing():
    # text outcomes with gaps: an unknown answer is not a "no"
    assert parse_outcome(pd.Series(["yes", None, "no", np.nan])).isna().tolist() == [False, True, False, True]
    kind, values = outcome_values(pd.Series(["Yes", "no", None], name="left"))
    assert kind == "binary" and values[:2].tolist() == [1.0, 0.0] and np.isnan(values[2])


def test_any_two_valued_column_with_a_positive_value():
    answers = pd.Series(["satisfied", "neutral or dissatisfied", "Satisfied", None])
    with pytest.raises(OutcomeError, match="not a yes/no column.*name the value that counts as yes"):
        parse_outcome(answers, "satisfaction")
    assert parse_outcome(answers, "satisfaction", positive="satisfied").tolist()[:3] == [1, 0, 1]
    assert parse_outcome(pd.Series([3, 5, 5]), "stars", positive=5).tolist() == [0, 1, 1]
    with pytest.raises(OutcomeError, match="no value 'happy'"):
        parse_outcome(answers, "satisfaction", positive="happy")
    with pytest.raises(OutcomeError, match="3 different values; an outcome needs two"):
        parse_outcome(pd.Series(["gold", "silver", "bronze"]), "plan", positive="gold")


def test_roc_auc_matches_scikit_learn_with_ties_and_weights():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 2000)
    score = np.round(rng.random(2000) + 0.3 * y, 1)  # many ties
    w = rng.poisson(1.0, 2000).astype(float)
    assert roc_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert roc_auc(y, score, w) == pytest.approx(roc_auc_score(y, score, sample_weight=w), abs=1e-12)
    both = roc_auc(y, score, np.vstack([np.ones(2000), w]))
    assert both.shape == (2,) and both[1] == pytest.approx(roc_auc_score(y, score, sample_weight=w), abs=1e-12)
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert np.isnan(roc_auc([1, 1], [0.2, 0.3]))
