"""What do your customers remember? Peak-end versus the average, tested on the user's own data.

Pure functions of the per-journey features from :func:`cx.journeys.journey_features` (one row per
journey plus an outcome column), so they run the same in a notebook, the CLI and the app.

- :func:`compare_predictors` — how strongly ``mean``, ``worst``, ``end`` and ``peak_end`` each
  relate to the outcome: AUC for a binary outcome, Pearson r for a numeric one, each with a
  bootstrap 95% CI, a *paired* bootstrap of each difference from the mean (the same resampled
  customers for all four measures, so their correlation is respected), and a plain-language
  verdict that says just as clearly when the average wins or when nothing is clear.
- :func:`outcome_by_class` — the outcome for clean / recovered / unrecovered journeys, with
  Wilson CIs for a rate and t intervals for a mean.
- :func:`summarize_journeys` — the headline numbers of a set of journeys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from cx.metrics import wilson_interval
from cx.outcomes import auc_from_counts, outcome_kind, outcome_values, roc_auc  # noqa: F401  (outcome_kind: kept importable here)

PREDICTORS = ("mean", "worst", "end", "peak_end")
PREDICTOR_LABELS = {"mean": "Average", "worst": "Worst moment", "end": "Last moment", "peak_end": "Peak-end"}
CLASSES = ("clean", "recovered", "unrecovered")
MIN_ROWS = 30
MIN_PER_CLASS = 10
#: The smallest lead (AUC points, or Pearson r) worth announcing: a statistically clear 0.007 AUC on a
#: large sample is no reason to tell anyone that one summary "tracks the outcome better".
MIN_DIFFERENCE = {"binary": 0.01, "numeric": 0.02}
_MAX_CELLS = 40_000_000  # resamples × rows per bootstrap (keeps a big source to a few seconds)


@dataclass(frozen=True, eq=False)
class PredictorComparison:
    """The result of :func:`compare_predictors`.

    Attributes
    ----------
    outcome : str
        The outcome column.
    kind : {"binary", "numeric"}
    measure : {"auc", "pearson_r"}
    n : int
        Journeys with every predictor and the outcome known.
    positives : int or None
        Journeys with a positive (true / 1) outcome, for a binary one.
    direction : str
        How the measures are oriented, in words (e.g. "a lower index goes with churned = true").
    table : DataFrame
        One row per predictor: ``predictor, label, value, ci_low, ci_high, diff_vs_mean,
        diff_ci_low, diff_ci_high, p_value`` (the differences are the paired bootstrap of the
        oriented measure minus the mean's; NaN on the mean's own row).
    best : str or None
        The predictor with the strongest relation (None when there are too few journeys).
    clear : bool
        Whether the best predictor's lead over the runner-up (or over the mean) is both statistically
        clear (its paired-bootstrap interval, widened for the three comparisons with the average,
        excludes zero) and at least :data:`MIN_DIFFERENCE` — a lead too small to matter is no verdict.
    verdict : str
        The headline and the details, as one text (the CLI's).
    resamples : int
        Bootstrap resamples used.
    headline : str
        The verdict in a CX lead's words, without method names or statistics.
    details : str
        The numbers behind it (measures, differences, intervals) for a "How this is computed" note.
    """

    outcome: str
    kind: str
    measure: str
    n: int
    positives: int | None
    direction: str
    table: pd.DataFrame = field(repr=False)
    best: str | None
    clear: bool
    verdict: str
    resamples: int
    headline: str = ""
    details: str = ""

    def to_dict(self) -> dict:
        """The ``outcome`` block of ``cx journeys --format json`` (see DESIGN.md)."""
        rows = {r.predictor: r for r in self.table.itertuples()}
        return {
            "column": self.outcome,
            "kind": self.kind,
            "measure": self.measure,
            "n": self.n,
            "predictors": {
                name: {"value": _num(rows[name].value), "ci_low": _num(rows[name].ci_low),
                       "ci_high": _num(rows[name].ci_high)}
                for name in PREDICTORS if name in rows
            },
            "best": self.best,
            "clear": self.clear,
            "verdict": self.verdict,
        }


def _num(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _as_float(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce").astype(float).to_numpy()


# --- the measures on resampled data (counts = how often each row was drawn) ---------------------


def _pearson_counts(x: np.ndarray, y: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pearson r with each row of ``counts`` as frequency weights."""
    moments = counts @ np.column_stack([np.ones_like(x), x, y, x * x, y * y, x * y])
    w, sx, sy, sxx, syy, sxy = moments.T
    cov = sxy - sx * sy / w
    vx, vy = sxx - sx * sx / w, syy - sy * sy / w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((vx > 0) & (vy > 0), cov / np.sqrt(vx * vy), np.nan)


def _measures(X: np.ndarray, y: np.ndarray, counts: np.ndarray, kind: str) -> np.ndarray:
    """Shape (batch, predictors): the raw (un-oriented) measure of each predictor."""
    out = np.empty((counts.shape[0], X.shape[1]))
    for k in range(X.shape[1]):
        if kind == "binary":
            out[:, k] = roc_auc(y, X[:, k], counts)
        else:
            out[:, k] = _pearson_counts(X[:, k], y, counts)
    return out


def _resampled_aucs(codes: list[tuple[np.ndarray, int]], y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Shape (batch, predictors): each predictor's AUC on each resample ``idx`` (rows drawn).

    Only the positives and negatives drawn per distinct score matter, counted straight from the
    drawn rows with the scores' codes found once (not re-sorted for every batch): the same counts,
    so the same AUCs, as :func:`cx.outcomes.roc_auc` with the bootstrap counts as weights.
    """
    size = idx.shape[0]
    drawn_y = y[idx].ravel()
    out = np.empty((size, len(codes)))
    for k, (code, n_codes) in enumerate(codes):
        flat = (np.arange(size)[:, None] * n_codes + code[idx]).ravel()
        total = np.bincount(flat, minlength=size * n_codes).reshape(size, n_codes)
        pos = np.bincount(flat, weights=drawn_y, minlength=size * n_codes).reshape(size, n_codes)
        out[:, k] = auc_from_counts(pos, total - pos)
    return out


def _bootstrap(X, y, kind, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    point = _measures(X, y, np.ones((1, n)), kind)[0]
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, 4_000_000 // max(n, 1)))
    codes = ([(np.unique(X[:, k], return_inverse=True)[1].ravel(), len(np.unique(X[:, k])))
              for k in range(X.shape[1])] if kind == "binary" else [])
    draws = []
    done = 0
    while done < resamples:
        size = min(batch, resamples - done)
        idx = rng.integers(0, n, size=(size, n))
        if kind == "binary":
            draws.append(_resampled_aucs(codes, y, idx))
        else:
            flat = (np.arange(size)[:, None] * n + idx).ravel()
            counts = np.bincount(flat, minlength=size * n).reshape(size, n).astype(float)
            draws.append(_measures(X, y, counts, kind))
        done += size
    return point, np.vstack(draws)


# --- the comparison ------------------------------------------------------------------------------


def compare_predictors(features: pd.DataFrame, outcome_column: str, *, resamples: int = 1000, seed: int = 0,
                       predictors: tuple[str, ...] = PREDICTORS) -> PredictorComparison:
    """How strongly each of mean / worst / end / peak-end relates to an outcome, with a verdict.

    Parameters
    ----------
    features : DataFrame
        Per-journey features (:func:`cx.journeys.journey_features` with ``customer_columns``
        holding the outcome), or any frame with the predictor columns and the outcome.
    outcome_column : str
        A yes/no column (AUC) or a numeric one (Pearson r).
    resamples : int
        Bootstrap resamples (fewer are used on very large inputs, to stay within a few seconds;
        the number used is reported).
    seed : int
        Seed of the resampling: the same input gives the same CIs.
    predictors : tuple of str
        The columns to compare; ``"mean"`` must be among them (it is the baseline).

    Returns
    -------
    PredictorComparison

    Notes
    -----
    The measures are *oriented* together: if, across the four, a higher index goes with fewer
    positive outcomes (as with churn), AUC is reported for "a lower index predicts a positive" and
    r keeps its sign but strength is compared on the oriented scale. One orientation for all four
    keeps the comparison fair. CIs are percentile intervals; a difference is called clear when its
    95% paired-bootstrap interval excludes zero.
    """
    if outcome_column not in features:
        raise ValueError(f"no outcome column {outcome_column!r} in the journey features")
    if features.empty:
        raise ValueError("no journeys to compare: there are no interactions in scope (a customer table alone has "
                         "none); add an interactions file on the Data page (or a second --source), or widen the filters")
    if "mean" not in predictors:
        raise ValueError("the mean must be among the predictors: it is the baseline")
    kind, outcome = outcome_values(features[outcome_column])
    measure = "auc" if kind == "binary" else "pearson_r"
    declined, predictors, note = _what_to_compare(features, predictors)
    if declined:
        return _no_comparison(outcome_column, kind, measure, predictors, declined)
    data = pd.DataFrame({name: _as_float(features[name]) for name in predictors})
    data["y"] = outcome
    data = data.dropna()
    n = len(data)
    X = data[list(predictors)].to_numpy()
    y = data["y"].to_numpy()
    positives = int(y.sum()) if kind == "binary" else None
    too_few = n < MIN_ROWS or (kind == "binary" and min(positives, n - positives) < MIN_PER_CLASS)
    if too_few or (kind == "numeric" and np.nanstd(y) == 0):
        need = (f"at least {MIN_ROWS} journeys with {MIN_PER_CLASS} of each outcome" if kind == "binary"
                else f"at least {MIN_ROWS} journeys with a varying outcome")
        return _no_comparison(outcome_column, kind, measure, predictors,
                              f"Not enough data to compare: {n:,} journeys with an experience score and "
                              f"a known {outcome_column}; the comparison needs {need}.", n, positives)
    resamples = int(max(100, min(resamples, _MAX_CELLS // n))) if resamples > 0 else 0
    point, draws = _bootstrap(X, y, kind, resamples, seed)

    # orient all four together (see Notes)
    neutral = 0.5 if kind == "binary" else 0.0
    sign = 1.0 if np.nanmean(point - neutral) >= 0 else -1.0

    def orient(values):
        return neutral + sign * (values - neutral)

    value, boot = orient(point), orient(draws)
    low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    mean_k = predictors.index("mean")
    diff = boot - boot[:, [mean_k]]
    d_low, d_high = np.nanpercentile(diff, [2.5, 97.5], axis=0)
    p_value = np.minimum(1.0, 2 * np.minimum((diff <= 0).mean(axis=0), (diff >= 0).mean(axis=0)))
    table = pd.DataFrame({
        "predictor": list(predictors),
        "label": [PREDICTOR_LABELS.get(p, p) for p in predictors],
        "value": value, "ci_low": low, "ci_high": high,
        "diff_vs_mean": value - value[mean_k], "diff_ci_low": d_low, "diff_ci_high": d_high, "p_value": p_value,
    })
    table.loc[mean_k, ["diff_vs_mean", "diff_ci_low", "diff_ci_high", "p_value"]] = np.nan

    higher = "higher" if sign > 0 else "lower"
    if kind == "binary":
        direction = f"a {higher} experience index goes with {outcome_column} = yes"
    else:
        direction = f"a {higher} experience index goes with a higher {outcome_column}"
    best, clear, headline, details = _verdict(table, boot, predictors, kind, outcome_column)
    headline = f"{note} {headline}" if note else headline
    details += (f" Measured over {n:,} journeys; 95% intervals from {resamples:,} bootstrap resamples, differences "
                f"from a paired bootstrap (intervals widened to {100 - 5 / (len(predictors) - 1):.1f}% for the "
                f"{len(predictors) - 1} comparisons with the average); a lead under "
                f"{MIN_DIFFERENCE[kind]:g} is treated as no difference.")
    return PredictorComparison(outcome_column, kind, measure, n, positives, direction, table, best, clear,
                               f"{headline} {details}", resamples, headline, details)


def _no_comparison(outcome_column: str, kind: str, measure: str, predictors, verdict: str, n: int = 0,
                   positives: int | None = None) -> PredictorComparison:
    """A comparison that was not made, with the reason as its verdict."""
    table = pd.DataFrame({"predictor": list(predictors), "label": [PREDICTOR_LABELS.get(p, p) for p in predictors]}
                         | {c: np.nan for c in ("value", "ci_low", "ci_high", "diff_vs_mean", "diff_ci_low",
                                                "diff_ci_high", "p_value")})
    return PredictorComparison(outcome_column, kind, measure, n, positives, "", table, None, False, verdict, 0,
                               verdict, "")


def _what_to_compare(features: pd.DataFrame, predictors: tuple[str, ...]) -> tuple[str, tuple[str, ...], str]:
    """Whether the peak-end question can be asked of these journeys: (reason to decline, predictors, note).

    Declined when every journey has one rated moment, or the summaries are one number (|r| ≥ 0.98
    with the mean): "worst = end = mean" leaves nothing to compare. Without dates no rating is the
    last one (a wide file's column order is not an order in time), so the end and peak-end are left
    out and the note says so.
    """
    scored = pd.to_numeric(features.get("scored", pd.Series(dtype=float)), errors="coerce").dropna()
    if len(scored) and (scored <= 1).all():
        return ("Not compared: every customer has one rated moment, so worst = end = mean (one rating per "
                "customer) and there is no peak-end question to answer on these data.", predictors, "")
    note = ""
    if "last_at" in features and features["last_at"].isna().all() and len(features):
        dropped = [p for p in predictors if p in ("end", "peak_end")]
        predictors = tuple(p for p in predictors if p not in dropped)
        if dropped:
            note = ("End and peak-end are not compared: the ratings carry no dates, so none of them is the last "
                    "(the order of a file's columns is not an order in time).")
    values = pd.DataFrame({p: _as_float(features[p]) for p in predictors if p in features})
    others = [p for p in values if p != "mean"]
    if others and "mean" in values and len(values.dropna()) >= 3:
        r = values.dropna().corr()["mean"].abs()
        if all(r.get(p, 0) >= 0.98 for p in others):
            named = " = ".join(PREDICTOR_LABELS.get(p, p).lower() for p in ["mean", *others])
            return (f"Not compared: {named} here (they correlate |r| ≥ 0.98), so there is no peak-end question "
                    "to answer on these data.", predictors, note)
    return "", predictors, note


def _fmt(kind: str, value: float) -> str:
    return f"AUC {value:.2f}" if kind == "binary" else f"r = {value:+.2f}"


def _verdict(table: pd.DataFrame, boot: np.ndarray, predictors, kind: str, outcome: str):
    """Which measure wins, and whether its lead is clear: ``(best, clear, headline, details)``.

    A lead is announced only when its paired-bootstrap interval (Bonferroni-widened for the
    comparisons with the average) excludes zero *and* it is at least :data:`MIN_DIFFERENCE`;
    otherwise the headline says there is no detectable difference.
    """
    values = table["value"].to_numpy()
    order = np.argsort(-values, kind="stable")
    best_k, runner_k = int(order[0]), int(order[1])
    best = predictors[best_k]
    mean_k = predictors.index("mean")
    neutral = 0.5 if kind == "binary" else 0.0
    row = table.iloc[best_k]
    label = PREDICTOR_LABELS.get
    alpha = 0.05 / max(1, len(predictors) - 1)
    smallest = MIN_DIFFERENCE[kind]
    if row.ci_low <= neutral:
        return best, False, (
            f"None of the measures relates clearly to {outcome}: on these data, how customers felt does not "
            f"detectably go with {outcome}."
        ), (f"Even the strongest, {label(best, best).lower()} ({_fmt(kind, row.value)}), has a 95% interval "
            f"reaching {'0.5 (chance)' if kind == 'binary' else 'zero'}.")

    def lead(a: int, b: int) -> tuple[float, float, float]:
        d = boot[:, a] - boot[:, b]
        lo, hi = np.nanpercentile(d, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        return values[a] - values[b], lo, hi

    def numbers(a: int, b: int, d: float, lo: float, hi: float) -> str:
        return (f"{label(predictors[a], predictors[a])}: {_fmt(kind, values[a])}; "
                f"{label(predictors[b], predictors[b]).lower()}: {_fmt(kind, values[b])}; difference {d:.3f} "
                f"({100 * (1 - alpha):.1f}% interval {lo:.3f} to {hi:.3f}).")

    if best == "mean":
        d, lo, hi = lead(mean_k, runner_k)
        other = label(predictors[runner_k], predictors[runner_k]).lower()
        if lo > 0 and d >= smallest:
            return best, True, (
                f"The average experience tracks {outcome} best: on your data customers seem to weigh every "
                f"moment, not just the worst and the last, so the peak-end view does not beat the plain average here."
            ), numbers(mean_k, runner_k, d, lo, hi)
        return best, False, (
            f"No detectable difference: the average and the {other} track {outcome} about equally well, so the "
            f"data don't say that peak-end beats the average."
        ), numbers(mean_k, runner_k, d, lo, hi)
    d, lo, hi = lead(best_k, mean_k)
    name = label(best, best)
    if lo > 0 and d >= smallest:
        memory = {"peak_end": "the worst moment and the end", "worst": "the worst moment", "end": "how it ended"}
        return best, True, (
            f"{name} tracks {outcome} better than the average: customers remember "
            f"{memory.get(best, best)} more than the average moment."
        ), numbers(best_k, mean_k, d, lo, hi)
    why = "too small to matter" if lo > 0 else "within what chance would explain"
    return best, False, (
        f"No detectable difference: {name.lower()} and the average track {outcome} about equally well "
        f"(the gap is {why})."
    ), numbers(best_k, mean_k, d, lo, hi)


# --- outcome by journey class --------------------------------------------------------------------


def outcome_by_class(features: pd.DataFrame, outcome_column: str, *, confidence: float = 0.95) -> pd.DataFrame:
    """The outcome of clean, recovered and unrecovered journeys, with confidence intervals.

    Parameters
    ----------
    features : DataFrame
        Per-journey features with ``journey_class`` and the outcome column.
    outcome_column : str
        Yes/no (reported as a rate in percent, Wilson interval) or numeric (mean, t interval).
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per class in the order clean, recovered, unrecovered: ``journey_class, n,
        positives`` (NaN for a numeric outcome), ``value, ci_low, ci_high, kind, unit``.
    """
    if outcome_column not in features:
        raise ValueError(f"no outcome column {outcome_column!r} in the journey features")
    if features.empty:
        raise ValueError("no journeys to compare: there are no interactions in scope (a customer table alone has "
                         "none); add an interactions file on the Data page (or a second --source), or widen the filters")
    kind, values = outcome_values(features[outcome_column])
    y = pd.Series(values, index=features.index)
    rows = []
    for name in CLASSES:
        values = y[(features["journey_class"] == name).to_numpy()].dropna()
        n = len(values)
        if kind == "binary":
            hits = float(values.sum())
            value, low, high = (float(a[0]) for a in wilson_interval([n], [hits], confidence))
            rows.append((name, n, hits, value, low, high))
        else:
            value = float(values.mean()) if n else math.nan
            if n >= 2:
                half = stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
            else:
                half = math.nan
            rows.append((name, n, math.nan, value, value - half, value + half))
    out = pd.DataFrame(rows, columns=["journey_class", "n", "positives", "value", "ci_low", "ci_high"])
    out["kind"] = kind
    out["unit"] = "%" if kind == "binary" else ""
    return out


# --- a narrow frame for the statistics --------------------------------------------------------------

#: What :func:`compare_predictors` and :func:`outcome_by_class` read of the journey features.
COMPACT_COLUMNS = ("journey_class", "scored", "last_at", *PREDICTORS)


def compact(features: pd.DataFrame, outcome_column: str | None = None) -> pd.DataFrame:
    """Only the columns the comparison and the outcome-by-class chart read, the class as a category.

    A warehouse gives a million journeys: the full feature frame (ids as text, eighteen columns)
    takes hundreds of megabytes and is copied by every cache read; this one a quarter of that. The
    numbers are the same (the index features stay 64-bit floats, the outcome as it was).
    """
    out = pd.DataFrame({name: features[name] for name in COMPACT_COLUMNS if name in features})
    out["journey_class"] = pd.Categorical(out["journey_class"], categories=CLASSES)
    out["scored"] = pd.to_numeric(out["scored"]).astype("int32")
    if outcome_column is not None:
        out[outcome_column] = features[outcome_column]
    return out.reset_index(drop=True)


# --- headline numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JourneySummary:
    """Headline numbers of a set of journeys (the ``summary`` block of ``cx journeys``)."""

    customers: int
    journeys: int
    interactions: int
    scored_journeys: int
    mean: float | None
    worst: float | None
    end: float | None
    peak_end: float | None
    incidents: int
    journeys_with_incident: int
    clean: int
    recovered: int
    unrecovered: int

    def to_dict(self) -> dict:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def summarize_journeys(features: pd.DataFrame) -> JourneySummary:
    """Counts and average index features of per-journey features.

    Returns
    -------
    JourneySummary
        Averages are over journeys with at least one score (None when there is none).
    """

    def avg(name):
        values = pd.to_numeric(features[name], errors="coerce").dropna()
        return float(values.mean()) if len(values) else None

    classes = features["journey_class"].value_counts()
    return JourneySummary(
        customers=int(features["customer_id"].nunique()),
        journeys=len(features),
        interactions=int(features["interactions"].sum()),
        scored_journeys=int((features["scored"] > 0).sum()),
        mean=avg("mean"), worst=avg("worst"), end=avg("end"), peak_end=avg("peak_end"),
        incidents=int(features["incidents"].sum()),
        journeys_with_incident=int((features["incidents"] > 0).sum()),
        clean=int(classes.get("clean", 0)),
        recovered=int(classes.get("recovered", 0)),
        unrecovered=int(classes.get("unrecovered", 0)),
    )
