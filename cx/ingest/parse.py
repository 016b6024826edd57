"""Vectorised cell parsers: text in, typed values plus a mask of cells that could not be read.

Every parser takes a Series of text (missing = NaN/None) and returns the parsed Series and a
boolean ``bad`` mask over the same index. Blank cells and "not applicable" tokens ("N/A", "-",
"unknown", …) are missing, never bad. Per-value Python work only ever runs over the *distinct*
values of a column (:func:`per_unique`), so a million rows cost what their few thousand distinct
spellings cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx.ingest.vocabulary import (
    CHANNEL_ALIASES,
    FALSE_WORDS,
    LIKERT,
    NA_TOKENS,
    STAGE_ALIASES,
    TRUE_WORDS,
    normalise,
)

_CURRENCY = r"[ \t\u00a0\u202f'’€$£¥₹]|(?i:eur|usd|gbp|chf)"
_THOUSANDS = {".": re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"), ",": re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")}
_FRACTION = r"^([+-]?[0-9]+(?:[.,][0-9]+)?)[ \t]*/[ \t]*([0-9]+(?:[.,][0-9]+)?)$"
_ISO = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)?[ \t]*(?:Z|[+-][0-9]{2}:?[0-9]{2}|UTC)?$"
_ISO_TZ = r"(?:Z|[+-][0-9]{2}:?[0-9]{2}|UTC)$"
_TIME = r"(?:[ T,]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?[ \t]*([AaPp]\.?[Mm]\.?)?)?"
_DMY = re.compile(r"^([0-9]{1,2})([./-])([0-9]{1,2})[./-]([0-9]{4}|[0-9]{2})" + _TIME + r"$")
_YMD = re.compile(r"^([0-9]{4})[./]([0-9]{1,2})[./]([0-9]{1,2})" + _TIME + r"$")
_CLOCK = re.compile(r"^(?:([0-9]+)[ .d]+)?([0-9]{1,3}):([0-9]{2})(?::([0-9]{2}(?:[.,][0-9]+)?))?$")
_UNITS = {"seconds": 1 / 60, "minutes": 1.0, "hours": 60.0, "days": 1440.0}
_SPACES = re.compile(r"\s+")
DECIMAL_COMMA = r"[+-]?[0-9]+,[0-9]{1,2}|[+-]?[0-9]+,[0-9]{4,}"  # not a thousands group (1,500)


def per_unique(values: pd.Series, func, dtype=object) -> pd.Series:
    """Apply a Python function once per distinct value and broadcast the results back."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(v) for v in uniques] + [None], dtype=object)
    out = pd.Series(mapped[codes], index=values.index, dtype=object)
    return out if dtype is object else out.astype(dtype)


def text(values: pd.Series) -> pd.Series:
    """Trimmed text; blank cells become missing."""
    stripped = values.astype("str").str.strip()
    return stripped.where(stripped.str.len() > 0)


def single_spaced(values: pd.Series) -> pd.Series:
    """Runs of whitespace as one space: ``values.str.replace(r"\\s+", " ", regex=True)``, computed once per
    distinct value (a million touchpoints are a few dozen spellings; pandas would run the regex on each)."""
    return per_unique(values, lambda v: _SPACES.sub(" ", v)).astype(values.dtype)


def missing(values: pd.Series) -> pd.Series:
    """Blank cells and not-applicable tokens ("N/A", "-", "unknown", …)."""
    stripped = values.astype("str").str.strip().str.lower()
    return (stripped.isna() | stripped.isin(NA_TOKENS)).astype(bool)


# --- numbers ---------------------------------------------------------------------------------


@dataclass
class Numbers:
    """Parsed numbers: ``values`` (float, NaN when missing or bad), ``bad``, and how they were written."""

    values: pd.Series
    bad: pd.Series
    percent: pd.Series  # written with a % sign
    denominator: pd.Series  # "9/10" -> 10 (NaN otherwise)


def numbers(values: pd.Series, decimal: str = ".", likert: bool = False) -> Numbers:
    """Read numbers written as ``1234.5``, ``1,234.5`` / ``1.234,5`` (per ``decimal``), ``80 %``,
    ``€ 12``, ``9/10``; with ``likert``, also answer labels ("Very satisfied" -> 5).

    A comma is never silently dropped: with ``decimal="."``, "4,5" is bad unless it is a thousands
    grouping like "1,234".
    """
    raw = text(values)
    na = missing(values)
    out = pd.to_numeric(raw.where(~na), errors="coerce").astype(float)
    idx = raw.index
    percent = pd.Series(False, index=idx)
    denominator = pd.Series(np.nan, index=idx)
    todo = out.isna() & ~na
    if todo.any():
        sub = raw[todo].str.replace(_CURRENCY, "", regex=True)
        is_pct = sub.str.endswith("%")
        sub = sub.str.rstrip("%")
        frac = sub.str.extract(_FRACTION)
        has_frac = frac[0].notna()
        sub = sub.where(~has_frac, frac[0])
        grouped = sub.str.match(_THOUSANDS[decimal].pattern)
        if decimal == ",":
            sub = sub.where(~grouped, sub.str.replace(".", "", regex=False)).str.replace(",", ".", regex=False)
        else:
            sub = sub.where(~grouped, sub.str.replace(",", "", regex=False))
        parsed = pd.to_numeric(sub, errors="coerce").astype(float)
        if has_frac.any():
            den = frac[1].str.replace(",", ".", regex=False)
            denominator.loc[has_frac[has_frac].index] = pd.to_numeric(den[has_frac], errors="coerce").astype(float)
        if likert:
            still = parsed.isna()
            if still.any():
                labels = per_unique(raw[todo][still], lambda v: LIKERT.get(normalise(v)))
                parsed.loc[labels.index] = pd.to_numeric(labels, errors="coerce").astype(float)
        out.loc[todo] = parsed
        percent.loc[is_pct[is_pct].index] = True
    bad = out.isna() & ~na
    return Numbers(out, bad.astype(bool), percent, denominator)


# --- dates -----------------------------------------------------------------------------------


@dataclass
class DateOrder:
    """Evidence about day-first vs month-first in numeric dates like 03/04/2026."""

    numeric: int = 0  # dates written d?d/d?d/yyyy
    first_over_12: int = 0  # 25/03/2026: must be day-first
    second_over_12: int = 0  # 03/25/2026: must be month-first
    dots: int = 0  # 03.04.2026: the European convention
    examples: tuple[str, ...] = ()

    @property
    def dayfirst(self) -> bool | None:
        """True/False when the values decide it, None when they do not (or contradict each other)."""
        if self.first_over_12 and not self.second_over_12:
            return True
        if self.second_over_12 and not self.first_over_12:
            return False
        return None

    @property
    def ambiguous(self) -> bool:
        return self.numeric > 0 and self.dayfirst is None

    @property
    def mixed(self) -> bool:
        return bool(self.first_over_12 and self.second_over_12)


def date_order(values: pd.Series) -> DateOrder:
    """Count the numeric dates whose first or second part exceeds 12 (on distinct values)."""
    uniq = pd.Series(pd.unique(text(values).dropna().str.slice(0, 12)), dtype="str")
    parts = uniq.str.extract(r"^(([0-9]{1,2})([./-])([0-9]{1,2})[./-](?:[0-9]{4}|[0-9]{2}))(?:[^0-9]|$)").dropna()
    if parts.empty:
        return DateOrder()
    first, second = parts[1].astype(int), parts[3].astype(int)
    ambiguous = pd.unique(parts[0][(first <= 12) & (second <= 12) & (first != second)])
    return DateOrder(
        numeric=len(parts),
        first_over_12=int(((first > 12) & (second <= 12)).sum()),
        second_over_12=int(((second > 12) & (first <= 12)).sum()),
        dots=int((parts[2] == ".").sum()),
        examples=tuple(str(v) for v in ambiguous[:3]),
    )


def _clock_parts(frame: pd.DataFrame, offset: int) -> dict[str, pd.Series]:
    hour = pd.to_numeric(frame[offset], errors="coerce").fillna(0)
    ampm = frame[offset + 3].fillna("").str.lower().str.replace(".", "", regex=False)
    hour = hour.where(~((ampm == "pm") & (hour < 12)), hour + 12).where(~((ampm == "am") & (hour == 12)), 0)
    return {
        "hour": hour,
        "minute": pd.to_numeric(frame[offset + 1], errors="coerce").fillna(0),
        "second": pd.to_numeric(frame[offset + 2], errors="coerce").fillna(0),
    }


def _from_parts(year, month, day, clock) -> pd.Series:
    parts = pd.DataFrame({"year": year, "month": month, "day": day, **clock})
    return pd.to_datetime(parts.astype(float), errors="coerce").astype("datetime64[us]")


def _localise(stamps: pd.Series, timezone: str | None) -> pd.Series:
    if not timezone or stamps.empty:
        return stamps
    local = stamps.dt.tz_localize(timezone, ambiguous=np.zeros(len(stamps), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.tz_localize(None)


def dates(values: pd.Series, dayfirst: bool | None = None, timezone: str | None = None):
    """Parse timestamps to naive UTC.

    ISO 8601 (with or without offset), numeric d/m/y or m/d/y (per ``dayfirst``; with ``None``,
    ambiguous ones are bad), y/m/d, Excel serial numbers, Unix epochs, and written-out dates
    ("5 Jan 2026"). Naive values are taken as UTC unless ``timezone`` names their zone.

    Returns
    -------
    (values, bad, implausible) : tuple of Series
        ``implausible`` marks dates before 1900 or after 2100.
    """
    raw = text(values)
    na = missing(values)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    todo = ~na
    iso = todo & raw.str.match(_ISO).fillna(False).astype(bool)
    if iso.any():
        sub = raw[iso].str.replace(r"[ \t]*UTC$", "Z", regex=True)
        aware = sub.str.contains(_ISO_TZ)
        if aware.any():
            parsed = pd.to_datetime(sub[aware], format="ISO8601", utc=True, errors="coerce")
            out.loc[parsed.index] = parsed.dt.tz_localize(None).astype("datetime64[us]")
        if (~aware).any():
            naive = pd.to_datetime(sub[~aware], format="ISO8601", errors="coerce").astype("datetime64[us]")
            out.loc[naive.index] = _localise(naive, timezone)
        todo &= ~iso
    if todo.any():
        dmy = raw[todo].str.extract(_DMY.pattern).dropna(subset=[0])
        if not dmy.empty:
            a, b = dmy[0].astype(int), dmy[2].astype(int)
            year = dmy[3].astype(int)
            year = year.where(dmy[3].str.len() == 4, year + np.where(year < 70, 2000, 1900))
            first_is_day = dayfirst if dayfirst is not None else None
            if first_is_day is None:  # only self-evident values are read; the rest stay bad
                day = a.where((a > 12) | (a == b), b.where(b > 12))
                month = b.where((a > 12) | (a == b), a.where(b > 12))
            else:
                day, month = (a, b) if first_is_day else (b, a)
            parsed = _from_parts(year, month, day, _clock_parts(dmy, 4))
            out.loc[parsed.index] = _localise(parsed, timezone)
            todo.loc[dmy.index] = False
    if todo.any():
        ymd = raw[todo].str.extract(_YMD.pattern).dropna(subset=[0])
        if not ymd.empty:
            parsed = _from_parts(ymd[0].astype(int), ymd[1].astype(int), ymd[2].astype(int), _clock_parts(ymd, 3))
            out.loc[parsed.index] = _localise(parsed, timezone)
            todo.loc[ymd.index] = False
    if todo.any():
        digits = raw[todo].str.fullmatch(r"[0-9]{5}(?:\.[0-9]+)?|[0-9]{10}|[0-9]{13}").fillna(False).astype(bool)
        if digits.any():
            sub = raw[todo][digits]
            number = pd.to_numeric(sub, errors="coerce")
            serial = sub.str.len().between(5, 12) & number.between(20_000, 80_000)
            stamp = pd.Series(pd.NaT, index=sub.index, dtype="datetime64[us]")
            stamp[serial] = (pd.Timestamp("1899-12-30") + pd.to_timedelta(number[serial], unit="D")).astype("datetime64[us]")
            stamp[sub.str.len() == 10] = pd.to_datetime(number[sub.str.len() == 10], unit="s").astype("datetime64[us]")
            stamp[sub.str.len() == 13] = pd.to_datetime(number[sub.str.len() == 13], unit="ms").astype("datetime64[us]")
            out.loc[stamp.index] = stamp
            todo.loc[sub.index] = False
    if todo.any():
        written = per_unique(raw[todo], lambda v: _written_date(v, dayfirst, timezone))
        out.loc[todo] = pd.to_datetime(written, errors="coerce").astype("datetime64[us]")
    bad = (out.isna() & ~na).astype(bool)
    years = out.dt.year
    implausible = (out.notna() & ((years < 1900) | (years > 2100))).astype(bool)
    return out.where(~implausible), bad, implausible


#: dates systems write for "no date": the Unix epoch, spreadsheet day zero, the end of time
PLACEHOLDER_DATES = ("1970-01-01", "1900-01-01", "1899-12-30", "1899-12-31", "1901-01-01")


def placeholder_dates(stamps: pd.Series) -> pd.Series:
    """Timestamps at midnight of a placeholder day (:data:`PLACEHOLDER_DATES`): a missing date, not a real one."""
    days = pd.to_datetime(pd.Series(PLACEHOLDER_DATES)).astype("datetime64[us]")
    return (stamps.isin(days.tolist()) & stamps.notna()).astype(bool)


def _written_date(value: str, dayfirst: bool | None, timezone: str | None):
    """One free-form date ("5 Jan 2026 10:00", "Mon, 05 Jan 2026 10:00:00 +0100") or None."""
    if not re.search(r"[A-Za-z]", value) or len(value) > 64:
        return None
    if value in ("now", "today"):  # pandas reads these as the current time: never a recorded date
        return None
    try:
        stamp = pd.to_datetime(value, dayfirst=bool(dayfirst), utc=False)
    except (ValueError, TypeError, OverflowError):
        return None
    if stamp is pd.NaT or pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        return stamp.tz_convert("UTC").tz_localize(None)
    if timezone:
        return stamp.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward").tz_convert("UTC").tz_localize(None)
    return stamp


# --- durations, booleans, categories ---------------------------------------------------------


def durations(values: pd.Series, unit: str, target_minutes_per_unit: float, decimal: str = "."):
    """Durations written as numbers in ``unit`` or as clock text ("1:30", "2 03:00:00", "1h 30m").

    A decimal comma is read as one even where the file's numbers use a point: "1,5" hours is an
    hour and a half (a duration is never written with a thousands comma and one or two digits).

    Returns the values expressed in the target unit (``target_minutes_per_unit`` = 1 for minutes,
    60 for hours) and a ``bad`` mask.
    """
    parsed = numbers(values, decimal)
    minutes = parsed.values * _UNITS.get(unit, 1.0)
    bad = parsed.bad.copy()
    if bad.any() and decimal == ".":
        comma = text(values)[bad]
        comma = comma[comma.str.fullmatch(DECIMAL_COMMA).fillna(False).astype(bool)]
        if len(comma):
            read = pd.to_numeric(comma.str.replace(",", ".", regex=False), errors="coerce").astype(float)
            minutes.loc[read.index] = read * _UNITS.get(unit, 1.0)
            bad.loc[read.index] = read.isna()
    if bad.any():
        clock = per_unique(text(values)[bad], _clock_minutes)
        clock = pd.to_numeric(clock, errors="coerce").astype(float)
        minutes.loc[clock.index] = clock
        bad.loc[clock.index] = clock.isna()
    return minutes / target_minutes_per_unit, bad.astype(bool)


def _clock_minutes(value: str):
    """Clock text ("1:30", "2 03:00:00") or a number with a unit word ("1h 30m", "1,5 h", "2 days")."""
    match = _CLOCK.match(value)
    if match:
        days, hours, mins, secs = match.groups()
        return int(days or 0) * 1440 + int(hours) * 60 + int(mins) + float((secs or "0").replace(",", ".")) / 60
    if not re.search(r"[A-Za-z]", value) or re.search(r"[0-9],[0-9]{3}(?![0-9])", value):
        return None  # pandas reads a bare number as nanoseconds, and drops commas ("1,500" = 1500 ns)
    try:  # a unit word is needed; a decimal comma before it is a decimal point ("1,5h" = 90 minutes)
        return pd.Timedelta(re.sub(r"([0-9]),([0-9])", r"\1.\2", value)).total_seconds() / 60
    except (ValueError, TypeError, OverflowError):
        return None


def booleans(values: pd.Series, true_value: str):
    """Flags: ``true_value`` (case-insensitive) is True; "no"-like words, or the column's only other
    value, are False; anything else is bad."""
    low = text(values).str.lower()
    na = missing(values)
    wanted = str(true_value).strip().lower()
    is_true = (low == wanted).fillna(False).astype(bool)
    others = pd.unique(low[~na & ~is_true].dropna())
    falsy = set(FALSE_WORDS) | (set(others) if len(others) == 1 else set())
    if wanted in FALSE_WORDS:  # an inverted flag ("active" = no means churned): yes-words are False
        falsy = (falsy - {wanted}) | set(TRUE_WORDS)
    is_false = (low.isin(falsy) & ~is_true & ~na).astype(bool)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[is_true] = True
    out[is_false] = False
    bad = (~na & ~is_true & ~is_false).astype(bool)
    return out, bad


def category(values: pd.Series, aliases: dict[str, str] | None = None) -> pd.Series:
    """Trimmed, lower-cased labels with runs of spaces collapsed, known aliases applied."""
    low = text(values).str.lower().str.replace(r"[ \t]+", " ", regex=True)
    if aliases:
        low = per_unique(low, lambda v: aliases.get(v, aliases.get(normalise(v), v)))
    return low


def channels(values: pd.Series) -> pd.Series:
    return category(values, CHANNEL_ALIASES)


def stages(values: pd.Series) -> pd.Series:
    return category(values, STAGE_ALIASES)
