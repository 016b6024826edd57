"""Columns that give the outcome away (leaks), judged from the values of a file or a feature frame.

A column *leaks* a yes/no outcome when a model could read the answer off it instead of learning
what experience relates to it:

- **filled for one class only** — a churn reason, a cancellation date: present on (almost) every
  row of one outcome and on no row of the other, so "has a value" *is* the outcome;
- **predicts it alone** — a 0/1 copy of the label, a vendor's churn score: cross-fitted ROC AUC
  of the column on its own ≥ :data:`AUC_LEAK`;
- **named after the outcome** — a column whose header repeats the outcome's own word ("Churn
  Score" beside "Churn Label") and that predicts it strongly (AUC ≥ :data:`AUC_NAMED`);
- **predicts it together with its siblings** — columns sharing a header stem ("votes_…") whose
  cross-fitted linear score reaches AUC ≥ :data:`AUC_LEAK` although no one of them does.

A column that predicts the outcome almost alone but not perfectly (:data:`AUC_SUSPECT` ≤ AUC <
:data:`AUC_LEAK`: an overall rating beside a "would recommend" verdict) is *suspected*: it may
restate the outcome, or be a very strong honest measure, so it is named and asked, not left out.

:func:`leak_columns` is what the mapper (``cx map``, the Data page) and the churn model call; it
returns plain ``{column: reason}`` so either can name the columns and say why;
:func:`screen_columns` returns the suspects beside the leaks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx.ingest import parse
from cx.outcomes import FALSE_WORDS, TRUE_WORDS, OutcomeError, parse_outcome, roc_auc

AUC_LEAK = 0.99
#: A column alone at or above this (below :data:`AUC_LEAK`) is a suspected restatement. Chosen from the
#: corpus (tests/data/real/README.md, "How good an honest predictor gets"; `bench/corpus_auc.py`): the
#: strongest honest single measure reaches 0.904 (a Skytrax seat rating for "recommended"; airline 0.83,
#: ServiceNow 0.81, telco 0.73, CFPB 0.65), records made after the outcome 0.948 (ServiceNow's closing
#: time for "made SLA"), the restating overall rating 0.970. 0.93 sits between the honest measures and
#: the rest: 1.5 standard errors above 0.904 and 4 below 0.970 (Hanley–McNeil, 400 reviews). A false alarm
#: costs a question (a suspect is asked, never left out); a miss costs a model that restates its outcome.
AUC_SUSPECT = 0.93
AUC_NAMED = 0.85
#: "filled for one class only" must be this unlikely by chance (every filled row in one class)
CHANCE = 1e-6
MIN_FILLED = 5
MAX_ROWS = 20_000
_STOP = frozenset({"customer", "the", "of", "and", "is", "has", "flag", "label", "value", "id", "date", "yes", "no",
                   "service", "type"})


def _words(name: object) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]


def outcome_flags(values: pd.Series, positive=None) -> pd.Series:
    """The outcome as floats 1/0 (NaN unknown): booleans, 0/1, yes/no words, or two values with ``positive``."""
    try:
        return parse_outcome(values, str(values.name), positive).astype("Float64").astype(float)
    except OutcomeError:
        pass
    words = parse.text(values.astype(object).where(values.notna(), None)).str.lower()
    seen = sorted(words.dropna().unique())
    if len(seen) != 2:
        raise OutcomeError(f"{values.name!r} is not a two-valued column, so no leak of it can be judged")
    yes = next((v for v in seen if v in TRUE_WORDS), None) or next((v for v in seen if v not in FALSE_WORDS), seen[1])
    return words.map(lambda v: np.nan if v is None or (isinstance(v, float) and np.isnan(v)) else float(v == yes))


def _present(values: pd.Series) -> pd.Series:
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        return ~parse.missing(values.astype(object).where(values.notna(), ""))
    return values.notna()


def _numeric(values: pd.Series, present: pd.Series) -> pd.Series | None:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("Float64").astype(float)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("Float64").astype(float)
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")  # fast: no words, no %
    return numbers.astype(float) if numbers.notna().sum() >= 0.95 * max(1, int(present.sum())) else None


@dataclass(frozen=True)
class Prepared:
    """One column read once for every outcome it is judged against: where it is filled, its numbers (when
    it holds numbers) or its values as lower-case labels."""

    present: np.ndarray
    numbers: np.ndarray | None
    labels: np.ndarray | None  # integer codes of the values (missing is one of them)

    def rows(self, keep: np.ndarray) -> Prepared:
        return Prepared(self.present[keep], None if self.numbers is None else self.numbers[keep],
                        None if self.labels is None else self.labels[keep])


def prepare(frame: pd.DataFrame) -> dict[str, Prepared]:
    """Every column of ``frame`` (index reset) read once: :func:`screen_columns` takes it for many outcomes."""
    out = {}
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        present = _present(values)
        numbers = _numeric(values, present)
        labels = None if numbers is not None else pd.factorize(
            values.astype(object).where(present, "\0missing").astype(str).str.strip().str.lower())[0]
        out[column] = Prepared(present.to_numpy(dtype=bool), None if numbers is None else numbers.to_numpy(float), labels)
    return out


def _score(column: Prepared, y: np.ndarray) -> np.ndarray:
    """A single column as a score: numbers as they are (missing below every number), categories by the
    positive rate of their value in the *other* half of the rows (cross-fitted, so an id scores nothing)."""
    if column.numbers is not None:
        x = column.numbers
        low = np.nanmin(x) if np.isfinite(x).any() else 0.0
        return np.where(np.isnan(x), low - 1.0, x)
    codes = column.labels
    size = int(codes.max()) + 1 if len(codes) else 0
    half = np.arange(len(y)) % 2 == 0
    prior = float(y.mean())
    out = np.full(len(y), prior)
    for fold in (half, ~half):
        hits = np.bincount(codes[~fold], weights=y[~fold], minlength=size)
        seen = np.bincount(codes[~fold], minlength=size)
        rate = (hits + prior) / (seen + 1)  # one pseudo-count of the prior; a value unseen there scores the prior
        out[fold] = rate[codes[fold]]
    return out


def _auc(column: Prepared, y: np.ndarray) -> float:
    auc = float(roc_auc(y, _score(column, y)))
    return max(auc, 1.0 - auc) if np.isfinite(auc) else 0.5


def _one_class(present: np.ndarray, y: np.ndarray, words: tuple[str, str]) -> str | None:
    filled = int(present.sum())
    if filled < MIN_FILLED or filled == len(y):
        return None
    share = float(y[present].mean())
    for cls, part, word in ((1, share, words[0]), (0, 1.0 - share, words[1])):
        prior = float((y == cls).mean())
        if part >= 0.99 and 0 < prior < 1 and filled * math.log(prior) < math.log(CHANCE):
            covered = float(present[y == cls].mean())
            return f"filled only for {word} ({filled:,} rows, {covered:.0%} of them)"
    return None


def _class_words(name: str, target: pd.Series, y: np.ndarray) -> tuple[str, str]:
    """How reasons name the two classes: "Satisfaction = Dissatisfied" / "Satisfaction = Satisfied"."""
    text = target.reset_index(drop=True).astype(str).str.strip()
    said = [text[y == cls].mode() for cls in (1, 0)]
    if any(s.empty for s in said):
        return "positives", "negatives"
    return f"{name} = {said[0].iat[0]}", f"{name} = {said[1].iat[0]}"


def _shares_a_word(own: set[str], words: list[str]) -> bool:
    """"Churn Score" shares a word with "Churned": one word starts with the other (four letters at least)."""
    return any(len(w) >= 4 and (w.startswith(o) or o.startswith(w)) for w in words for o in own)


def _siblings(columns: list[str]) -> dict[str, list[str]]:
    """Columns grouped by a shared first header word ("votes_atrasado", "votes_devolucao")."""
    groups: dict[str, list[str]] = {}
    for column in columns:
        words = [w for w in _words(column) if w not in _STOP and not w.isdigit()]
        if len(words) >= 2:
            groups.setdefault(words[0], []).append(column)
    return {stem: cs for stem, cs in groups.items() if len(cs) >= 2}


def _design(columns: list[Prepared]) -> np.ndarray:
    """Numbers standardised (missing at the median) and categories one-hot (top 30 values), plus a constant."""
    parts = [np.ones((len(columns[0].present), 1))]
    for column in columns:
        if column.numbers is not None:
            x = column.numbers
            x = np.where(np.isnan(x), np.nanmedian(x) if np.isfinite(x).any() else 0.0, x)
            parts.append(((x - x.mean()) / (x.std() or 1.0))[:, None])
        else:
            codes = column.labels
            top = np.argsort(-np.bincount(codes), kind="stable")[:30]
            parts.append((codes[:, None] == top[None, :]).astype(float))
            parts.append((~np.isin(codes, top))[:, None].astype(float))
    return np.hstack(parts)


def _together_auc(columns: list[Prepared], y: np.ndarray, folds: int = 3) -> float:
    """ROC AUC of a linear score of the columns together, each row scored by a fit on the other folds
    (ridge least squares: cheap, and a linear rule that separates the classes ranks them perfectly)."""
    if min(int(y.sum()), int((1 - y).sum())) < folds:
        return 0.5
    x = _design(columns)
    fold = np.arange(len(y)) % folds
    score = np.empty(len(y))
    ridge = 1e-3 * np.eye(x.shape[1])
    for k in range(folds):
        train, test = fold != k, fold == k
        beta = np.linalg.solve(x[train].T @ x[train] + ridge, x[train].T @ (y[train] - y[train].mean()))
        score[test] = x[test] @ beta
    return float(roc_auc(y, score))


def leak_columns(frame: pd.DataFrame, outcome: str | pd.Series, positive=None, *,
                 columns: list[str] | None = None, words: tuple[str, str] | None = None) -> dict[str, str]:
    """The columns of ``frame`` that give a yes/no outcome away, each with the reason in words.

    The leaks of :func:`screen_columns` (its parameters); see there for the suspects too.

    Parameters
    ----------
    frame : DataFrame
        A file as read (text cells) or a feature frame (numbers, booleans, categories).
    outcome : str or Series
        The outcome column's name in ``frame``, or the outcome itself (aligned with ``frame``).
    positive : optional
        The outcome value that counts as yes (default: yes/no words, 1, True).
    columns : list of str, optional
        The columns to judge (default: every column but the outcome).
    words : (str, str), optional
        How to name the two classes in reasons (default: "churners" / "non-churners" when the
        outcome's name says churn, else "positives" / "negatives").

    Returns
    -------
    dict
        Column -> reason ("filled only for churners (265 rows, 100% of them)", "predicts the outcome
        alone (ROC AUC 1.000)", …), in the frame's column order. Empty when the outcome has one class.

    Examples
    --------
    >>> frame = pd.DataFrame({"churn": ["Yes", "No"] * 20, "reason": ["Price", None] * 20,
    ...                       "tenure": list(range(40))})
    >>> leak_columns(frame, "churn")
    {'reason': 'filled only for churners (20 rows, 100% of them)'}
    """
    return screen_columns(frame, outcome, positive, columns=columns, words=words)[0]


def screen_columns(frame: pd.DataFrame, outcome: str | pd.Series, positive=None, *,
                   columns: list[str] | None = None, words: tuple[str, str] | None = None,
                   prepared: dict[str, Prepared] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Leaks and suspected restatements of a yes/no outcome: ``(leaks, suspects)``, each column → reason.

    Suspects predict the outcome alone with :data:`AUC_SUSPECT` ≤ ROC AUC < :data:`AUC_LEAK`
    (cross-fitted, as for leaks): named with their AUC and asked, not left out. ``prepared``
    (:func:`prepare` of ``frame``) saves reading the columns again when several outcomes are judged.
    Other parameters as in :func:`leak_columns`.
    """
    if isinstance(outcome, str):
        name, target = outcome, frame[outcome]
    else:
        name, target = str(outcome.name), outcome
    y_all = outcome_flags(target.reset_index(drop=True), positive).to_numpy(dtype=float)
    rows = np.flatnonzero(~np.isnan(y_all))
    if len(rows) > MAX_ROWS:
        rows = rows[(np.arange(MAX_ROWS) * (len(rows) / MAX_ROWS)).astype(int)]
    y = y_all[rows]
    if len(y) < 20 or y.min() == y.max():
        return {}, {}
    churny = "churn" in name.lower() or "cancel" in name.lower()
    words = words or (("churners", "non-churners") if churny else _class_words(name, target, y_all))
    judged = [c for c in (columns if columns is not None else frame.columns) if c != name and c in frame.columns]
    if prepared is None:
        prepared = prepare(frame[judged])
    data = {c: prepared[c].rows(rows) for c in judged}
    own = {w for w in _words(name) if w not in _STOP and len(w) >= 4}
    out: dict[str, str] = {}
    suspects: dict[str, str] = {}
    for column in judged:
        reason = _one_class(data[column].present, y, words)
        if reason is None:
            auc = _auc(data[column], y)
            if auc >= AUC_LEAK:
                reason = f"predicts the outcome alone (ROC AUC {auc:.3f})"
            elif auc >= AUC_NAMED and _shares_a_word(own, _words(column)):
                reason = f"named after the outcome and predicts it (ROC AUC {auc:.3f})"
            elif auc >= AUC_SUSPECT:
                suspects[column] = (f"predicts '{name}' almost alone (ROC AUC {auc:.3f}; no honest single measure in "
                                    f"the real-export corpus reaches {AUC_SUSPECT}): it may restate the outcome (an "
                                    "overall verdict) or be recorded after it")
        if reason is not None:
            out[column] = reason
    for group in _siblings([c for c in judged if c not in out]).values():
        auc = _together_auc([data[c] for c in group], y)
        if auc >= AUC_LEAK:
            listing = ", ".join(f"'{c}'" for c in group)
            for column in group:
                out[column] = f"predicts the outcome together with its siblings {listing} (cross-validated ROC AUC {auc:.3f})"
    return {c: out[c] for c in judged if c in out}, {c: suspects[c] for c in judged if c in suspects and c not in out}
