"""Apply a mapping: parse every mapped column, quarantine the rows that fail, build canonical frames.

Every input row ends up either loaded or in the quarantine with the *first* problem found
(reason and column), so ``rows_loaded + rows_quarantined == rows_read`` always, and the reasons'
counts add up to the quarantined rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.ingest import parse, shapes
from cx.ingest.infer import TIMESTAMP_TARGETS, positive_value
from cx.ingest.limits import DIMENSION_TARGETS, Limits, current_limits
from cx.ingest.mapping import DERIVED, Mapping
from cx.ingest.profile import profile
from cx.ingest.readers import META, RawTable
from cx.ingest.sniff import IngestError
from cx.ingest.vocabulary import IGNORE, ROLE_OFFSET, ROLE_RATING, ROLE_RECORD_ID
from cx.memory import release_memory
from cx.schema import Scale, Scales

Progress = Callable[[float], None] | None

MISSING_ID = "missing customer id"
BAD_DATE = "unparseable date"
ODD_DATE = "implausible date (before 1900 or after 2100)"
OUT_OF_RANGE = "score out of declared range"
NOT_A_NUMBER = "not a number"
NOT_WHOLE = "not a whole number"
NOT_A_FLAG = "not a yes/no value"
NEGATIVE = "negative duration"
DUPLICATE = "exact duplicate"
DUPLICATE_ID = "duplicate customer id"
REPEATED_RECORD = "repeated record id (same values)"
CONFLICTING_RECORD = "record id repeated with different values"
UNCOMPUTED = "formula without a saved result"


@dataclass
class LoadResult:
    """The outcome of loading one file.

    Attributes
    ----------
    name, shape : str
    rows_read, rows_loaded, rows_quarantined : int
        ``rows_loaded + rows_quarantined == rows_read``, always.
    reasons : dict
        Quarantine reason -> number of rows, most frequent first (they add up to ``rows_quarantined``).
    interactions : pandas.DataFrame
        Canonical interaction columns that the mapping fills.
    customers : pandas.DataFrame or None
        ``customer_id``, canonical customer columns and extra attributes, one row per customer.
    quarantine : pandas.DataFrame
        The quarantined rows as written in the file, plus ``_row`` (row number in the file, header =
        row 1), ``_column`` (the offending source column) and ``_reason``.
    scales : cx.schema.Scales
    mapping : Mapping
        The mapping that was applied (with the date order actually used).
    notes : list of str
    """

    name: str
    shape: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    reasons: dict[str, int]
    interactions: pd.DataFrame
    customers: pd.DataFrame | None
    quarantine: pd.DataFrame
    scales: Scales = field(default_factory=Scales)
    mapping: Mapping | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """The stable JSON record of ``cx load --format json``."""
        return {"file": self.name, "shape": self.shape, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_quarantined": self.rows_quarantined, "reasons": dict(self.reasons)}


class Problems:
    """The first problem of each row: reason and source column."""

    def __init__(self, index: pd.Index):
        self.reason = pd.Series(None, index=index, dtype=object)
        self.column = pd.Series(None, index=index, dtype=object)

    def add(self, mask: pd.Series, column: str, reason: str) -> None:
        new = mask.reindex(self.reason.index, fill_value=False).astype(bool) & self.reason.isna()
        if new.any():
            self.reason[new] = reason
            self.column[new] = column

    @property
    def bad(self) -> pd.Series:
        return self.reason.notna()


def apply_mapping(raw: RawTable, mapping: Mapping, progress: Progress = None, limits: Limits | None = None) -> LoadResult:
    """Parse, validate and reshape a file according to ``mapping``.

    Parameters
    ----------
    raw : RawTable
    mapping : Mapping
    progress : callable, optional
        Called with a fraction in [0, 1] as columns are processed.
    limits : Limits, optional
        The distinct-value limit of dimension columns (default: :func:`cx.ingest.limits.current_limits`).

    Returns
    -------
    LoadResult

    Raises
    ------
    IngestError
        When the mapping does not fit the file (absent columns, no customer id), when a dimension
        column has more distinct values than the limit, or when numeric dates are ambiguous and
        ``mapping.dayfirst`` is None.
    """
    check_mapping(raw, mapping, limits)
    mapping = Mapping(**{**mapping.__dict__, "booleans": dict(mapping.booleans)})  # never change the caller's
    frame = raw.frame
    dayfirst = _dayfirst(raw, mapping)
    problems = Problems(frame.index)
    for column, rows in raw.uncomputed.items():  # the cell's value is unknown: not missing, not loaded
        if mapping.columns.get(column, IGNORE) != IGNORE:
            problems.add(pd.Series(frame.index.isin(rows), index=frame.index), column, UNCOMPUTED)
    typed: dict[str, pd.Series] = {}
    ratings: dict[str, pd.Series] = {}
    counted: dict[str, int] = {}
    factorized: dict[str, np.ndarray] = {}  # column -> codes of its values, kept for the duplicate test
    mapped = [(c, t) for c, t in mapping.columns.items() if t != IGNORE]
    together = _ratings_together(frame, [c for c, t in mapped if t == ROLE_RATING], mapping)
    for step, (column, target) in enumerate(mapped, start=1):
        target_key = target
        score = mapping.rating_target if target == ROLE_RATING else target
        if column in together:  # parsed with the other ratings; problems still added in column order
            values, bad, outside, declared = together[column]
            problems.add(bad, column, NOT_A_NUMBER)
            problems.add(outside, column, OUT_OF_RANGE)
            if declared.any():
                counted[f"missing:{column}"] = int(declared.sum())
        else:
            values = _parse(frame[column], column, score, mapping, dayfirst, problems, counted, factorized)
        if target == ROLE_RATING:
            ratings[column] = values
        else:
            typed[target_key] = values
        if progress:
            progress(0.9 * step / max(1, len(mapped)))
    notes = list(raw.notes) + _counted_notes(counted, mapping)
    id_column = mapping.source_of("customer_id")
    if id_column is None:  # only wide surveys get here (checked): respondents numbered by row
        typed["customer_id"] = pd.Series([f"{raw.name}#{r}" for r in frame.index], index=frame.index, dtype=object)
        notes.append("No respondent id column: respondents are identified by file and row number.")
    else:
        problems.add(typed["customer_id"].isna(), id_column, MISSING_ID)
    for target, (_start, end) in mapping.durations.items():
        role, minutes_per_unit = DERIVED[target]
        delta = (typed[role] - typed["occurred_at"]).dt.total_seconds() / 60 / minutes_per_unit
        problems.add(delta < 0, end, NEGATIVE)
        typed[target] = delta
    problems.add(pd.Series(_duplicated(frame, factorized), index=frame.index), "", DUPLICATE)
    factorized.clear()  # 4 bytes a cell: not kept while the canonical frames are built
    release_memory()  # the parsers' intermediate arrays, before the canonical frames are built
    record_column = mapping.source_of(ROLE_RECORD_ID)
    if record_column is not None and mapping.shape == "interactions":
        _repeated_records(typed, record_column, problems)
    if mapping.shape == "customers":
        ids = typed["customer_id"].where(~problems.bad)
        problems.add(ids.notna() & ids.duplicated(keep="first"), id_column, DUPLICATE_ID)
    accepted = ~problems.bad
    interactions, customers, shape_notes = shapes.build(mapping, typed, ratings, accepted, frame)
    notes += shape_notes
    quarantine = _quarantine(frame, problems, raw.rejected)
    reasons = quarantine["_reason"].value_counts()
    if progress:
        progress(1.0)
    scales = _used_scales(mapping)
    release_memory()
    return LoadResult(
        name=raw.name, shape=mapping.shape, rows_read=raw.rows_read, rows_loaded=int(accepted.sum()),
        rows_quarantined=len(quarantine), reasons={str(k): int(v) for k, v in reasons.items()},
        interactions=interactions, customers=customers, quarantine=quarantine, scales=scales,
        mapping=Mapping(**{**mapping.__dict__, "dayfirst": dayfirst}), notes=notes,
    )


def _counted_notes(counted: dict[str, int], mapping: Mapping) -> list[str]:
    """Cells loaded empty on purpose, per column: declared missing codes and placeholder dates."""
    notes = []
    for key, count in counted.items():
        kind, column = key.split(":", 1)
        if kind == "missing":
            codes = ", ".join(f"{c:g}" for c in mapping.missing_codes(column))
            notes.append(f"{count:,} answers in '{column}' hold a declared missing code ({codes}): loaded with no "
                         "score (rows kept, not quarantined).")
        else:
            notes.append(f"{count:,} dates in '{column}' are placeholders (1970-01-01, 1900-01-01 …), not real "
                         "dates: loaded as undated.")
    return notes


def check_mapping(raw: RawTable, mapping: Mapping, limits: Limits | None = None) -> None:
    """Raise :class:`IngestError` when a mapping cannot be applied to a file.

    Besides :meth:`Mapping.check` (absent columns, no customer id…), every column mapped to a
    dimension (channel, journey stage, touchpoint, segment, region) may hold at most
    ``limits.max_distinct`` distinct values once normalised: a column of 200,000 "channels" is a
    free-text or id column, and as a breakdown it would stall every page.
    """
    mapping.check(list(raw.frame.columns), raw.name)
    limit = (limits or current_limits()).max_distinct
    for column, target in mapping.columns.items():
        if target not in DIMENSION_TARGETS:
            continue
        values = raw.frame[column]
        if values.nunique() <= limit:  # normalising only merges spellings: the raw count bounds it
            continue
        distinct = _parse(values, column, target, mapping, None, Problems(values.index)).nunique()
        if distinct > limit:
            raise IngestError(f"{raw.name}: column '{column}' (mapped to {target}) has {distinct:,} distinct values, "
                              f"more than {limit:,}, the limit for a column the dashboard breaks down by; map it to "
                              "comment or ignore (or raise the limit: CX_INGEST_MAX_DISTINCT)")


def _repeated_records(typed: dict[str, pd.Series], column: str, problems: Problems) -> None:
    """One record id on several rows: later copies with the same values are repeats; different values
    conflict, and then no row of that id can be trusted (which one is right is unknown)."""
    ids = typed[ROLE_RECORD_ID].where(~problems.bad)
    repeated = ids.notna() & ids.duplicated(keep=False)
    if not repeated.any():
        return
    values = pd.DataFrame({t: v[repeated] for t, v in typed.items() if t != ROLE_RECORD_ID})
    values = values.astype(object).where(values.notna(), None).astype(str)
    key = ids[repeated]
    conflicting = values.groupby(key.to_numpy()).transform("nunique").gt(1).any(axis=1)
    problems.add(conflicting.reindex(ids.index, fill_value=False), column, CONFLICTING_RECORD)
    again = ids.where(~problems.bad)
    problems.add(again.notna() & again.duplicated(keep="first"), column, REPEATED_RECORD)


def _dayfirst(raw: RawTable, mapping: Mapping) -> bool | None:
    """The date order to use: the mapping's, else what the data prove; ambiguous data raise."""
    if mapping.dayfirst is not None:
        return mapping.dayfirst
    evidence = [(c, parse.date_order(raw.frame[c])) for c, t in mapping.columns.items() if t in TIMESTAMP_TARGETS]
    first = sum(o.first_over_12 for _, o in evidence)
    second = sum(o.second_over_12 for _, o in evidence)
    if first and not second:
        return True
    if second and not first:
        return False
    # only values that read differently either way (03/04) need an answer; 05/05 or 32/13 do not
    ambiguous = [(c, o) for c, o in evidence if o.examples]
    if ambiguous:
        column, order = ambiguous[0]
        example = order.examples[0]
        raise IngestError(f"{raw.name}: dates in column '{column}' (e.g. {example}) could be day-first or "
                          "month-first; set \"dayfirst\" to true or false in the mapping")
    return None


#: a column of at least this many rows is parsed once per distinct value when they repeat (see _parse)
DISTINCT_MIN_ROWS = 50_000


def _parse(values: pd.Series, column: str, target: str, mapping: Mapping, dayfirst, problems: Problems,
           counted: dict[str, int] | None = None, factorized: dict[str, np.ndarray] | None = None) -> pd.Series:
    """One mapped column to its canonical type; unreadable cells become row problems.

    ``counted`` collects cells loaded as empty on purpose: declared missing codes and placeholder
    dates (1970-01-01), per source column.

    Every parser reads each cell on its own (a flag column's "other value" is the set of its distinct
    values, the same over the distinct values as over the rows), so a long column whose values repeat
    — scores, channels, flags, customer ids — is parsed over its distinct values and the values, the
    problems and the counts are spread back to the rows: the same result, cell for cell, for a
    fraction of the work (tests/unit/test_ingest_fastcsv.py compares both ways).
    """
    if len(values) >= DISTINCT_MIN_ROWS:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if factorized is not None:
            factorized[column] = codes.astype(np.int32) if len(uniques) < 2**31 - 1 else codes
        if len(uniques) <= len(values) // 2:
            return _parse_distinct(values, codes, uniques, column, target, mapping, dayfirst, problems, counted)
    return _parse_cells(values, column, target, mapping, dayfirst, problems, counted)


def _duplicated(frame: pd.DataFrame, factorized: dict[str, np.ndarray]) -> np.ndarray:
    """``frame.duplicated(keep="first")``, on the codes of each column's values (two cells are equal
    exactly when their codes are, missing ones too), reusing the codes :func:`_parse` made.

    The columns' codes are folded into one number per row, a column at a time: ``key × size + code``
    (``code`` in ``[0, size)``, ``key`` in ``[0, bound)``) is one-to-one, so two rows get the same number
    exactly when all their cells are equal; when ``bound × size`` would pass 2⁶², the keys are first
    numbered anew (``bound`` becomes their count, at most the rows). Only a few arrays of one number per
    row are alive at once (``DataFrame.duplicated`` over all the columns' codes took ~250 MB at a million
    rows × 17 columns)."""
    if frame.columns.has_duplicates or len(frame) < DISTINCT_MIN_ROWS or not len(frame.columns):
        return frame.duplicated(keep="first").to_numpy()
    key, bound = None, 1
    for column in frame.columns:
        codes = factorized.pop(column) if column in factorized else pd.factorize(frame[column], use_na_sentinel=True)[0]
        codes = codes.astype(np.int64) + 1  # missing (-1) becomes 0
        size = int(codes.max()) + 1
        if key is not None and bound * size >= 2**62:
            key, uniques = pd.factorize(key)
            bound = len(uniques)
        key = codes if key is None else key * size + codes
        bound *= size
    return pd.Series(key).duplicated(keep="first").to_numpy()


class _Recorded:
    """Problems found over a column's distinct values, kept to be spread back to its rows in order."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.found: list[tuple[np.ndarray, str, str]] = []

    def add(self, mask: pd.Series, column: str, reason: str) -> None:
        self.found.append((mask.reindex(self.index, fill_value=False).astype(bool).to_numpy(), column, reason))


class _Weighted(dict):
    """``counted`` over distinct values: each counts as often as it occurs in the column."""

    def __init__(self, weights: np.ndarray):
        super().__init__()
        self.weights = weights


def _tally(counted: dict[str, int], key: str, mask: pd.Series) -> None:
    weights = getattr(counted, "weights", None)
    hits = mask.to_numpy(dtype=bool)
    counted[key] = int(hits.sum()) if weights is None else int(weights[hits].sum())


def _parse_distinct(values: pd.Series, codes: np.ndarray, uniques, column: str, target: str, mapping: Mapping,
                    dayfirst, problems: Problems, counted: dict[str, int] | None) -> pd.Series:
    """:func:`_parse_cells` over the distinct values (and one missing cell), spread back to the rows."""
    distinct = pd.concat([pd.Series(uniques, dtype=values.dtype), pd.Series([None], dtype=values.dtype)],
                         ignore_index=True).rename(values.name)
    at = np.where(codes < 0, len(uniques), codes)
    recorded = _Recorded(distinct.index)
    weights = np.bincount(at, minlength=len(distinct))
    tallied = _Weighted(weights) if counted is not None else None
    parsed = _parse_cells(distinct, column, target, mapping, dayfirst, recorded, tallied, rows=values)
    for mask, where, reason in recorded.found:
        if mask.any():
            problems.add(pd.Series(mask[at], index=values.index), where, reason)
    if tallied:
        counted.update(tallied)
    out = parsed.iloc[at]
    out.index = values.index
    return out


def _parse_cells(values: pd.Series, column: str, target: str, mapping: Mapping, dayfirst, problems: Problems,
                 counted: dict[str, int] | None = None, rows: pd.Series | None = None) -> pd.Series:
    """:func:`_parse` cell by cell (vectorised over the column); ``rows``: the column as written, when
    ``values`` are its distinct values (a flag's true value is judged on the rows)."""
    if target in TIMESTAMP_TARGETS:
        stamps, bad, odd = parse.dates(values, dayfirst, mapping.timezone)
        problems.add(bad, column, BAD_DATE)
        problems.add(odd, column, ODD_DATE)
        placeholder = parse.placeholder_dates(stamps)
        if placeholder.any() and counted is not None:
            _tally(counted, f"placeholder:{column}", placeholder)
        return stamps.where(~placeholder)
    if target in ("nps", "csat", "ces"):
        scale = Scale(0, 10) if target == "nps" else mapping.scales.for_column(target)
        return _score(values, column, scale, mapping.decimal, problems, whole=target == "nps",
                      codes=mapping.missing_codes(column), counted=counted)
    if target in ("first_response_minutes", "resolution_hours", ROLE_OFFSET):
        return _durations(values, column, target, mapping, problems)
    if target in ("revenue", "customers.lifetime_value", "seq"):
        parsed = parse.numbers(values, mapping.decimal)
        problems.add(parsed.bad, column, NOT_A_NUMBER)
        if target == "seq":
            problems.add(parsed.values.notna() & (parsed.values % 1 != 0), column, NOT_WHOLE)
        return parsed.values
    if target in ("resolved_first_contact", "customers.churned") or column in mapping.booleans:
        return _flags(values, column, target, mapping, problems, values if rows is None else rows)
    return _labels(values, target, mapping)


def _durations(values: pd.Series, column: str, target: str, mapping: Mapping, problems: Problems) -> pd.Series:
    if target == ROLE_OFFSET:
        seconds, bad = parse.durations(values, "minutes", 1.0, mapping.decimal)  # numbers stay as written
        problems.add(bad, column, NOT_A_NUMBER)
        return seconds
    unit = mapping.units.get(column, "minutes" if target == "first_response_minutes" else "hours")
    minutes, bad = parse.durations(values, unit, 1.0 if target == "first_response_minutes" else 60.0, mapping.decimal)
    problems.add(bad, column, NOT_A_NUMBER)
    problems.add(minutes < 0, column, NEGATIVE)
    return minutes


def _flags(values: pd.Series, column: str, target: str, mapping: Mapping, problems: Problems,
           rows: pd.Series) -> pd.Series:
    if mapping.booleans.get(column) is None:
        true_value, _ = positive_value(profile(rows.head(20_000), column), target)
        mapping.booleans[column] = true_value or "yes"
    flags, bad = parse.booleans(values, mapping.booleans[column])
    problems.add(bad, column, NOT_A_FLAG)
    return flags


def _labels(values: pd.Series, target: str, mapping: Mapping) -> pd.Series:
    """Ids, categories, comments and extra attributes: text (an attribute of numbers only: numbers)."""
    if target == "channel":
        return parse.channels(values)
    if target == "journey_stage":
        return parse.stages(values)
    if target in ("touchpoint", "customers.segment", "customers.region"):
        return parse.single_spaced(parse.text(values)).astype(object)
    if target in ("agent", "team"):  # "?", "N/A", "-": nobody to credit, not an agent called "?"
        return parse.single_spaced(parse.text(values)).where(~parse.missing(values)).astype(object)
    if target.startswith("customers."):
        parsed = parse.numbers(values, mapping.decimal)  # an extra attribute: numbers when every value is one
        if not parsed.bad.any() and parsed.values.notna().any():
            return parsed.values
    return parse.text(values).astype(object)


def _score_parts(values: pd.Series, scale: Scale, decimal: str, whole: bool = False, codes=()):
    """A score column's values, the cells that are not numbers, the numbers outside the scale, and the
    cells holding a declared missing code (loaded empty)."""
    parsed = parse.numbers(values, decimal, likert=(scale.low, scale.high) == (1, 5))
    score = parsed.values
    declared = score.isin(list(codes)).fillna(False).astype(bool) if len(codes) else pd.Series(False, index=score.index)
    score = score.where(~declared)
    if scale.zero_means_na:
        score = score.where(score != 0)
    other_scale = parsed.denominator.notna() & (parsed.denominator != scale.high)
    outside = (score < scale.low) | (score > scale.high) | other_scale
    if whole:
        outside |= score.notna() & (score % 1 != 0)
    return score, parsed.bad, outside.fillna(False).astype(bool), declared


def _score(values, column, scale: Scale, decimal: str, problems: Problems, whole: bool = False, codes=(),
           counted: dict[str, int] | None = None) -> pd.Series:
    score, bad, outside, declared = _score_parts(values, scale, decimal, whole, codes)
    problems.add(bad, column, NOT_A_NUMBER)
    problems.add(outside, column, OUT_OF_RANGE)
    if counted is not None and declared.any():
        _tally(counted, f"missing:{column}", declared)
    return score


def _ratings_together(frame: pd.DataFrame, columns: list[str], mapping: Mapping) -> dict[str, tuple]:
    """A wide survey's rating columns parsed as one long column (one pass instead of one per column)."""
    if len(columns) < 2:
        return {}
    target = mapping.rating_target
    scale, whole = (Scale(0, 10), True) if target == "nps" else (mapping.scales.for_column(target), False)
    stacked = pd.concat([frame[c] for c in columns], ignore_index=True)
    parts = [np.array(p.to_numpy(), copy=True) for p in _score_parts(stacked, scale, mapping.decimal, whole)]
    n = len(frame)
    declared = np.zeros(len(stacked), dtype=bool)
    for i, column in enumerate(columns):
        own = mapping.missing_codes(column)
        if own:
            part = slice(i * n, (i + 1) * n)
            hit = np.isin(parts[0][part], own)
            declared[part] = hit
            parts[0][part] = np.where(hit, np.nan, parts[0][part])
            parts[2][part] = parts[2][part] & ~hit
    parts[3] = declared
    return {c: tuple(pd.Series(p[i * n:(i + 1) * n], index=frame.index) for p in parts) for i, c in enumerate(columns)}


def _used_scales(mapping: Mapping) -> Scales:
    return mapping.scales


def _quarantine(frame: pd.DataFrame, problems: Problems, rejected: pd.DataFrame) -> pd.DataFrame:
    bad = problems.bad
    out = frame[bad].copy()
    out.insert(len(out.columns), "_row", out.index.to_numpy())
    out["_column"] = problems.column[bad].fillna("").to_numpy()
    out["_reason"] = problems.reason[bad].to_numpy()
    parts = [out]
    if len(rejected):
        extra = rejected.copy()
        for column in frame.columns:
            if column not in extra:
                extra[column] = np.nan
        parts.append(extra)
    if len(parts) > 1:
        out = pd.concat(parts, ignore_index=True)
    columns = [c for c in out.columns if c not in META] + list(META)
    out = out[columns].sort_values("_row", kind="stable").reset_index(drop=True)
    out["_row"] = out["_row"].astype("int64")
    return out
