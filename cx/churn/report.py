"""Which experiences relate to customers leaving, how sure we are, and who is at risk now.

:func:`fit_churn` is the one entry point of the page, the CLI and the weekly review: it builds the
features in the database (:mod:`cx.churn.features`), screens out columns that restate the outcome
(:mod:`cx.churn.leakage`), cross-validates the model (:mod:`cx.churn.scores`), fits it on every
customer with bootstrap refits (:mod:`cx.churn.model`, :mod:`cx.churn.bootstrap`) and ranks the
customers at risk, all in a :class:`ChurnReport`. :func:`fit_churn_table` does the same from a
ready :class:`~cx.churn.table.FeatureTable` (no database).

Guard rails: :class:`ChurnModelError` instead of a model when there is one class, too few
positives or no usable feature; warnings when the AUC's interval includes 0.5, the calibration is
off, or a fit did not converge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from cx.churn.bootstrap import odds_ratio_table
from cx.churn.collinear import MAX_VIF, drop_collinear, merge_duplicates
from cx.churn.features import churn_features, moments
from cx.churn.leakage import LEAK_AUC, leak_carriers, leak_screen, one_class_only
from cx.churn.logistic import TOL
from cx.churn.model import DEFAULT_C, ChurnModel, model_frame
from cx.churn.sampling import FitSample, fit_sample
from cx.churn.scores import (
    METRICS,
    Interval,
    calibration_line,
    calibration_table,
    cross_validate,
    delong_interval,
    predict_in_batches,
    recalibrate,
    score_intervals,
)
from cx.churn.table import CHANNEL_PREFIX, TOUCHPOINT_PREFIX, CutoffRule, FeatureTable
from cx.db.source import Source
from cx.memory import release_memory
from cx.outcomes import outcome_is_good
from cx.schema import IncidentRules
from cx.scope import Scope


class ChurnModelError(ValueError):
    """No model is fitted: the data cannot support one (the message says why, for people)."""


@dataclass(frozen=True)
class ModelCard:
    """What the model is, on what data, checked how — shown above every number."""

    outcome: str
    n: int
    positives: int
    negatives: int
    rule_text: str
    cv_scheme: str
    model_text: str
    features: tuple[str, ...]
    excluded: dict[str, str]
    notes: tuple[str, ...]
    as_of: str | None
    leaks: tuple[str, ...] = ()
    good_outcome: bool = False
    risk_words: str = "most likely to churn"
    allowed: tuple[str, ...] = ()
    chance_of: str = "churning"
    suspected: dict[str, str] = field(default_factory=dict)
    sample: FitSample | None = None
    #: The numbers behind the notes (variance inflation factors, correlations, odds ratios), for "How this is computed".
    details: tuple[str, ...] = ()
    #: The outcome's value counted as "yes" when one was chosen ("Satisfied" of a verdict column), else None.
    positive: str | None = None

    @property
    def positive_share(self) -> float:
        return self.positives / self.n if self.n else float("nan")

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "n": self.n, "positives": self.positives, "negatives": self.negatives,
                "positive_share": self.positive_share, "cutoff_rule": self.rule_text, "cv_scheme": self.cv_scheme,
                "model": self.model_text, "features": list(self.features), "excluded": dict(self.excluded),
                "notes": list(self.notes), "details": list(self.details), "as_of": self.as_of, "leaks": list(self.leaks),
                "suspected_leaks": dict(self.suspected), "at_risk_means": self.risk_words,
                "sample": self.sample.to_dict() if self.sample else None}


@dataclass(frozen=True, eq=False)
class ChurnReport:
    """Everything the Churn drivers page and ``cx churn`` show (see :func:`fit_churn`).

    Attributes
    ----------
    card : ModelCard
    cv : dict
        ``roc_auc``, ``pr_auc``, ``brier`` → :class:`~cx.churn.scores.Interval` (out-of-fold).
    folds : DataFrame
        Per-fold scores.
    calibration : DataFrame
        See :func:`~cx.churn.scores.calibration_table`.
    calibration_fit : tuple of float
        Calibration intercept and slope of the out-of-fold probabilities.
    odds_ratios : DataFrame
        See :func:`~cx.churn.bootstrap.odds_ratio_table`.
    importance : DataFrame
        ``column, feature, importance, sd`` (held-out AUC drop).
    feature_sets : DataFrame
        ``name, features, roc_auc, ci_low, ci_high`` (DeLong CI) — best first.
    at_risk : DataFrame
        Customers without the outcome, ranked by calibrated probability × lifetime value.
    warnings : tuple of str
    model : ChurnModel
        Fitted on all customers (with its bootstrap refits).
    draws : ndarray
        The bootstrap coefficients that converged (for what-if intervals).
    population : DataFrame
        Model inputs of the customers the at-risk list and what-if work on, with ``customer_id``,
        ``segment``, ``lifetime_value``, channel contact counts and ``probability``.
    """

    card: ModelCard
    cv: dict[str, Interval]
    folds: pd.DataFrame
    calibration: pd.DataFrame
    calibration_fit: tuple[float, float]
    odds_ratios: pd.DataFrame
    importance: pd.DataFrame
    feature_sets: pd.DataFrame
    at_risk: pd.DataFrame
    warnings: tuple[str, ...]
    model: ChurnModel
    draws: np.ndarray
    population: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    good_end_index: float = 60.0
    seconds: float = 0.0

    @property
    def n(self) -> int:
        return self.card.n

    @property
    def positives(self) -> int:
        return self.card.positives

    def drivers(self) -> list[str]:
        """Inputs a what-if can move (numbers, and ``recovery`` when in the model)."""
        return [c for c in self.model.numeric_ + self.model.categorical_ if c in self.model.numeric_ or c == "recovery"]

    def strongest_driver(self) -> str | None:
        """The driver with the strongest evidence (the first of the odds ratios that a what-if can move)."""
        movable = set(self.drivers())
        return next((c for c in self.odds_ratios["column"] if c in movable), None)

    def segments(self) -> list[str]:
        """Segments of the customers at risk (for what-if targeting)."""
        if "segment" not in self.population:
            return []
        return sorted(str(v) for v in self.population["segment"].dropna().unique() if str(v) != "(missing)")

    def channels(self) -> list[str]:
        """Channels the customers at risk contacted (for what-if targeting)."""
        return [c[len(CHANNEL_PREFIX):] for c in self.population.columns if c.startswith(CHANNEL_PREFIX)]

    def drivers_table(self) -> pd.DataFrame:
        """Which measures matter: permutation importance beside the odds ratio per SD of each input.

        Returns
        -------
        DataFrame
            ``feature, importance, importance_sd, odds_ratio, ci_low, ci_high, sd, direction``, most
            important first (odds ratios only for numeric inputs, per SD; ``sd`` in the input's units).
        """
        per_sd = self.odds_ratios[self.odds_ratios["kind"] == "per SD"].set_index("column")
        table = self.importance.rename(columns={"sd": "importance_sd"}).copy()
        for name, source in (("odds_ratio", "value"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("sd", "sd")):
            table[name] = table["column"].map(per_sd[source])
        table["direction"] = np.select(
            [table["ci_high"] < 1, table["ci_low"] > 1],
            [f"higher → less likely {self.card.outcome}", f"higher → more likely {self.card.outcome}"],
            default="unclear",
        )
        table.loc[table["odds_ratio"].isna(), "direction"] = ""
        return table.drop(columns="column")

    def to_dict(self, top: int = 20) -> dict:
        """The ``cx churn --format json`` document (the keys DESIGN.md fixes; see ``card.to_dict()``)."""
        at_risk = self.at_risk.head(top).astype(object)
        return {
            "n": self.n,
            "positives": self.positives,
            "cv": {m: self.cv[m].to_dict() for m in METRICS},
            "odds_ratios": [{"feature": r.feature, "value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high}
                            for r in self.odds_ratios.itertuples()],
            "feature_sets": [{"name": r.name, "roc_auc": r.roc_auc, "ci_low": r.ci_low, "ci_high": r.ci_high}
                             for r in self.feature_sets.itertuples()],
            "at_risk": at_risk.where(at_risk.notna(), None).to_dict("records"),
            "leaks": dict(self.card.excluded),
            "suspected_leaks": dict(self.card.suspected),
            "leak_likely": self.cv["roc_auc"].value >= LEAK_AUC,
            "warnings": list(self.warnings),
            # only when the fit saw a stratified sample (very many customers): its size and the population's
            **({"sample": self.card.sample.to_dict()} if self.card.sample else {}),
        }


def _progress(callback, fraction: float, message: str) -> None:
    if callback is not None:
        callback(fraction, message)


def _guard(y: np.ndarray, outcome: str, min_positives: int, n_splits: int, unknown: int = 0) -> None:
    n, pos = len(y), int(y.sum())
    if n == 0 and unknown:
        what = "no churn column" if outcome == "churned" else f"no values in {outcome}"
        raise ChurnModelError(f"{what[0].upper()}{what[1:]}: none of the {unknown:,} customers has a value in "
                              f"{outcome}. Map an outcome column on the Data page, or pass --outcome COLUMN (with "
                              "--positive VALUE for a two-valued column).")
    if n == 0:
        raise ChurnModelError("No customers to model: the filters leave none, or the customer table is empty.")
    if pos == 0 or pos == n:
        value = "yes" if pos else "no"
        raise ChurnModelError(f"Every one of the {n:,} customers has {outcome} = {value}: with one class there is "
                              "nothing to tell apart, so no model is fitted.")
    floor = max(min_positives, n_splits)
    if pos < floor:
        raise ChurnModelError(f"Only {pos:,} customers have {outcome} = yes; at least {floor:,} are needed for a model "
                              "whose numbers mean something (fewer make every interval span almost everything).")
    if n - pos < floor:
        raise ChurnModelError(f"Only {n - pos:,} customers have {outcome} = no; at least {floor:,} are needed.")


def fit_churn(source: Source, outcome: str = "churned", rule: CutoffRule | None = None,
              scope: Scope | None = None, rules: IncidentRules | None = None, *, positive=None,
              attributes: Sequence[str] = (), include_restating: Sequence[str] = (), min_positives: int = 50,
              n_splits: int = 5, C: float = DEFAULT_C, resamples: int = 200, at_risk: int = 200, random_state=0,
              progress: Callable[[float, str], None] | None = None) -> ChurnReport:
    """Build the features in the database, fit and cross-validate the churn model.

    Parameters
    ----------
    source : Source
        Interactions and a customers table holding ``outcome``.
    outcome : str
        A yes/no customer column (``churned`` by default; e.g. ``satisfied``).
    rule : CutoffRule, optional
        The leakage rule (default: before the churn date; see :mod:`cx.churn.features`).
    scope, rules
        Which rows (sidebar scope) and the incident rules, passed to the feature query.
    positive : optional
        The value of ``outcome`` that counts as yes (see :func:`cx.outcomes.parse_outcome`).
    attributes : sequence of str
        Customer attributes (segment, region, plan, …) to add to the experience features.
    include_restating : sequence of str
        Columns (names or labels) flagged as leaks that should stay in anyway; the report then
        warns that the model describes the leak.
    min_positives : int
        Fewer customers than this in either class → :class:`ChurnModelError`.
    n_splits : int
        Folds of the stratified cross-validation.
    C : float
        Inverse L2 strength on standardised features (:data:`~cx.churn.model.DEFAULT_C`).
    resamples : int
        Bootstrap resamples for the odds-ratio CIs (the metric CIs use ``2.5 ×`` as many).
    at_risk : int
        Length of the at-risk list.
    random_state : int, numpy Generator or None
        Every random draw (folds, permutations, score and coefficient bootstraps) comes from it;
        the same int gives the same report.
    progress : callable, optional
        ``progress(fraction, message)`` as the work advances.

    Returns
    -------
    ChurnReport

    Raises
    ------
    ChurnModelError
        One class, too few positives or negatives, or no usable feature.
    FeatureError
        The source cannot give the features (no customers table, unknown outcome).
    OutcomeError
        The outcome column is not a yes/no column (and no ``positive`` value was named).

    Examples
    --------
    >>> from cx.db import demo_source
    >>> report = fit_churn(demo_source())  # doctest: +SKIP
    >>> report.cv["roc_auc"]  # doctest: +SKIP
    Interval(value=0.89, ci_low=0.885, ci_high=0.896)
    """
    started = time.perf_counter()
    _progress(progress, 0.02, "Building per-customer features in the database")
    table = churn_features(source, outcome, rule, scope, rules, positive=positive)
    release_memory()  # the feature batches, freed in the fit's thread: handed back before the fit allocates its own
    now = None
    if table.rule.kind == "window":
        named = [c[len(TOUCHPOINT_PREFIX):] for c in table.frame.columns if c.startswith(TOUCHPOINT_PREFIX)]
        now = churn_features(source, "churned", CutoffRule("none"), scope, rules, touchpoints=named, as_of_now=True)
    before = "churned_at" if table.rule.kind == "before_outcome" else None
    # consume: the feature frame is emptied column by column as the customers to rank are taken from it
    # (a million customers' features are not held next to the population and the fit's matrices)
    report = fit_churn_table(table, now=now, attributes=attributes, include_restating=include_restating,
                             min_positives=min_positives, n_splits=n_splits, C=C, resamples=resamples,
                             at_risk=at_risk, random_state=random_state,
                             good_end_index=(rules or source.rules).good_end_index, progress=progress, consume=True)
    del table, now  # a million customers' features: not held while the moments are looked up
    release_memory()
    ids = report.at_risk["customer_id"].tolist()
    if ids:
        _progress(progress, 0.97, "Looking up worst moments and last interactions")
        report = _with_moments(report, moments(source, ids, scope, before=before))
    return replace(report, seconds=time.perf_counter() - started)


def _with_moments(report: ChurnReport, found: pd.DataFrame) -> ChurnReport:
    risk = report.at_risk.drop(columns=[c for c in found.columns if c != "customer_id" and c in report.at_risk])
    risk = risk.merge(found, on="customer_id", how="left")
    order = ["rank", "customer_id", "segment", "probability", "lifetime_value", "value_at_risk", "worst_moment_index",
             "worst_at", "worst_channel", "worst_touchpoint", "incidents", "recovery", "last_at", "last_channel",
             "last_touchpoint"]
    return replace(report, at_risk=risk[[c for c in order if c in risk] + [c for c in risk if c not in order]])


def fit_churn_table(table: FeatureTable, *, now: FeatureTable | None = None, attributes: Sequence[str] = (),
                    include_restating: Sequence[str] = (), min_positives: int = 50, n_splits: int = 5,
                    C: float = DEFAULT_C, resamples: int = 200, at_risk: int = 200, random_state=0,
                    good_end_index: float = 60.0,
                    progress: Callable[[float, str], None] | None = None, consume: bool = False) -> ChurnReport:
    """Fit and evaluate on a ready :class:`~cx.churn.table.FeatureTable` (no database needed).

    ``now`` (window rule) holds the current features of the customers to rank; otherwise the
    customers without the outcome are ranked by their out-of-fold probability. ``good_end_index``
    is the incident rules' "good ending" (a what-if that recovers an incident lifts the end to it).
    ``consume=True``: the caller hands ``table`` over; when the model is fitted on a sample, its frame
    is emptied column by column once the sample and the customers to rank are taken from it (the same
    report; the whole frame is never held next to the population). Other parameters as in :func:`fit_churn`.
    """
    # One BLAS thread: on a shared two-core machine, multi-threaded BLAS on these thin matrices
    # spends more time waiting for the other core than computing (5x slower in bench/bench_churn.py).
    with threadpool_limits(1):
        started = time.perf_counter()
        y = table.frame["outcome"].to_numpy(dtype=int)
        _guard(y, table.outcome, min_positives, n_splits, table.unknown_outcomes)
        everyone = table
        table, sample = fit_sample(table, random_state)  # very many customers: a stratified sample is fitted
        y = table.frame["outcome"].to_numpy(dtype=int)
        screen = _screen(table, attributes, include_restating)
        features = screen.features
        # the customers to rank, their rows and columns taken now: the whole frame is not needed again
        ranked = _to_rank(everyone, now, features, consume=consume and sample is not None)
        del everyone
        if consume and sample is not None:
            release_memory()
        X = model_frame(table.frame, features)
        estimator = ChurnModel(C=C, resamples=resamples, random_state=random_state)
        same_as = {other: kept for kept, others in screen.merged.items() for other in others}
        groups = {name: list(dict.fromkeys(same_as.get(f, f) for f in cols if same_as.get(f, f) in features))
                  for name, cols in table.groups.items() if name != "All"}
        groups, same = _distinct_sets({name: cols for name, cols in groups.items() if cols}, features)
        thinned = {name: [c for c in table.groups[name] if same_as.get(c, c) in screen.collinear]
                   for name in groups if name in table.groups}
        _progress(progress, 0.1, f"Cross-validating ({n_splits} folds) on {len(y):,} customers, "
                                 f"with {len(groups)} comparison feature sets")
        predictions, folds, importance = cross_validate(estimator, X, y, n_splits=n_splits, subsets=groups)
        _progress(progress, 0.7, "Bootstrapping the scores")
        cv = score_intervals(y, predictions["All"], random_state=estimator.random_state)
        feature_sets = _feature_sets(y, predictions, cv, {**groups, "All": features})
        _progress(progress, 0.8, "Fitting on all customers and bootstrapping the odds ratios")
        model = estimator.fit(X, y)
        labels = _merged_labels(table, screen.merged)
        odds = odds_ratio_table(model, labels=labels)
        importance.insert(1, "feature", importance["column"].map(lambda c: labels.get(c, c)))
        line = calibration_line(y, predictions["All"])
        release_memory()  # the cross-validation's and bootstrap's freed matrices, before the population is built
        population = _population(ranked, now, features, model, predictions["All"], line, sample)
        del ranked
        card = _card(table, y, screen, labels, n_splits, resamples, C, random_state, same,
                     {k: v for k, v in thinned.items() if v})
        if sample is not None:
            card = replace(card, sample=sample, notes=(sample.text(table.outcome), *card.notes))
        notes, details = _reversals(table.frame, y, odds, card.chance_of)
        card = replace(card, notes=(*card.notes, *notes), details=(*card.details, *details))
        leaks = _leak_warnings(table, screen, cv, labels)
        return ChurnReport(card=card, cv=cv, folds=folds, calibration=calibration_table(y, predictions["All"]),
                           calibration_fit=line, odds_ratios=odds, importance=importance, feature_sets=feature_sets,
                           at_risk=_at_risk(population, at_risk, card.good_outcome),
                           warnings=(*leaks, *_warnings(cv, line, model, odds)),
                           model=model, draws=model.bootstrap_coef_[model.bootstrap_converged_], population=population,
                           labels=labels, good_end_index=float(good_end_index), seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class Screen:
    """What the screen before the model decided: the inputs, and every column kept out or merged, with why."""

    features: list[str]
    excluded: dict[str, str]
    allowed: dict[str, str]
    merged: dict[str, list[str]]
    collinear: dict[str, float]
    suspected: dict[str, str] = field(default_factory=dict)


def _screen(table: FeatureTable, attributes: Sequence[str], include_restating: Sequence[str]) -> Screen:
    """The model's inputs: features and chosen attributes, minus leaks, duplicates and collinear ones.

    Leaks (:func:`cx.churn.leakage.leak_screen`) stay out unless named in ``include_restating``
    (then they are ``allowed`` and warned about); duplicates are merged into one feature and
    near-combinations left out (:mod:`cx.churn.collinear`).
    """
    frame = table.frame
    unknown = [a for a in attributes if a not in frame]
    if unknown:
        raise ChurnModelError(f"No customer attribute {unknown[0]!r}; available: {', '.join(table.attributes) or 'none'}.")
    candidates = list(dict.fromkeys([*table.features, *attributes]))
    touchpoints = [c for c in candidates if c.startswith(TOUCHPOINT_PREFIX)]
    flagged = leak_screen(frame, [*candidates, *[a for a in table.attributes if a not in candidates]],
                          outcome="outcome", outcome_label=table.outcome,
                          good_outcome=outcome_is_good(table.outcome, table.positive),
                          groups={"the touchpoint indexes": touchpoints})
    asked = {str(a).casefold() for a in include_restating}
    allowed = {c: r for c, r in flagged.items() if {c.casefold(), table.labels.get(c, c).casefold()} & asked}
    excluded = {c: r for c, r in flagged.items() if c not in allowed}
    features = [c for c in candidates if c not in excluded]
    # customer attributes added by hand are screened for restatements; the computed experience features
    # are the experience itself (the mean of seven seat ratings reaches AUC 0.953 for "recommended" honestly)
    suspected = _suspected(frame, [c for c in features if c in attributes and c not in allowed], table)
    features, merged = merge_duplicates(frame, features)
    features, collinear = drop_collinear(frame, features)
    if not features and "contacts" in frame and not frame["contacts"].any():
        raise ChurnModelError("No usable feature: this data has no interactions (a customer table alone), so there is "
                              "no experience to relate to the outcome. Add an interactions file on the Data page (or "
                              "a second --source), or pick customer attributes (--attribute segment).")
    if not features:
        said = _leak_text(excluded, table.labels)
        raise ChurnModelError("No usable feature: every experience measure is missing, constant, or restates the "
                              "outcome, so there is nothing to relate to it."
                              + (f" Left out as leaks: {said}. To keep one in anyway (the warning stays), name it "
                                 "with --allow-leak or tick it on the page." if excluded else ""))
    return Screen(features, excluded, allowed, merged, collinear, suspected)


def _suspected(frame: pd.DataFrame, columns: Sequence[str], table: FeatureTable) -> dict[str, str]:
    """Attributes that predict the outcome almost alone (:data:`cx.ingest.leaks.AUC_SUSPECT` ≤ cross-fitted
    AUC < the leak line): kept in, named with their AUC — an overall rating beside a recommend verdict."""
    from cx.ingest.leaks import screen_columns

    if not columns:
        return {}
    outcome = frame["outcome"].rename(table.outcome).astype(float)
    named = frame[list(columns)].rename(columns=lambda c: table.labels.get(c, c))
    _, found = screen_columns(named, outcome, columns=list(named.columns))
    back = {table.labels.get(c, c): c for c in columns}
    return {back[label]: why for label, why in found.items()}


def _reversals(frame: pd.DataFrame, y: np.ndarray, odds: pd.DataFrame, chance_of: str) -> tuple[list[str], list[str]]:
    """Inputs whose clear odds ratio points the other way from their own correlation with the outcome.

    Not an error (adjusted for the other inputs a direction may reverse), but easy to misread: the
    note says so in words (``chance_of``: "churning"); the numbers behind it (the correlation, the
    odds ratio) are the second list, for "How this is computed".
    """
    found, numbers = [], []
    for row in odds[(odds["kind"] == "per SD") & ((odds["ci_high"] < 1) | (odds["ci_low"] > 1))].itertuples():
        values = pd.to_numeric(frame[row.column], errors="coerce")
        known = values.notna().to_numpy()
        if known.sum() < 10 or values[known].nunique() < 2:
            continue
        r = float(np.corrcoef(values[known].to_numpy(float), y[known])[0, 1])
        if abs(r) >= 0.1 and np.sign(r) != np.sign(np.log(row.value)):
            found.append(f"{row.feature}: on its own, a higher value goes with a {'higher' if r > 0 else 'lower'} "
                         f"chance of {chance_of}; among customers alike in every other input, with a "
                         f"{'higher' if row.value > 1 else 'lower'} one.")
            numbers.append(f"{row.feature}: correlation with the outcome r = {r:+.2f}; adjusted odds ratio per SD "
                           f"{row.value:.2f} (95% interval {row.ci_low:.2f}–{row.ci_high:.2f}).")
    if not found:
        return [], []
    return (["Directions that reverse once the other inputs are held equal (read these bars as 'among customers "
             "alike in every other input'):" + "".join(f"\n• {line}" for line in found)],
            ["Directions that reverse:" + "".join(f"\n• {line}" for line in numbers)])


def _leak_text(flagged: dict[str, str], labels: dict[str, str]) -> str:
    """"A, B — reason; C — other reason": columns sharing a reason named together."""
    by_reason: dict[str, list[str]] = {}
    for column, reason in flagged.items():
        by_reason.setdefault(reason, []).append(labels.get(column, column))
    return "; ".join(f"{', '.join(names)} — {reason}" for reason, names in by_reason.items())


def _merged_labels(table: FeatureTable, merged: dict[str, list[str]]) -> dict[str, str]:
    """Labels of merged features: every name of the one measure ("Mean CSAT = Worst moment (index) = …")."""
    labels = dict(table.labels)
    one = "contacts" in table.frame and table.frame["contacts"].max() <= 1
    for kept, others in merged.items():
        names = " = ".join(labels.get(c, c) for c in [kept, *others])
        labels[kept] = f"{names} ({'one rating per customer' if one else 'the same measure, |r| ≥ 0.98'})"
    return labels


def _distinct_sets(groups: dict[str, list[str]], features: Sequence[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The comparison sets that differ from each other and from all the features; the others → their twin."""
    kept: dict[str, list[str]] = {}
    same: dict[str, str] = {}
    for name, cols in groups.items():
        twin = next((k for k, v in kept.items() if set(v) == set(cols)), None)
        twin = twin or ("All" if set(cols) == set(features) else None)
        if twin:
            same[name] = twin
        else:
            kept[name] = cols
    return kept, same


def _feature_sets(y: np.ndarray, predictions: dict[str, np.ndarray], cv: dict[str, Interval],
                  groups: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Cross-validated ROC AUC of each feature set (DeLong CI), best first."""
    rows = []
    for name, cols in groups.items():
        auc = cv["roc_auc"] if name == "All" else delong_interval(y, predictions[name])
        rows.append({"name": name, "features": len(cols), "roc_auc": auc.value, "ci_low": auc.ci_low,
                     "ci_high": auc.ci_high})
    return pd.DataFrame(rows).sort_values("roc_auc", ascending=False, kind="stable").reset_index(drop=True)


def _floats(frame: pd.DataFrame):
    """The population's number type: float32 where the feature table holds its features so (more than
    :data:`~cx.churn.table.FLOAT32_ABOVE` customers), else float64."""
    return np.float32 if any(frame[c].dtype == np.float32 for c in frame.columns) else float


#: Columns of the population besides the model's inputs (the at-risk list and what-if targeting).
_CONTEXT = ("customer_id", "segment", "lifetime_value", "incidents", "recovery")


@dataclass(frozen=True)
class _ToRank:
    """The customers to rank, as taken from the feature table (see :func:`_to_rank`)."""

    frame: pd.DataFrame | None  # their rows (labels kept) and the population's columns; None under the window rule
    keep: np.ndarray | None  # which of the table's rows they are
    floats: type  # the population's number type


def _to_rank(table: FeatureTable, now: FeatureTable | None, features: Sequence[str], consume: bool = False) -> _ToRank:
    """The rows and columns of ``table`` the population is built from (the table's customers without the
    outcome, or with it for a good outcome), or nothing under the window rule (``now`` is ranked).

    ``consume``: ``table.frame`` is emptied, each column dropped once its rows are taken (never the whole
    frame twice); the taken frame is the same as ``table.frame.loc[keep, columns]``.
    """
    frame = table.frame
    floats = _floats(frame)
    if now is not None and len(now.frame):
        taken, keep = None, None
    else:
        keep = frame["outcome"].to_numpy(dtype=int) == int(outcome_is_good(table.outcome, table.positive))
        # only the columns the population holds: a million customers' whole frame is not copied again
        wanted = [c for c in dict.fromkeys([*features, *_CONTEXT]) if c in frame]
        columns = list(dict.fromkeys([*wanted, *[c for c in frame if c.startswith(CHANNEL_PREFIX)]]))
        if consume:
            parts, rows = {}, np.flatnonzero(keep)
            for k, col in enumerate(columns, 1):
                parts[col] = frame.pop(col).take(rows)
                if k % 6 == 0:  # the dropped columns' memory handed back as it goes, not after the whole frame
                    release_memory()
            taken = pd.DataFrame(parts, copy=False)
        else:
            taken = frame.loc[keep, columns]
    if consume:
        for col in list(frame.columns):
            del frame[col]
    return _ToRank(taken, keep, floats)


def _population(ranked: _ToRank, now: FeatureTable | None, features: Sequence[str], model: ChurnModel,
                oof: np.ndarray, line: tuple[float, float], sample: FitSample | None = None) -> pd.DataFrame:
    """Whom to rank, with their model inputs, context and calibrated probability.

    The customers without the outcome (with it, for a good outcome such as satisfied: those who could
    still lose it) with their out-of-fold probability, or, under the window rule,
    everyone active now with their current features and the model fitted at the cut-off. With a fit
    ``sample``, ``oof`` covers the sampled customers only; the others are scored by ``model``.
    """
    if ranked.frame is None:
        frame = now.frame.reindex(columns=list(dict.fromkeys([*now.frame.columns, *features])))
        population = model_frame(frame, features, _floats(frame)).reset_index(drop=True)
        raw = predict_in_batches(model, population[list(features)])
    else:
        frame, keep = ranked.frame, ranked.keep
        population = model_frame(frame, features, ranked.floats).reset_index(drop=True)
        if sample is None:
            raw = oof[keep]
        else:  # out-of-fold where the customer was in the sample, else the sample's model (never saw them)
            everyone = np.full(len(keep), np.nan)
            everyone[sample.rows] = oof
            raw = everyone[keep]
            unseen = np.flatnonzero(np.isnan(raw))
            raw[unseen] = predict_in_batches(model, population[list(features)], rows=unseen)
    context = [*_CONTEXT, *[c for c in frame if c.startswith(CHANNEL_PREFIX)]]
    for col in context:
        if col in frame and col not in population:
            # the column as it is (its own dtype, positions aligned): no detour through a million Python objects
            population[col] = frame[col].reset_index(drop=True)
    population["probability"] = recalibrate(raw, line)
    return population


def _warnings(cv: dict[str, Interval], line: tuple[float, float], model: ChurnModel, odds: pd.DataFrame) -> tuple:
    warns = []
    if cv["roc_auc"].includes(0.5):
        warns.append(f"The ROC AUC's 95% CI ({cv['roc_auc'].ci_low:.2f}–{cv['roc_auc'].ci_high:.2f}) includes 0.5: "
                     "the model does not tell these customers apart better than chance. Don't read the odds ratios "
                     "as drivers.")
    if not 0.8 <= line[1] <= 1.25:
        warns.append(f"Calibration slope {line[1]:.2f} (ideal 1): the out-of-fold probabilities are "
                     f"{'too extreme' if line[1] < 1 else 'too timid'}; the at-risk list uses recalibrated ones.")
    if not model.converged_:
        warns.append(f"The model did not converge in {model.n_iter_} Newton steps: its odds ratios are approximate.")
    failed = int((~model.bootstrap_converged_).sum())
    if failed:
        warns.append(f"{failed} of {len(model.bootstrap_converged_)} bootstrap refits did not converge and are left "
                     "out of the intervals.")
    outside = odds[(odds["value"] < odds["ci_low"]) | (odds["value"] > odds["ci_high"])]
    if len(outside):
        warns.append("Odds ratios outside their own bootstrap interval (the estimate is unstable: few customers "
                     "behind it, or measures that move together): " + ", ".join(outside["feature"]) + ".")
    return tuple(warns)


def _leak_warnings(table: FeatureTable, screen: Screen, cv: dict[str, Interval], labels: dict[str, str]) -> list[str]:
    """Leaks kept in because the user asked, and a model too good to be true (AUC ≥ 0.99), named loudly."""
    warns = [f"LEAK kept in the model because you asked: {labels.get(c, c)} — {r}. Its odds ratio and the "
             "model's scores describe the leak, not the customers' experience." for c, r in screen.allowed.items()]
    warns += [f"Suspected leak: {labels.get(c, c)} {r}. It stays in the model: if it was recorded after "
              f"{table.outcome} or is a verdict like it (an overall rating), leave it out (map it as 'ignore' or do "
              "not add it), or its odds ratio describes the outcome restated, not an experience."
              for c, r in screen.suspected.items()]
    for column in screen.features:
        gaps = table.frame[column].isna().to_numpy()
        only = one_class_only(gaps, table.frame["outcome"].to_numpy(dtype=int)) if column in table.frame else None
        if only is not None:
            warns.append(f"{labels.get(column, column)} is missing only for customers with {table.outcome} = "
                         f"{'yes' if only else 'no'} ({int(gaps.sum()):,}): its 'missing' odds ratio is that "
                         "coincidence (perfect separation), not an effect — check what a gap means in this column.")
    if cv["roc_auc"].value >= LEAK_AUC:
        carriers = leak_carriers(table.frame, screen.features)
        warns.insert(0, f"LEAK LIKELY: the cross-validated ROC AUC is {cv['roc_auc'].value:.3f} (≥ {LEAK_AUC}). "
                        f"Experiences do not predict {table.outcome} this well; some input most likely restates it. "
                        "The columns that carry it: " + ", ".join(labels.get(c, c) for c in carriers)
                        + ". Check how they were recorded (after the outcome? computed from it?) and map them as "
                        "'ignore'.")
    return warns


def _card(table: FeatureTable, y: np.ndarray, screen: Screen, labels: dict[str, str], n_splits: int,
          resamples: int, C: float, random_state, same: dict[str, str] | None = None,
          thinned: dict[str, list[str]] | None = None) -> ModelCard:
    features, excluded = screen.features, screen.excluded
    notes = list(table.notes)
    for name, gone in (thinned or {}).items():
        notes.append(f"The feature set {name!r} is compared without {', '.join(labels.get(c, c) for c in gone)} "
                     "(left out as nearly a combination of the other inputs).")
    for name, twin in (same or {}).items():
        notes.append(f"The feature set {name!r} is not compared: after merging duplicates it holds the same "
                     f"features as {twin!r}" + (" (one rating per customer: worst, end and mean are one number, so "
                                                "there is no peak-end question to answer)" if name == "Peak-end" else "")
                     + ".")
    if excluded:
        notes.append(f"Left out as leaks (they carry the outcome): {_leak_text(excluded, labels)}.")
    if screen.merged:
        notes.append("Merged as one measure (the same values under several names): " + "; ".join(
            labels[c] for c in screen.merged) + ".")
    details = []
    if screen.collinear:
        notes.append("Left out because the other inputs already carry what they measure (kept in, they would "
                     "trade weight with those inputs and could flip signs): "
                     + ", ".join(labels.get(c, c) for c in screen.collinear) + ".")
        details.append(f"Left out as nearly a combination of the other inputs (variance inflation factor ≥ {MAX_VIF:g}): "
                       + ", ".join(f"{labels.get(c, c)} (VIF {'∞' if not np.isfinite(v) else f'{v:.0f}'})"
                                   for c, v in screen.collinear.items()) + ".")
    seed = f"seed {random_state}" if isinstance(random_state, (int, np.integer)) else "the caller's random generator"
    return ModelCard(
        outcome=table.outcome, n=len(y), positives=int(y.sum()), negatives=int(len(y) - y.sum()),
        rule_text=table.rule_text,
        cv_scheme=(f"Stratified {n_splits}-fold cross-validation (shuffled, {seed}), scored on the out-of-fold "
                   "predictions: ROC AUC with DeLong's 95% CI; PR AUC and Brier score with 95% percentile-bootstrap "
                   f"CIs (customers resampled); odds-ratio CIs from {resamples} bootstrap refits."),
        model_text=(f"Logistic regression, L2 penalty with C = {C:g} on standardised features, fitted to convergence "
                    f"(Newton steps under {TOL:g}; the bootstrap refits alike); median imputation with missing-value "
                    "indicators; categories one-hot against their most common level."),
        features=tuple(labels.get(f, f) for f in features), excluded={labels.get(c, c): r for c, r in excluded.items()},
        notes=tuple(notes), details=tuple(details), leaks=tuple(labels.get(c, c) for c in excluded),
        as_of=None if table.as_of is None else f"{table.as_of:%Y-%m-%d}",
        good_outcome=outcome_is_good(table.outcome, table.positive), risk_words=risk_words(table.outcome, table.positive),
        chance_of=outcome_words(table.outcome, table.positive),
        positive=None if table.positive is None else str(table.positive),
        allowed=tuple(labels.get(c, c) for c in screen.allowed),
        suspected={labels.get(c, c): r for c, r in screen.suspected.items()},
    )


def _at_risk(population: pd.DataFrame, top: int, good: bool = False) -> pd.DataFrame:
    """The customers most at risk: the highest chance of a bad outcome, or the lowest of a good one, × value."""
    out = pd.DataFrame({"customer_id": population["customer_id"].astype(str),
                        "probability": population["probability"]})
    risk = 1.0 - out["probability"] if good else out["probability"]
    if "segment" in population:
        out["segment"] = population["segment"]
    ltv = population["lifetime_value"] if "lifetime_value" in population else pd.Series(np.nan, index=population.index)
    out["lifetime_value"] = ltv.astype(float)
    out["value_at_risk"] = risk * out["lifetime_value"]
    for col in ("incidents", "recovery"):
        if col in population:
            values = population[col].to_numpy()
            out[col] = values.astype(float) if values.dtype == np.float32 else values  # the list speaks float64
    key = out["value_at_risk"].fillna(-1.0) if out["lifetime_value"].notna().any() else risk
    if 0 < int(top) < len(out) and key.notna().all():  # only rows that can make the list are sorted (ties kept)
        edge = np.partition(key.to_numpy(float), len(out) - int(top))[len(out) - int(top)]
        near = (key >= edge).to_numpy()
        out, key, risk = out.loc[near], key[near], risk[near]
    out = out.assign(_key=key, _risk=risk).sort_values(["_key", "_risk", "customer_id"], ascending=[False, False, True])
    out = out.drop(columns=["_key", "_risk"]).head(int(top)).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def outcome_words(outcome: str, positive=None, good: bool | None = None) -> str:
    """The outcome as the end of "chance of …": "churning", "being Satisfied", "plan_downgrade = yes"."""
    good = outcome_is_good(outcome, positive) if good is None else good
    if outcome == "churned" and positive is None:
        return "churning"
    return f"being {positive}" if positive is not None else f"being {outcome}" if good else f"{outcome} = yes"


def risk_words(outcome: str, positive=None, good: bool | None = None) -> str:
    """How the at-risk list reads: "most likely to churn", "least likely to be Satisfied"."""
    good = outcome_is_good(outcome, positive) if good is None else good
    if outcome == "churned" and positive is None:
        return "most likely to churn"
    what = outcome_words(outcome, positive, good)
    return f"{'least' if good else 'most'} likely {'to be' + what[len('being'):] if what.startswith('being ') else what}"


__all__ = ["ChurnModelError", "ChurnReport", "ModelCard", "fit_churn", "fit_churn_table", "outcome_words", "risk_words"]
