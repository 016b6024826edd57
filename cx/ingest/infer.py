"""What the values say beyond column targets: scales, yes/no values, duration units, date order, decimals.

Every inference is written into ``mapping.notes`` so that the user can check it.
"""

from __future__ import annotations

import pandas as pd

from cx.ingest import parse
from cx.ingest.mapping import Mapping
from cx.ingest.profile import Profile
from cx.ingest.vocabulary import (
    COUNTERPART,
    FALSE_WORDS,
    HIGHER_IS_WORSE_WORDS,
    INVERSE_CHURN_WORDS,
    SYNONYMS,
    TRUE_WORDS,
    normalise,
    phrase_score,
)
from cx.schema import Scale, Scales

TIMESTAMP_TARGETS = ("occurred_at", "first_response_at", "resolved_at", "customers.signup_at", "customers.churned_at")
KINDS = {target: kind for target, (kind, _) in SYNONYMS.items()}
_SCALES = ((1, 5), (0, 5), (1, 7), (1, 10), (0, 10), (0, 100))


def _written_scale(ps: list[Profile], with_values: list[Profile]) -> tuple[Scale | None, str]:
    """A scale the file states: in the column name, as percentages, or as x/10 fractions."""
    hint = next((p.scale_hint for p in ps if p.scale_hint), None)
    if hint:
        return Scale(*hint), f"from the column name ({hint[0]:g}–{hint[1]:g})"
    if any(p.percent > 0.5 for p in with_values):
        return Scale(0, 100), "written as percentages"
    dens = sorted({d for p in with_values for d in p.denominators})
    if dens:
        return Scale(1 if min(p.low for p in with_values) >= 1 else 0, max(dens)), f"written as x/{max(dens):g}"
    return None, ""


def _zero_means_na(values: pd.Series, allowed: bool) -> bool:
    """Whether 0 is "not applicable" (wide surveys): 0s on a 1–5 or 1–7 scale, or far more 0s than 1s."""
    if not allowed:
        return False
    zeros, ones, high = int((values == 0).sum()), int((values == 1).sum()), float(values.max())
    return zeros > 0 and high <= 10 and (high in (5, 7) or zeros > 1.5 * max(ones, 1))


def _scale_of(ps: list[Profile], zero_na_allowed: bool) -> tuple[Scale, str]:
    with_values = [p for p in ps if p.n and p.numbers is not None and len(p.numbers)]
    written, why = _written_scale(ps, with_values)
    if written is not None or not with_values:
        return written, why
    values = pd.concat([p.numbers for p in with_values])
    low, high = float(values.min()), float(values.max())
    zero_na = _zero_means_na(values, zero_na_allowed)
    if zero_na:
        low = float(values[values > 0].min()) if (values > 0).any() else 1.0
    for lo, hi in _SCALES:
        if lo <= low and high <= hi and not (zero_na and lo == 0):
            why = f"values run {float(values.min()):g}–{high:g}"
            return Scale(lo, hi, zero_means_na=zero_na), why + ("; 0 read as not applicable" if zero_na else "")
    return Scale(max(0.0, low), max(high, low + 1)), f"values run {low:g}–{high:g}"


def scales(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    scales = {"csat": mapping.scales.csat, "ces": mapping.scales.ces}
    for score in ("csat", "ces"):
        sources = [c for c, t in mapping.columns.items() if t == score]
        if mapping.shape == "wide" and mapping.rating_target == score:
            sources += mapping.ratings
        if not sources:
            continue
        scale, why = _scale_of([profiles[c] for c in sources], mapping.shape == "wide")
        if scale is None:
            continue
        if score == "ces":
            words = [w for c in sources for w in profiles[c].words]
            worse = any(phrase_score(tuple(words), w) for w in HIGHER_IS_WORSE_WORDS)
            scale = Scale(scale.low, scale.high, higher_is_better=not worse, zero_means_na=scale.zero_means_na)
            direction = "higher = more effort (worse)" if worse else "higher = easier (better)"
            mapping.notes.append(f"CES scale {scale.low:g}–{scale.high:g}, {direction} ({why}); flip the direction if "
                                 "your question asks how much effort it took.")
        else:
            mapping.notes.append(f"CSAT scale {scale.low:g}–{scale.high:g} ({why}).")
        scales[score] = scale
    mapping.scales = Scales(csat=scales["csat"], ces=scales["ces"])


_CHURN_WORDS = ("churn", "cancel", "lost", "inactive", "former", "left", "gekund", "resili", "baja", "opgezegd")


def _two_valued(values: list[str], yes: list[str], no: list[str], inverse: bool) -> tuple[str, str]:
    """A column holding yes/no words: the value meaning yes (or churned, for a column of who is still active)."""
    if inverse:
        value = no[0] if no else next((v for v in values if v not in yes), yes[0])
        return value, f"'{value}' means churned (the column says who is still active)"
    value = yes[0] if yes else next((v for v in values if v not in no), COUNTERPART.get(no[0], no[0]))
    return value, f"'{value}' means yes"


def positive_value(p: Profile, target: str) -> tuple[str | None, str]:
    """The value of a two-valued column that means True, and how it was chosen."""
    values = list(p.values)
    inverse = target == "customers.churned" and any(phrase_score(p.words, w) >= 60 for w in INVERSE_CHURN_WORDS)
    churny = [v for v in values if any(k in normalise(v) for k in _CHURN_WORDS)]
    yes = [v for v in values if v in TRUE_WORDS]
    no = [v for v in values if v in FALSE_WORDS]
    if target == "customers.churned" and churny:
        return churny[0], f"'{churny[0]}' read as churned"
    if len(values) == 1:
        only = values[0]
        if only in COUNTERPART:
            value = COUNTERPART[only] if not inverse else only
            return value, f"only '{only}' seen; '{value}' means yes"
        return only, f"only '{only}' seen"
    if yes or no:
        return _two_valued(values, yes, no, inverse)
    if not values:
        return None, ""
    return values[0], f"could not tell which value means yes; guessed '{values[0]}'"


def booleans(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    for column, target in mapping.columns.items():
        p = profiles[column]
        kind = KINDS.get(target)
        attribute_flag = target.startswith("customers.") and target not in KINDS and p.flag and p.n \
            and (set(p.values) & (TRUE_WORDS | FALSE_WORDS)) and p.numeric < 1.0
        if kind == "bool" or attribute_flag:
            value, why = positive_value(p, target)
            if value is not None:
                mapping.booleans[column] = value
                mapping.notes.append(f"'{column}' is a yes/no flag: {why}.")


def units(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    for column, target in mapping.columns.items():
        if target not in ("first_response_minutes", "resolution_hours"):
            continue
        words = set(profiles[column].words)
        unit = ("seconds" if words & {"s", "sec", "secs", "seconds", "second", "sekunden"} else
                "minutes" if words & {"min", "mins", "minutes", "minute", "minuten"} else
                "hours" if words & {"h", "hr", "hrs", "hours", "hour", "stunden", "heures", "horas", "uren"} else
                "days" if words & {"d", "days", "day", "tage", "jours", "dias", "dagen"} else
                "minutes" if target == "first_response_minutes" else "hours")
        mapping.units[column] = unit
        if profiles[column].clock < 0.8:
            mapping.notes.append(f"'{column}' read as a duration in {unit}.")
        if profiles[column].decimal_commas:
            mapping.notes.append(f"'{column}' writes some durations with a decimal comma: 1,5 is read as one and a half.")
    for target, (start, end) in mapping.durations.items():
        unit = "minutes" if target == "first_response_minutes" else "hours"
        mapping.notes.append(f"{target} derived as '{end}' − '{start}' in {unit}.")


def date_order(mapping: Mapping, frame: pd.DataFrame) -> None:
    order = [parse.date_order(frame[c]) for c, t in mapping.columns.items() if t in TIMESTAMP_TARGETS]
    first = sum(o.first_over_12 for o in order)
    second = sum(o.second_over_12 for o in order)
    numeric = sum(o.numeric for o in order)
    if not numeric:
        return
    if first and not second:
        mapping.dayfirst = True
        mapping.notes.append("Dates are day-first (values like 25/03 exist).")
    elif second and not first:
        mapping.dayfirst = False
        mapping.notes.append("Dates are month-first (values like 03/25 exist).")
    else:
        mapping.ambiguous_dates = [e for o in order for e in o.examples][:3]
        if not mapping.ambiguous_dates:
            return  # every numeric date reads the same either way (05/05/2026) or in neither (32/13/2026)
        if first and second:
            mapping.notes.append("Dates mix day-first and month-first values: choose the order; rows written the "
                                 "other way will be quarantined.")
        elif sum(o.dots for o in order) == numeric:
            mapping.dayfirst = True
            mapping.ambiguous_dates = []
            mapping.notes.append("Dates written with dots (05.03.2026) read as day.month.year; change it if wrong.")
        else:
            mapping.notes.append("Dates like " + ", ".join(mapping.ambiguous_dates)
                                 + " could be day-first or month-first: please choose.")


def decimal(part: pd.DataFrame, delimiter: str | None) -> str:
    """"," when numbers are written 4,5 (and never 4.5) anywhere in the file."""
    if part.empty or not len(part.columns):
        return "."
    values = pd.concat([part[c].head(2000).astype("str") for c in part.columns], ignore_index=True).dropna().str.strip()
    comma = int(values.str.fullmatch(r"-?[0-9]+,[0-9]+").sum() - values.str.fullmatch(r"-?[0-9]{1,3}(,[0-9]{3})+").sum())
    dot = int(values.str.fullmatch(r"-?[0-9]+\.[0-9]+").sum() - values.str.fullmatch(r"-?[0-9]{1,3}(\.[0-9]{3})+").sum())
    return "," if comma > 0 and dot == 0 else "."
