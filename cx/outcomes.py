"""Outcomes: the one yes/no vocabulary, reading an outcome column, picking outcome columns, and ROC AUC.

An *outcome* is a customer column that an analysis relates experiences to: ``churned`` by
default, or any other yes/no column (repurchased, recommended) or number (overall satisfaction,
lifetime value). Everything that decides what counts as "yes" lives here, so the mapper, the
journeys comparison and the churn model can never disagree:

- :data:`TRUE_WORDS` / :data:`FALSE_WORDS` — the words read as yes and no (several languages);
  the mapper (:mod:`cx.ingest`) compares them after its ``normalise``.
- :func:`parse_outcome` — a yes/no column as 0/1, or any two-valued column with a chosen
  ``positive`` value.
- :func:`outcome_values` / :func:`outcome_kind` — binary or numeric, as floats.
- :func:`outcome_candidates` — the customer columns a page or the CLI may offer as an outcome.
- :func:`roc_auc` — how well a score separates the two classes of a yes/no outcome (also with
  bootstrap weights), the one ROC AUC of the code base.

No streamlit and no database driver here: pure functions of values (and, for the candidates,
a :class:`cx.db.source.Source` passed in).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import sparse

if TYPE_CHECKING:  # only for the type hints: the database layer sits beside this module, not below it
    from cx.db.source import Source

#: Values read as "yes" (compared lower-case, stripped, accents removed).
TRUE_WORDS = frozenset({
    "yes", "y", "true", "t", "1", "1.0", "x", "oui", "o", "ja", "j", "si", "sí", "churned", "churn", "cancelled",
    "canceled", "lost", "left", "inactive", "former", "gone", "resolved", "solved", "exited",
    "gekundigt", "gekündigt", "abgewandert", "resilie", "résilié", "baja", "opgezegd", "vertrokken",
    "wahr", "vrai", "verdadero", "waar", "✓", "✔",
})
#: Values read as "no".
FALSE_WORDS = frozenset({
    "no", "n", "false", "f", "0", "0.0", "non", "nein", "nee", "active", "retained", "current", "stayed", "kept",
    "open", "unresolved", "aktiv", "actif", "activo", "actief", "falsch", "faux", "falso", "onwaar",
})

#: Customer columns that are never an outcome (identity and dates).
NOT_OUTCOMES = ("customer_id", "signup_at", "churned_at")


class OutcomeError(ValueError):
    """A column cannot be read as the outcome asked for (the message says why and what to do)."""


def _word(value) -> str:
    text = str(value).strip().lower()
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text if text in TRUE_WORDS or text in FALSE_WORDS else folded


def _present(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None)


def _each(values: pd.Series, func) -> pd.Series:
    """``func`` of every present value, missing stays missing (``Series.map`` turns None into NaN)."""
    return pd.Series([None if v is None or (isinstance(v, float) and np.isnan(v)) else func(v) for v in _present(values)],
                     index=values.index, dtype=object)


def _positive_flags(values: pd.Series, name: str, positive) -> pd.Series:
    """Any two-valued column: 1 where the value is ``positive``, 0 for the other value."""
    present = _present(values)
    numbers = pd.to_numeric(present, errors="coerce")
    as_number = pd.to_numeric(pd.Series([positive]), errors="coerce").iloc[0]
    if numbers.notna().sum() == present.notna().sum() and not pd.isna(as_number):
        keys, wanted = numbers, float(as_number)
    else:
        keys, wanted = _each(present, lambda v: str(v).strip().casefold()), str(positive).strip().casefold()
    seen = sorted(set(keys.dropna().unique()), key=str)
    if wanted not in seen:
        shown = ", ".join(repr(v) for v in seen[:5]) or "none"
        raise OutcomeError(f"{name} has no value {positive!r} to count as yes (values: {shown})")
    if len(seen) > 2:
        raise OutcomeError(f"{name} has {len(seen)} different values; an outcome needs two (values such as "
                           f"{', '.join(repr(v) for v in seen[:4])})")
    return _each(keys, lambda v: int(v == wanted)).astype("Int64")


def parse_outcome(values: pd.Series, name: str = "outcome", positive=None) -> pd.Series:
    """Read a yes/no outcome as a nullable 0/1 series.

    Parameters
    ----------
    values : Series
        Booleans, 0/1 numbers, or yes/no words (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`).
    name : str
        The column's name, for messages.
    positive : optional
        The value that counts as yes. With it, any column of two values is an outcome
        ("satisfied" / "neutral or dissatisfied"); text compares without case.

    Returns
    -------
    Series of Int64
        1, 0 or missing.

    Raises
    ------
    OutcomeError
        When the column holds anything else (more than two numbers, free text), or ``positive``
        is not one of its values.

    Examples
    --------
    >>> parse_outcome(pd.Series(["Yes", "no", None])).tolist()
    [1, 0, <NA>]
    >>> parse_outcome(pd.Series(["satisfied", "neutral or dissatisfied"]), positive="satisfied").tolist()
    [1, 0]
    """
    if positive is not None:
        return _positive_flags(values, name, positive)
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean").astype("Int64")
    if pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        seen = set(numbers.dropna().unique().tolist())
        if seen <= {0, 1}:
            return numbers.astype("Int64")
        raise OutcomeError(f"{name} is not a yes/no column (values such as {sorted(seen)[:5]}); "
                           "name the value that counts as yes to use it as an outcome")
    words = _each(values, _word)
    unknown = sorted({v for v in words.dropna().unique() if v not in TRUE_WORDS and v not in FALSE_WORDS})
    if unknown:
        raise OutcomeError(f"{name} is not a yes/no column (values such as {', '.join(map(repr, unknown[:4]))}); "
                           "name the value that counts as yes to use it as an outcome")
    return _each(words, lambda v: int(v in TRUE_WORDS)).astype("Int64")


def _as_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(_present(values), errors="coerce").astype(float).to_numpy()


def outcome_values(values: pd.Series, positive=None) -> tuple[str, np.ndarray]:
    """The outcome's kind (``"binary"`` or ``"numeric"``) and its values as floats (NaN = unknown).

    Booleans, 0/1 numbers, yes/no words, or any two values with ``positive`` are binary; other
    numbers — also numbers stored as text, as warehouses sometimes do — are numeric.

    Raises
    ------
    OutcomeError
        For a column without any value, or text that is neither yes/no nor numbers.
    """
    name = values.name if values.name is not None else "the outcome"
    present = values.dropna()
    if present.empty:
        raise OutcomeError(f"the outcome column {name!r} has no values")
    if positive is not None or pd.api.types.is_bool_dtype(present):
        return "binary", parse_outcome(values, str(name), positive).astype("Float64").to_numpy(float, na_value=np.nan)
    numbers = pd.to_numeric(present.astype(object), errors="coerce")
    if numbers.notna().all():
        kind = "binary" if set(pd.unique(numbers)) <= {0, 1} else "numeric"
        return kind, _as_float(values)
    try:
        flags = parse_outcome(values, str(name))
    except OutcomeError:
        raise OutcomeError(f"the outcome column {name!r} is neither a yes/no flag nor a number") from None
    return "binary", flags.astype("Float64").to_numpy(float, na_value=np.nan)


def outcome_kind(values: pd.Series) -> str:
    """``"binary"`` for a yes/no column (bool, 0/1, yes/no text), ``"numeric"`` for other numbers."""
    return outcome_values(values)[0]


def outcome_candidates(source: Source, *, numeric: bool = False) -> list[str]:
    """Customer columns that can be modelled as an outcome, ``churned`` first.

    The one picker of the pages and the CLI. A column qualifies when it holds two values that
    read as yes/no (``churned`` also with one value, so that the model can say why it cannot be
    fitted) or, with ``numeric``, when it holds numbers. One aggregate query counts the distinct
    values of every column; a few small ones look at the values of the columns that may qualify.

    Parameters
    ----------
    source : Source
    numeric : bool
        Also offer numeric columns (the journeys comparison relates a score to a number; the churn
        model needs a yes/no outcome).

    Returns
    -------
    list of str
        ``churned``, then ``lifetime_value``, then the others alphabetically.
    """
    found = [name for name, (distinct, sample) in _customer_columns(source).items()
             if _qualifies(sample(), name, distinct, numeric)]
    return sorted(found, key=lambda n: (n != "churned", n != "lifetime_value", n))


def _customer_columns(source: Source) -> dict:
    """Customer columns that could be an outcome → (distinct values, a function reading up to 50 of them)."""
    c = source.customers
    if c is None:
        return {}
    names = [n for n in c.c.keys() if n not in NOT_OUTCOMES]
    names = [n for n in names if n == "churned" or n in source.customer_attributes or source.has(f"customers.{n}")]
    if not names:
        return {}
    row = source.read(sa.select(*[sa.func.count(sa.distinct(c.c[n])).label(f"d{k}") for k, n in enumerate(names)])).iloc[0]

    def sample(name):
        return lambda: source.read(sa.select(c.c[name]).where(c.c[name].is_not(None)).distinct().limit(50))[name]

    return {name: (int(row[f"d{k}"]), sample(name)) for k, name in enumerate(names) if int(row[f"d{k}"]) > 0}


def two_valued_outcomes(source: Source) -> dict[str, list]:
    """Every customer column holding exactly two values → those values (sorted as text).

    Any of them is an outcome once the user says which value counts as yes (``--positive`` in the
    CLI, a select box on the pages): "Satisfied" / "Neutral or Dissatisfied" as well as yes/no.

    Returns
    -------
    dict
        Column → its two values, ``churned`` first, then alphabetically.
    """
    found = {name: sorted(sample().tolist(), key=str) for name, (distinct, sample) in _customer_columns(source).items()
             if distinct == 2}
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "churned", kv[0])))


def _qualifies(sample: pd.Series, name: str, distinct: int, numeric: bool) -> bool:
    if distinct <= 2 and (distinct == 2 or name == "churned"):
        try:
            parse_outcome(sample, name)
            return True
        except OutcomeError:
            pass
    if not numeric or pd.api.types.is_bool_dtype(sample):
        return False
    return bool(pd.to_numeric(_present(sample), errors="coerce").notna().all())


def roc_auc(y, score, weights=None):
    """ROC AUC: P(score of a positive > score of a negative) + ½ P(tie), from rank sums.

    Parameters
    ----------
    y : array of 0/1
    score : array of float
        Higher = more likely positive. Ties count half, exactly (scores are grouped, not compared
        to a tolerance).
    weights : array, optional
        Case weights: one row ``(n,)``, or a matrix ``(resamples, n)`` of bootstrap counts (one
        sparse product per matrix).

    Returns
    -------
    float, or ndarray of shape (resamples,) for a matrix of weights
        NaN where one class has no weight.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    _, codes = np.unique(score, return_inverse=True)
    codes = codes.ravel()
    n_codes = int(codes.max()) + 1 if codes.size else 0
    if weights is None or np.ndim(weights) == 1:
        w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
        pos = np.bincount(codes, weights=w * y, minlength=n_codes)[None, :]
        neg = np.bincount(codes, weights=w * (1 - y), minlength=n_codes)[None, :]
    else:
        counts = np.asarray(weights, dtype=float)
        onehot = sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), n_codes))
        pos = np.asarray((counts * y) @ onehot)
        neg = np.asarray((counts * (1 - y)) @ onehot)
    auc = auc_from_counts(pos, neg)
    return float(auc[0]) if weights is None or np.ndim(weights) == 1 else auc


def auc_from_counts(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of positive and negative weights per distinct score (columns in ascending score)."""
    below = np.cumsum(neg, axis=1) - neg
    wins = (pos * (below + 0.5 * neg)).sum(axis=1)
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, wins / total, np.nan)


__all__ = [
    "auc_from_counts",
    "FALSE_WORDS",
    "NOT_OUTCOMES",
    "OutcomeError",
    "TRUE_WORDS",
    "outcome_candidates",
    "names_an_outcome",
    "outcome_is_good",
    "outcome_kind",
    "outcome_values",
    "parse_outcome",
    "roc_auc",
]


_GOOD_OUTCOME = ("satisf", "recommend", "promot", "retain", "renew", "repurchas", "return", "loyal", "happy",
                 "success", "resolv", "solved", "stay", "upgrad", "convert", "purchas", "buy", "active", "like")
_BAD_OUTCOME = ("churn", "cancel", "attrit", "leav", "left", "lost", "exit", "dissatisf", "unhappy", "complain",
                "disput", "escalat", "refund", "default", "terminat", "close", "inactive", "detract", "fail",
                "not ", "neutral")


def outcome_is_good(outcome: str, positive=None) -> bool:
    """Whether the outcome's "yes" is good news (satisfied, recommended) rather than bad (churned).

    Judged from the words of the positive value when one is named, else the column's name; a
    column that says neither is read as bad news (a churn-like outcome, the product's default).

    Examples
    --------
    >>> outcome_is_good("churned"), outcome_is_good("Satisfaction", "Satisfied")
    (False, True)
    >>> outcome_is_good("Satisfaction", "Neutral or Dissatisfied"), outcome_is_good("recommended")
    (False, True)
    """
    for text in ([str(positive)] if positive is not None else []) + [str(outcome)]:
        words = _word(text).replace("_", " ") + " "
        if any(w in words for w in _BAD_OUTCOME):
            return False
        if any(w in words for w in _GOOD_OUTCOME):
            return True
    return False


def names_an_outcome(name: str) -> bool:
    """Whether a column's name reads as an outcome, good or bad ("Satisfaction", "recommended", "Consumer
    disputed?", "Churn Label"), with the words :func:`outcome_is_good` judges by.

    Examples
    --------
    >>> names_an_outcome("Satisfaction"), names_an_outcome("Consumer disputed?"), names_an_outcome("Gender")
    (True, True, False)
    """
    words = _word(name).replace("_", " ") + " "
    return any(w in words for w in (*_GOOD_OUTCOME, *_BAD_OUTCOME) if w != "not ")
