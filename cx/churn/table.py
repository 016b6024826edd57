"""The per-customer feature table: its rules, its types, and how a query result becomes one.

:func:`cx.churn.features.churn_features` builds one row per customer in SQL; :func:`finish_table`
turns that row set into a :class:`FeatureTable` in named steps, each a pure function of a
DataFrame (testable without a database):

1. :func:`typed_columns` — ids as text, dates as timestamps, features as floats, counts 0 when absent;
2. :func:`outcome_and_as_of` — the 0/1 outcome under the :class:`CutoffRule`, and each customer's
   reference day;
3. :func:`drop_unknown_outcomes` — customers without an outcome are left out, and counted;
4. :func:`time_features` — recency (only with a common cut-off day) and tenure;
5. :func:`feature_sets` — the informative features, their labels and the comparison sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.outcomes import parse_outcome

#: Human labels of the model's features (touchpoint features are labelled on the fly).
FEATURE_LABELS: dict[str, str] = {
    "mean_nps": "Mean NPS (0–10)",
    "mean_csat": "Mean CSAT",
    "mean_ces": "Mean effort (CES)",
    "mean_index": "Mean experience index",
    "worst_index": "Worst moment (index)",
    "end_index": "End of journey (index)",
    "peak_end_index": "Peak-end (index)",
    "best_index": "Best moment (index)",
    "first_index": "First moment (index)",
    "slope": "Trend (index points per moment)",
    "incidents": "Critical incidents",
    "recovery": "Incident recovery",
    "contacts": "Contacts",
    "recency_days": "Days since last contact",
    "tenure_days": "Tenure (days)",
    "median_resolution_hours": "Median resolution time (h)",
    "median_first_response_minutes": "Median first response (min)",
    "fcr_share": "Resolved at first contact (share)",
}
MEAN_SCORES = ("mean_nps", "mean_csat", "mean_ces", "mean_index")
PEAK_END = ("worst_index", "end_index")
JOURNEY = ("mean_index", "worst_index", "best_index", "first_index", "end_index", "slope", "incidents", "recovery",
           "contacts", "recency_days", "tenure_days")
SERVICE = ("median_resolution_hours", "median_first_response_minutes", "fcr_share")
CATEGORICAL_FEATURES = ("recovery",)
#: Reference level first: odds ratios of the other classes are against it.
RECOVERY_LEVELS = ("clean", "recovered", "unrecovered")

TOUCHPOINT_PREFIX = "tp: "
CHANNEL_PREFIX = "contacts via "


class FeatureError(ValueError):
    """The features cannot be built as asked (no customers table, unknown outcome, ...)."""


@dataclass(frozen=True)
class CutoffRule:
    """Which interactions may inform the features (see :mod:`cx.churn.features`).

    Parameters
    ----------
    kind : {"before_outcome", "window", "none"}
        ``before_outcome`` cuts each churned customer's history at ``churned_at``.
    cutoff : date, optional
        ``window`` only: the day the observation window ends (exclusive). Default: ``horizon_days``
        before the last interaction, so that the horizon fits inside the data.
    horizon_days : int
        ``window`` only: an outcome is a churn within this many days after the cut-off.
    observation_days : int, optional
        ``window`` only: how far back before the cut-off interactions count (default: all).
    """

    kind: str = "before_outcome"
    cutoff: dt.date | None = None
    horizon_days: int = 90
    observation_days: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("before_outcome", "window", "none"):
            raise ValueError(f"unknown cut-off rule {self.kind!r}: use before_outcome, window or none")
        if self.horizon_days < 1:
            raise ValueError("the outcome horizon must be at least one day")
        if self.observation_days is not None and self.observation_days < 1:
            raise ValueError("the observation window must be at least one day")
        if isinstance(self.cutoff, str):
            object.__setattr__(self, "cutoff", dt.date.fromisoformat(self.cutoff))


@dataclass(frozen=True)
class FeatureTable:
    """Per-customer features, outcome and context, as returned by :func:`cx.churn.features.churn_features`.

    Attributes
    ----------
    frame : DataFrame
        One row per customer: ``customer_id``, ``outcome`` (0/1), the feature columns,
        ``lifetime_value``, ``segment``, ``churned``, ``last_at`` and contact counts per channel.
    outcome : str
        The customer column modelled.
    features : tuple of str
        Experience features available (non-empty columns), the model's default inputs.
    attributes : tuple of str
        Customer attributes that may join the model when the user picks them.
    groups : dict
        Feature-set name → features, for the "which measures matter" comparison.
    labels : dict
        Column → label for people.
    rule : CutoffRule
        The rule in force (after falling back, e.g. to ``none`` for undated data).
    rule_text : str
        One sentence stating that rule.
    as_of : Timestamp or None
        The end of the data (or the window's cut-off).
    notes : tuple of str
        Things the user should know (rows left out and why).
    positive : optional
        The outcome's value counted as yes, when the user named one.
    unknown_outcomes : int
        Customers left out because their outcome is missing.
    """

    frame: pd.DataFrame
    outcome: str
    features: tuple[str, ...]
    attributes: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    labels: dict[str, str]
    rule: CutoffRule
    rule_text: str
    as_of: pd.Timestamp | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    positive: object = None
    unknown_outcomes: int = 0


@dataclass(frozen=True)
class QueryResult:
    """What the feature query returned and how it was asked (the input of :func:`finish_table`)."""

    frame: pd.DataFrame
    outcome: str
    rule: CutoffRule
    rule_text: str
    end: pd.Timestamp | None
    attributes: tuple[str, ...]
    touchpoints: tuple[str, ...]
    as_of_now: bool = False
    positive: object = None


def to_float(series: pd.Series) -> pd.Series:
    """Numbers as floats, anything else (and gaps) NaN.

    A column that is already numeric (not boolean) is cast directly, gaps (NaN, NA) becoming NaN: the
    same values as the general path through objects, which took 8 s for a million customers' features.
    """
    if series.dtype == np.float64:
        return series.astype(float)  # copy-on-write: shares the column's memory until either is changed
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index, name=series.name)
    return pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce").astype(float)


def typed_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Ids as text, dates as timestamps, features as floats; counts and recovery filled where absent.

    The input is not changed: a shallow copy under pandas' copy-on-write, so unchanged columns are
    shared rather than copied (a million customers' features are half a gigabyte).
    """
    frame = frame.copy(deep=False)
    frame["customer_id"] = frame["customer_id"].astype(str)
    for name in ("churned_at", "signup_at", "last_at"):
        frame[name] = pd.to_datetime(frame[name], errors="coerce")
    counts = [n for n in frame.columns if n.startswith(CHANNEL_PREFIX)]
    numeric = [n for n in frame.columns if n in FEATURE_LABELS and n not in CATEGORICAL_FEATURES]
    numeric += [n for n in frame.columns if n.startswith(TOUCHPOINT_PREFIX)] + counts + ["lifetime_value"]
    for name in numeric:
        frame[name] = to_float(frame[name])
    for name in ["contacts", "incidents", *counts]:
        frame[name] = frame[name].fillna(0.0)
    frame["recovery"] = frame["recovery"].astype(object).where(frame["recovery"].notna(), "clean")
    churned = frame["churned"]
    frame["churned"] = (parse_outcome(churned, "churned") if churned.notna().any()
                        else pd.Series(pd.NA, index=frame.index, dtype="Int64"))
    return frame


def _window_outcome(frame: pd.DataFrame, rule: CutoffRule, end: pd.Timestamp | None,
                    notes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Churned within the horizon after the cut-off; churners without a date cannot be placed."""
    start = pd.Timestamp(rule.cutoff)
    stop = start + pd.Timedelta(days=rule.horizon_days)
    undated = (frame["churned"] == 1) & frame["churned_at"].isna()
    if undated.any():
        notes.append(f"{int(undated.sum()):,} churned customers without a churn date were left out (their churn "
                     "cannot be placed before or after the cut-off).")
        frame = frame.loc[~undated].copy()
    frame["outcome"] = ((frame["churned_at"] >= start) & (frame["churned_at"] < stop)).astype(int)
    if end is not None and stop > end + pd.Timedelta(days=1):
        notes.append(f"The data end on {end:%Y-%m-%d}, before the horizon closes ({stop:%Y-%m-%d}): "
                     "recent churn is undercounted.")
    return frame, pd.Series(start, index=frame.index)


def outcome_and_as_of(frame: pd.DataFrame, result: QueryResult, notes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """The 0/1 ``outcome`` column and each customer's reference day (the cut-off, churn date or end of data)."""
    rule, end = result.rule, result.end
    if result.as_of_now:
        return frame.assign(outcome=0), pd.Series(end, index=frame.index)
    if rule.kind == "window":
        return _window_outcome(frame, rule, end, notes)
    if result.outcome != "churned" or result.positive is not None:
        frame["outcome"] = parse_outcome(frame[result.outcome], result.outcome, result.positive)
    else:
        frame["outcome"] = frame["churned"]
    as_of = (pd.Series(end, index=frame.index, dtype="datetime64[us]") if end is not None
             else pd.Series(pd.NaT, index=frame.index))
    if rule.kind == "before_outcome":
        as_of = frame["churned_at"].where(frame["churned"].fillna(0).astype(int) == 1).fillna(as_of)
    return frame, as_of


def drop_unknown_outcomes(frame: pd.DataFrame, as_of: pd.Series, outcome: str,
                          notes: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Leave out the customers with no value in the outcome column, and say how many."""
    missing = frame["outcome"].isna()
    if missing.any():
        notes.append(f"{int(missing.sum()):,} customers with no value in {outcome} were left out.")
        frame, as_of = frame.loc[~missing].copy(), as_of.loc[~missing]
    frame["outcome"] = frame["outcome"].astype(int)
    return frame, pd.to_datetime(as_of)


def time_features(frame: pd.DataFrame, as_of: pd.Series, result: QueryResult, notes: list[str]) -> pd.DataFrame:
    """Days since last contact and tenure, each measured to a day that does not restate the outcome.

    Recency needs a reference day that does not depend on the outcome: only the window rule (and
    "now") has one. Measured to the churn date, or to the end of the data for customers who
    stopped coming because they left, it would restate the churn. Tenure is measured to the same
    day for everyone (the cut-off, or the end of the data): the account's age, not time-to-churn.
    """
    rule = result.rule
    common = pd.Series(pd.Timestamp(rule.cutoff) if rule.kind == "window" else result.end, index=frame.index)
    if rule.kind == "window" or result.as_of_now:
        frame["recency_days"] = (as_of - frame["last_at"]).dt.total_seconds() / 86400.0
    else:
        frame["recency_days"] = np.nan
        notes.append("Days since last contact is left out: without a common cut-off day it would restate the "
                     "outcome (customers who left stopped getting in touch). The observation-window rule includes it.")
    tenure = (pd.to_datetime(common) - frame["signup_at"]).dt.total_seconds() / 86400.0
    frame["tenure_days"] = tenure.where(tenure >= 0)
    no_contact = int((frame["contacts"] == 0).sum())
    if no_contact:
        notes.append(f"{no_contact:,} customers have no interaction in scope: their experience features are missing "
                     "(the model sees that through missing-value indicators).")
    return frame.reset_index(drop=True)


def informative(values: pd.Series) -> bool:
    """Not empty and not constant (a constant column with some gaps still says something: the gaps)."""
    present = values.dropna()
    if present.empty:
        return False
    return present.nunique() > 1 or len(present) < len(values)


def labels_for(touchpoints: Sequence[str], attributes: Sequence[str]) -> dict[str, str]:
    """Column → label for people, touchpoint features and attributes included."""
    labels = dict(FEATURE_LABELS) | {f"{TOUCHPOINT_PREFIX}{tp}": f"{tp} (touchpoint index)" for tp in touchpoints}
    return labels | {a: a.replace("_", " ").capitalize() for a in attributes}


def comparison_sets(features: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The feature sets compared on the page ("which measures matter"), the non-empty ones."""
    groups = {
        "Mean scores only": tuple(f for f in MEAN_SCORES if f in features),
        "Peak-end": tuple(f for f in PEAK_END if f in features),
        "Touchpoint-level": tuple(f for f in features if f.startswith(TOUCHPOINT_PREFIX)),
        "Journey-level": tuple(f for f in JOURNEY if f in features),
        "All": tuple(features),
    }
    return {k: v for k, v in groups.items() if v}


def feature_sets(frame: pd.DataFrame, touchpoints: Sequence[str], attributes: Sequence[str],
                 notes: list[str]) -> tuple[dict[str, str], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Labels, the informative features (the model's default inputs) and the comparison sets."""
    labels = labels_for(touchpoints, attributes)
    candidates = [*MEAN_SCORES, *PEAK_END, *JOURNEY, *SERVICE, *[f"{TOUCHPOINT_PREFIX}{tp}" for tp in touchpoints]]
    candidates = list(dict.fromkeys(candidates))
    features = tuple(f for f in candidates if f in frame and informative(frame[f]))
    dropped = [labels[f] for f in candidates if f in frame and f not in features and f != "recency_days"]
    if dropped:
        notes.append(f"Left out as empty or constant: {', '.join(dropped)}.")
    return labels, features, comparison_sets(features)


#: Above this many customers the experience features are held as float32 (half the memory of a million
#: customers' table; a measure keeps 7 significant digits, far below any interval's width). Up to it,
#: float64 as the database gives them.
FLOAT32_ABOVE = 100_000


def narrow_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """The experience features as float32 when the table has more than :data:`FLOAT32_ABOVE` rows.

    Money (lifetime value) and the outcome stay as they are; one column at a time, so never a second
    copy of the whole table.
    """
    if len(frame) <= FLOAT32_ABOVE:
        return frame
    for name in frame.columns:
        feature = name in FEATURE_LABELS or name.startswith((TOUCHPOINT_PREFIX, CHANNEL_PREFIX))
        if feature and frame[name].dtype == np.float64:
            frame[name] = frame[name].astype(np.float32)
    return frame


def finish_table(result: QueryResult, notes: Sequence[str] = ()) -> FeatureTable:
    """The :class:`FeatureTable` of a feature query's rows (the steps of this module, in order)."""
    notes = list(notes)
    frame = typed_columns(result.frame)
    frame, as_of = outcome_and_as_of(frame, result, notes)
    unknown = int(frame["outcome"].isna().sum())
    frame, as_of = drop_unknown_outcomes(frame, as_of, result.outcome, notes)
    frame = narrow_floats(time_features(frame, as_of, result, notes))
    labels, features, groups = feature_sets(frame, result.touchpoints, result.attributes, notes)
    rule = result.rule
    return FeatureTable(frame=frame, outcome=result.outcome, features=features,
                        attributes=tuple(a for a in result.attributes if a in frame and informative(frame[a])),
                        groups=groups, labels=labels, rule=rule, rule_text=result.rule_text,
                        as_of=result.end if rule.kind != "window" else pd.Timestamp(rule.cutoff), notes=tuple(notes),
                        positive=result.positive, unknown_outcomes=unknown)


__all__ = [
    "CATEGORICAL_FEATURES",
    "FLOAT32_ABOVE",
    "CHANNEL_PREFIX",
    "FEATURE_LABELS",
    "FeatureError",
    "FeatureTable",
    "CutoffRule",
    "JOURNEY",
    "MEAN_SCORES",
    "PEAK_END",
    "QueryResult",
    "RECOVERY_LEVELS",
    "SERVICE",
    "TOUCHPOINT_PREFIX",
    "finish_table",
    "informative",
]
