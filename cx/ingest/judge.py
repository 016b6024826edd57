"""A second look at a suggested mapping, by the values: a confidence and a reason for every column,
questions for the doubtful roles, and the columns that give the outcome away (leaks).

The header suggester (:mod:`cx.ingest.suggest`) proposes; this module checks each proposal against
what the values say and writes its verdict into the mapping:

- ``mapping.confidence[column]`` (0–1) and ``mapping.reasons[column]`` for every mapped column;
- ``mapping.questions[column]`` where the user must decide (an id that may number rows rather than
  customers, a contact date among several dates, placeholder dates, a 0–100 satisfaction scale, a
  survey whose 0 may mean "not applicable");
- ``mapping.leaks`` from :func:`cx.ingest.leaks.leak_columns`, with each leaking column taken out
  of its role (back to ``ignore``) and the reason said.
"""

from __future__ import annotations

import pandas as pd

from cx.ingest import parse
from cx.ingest.mapping import Mapping
from cx.ingest.profile import Profile
from cx.ingest.vocabulary import IGNORE, ROLE_FIRST_RESPONSE_AT, ROLE_RATING, ROLE_RESOLVED_AT, slug

#: below this a suggestion is asked, not taken silently
ASK = 0.6
TIMESTAMPS = ("occurred_at", ROLE_FIRST_RESPONSE_AT, ROLE_RESOLVED_AT, "customers.signup_at", "customers.churned_at")
#: words of a date that is when the customer was in contact (a survey answered, a ticket opened)
CONTACT_WORDS = frozenset({"review", "survey", "response", "answer", "answered", "responded", "feedback", "contact",
                           "received", "created", "submitted", "opened", "reported", "interaction", "ticket"})
#: words of a date that is not the contact: an order's life, a plan
OTHER_DATE_WORDS = frozenset({"purchase", "order", "ordered", "approved", "aproved", "estimated", "delivery",
                              "delivered", "shipped", "flown", "birth", "dob", "expected", "due", "carrier"})


def _header_confidence(score: float) -> float:
    """A header that is the target's name (90+), contains it (60+), or holds one of its weak words (45+)."""
    return 0.9 if score >= 90 else 0.75 if score >= 60 else 0.65 if score >= 45 else 0.5


def _base(column: str, target: str, p: Profile, scores: dict[str, float]) -> tuple[float, str]:
    score = scores.get(target, 0.0)
    if target == ROLE_RATING:
        return 0.8, f"whole numbers {p.low:g}–{p.high:g} like the survey's other ratings"
    if score:
        return _header_confidence(score), f"the header matches {target} ({score:.0f}/100)"
    if target.startswith("customers."):
        return 0.7, f"an attribute of each customer ({p.distinct:,} distinct values)"
    return 0.5, f"taken from the values alone (e.g. {', '.join(repr(e[:20]) for e in p.examples[:2])})"


def _dates(mapping: Mapping, profiles: dict[str, Profile]) -> list[str]:
    return [c for c, p in profiles.items() if p.n and (p.dates >= 0.8 or mapping.columns.get(c) in TIMESTAMPS)]


def _contact_rank(column: str, p: Profile) -> int:
    """Lower = more likely the contact: words of a survey or ticket count for it, words of an order against."""
    words = set(p.words)
    return len(words & OTHER_DATE_WORDS) - len(words & CONTACT_WORDS)


def _choose_contact_date(mapping: Mapping, profiles: dict[str, Profile], notes: list[str]) -> None:
    """With several dates, prefer the one that says contact (a review answered) over an order's dates, and ask."""
    chosen = mapping.source_of("occurred_at")
    if chosen is None:
        return
    others = [c for c in _dates(mapping, profiles) if c != chosen and mapping.columns.get(c) == IGNORE]
    if not others:
        return
    candidates = [chosen, *others]
    best = min(candidates, key=lambda c: _contact_rank(c, profiles[c]))
    if _contact_rank(best, profiles[best]) < _contact_rank(chosen, profiles[chosen]):
        mapping.columns[chosen], mapping.columns[best] = IGNORE, "occurred_at"
        notes.append(f"'{best}' taken as the contact date rather than '{chosen}' (its name says contact).")
        chosen = best
    listing = ", ".join(f"'{c}'" for c in candidates if c != chosen)
    mapping.questions[chosen] = (f"Which date is when the customer was in contact? '{chosen}' is used; the file "
                                 f"also has {listing}. Durations and trends follow this choice.")


def _placeholders(column: str, frame: pd.DataFrame, mapping: Mapping) -> int:
    stamps, _bad, _odd = parse.dates(frame[column], mapping.dayfirst if mapping.dayfirst is not None else True)
    return int(parse.placeholder_dates(stamps).sum())


def _customer_id(column: str, p: Profile, mapping: Mapping, scores: dict[str, float]) -> tuple[float, str, str | None]:
    unique = p.distinct >= 0.98 * p.n
    strong = scores.get("customer_id", 0.0) >= 90 and not set(p.words) <= {"id"}
    if mapping.shape == "customers" and not unique:
        return 0.4, f"{p.distinct:,} distinct values in {p.n:,} rows", \
            f"'{column}' repeats ({p.distinct:,} distinct in {p.n:,} rows): is it the customer? A customer table has one row each."
    if mapping.shape == "interactions" and unique and not strong:
        return 0.4, f"a different value on every row ({p.distinct:,})", \
            (f"'{column}' is different on every row: it numbers the rows (a ticket, complaint or order), so each row "
             "counts as its own customer. Map the customer column if the file has one; otherwise keep it "
             "(repeat contacts cannot be seen).")
    return (0.9 if strong else 0.75), ("one row per customer" if unique else f"{p.n / max(1, p.distinct):.1f} rows per "
                                       "customer"), None


def _score_question(column: str, target: str, p: Profile, mapping: Mapping) -> tuple[float, str | None]:
    scale = mapping.scales.for_column(target) if target in ("csat", "ces") else None
    if scale is not None and scale.high - scale.low >= 50:
        return 0.5, (f"'{column}' runs {p.low:g}–{p.high:g}: a percent-like scale. {target.upper()} counts the top "
                     f"two boxes ({scale.high - 1:g}–{scale.high:g}); confirm it is a {target.upper()} or map it as "
                     "an attribute")
    if scale is not None and scale.zero_means_na:
        return 0.7, (f"'{column}': 0 is read as not applicable (the scale is {scale.low:g}–{scale.high:g}); "
                     "declare other codes (−1, 99) as missing if your export uses them")
    return 0.9 if scale is not None or target == "nps" else 0.75, None


def judge(mapping: Mapping, profiles: dict[str, Profile], scores: dict[str, dict[str, float]],
          frame: pd.DataFrame) -> None:
    """Fill ``mapping.confidence``, ``reasons``, ``questions`` and ``leaks`` (and take leaks out of their roles)."""
    notes = mapping.notes
    _leaks(mapping, frame, notes, profiles)
    _outcomes_left_out(mapping, profiles, len(frame))
    _choose_contact_date(mapping, profiles, notes)
    for column, target in mapping.columns.items():
        if target == IGNORE:
            continue
        p = profiles[column]
        confidence, reason = _base(column, target, p, scores[column])
        question = None
        if target == "customer_id":
            confidence, detail, question = _customer_id(column, p, mapping, scores[column])
            reason = f"{reason}; {detail}"
        elif target in ("nps", "csat", "ces") or (target == ROLE_RATING and column == mapping.ratings[0]):
            kind = mapping.rating_target if target == ROLE_RATING else target
            value, question = _score_question(column, kind, p, mapping)
            confidence = min(confidence, value) if question else confidence
        elif target == "comment":
            if p.distinct >= 0.8 * p.n and p.length >= 30:
                confidence = max(confidence, 0.7)
            reason = f"free text: {p.length:.0f} characters and {p.word_count:.0f} words on average, " \
                     f"{p.distinct / max(1, p.n):.0%} distinct"
        elif target in TIMESTAMPS:
            placeholders = _placeholders(column, frame, mapping)
            if placeholders:
                confidence = min(confidence, 0.5)
                question = (f"{placeholders:,} rows of '{column}' hold a placeholder date (1970-01-01 or the like): "
                            "they load as undated. Is another column the real date?")
        if column in mapping.questions:
            confidence = min(confidence, 0.5)
            question = mapping.questions[column] if question is None else f"{mapping.questions[column]} {question}"
        if question is None and confidence < ASK:
            question = f"Is '{column}' the {target}? ({reason})"
        mapping.confidence[column] = round(confidence, 2)
        mapping.reasons[column] = reason
        if question:
            mapping.questions[column] = question
    for column, why in mapping.leaks.items():
        mapping.reasons[column] = f"left out: gives the outcome away ({why})"


EXPERIENCE_OK = (IGNORE, "customer_id", "customers.churned")


def outcome_columns(mapping: Mapping, profiles: dict[str, Profile]) -> list[str]:
    """The columns a user may model as the outcome: the churn column, then every customer attribute holding
    two values (the Churn page offers each of them, :func:`cx.outcomes.two_valued_outcomes`), those named
    like an outcome (satisfied, recommended, disputed…) first."""
    from cx.outcomes import NOT_OUTCOMES, names_an_outcome

    churn = mapping.source_of("customers.churned")
    found = [c for c, t in mapping.columns.items()
             if c != churn and t.startswith("customers.") and t.removeprefix("customers.") not in NOT_OUTCOMES
             and c in profiles and profiles[c].distinct == 2]
    found.sort(key=lambda c: not names_an_outcome(c))
    return ([churn] if churn else []) + found


def _leaks(mapping: Mapping, frame: pd.DataFrame, notes: list[str], profiles: dict[str, Profile]) -> None:
    """Leaks of the outcome the user will most likely model, and what gives away any other they may choose.

    The main outcome is the churn column, or else the first two-valued attribute named like an outcome
    ("Satisfaction", "recommended"): its leaks are left out of every role (``mapping.leaks``). Every
    other two-valued attribute may be chosen on the Churn page too: a column that gives one of them away
    is asked about (``mapping.questions``), naming that outcome; the model checks again whatever is chosen.
    A suspected restatement (:data:`cx.ingest.leaks.AUC_SUSPECT`) is asked about for any outcome.
    """
    from cx.ingest.leaks import prepare, screen_columns
    from cx.outcomes import OutcomeError, names_an_outcome

    candidates = outcome_columns(mapping, profiles)
    if not candidates:
        return
    prepared = prepare(frame)
    main = candidates[0] if candidates and (mapping.source_of("customers.churned") or names_an_outcome(candidates[0])) else None
    asked: dict[str, list[str]] = {}
    for outcome in candidates:
        if outcome in mapping.leaks:  # a copy of the main outcome is no outcome of its own
            continue
        others = [c for c in frame.columns if c != outcome and c not in mapping.leaks and c != main]
        try:
            found, suspects = screen_columns(frame, outcome, mapping.booleans.get(outcome), columns=others,
                                             prepared=prepared)
        except (OutcomeError, ValueError):
            continue
        if outcome == main:
            mapping.leaks = found
            _take_out(mapping, found, notes)
        else:
            for column, why in found.items():
                asked.setdefault(column, []).append(f"'{column}' gives '{outcome}' away: {why}. If you model "
                                                    f"'{outcome}' as the outcome, it is left out of that model.")
        for column, why in suspects.items():
            asked.setdefault(column, []).append(f"'{column}' {why}. Keep it as an input only if it was recorded before "
                                                f"'{outcome}' and independently of it; the model names it again.")
    for column, questions in asked.items():
        if column not in mapping.leaks:
            mapping.questions[column] = " ".join([*([mapping.questions[column]] if column in mapping.questions else []),
                                                  *questions])


def _outcomes_left_out(mapping: Mapping, profiles: dict[str, Profile], rows: int) -> None:
    """A column named like an outcome ("Consumer disputed?") that the suggestion leaves out is asked about:
    the Churn page can model only a customer column with two values."""
    from cx.outcomes import names_an_outcome

    for column, target in mapping.columns.items():
        p = profiles.get(column)
        if target != IGNORE or column in mapping.leaks or p is None or not p.n or p.distinct > 2 \
                or not names_an_outcome(column):
            continue
        values = ", ".join(repr(v) for v in p.examples[:2])
        if p.distinct == 1 and p.n == rows:
            continue  # the same value on every row: nothing to model, nothing to ask
        if p.distinct == 1:
            question = (f"'{column}' reads like an outcome but holds one value ({values}) on {p.n:,} of {rows:,} rows "
                        "and blanks elsewhere: blank counts as unknown, so it cannot be modelled as it is. If blank "
                        "means no, export it with the no written out and map it to a customer column; otherwise "
                        "leave it out.")
        else:
            question = (f"'{column}' reads like an outcome ({values}) and is left out: map it to a customer column "
                        f"(customers.{slug(column)}) to model it on the Churn page or with cx churn --outcome.")
        mapping.questions[column] = question
        mapping.confidence[column] = 0.5  # leaving it out is itself doubtful
        mapping.reasons[column] = "left out, but named like an outcome: asked"


def _take_out(mapping: Mapping, found: dict[str, str], notes: list[str]) -> None:
    for column, why in found.items():
        target = mapping.columns.get(column, IGNORE)
        if target not in EXPERIENCE_OK:
            mapping.columns[column] = IGNORE
            notes.append(f"'{column}' gives the outcome away ({why}): not mapped to {target}. Map it yourself only "
                         "if you are sure; a warning stays beside it.")
