"""Suggest a mapping from a file's header names *and* values.

Each column gets a header score per target (synonyms in several languages, see
:mod:`cx.ingest.vocabulary`), candidates whose values do not fit the target are dropped (an "NPS"
column of free text is not NPS), and targets are handed out greedily, best match first. Then the
shape is recognised, scales, flags, units and the date order are inferred from the values, and
every inference is written down in ``mapping.notes`` for the user to check.
"""

from __future__ import annotations

import pandas as pd

from cx.ingest import infer
from cx.ingest.judge import judge
from cx.ingest.limits import DIMENSION_TARGETS, current_limits
from cx.ingest.mapping import SHAPE_LABELS, Mapping
from cx.ingest.profile import Profile, sample
from cx.ingest.profile import profiles as profile_columns
from cx.ingest.readers import RawTable
from cx.ingest.shapes import per_row_note, varying
from cx.ingest.vocabulary import (
    COUNT_WORDS,
    HIGHER_IS_WORSE_WORDS,
    IGNORE,
    OVERALL_WORDS,
    PLACE_WORDS,
    ROLE_OFFSET,
    ROLE_RATING,
    ROLE_RECORD_ID,
    SYNONYMS,
    phrase_score,
    slug,
)
from cx.memory import release_memory

WEAK = frozenset({
    "id", "email", "e mail", "email address", "customer email", "user", "account", "value", "type", "state",
    "time", "when", "source", "score", "rating", "note", "status", "text", "message", "description", "notes",
    "order", "position", "step", "reason", "category", "t", "second", "seconds", "minute", "minutes", "moment",
    "session", "subject", "trial", "general", "global", "price", "sales", "department", "queue", "journey",
    "group", "owner", "operator", "agency", "desk", "rep", "handler", "offered", "invited",
    "member", "client", "kunde", "cliente", "klant", "date", "datum", "fecha", "created", "closed", "completed",
    "resolved", "recommend", "area", "zone", "land", "phase", "left", "lost", "active", "aktiv", "actif", "plan",
    "tijd", "momento", "instant", "patient", "participant", "sat", "easy", "ease",
})
SCORE_TARGETS = ("nps", "csat", "ces")
#: the end of a note about a column whose name says one thing and whose values another (the CLI repeats it)
LEFT_OUT = "left for you to map"
_KINDS = infer.KINDS


def suggest_mapping(raw: RawTable) -> Mapping:
    """Suggest how a file's columns map onto the canonical schema.

    Parameters
    ----------
    raw : RawTable
        A file as returned by :func:`cx.ingest.read_table`.

    Returns
    -------
    Mapping
        Shape, column targets, scales, flag values, date order, units and notes, ready to be shown
        to the user, corrected, and passed to :func:`cx.ingest.apply_mapping`.

    Examples
    --------
    >>> from cx.ingest import read_table
    >>> raw = read_table(b"Customer ID,Likelihood to recommend,Churned?\\nC1,9,No\\nC2,3,Yes\\n", "x.csv")
    >>> m = suggest_mapping(raw)
    >>> m.shape, m.columns["Likelihood to recommend"], m.booleans
    ('customers', 'nps', {'Churned?': 'yes'})
    """
    frame = raw.frame
    part = sample(frame)
    decimal = infer.decimal(part, raw.delimiter)
    profiles = profile_columns(part, decimal)
    scores = {c: _header_scores(p) for c, p in profiles.items()}
    for c, p in profiles.items():  # of two columns named like a comment, the longer text is the comment
        if "comment" in scores[c] and p.free_text:
            scores[c]["comment"] += min(p.length, 400) / 1000
    notes: list[str] = []
    mapping = Mapping(decimal=decimal, sheet=raw.sheet, notes=notes)
    if decimal == ",":
        notes.append("Numbers use a decimal comma (4,5 = four and a half).")

    columns = _record_id(_assign(profiles, scores, {}, notes))
    shape = _shape(frame, profiles, scores, columns)
    if shape == "wide":
        columns = _wide_columns(profiles, scores, columns, mapping)
    elif shape == "stream":
        columns = _stream_columns(profiles, scores, columns, mapping)
    elif shape == "customers":
        columns = _customer_columns(profiles, columns)
    if shape != "interactions":  # one row per customer, respondent or moment: no ticket to repeat
        columns = {c: t for c, t in columns.items() if t != ROLE_RECORD_ID}
    mapping.shape = shape
    mapping.columns = {c: columns.get(c, IGNORE) for c in frame.columns}
    _fill_by_values(mapping, profiles)
    _within_limits(mapping, frame)
    _missing_codes(mapping, profiles)
    infer.scales(mapping, profiles)
    infer.booleans(mapping, profiles)
    infer.units(mapping, profiles)
    infer.date_order(mapping, frame)
    judge(mapping, profiles, scores, part)
    _per_row(mapping, frame)
    _describe(mapping, profiles)
    release_memory()  # the whole-column tests' intermediate arrays (date order, per-row attributes)
    return mapping


def _per_row(mapping: Mapping, frame: pd.DataFrame) -> None:
    """Say which customer attributes change from row to row within a customer: the load keeps them per row."""
    id_column = mapping.source_of("customer_id")
    if mapping.shape != "interactions" or id_column is None:
        return
    attributes = {t.split(".", 1)[1]: c for c, t in mapping.columns.items() if t.startswith("customers.")}
    if not attributes:
        return
    parts = {}
    for name, column in attributes.items():
        text = frame[column].astype("string").str.strip()  # as the load reads them: blank = missing
        parts[name] = text.where(text != "")
    for column, several in varying({"customer_id": frame[id_column], **parts}).items():
        mapping.notes.append(per_row_note(mapping, column, several))


# --- header scores and assignment -----------------------------------------------------------


_SYNONYM_WORDS = [(target, synonym, tuple(synonym.split()), 0.75 if synonym in WEAK else 1.0)
                  for target, (_, synonyms) in SYNONYMS.items() for synonym in synonyms]


def _header_scores(p: Profile) -> dict[str, float]:
    out: dict[str, float] = {}
    present = set(p.words)
    for target, synonym, words, weight in _SYNONYM_WORDS:
        if words and words[0] in present:
            score = phrase_score(p.words, synonym) * weight
            if score > out.get(target, 0.0):
                out[target] = score
    return out


_FITS = {  # kind -> whether a column's values can be a target of that kind
    "id": lambda p: p.id_like,
    "record": lambda p: p.id_like and p.distinct >= 0.75 * p.n,  # a ticket or response id: one row each, bar a few
    "timestamp": lambda p: p.dates >= 0.6 or p.serial_dates >= 0.9,
    "int": lambda p: p.numeric >= 0.8 and p.integers >= 0.95,
    "number": lambda p: p.numeric >= 0.8,
    # durations are read with a decimal comma even where other numbers use a point
    "duration": lambda p: p.numeric + p.decimal_commas >= 0.8 or p.clock >= 0.8,
    "nps": lambda p: p.numeric >= 0.8 and p.within10 >= 0.8,
    "score": lambda p: (p.numeric >= 0.8 or p.likert >= 0.8) and p.within100 >= 0.9,
    "bool": lambda p: p.flag,
    "text": lambda p: p.dates < 0.8 and p.numeric < 0.9,
    "category": lambda p: p.dates < 0.8 and (p.numeric < 0.5 or p.distinct <= 50),
    # an agent or team: a name or an id, never a rating column (a wide survey's "Service" question)
    "who": lambda p: p.dates < 0.8 and not p.rating and (p.numeric < 0.5 or p.id_like or p.distinct <= 200),
}


#: targets that hold an amount or a score: a 0/1 flag is neither
_NOT_FLAGS = frozenset({"revenue", "customers.lifetime_value", "nps", "csat", "ces", "first_response_minutes",
                        "resolution_hours"})
#: targets a dashboard breaks down by: a column filled on a few rows only is no breakdown
_BREAKDOWNS = frozenset({"channel", "journey_stage", "touchpoint", "customers.segment", "customers.region",
                         "agent", "team"})
SPARSE = 0.2


def _fits(target: str, p: Profile) -> bool:
    """Whether a column's values can be ``target`` (an empty column fits anything its name says)."""
    if p.n == 0:
        return True
    if target == ROLE_OFFSET and p.clock >= 0.8:  # a stream's offsets may be written as clock times
        return True
    if target in _NOT_FLAGS and p.zero_one:
        return False
    if target in ("customer_id", ROLE_RECORD_ID) and set(p.words) & PLACE_WORDS:
        return False  # a zip code or a coordinate names a place, not a customer
    if target == "seq" and set(p.words) & COUNT_WORDS:
        return False  # "order_items_qty" counts items; it does not order anything
    if target == "comment" and not p.free_text and p.names >= 0.6:
        return False  # names (a reviewer, a company) are not what customers wrote
    return _FITS.get(_KINDS.get(target, "category"), _FITS["category"])(p)


def _doubtful(target: str, p: Profile, score: float) -> str | None:
    """Why a column's values argue against a target its header only weakly names (None: they do not)."""
    if not p.n:
        return None
    if target in _BREAKDOWNS and p.distinct == 1 and p.n >= 30:
        return f"every row holds the same value ({_examples(p)})"
    if score >= 90:
        return None
    if target in ("revenue", "customers.lifetime_value") and p.rating:
        return f"its values are small whole numbers {p.low:g}–{p.high:g} (a rating, not an amount)"
    if target in ("csat", "ces") and score < 80 and p.numeric >= 0.8 and p.high > 10:
        return f"its values run {p.low:g}–{p.high:g}, a percent-like scale, not a satisfaction rating"
    if target in _BREAKDOWNS and p.fill < SPARSE:
        return f"only {p.fill:.0%} of rows hold a value"
    return None


def _assign(profiles: dict[str, Profile], scores: dict[str, dict[str, float]], fixed: dict[str, str],
            notes: list[str]) -> dict[str, str]:
    """Greedy: the best (score, column, target) first; each target once (attributes excepted)."""
    columns = dict(fixed)
    taken = set(fixed.values())
    ranked = []
    for order, (column, options) in enumerate(scores.items()):
        for target, score in options.items():
            ranked.append((-score, order, column, target))
    for neg, _, column, target in sorted(ranked):
        if column in columns or target in taken or target in (ROLE_RATING,):
            continue
        p = profiles[column]
        if target in ("customer_id", ROLE_RECORD_ID) and p.scientific >= 0.5:
            if not any(n.startswith(f"'{column}'") for n in notes):
                notes.append(f"'{column}' holds ids written like {_examples(p)}: a spreadsheet rounded them, so "
                             f"different ids now look alike ({p.distinct:,} distinct in {p.n:,} rows); re-export "
                             f"the ids as text; {LEFT_OUT}.")
            continue
        if not _fits(target, p):
            if -neg >= 90 and not any(n.startswith(f"'{column}'") for n in notes):
                notes.append(f"'{column}' is named like {target} but its values (e.g. {_examples(p)}) do not fit; "
                             f"{LEFT_OUT}.")
            continue
        doubt = _doubtful(target, p, -neg)
        if doubt is not None:
            if not any(n.startswith(f"'{column}'") for n in notes):
                notes.append(f"'{column}' is named like {target} but {doubt}; {LEFT_OUT}.")
            continue
        if target in ("csat", "nps") and -neg < 80 and p.rating and p.low == 0 and p.high >= 9 and "nps" not in taken:
            target = "nps"  # a generic "Score" holding 0–10 is a likelihood-to-recommend
        columns[column] = target
        taken.add(target)
    return columns


def _record_id(columns: dict[str, str]) -> dict[str, str]:
    """Without a customer column, a ticket id is the best id there is: it identifies the customer."""
    if "customer_id" not in columns.values():
        return {c: "customer_id" if t == ROLE_RECORD_ID else t for c, t in columns.items()}
    return columns


def _examples(p: Profile) -> str:
    return ", ".join(f"'{e[:20]}'" for e in p.examples[:3]) or "none"


def _is_overall(p: Profile) -> bool:
    return any(phrase_score(p.words, w) >= 60 for w in OVERALL_WORDS)


# --- shape -----------------------------------------------------------------------------------


def _offsets(profiles, scores, columns: dict[str, str]) -> list[str]:
    """Columns that can be a rating stream's time offset."""
    return [c for c, p in profiles.items() if scores[c].get(ROLE_OFFSET, 0) >= 45 and _fits(ROLE_OFFSET, p)
            and columns.get(c) in (None, ROLE_OFFSET, "seq")]


def _generic_ratings(profiles, scores, columns: dict[str, str], ratings: list[str]) -> list[str]:
    """Rating columns that are not the one clearly named column of their score (a survey's per-touchpoint questions)."""
    specific: dict[str, list[str]] = {}
    for c in ratings:
        target = columns.get(c)
        if target in SCORE_TARGETS and scores[c].get(target, 0) >= 80:
            specific.setdefault(target, []).append(c)
    singles = {cs[0] for cs in specific.values() if len(cs) == 1}
    return [c for c in ratings if c not in singles and columns.get(c) in (None, *SCORE_TARGETS)]


def _rows_per_id(frame: pd.DataFrame, id_column: str | None) -> float:
    if id_column is None:
        return 1.0
    ids = frame[id_column].dropna()
    return len(ids) / max(1, ids.nunique())


def _about_customers(columns: dict[str, str], per_id: float) -> bool:
    """No time column, and customer facts (churn, value, signup) or one row per id with scores or attributes."""
    targets = set(columns.values())
    if "occurred_at" in targets:
        return False
    about = bool(targets & {"customers.churned", "customers.lifetime_value", "customers.signup_at"})
    level = any(t.startswith("customers.") or t in SCORE_TARGETS for t in targets)
    return about or (per_id <= 1.05 and level)


def _shape(frame: pd.DataFrame, profiles, scores, columns: dict[str, str]) -> str:
    id_column = next((c for c, t in columns.items() if t == "customer_id"), None)
    ratings = [c for c, p in profiles.items() if p.rating and c != id_column and not _is_overall(p)]
    per_id = _rows_per_id(frame, id_column)
    scored = ratings or any(t in SCORE_TARGETS for t in columns.values())
    if _offsets(profiles, scores, columns) and per_id >= 2 and scored:
        return "stream"
    if len(_generic_ratings(profiles, scores, columns, ratings)) >= 3 and per_id <= 1.05:
        return "wide"
    if id_column is not None and _about_customers(columns, per_id):
        return "customers"
    return "interactions"


def _wide_target(column: str, p: Profile, columns: dict[str, str], scores, out: dict[str, str]) -> str | None:
    """What a wide survey's column becomes: a respondent attribute, NPS, a rating, or nothing new."""
    if _is_overall(p) and (p.numeric >= 0.8 or p.distinct <= 20):
        return f"customers.{slug(column)}"
    if p.rating:
        named = columns.get(column)
        # an explicit likelihood-to-recommend question stays NPS
        return "nps" if named == "nps" and scores[column].get(named, 0) >= 90 else ROLE_RATING
    if column not in out and p.n and p.distinct <= 20 and not p.free_text:
        return f"customers.{slug(column)}"
    return None


def _rating_target(headers: list[tuple[str, ...]]) -> str:
    """The score a survey's ratings are: effort or recommendation only when most questions ask it
    (one "Ease of online booking" among fourteen satisfaction questions does not make a CES survey)."""
    effort = sum(bool(set(words) & {"effort", "easy", "ease", "difficulty"}) for words in headers)
    recommend = sum("recommend" in words for words in headers)
    if headers and effort > len(headers) / 2:
        return "ces"
    if headers and recommend > len(headers) / 2:
        return "nps"
    return "csat"


def _wide_columns(profiles, scores, columns, mapping: Mapping) -> dict[str, str]:
    id_column = next((c for c, t in columns.items() if t == "customer_id"), None)
    out = {c: t for c, t in columns.items() if t not in SCORE_TARGETS}
    for c, p in profiles.items():
        target = _wide_target(c, p, columns, scores, out) if c != id_column else None
        if target is not None:
            out[c] = target
    ratings = [c for c in profiles if out.get(c) == ROLE_RATING]
    mapping.rating_target = _rating_target([profiles[c].words for c in ratings])
    mapping.notes.append(f"Wide survey: {len(ratings)} rating columns become one interaction each "
                         f"(touchpoint = column name, seq = column order), scored as {mapping.rating_target}.")
    return out


def _stream_score(p: Profile, named: str | None) -> str:
    """The score a stream's rating column is: effort when its name says harder or effort, else as named, else CSAT."""
    worse = any(phrase_score(p.words, w) for w in HIGHER_IS_WORSE_WORDS)
    if worse or "effort" in p.words:
        return "ces"
    return named if named in SCORE_TARGETS else "csat"


def _stream_columns(profiles, scores, columns, mapping: Mapping) -> dict[str, str]:
    out = {c: t for c, t in columns.items() if t not in (ROLE_OFFSET, "seq")}
    offset = max(_offsets(profiles, scores, columns), key=lambda c: scores[c][ROLE_OFFSET])
    out[offset] = ROLE_OFFSET
    rating = None
    for c, p in profiles.items():
        if c == offset or out.get(c) == "customer_id":
            continue
        if _is_overall(p) and p.n:
            out[c] = f"customers.{slug(c)}"
        elif rating is None and (p.rating or columns.get(c) in SCORE_TARGETS):
            rating = c
    if rating is not None:
        target = _stream_score(profiles[rating], columns.get(rating))
        out = {c: IGNORE if t == target and c != rating else t for c, t in out.items()}
        out[rating] = target
        mapping.rating_target = target
    mapping.notes.append(f"Rating stream: one row per moment; '{offset}' orders the moments of each episode (seq), "
                         "the overall rating goes to the customer.")
    return out


def _customer_columns(profiles, columns) -> dict[str, str]:
    out = dict(columns)
    for c, p in profiles.items():
        if c in out:
            if out[c] == "occurred_at":
                out[c] = "customers.signup_at"
            continue
        if p.n and not p.free_text and p.dates < 0.6 and (p.numeric >= 0.8 or p.distinct <= 50 or p.flag):
            out[c] = f"customers.{slug(c)}"
    return out


def _fill_by_values(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    """Targets no header claimed, filled from values alone (each one noted)."""
    free = [c for c, t in mapping.columns.items() if t == IGNORE]
    taken = set(mapping.columns.values())
    if "customer_id" not in taken and mapping.shape != "wide":
        for c in free:
            p = profiles[c]
            if p.id_like and set(p.words) & {"id", "nr", "no", "number", "code", "key", "ref", "nummer", "numero"} \
                    and not set(p.words) & PLACE_WORDS and _fits("customer_id", p):
                mapping.columns[c] = "customer_id"
                mapping.notes.append(f"'{c}' taken as the customer id (its values look like identifiers).")
                free.remove(c)
                break
    if "customer_id" not in set(mapping.columns.values()) and mapping.shape in ("interactions", "stream"):
        ids = [c for c in free if profiles[c].id_like and profiles[c].distinct >= 2 and _fits("customer_id", profiles[c])
               and not profiles[c].flag]
        if ids:  # the most varied id-like column; asked, since no header says customer
            best = max(ids, key=lambda c: profiles[c].distinct)
            mapping.columns[best] = "customer_id"
            free.remove(best)
            mapping.questions[best] = (f"No column is named like a customer id; '{best}' (e.g. {_examples(profiles[best])}) "
                                       "is the most varied id-like column. Is it the customer? Map another one if not.")
    if "occurred_at" not in taken and mapping.shape in ("interactions", "wide"):
        for c in free:
            if profiles[c].dates >= 0.8:
                mapping.columns[c] = "occurred_at"
                mapping.notes.append(f"'{c}' holds dates: taken as when the interaction happened.")
                free.remove(c)
                break
    if "comment" not in taken and mapping.shape != "customers":
        for c in free:
            if profiles[c].free_text:
                mapping.columns[c] = "comment"
                mapping.notes.append(f"'{c}' holds free text: taken as the comment.")
                break


def _within_limits(mapping: Mapping, frame: pd.DataFrame) -> None:
    """Never suggest a breakdown the load would refuse (more distinct values than the limit)."""
    limit = current_limits().max_distinct
    for column, target in list(mapping.columns.items()):
        if target in DIMENSION_TARGETS and frame[column].nunique() > limit:
            mapping.columns[column] = IGNORE
            mapping.notes.append(f"'{column}' has {frame[column].nunique():,} distinct values, more than the "
                                 f"{limit:,} a breakdown may have; {LEFT_OUT} (comment, or raise CX_INGEST_MAX_DISTINCT).")


def _missing_codes(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    """Codes like -1 or 99 beside a score's answers are declared missing, said and asked."""
    for column, target in mapping.columns.items():
        codes = profiles[column].na_codes
        if target in (*SCORE_TARGETS, ROLE_RATING) and codes:
            mapping.missing[column] = list(codes)
            listing = ", ".join(f"{c:g}" for c in codes)
            mapping.notes.append(f"'{column}' holds {listing} beside its answers: read as no answer (declared "
                                 "missing codes).")
            mapping.questions[column] = (f"'{column}' holds {listing} outside its other answers: they load as no "
                                         "answer. Remove them from the missing codes if they are real scores.")


def _describe(mapping: Mapping, profiles: dict[str, Profile]) -> None:
    ignored = [c for c, t in mapping.columns.items() if t == IGNORE and profiles[c].n]
    if ignored:
        listing = ", ".join(f"'{c}'" for c in ignored[:8]) + (" …" if len(ignored) > 8 else "")
        mapping.notes.append(f"Not mapped (kept out of the load): {listing}.")
    mapping.notes.insert(0, f"Recognised as: {SHAPE_LABELS[mapping.shape]}.")
