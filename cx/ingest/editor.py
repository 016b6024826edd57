"""Pure helpers behind the mapping editor (Data page) and mapping files (page and CLI).

The page shows a mapping as a small table (column, examples, maps to) plus a few settings; these
functions turn a mapping into that table and the edited table back into a mapping, so the page
holds widgets only and the logic is tested without a browser.
"""

from __future__ import annotations

import copy
import json

import pandas as pd

from cx.ingest import parse
from cx.ingest.mapping import Mapping, targets
from cx.ingest.sniff import IngestError
from cx.ingest.table import RawTable
from cx.ingest.vocabulary import slug
from cx.schema import Scale, Scales

COLUMN, EXAMPLES, TARGET = "column", "examples", "maps to"
CONFIDENCE, WHY, ASKED = "confidence", "why", "check"
EDITOR_COLUMNS = [ASKED, COLUMN, EXAMPLES, TARGET, CONFIDENCE, WHY]


def editor_rows(raw: RawTable, mapping: Mapping, examples: int = 3) -> pd.DataFrame:
    """One row per source column: whether it is asked (⚠ question, ⛔ leak), its name, a few example
    values, its current target, how sure the suggestion is and why (empty for a hand-made choice)."""
    rows = []
    for column in raw.frame.columns:
        values = parse.text(raw.frame[column].head(2000)).dropna()
        sample = " · ".join(str(v)[:30] for v in pd.unique(values)[:examples])
        confidence = mapping.confidence.get(column)
        asked = "⛔ leak" if column in mapping.leaks else "⚠ asked" if column in mapping.questions else ""
        rows.append({ASKED: asked, COLUMN: column, EXAMPLES: sample, TARGET: mapping.columns.get(column, "ignore"),
                     CONFIDENCE: f"{confidence:.0%}" if confidence is not None else "",
                     WHY: mapping.reasons.get(column, "")})
    return pd.DataFrame(rows, columns=EDITOR_COLUMNS)


def open_questions(mapping: Mapping) -> list[tuple[str, str]]:
    """What the user must decide, leaks first: ``(column, sentence)`` for the page and ``cx map``."""
    leaks = enumerate_warnings(mapping)
    said = {c for c, _ in leaks}
    return leaks + [(c, q) for c, q in mapping.questions.items() if c not in said]


def missing_text(mapping: Mapping) -> str:
    """The declared missing codes as the page's text field writes them: ``0, -1; Q3=99``."""
    parts = []
    for column, codes in mapping.missing.items():
        listing = ",".join(f"{c:g}" for c in codes)
        parts.append(listing if column == "*" else f"{column}={listing}")
    return "; ".join(parts)


def enumerate_warnings(mapping: Mapping) -> list[tuple[str, str]]:
    """Leaking columns: mapped anyway (the warning stays) or left out (said once)."""
    out = []
    for column, why in mapping.leaks.items():
        target = mapping.columns.get(column, "ignore")
        if target in ("ignore", "customers.churned"):
            out.append((column, f"'{column}' gives the outcome away ({why}); it is left out of every role."))
        else:
            out.append((column, f"'{column}' is mapped to {target} but gives the outcome away ({why}): numbers that "
                                "use it are not evidence."))
    return out


def target_options(raw: RawTable, mapping: Mapping | None = None) -> list[str]:
    """Targets the editor offers: canonical columns, roles, and a customer attribute per column."""
    options = targets()
    extra = [f"customers.{slug(c)}" for c in raw.frame.columns]
    if mapping is not None:
        extra += [t for t in mapping.columns.values() if t not in options]
    return options + [t for t in dict.fromkeys(extra) if t not in options]


def flag_values(raw: RawTable, column: str, limit: int = 20) -> list[str]:
    """The distinct values (lower case) of a column, most frequent first, for "which value means yes"."""
    values = parse.text(raw.frame[column]).str.lower().dropna()
    return [str(v) for v in values.value_counts().index[:limit]]


def edit_mapping(
    mapping: Mapping,
    rows: pd.DataFrame | None = None,
    *,
    shape: str | None = None,
    csat: Scale | None = None,
    ces: Scale | None = None,
    booleans: dict[str, str] | None = None,
    dayfirst: bool | None | str = "keep",
    rating_target: str | None = None,
    missing: dict[str, list[float]] | None = None,
) -> Mapping:
    """A copy of ``mapping`` with the editor's changes applied (``None`` = unchanged).

    ``rows`` is the edited :func:`editor_rows` table. A column whose target the user changed is
    theirs: its confidence becomes 1 ("set by you") and its question is answered. Flag values are
    kept for columns still mapped to something; ``dayfirst="keep"`` leaves the date order as it
    is; ``missing`` replaces the declared missing codes (column or ``"*"`` -> codes).
    """
    out = copy.deepcopy(mapping)
    if rows is not None:
        out.columns = {str(r[COLUMN]): str(r[TARGET] or "ignore") for _, r in rows.iterrows()}
        for column, target in out.columns.items():
            if target != mapping.columns.get(column, "ignore"):
                out.confidence[column] = 1.0
                out.reasons[column] = "set by you"
                out.questions.pop(column, None)
    if missing is not None:
        out.missing = {c: list(v) for c, v in missing.items() if v}
    scored = ("nps", "csat", "ces", "rating")  # a column mapped away from a score takes its codes with it
    out.missing = {c: v for c, v in out.missing.items() if c == "*" or out.columns.get(c) in scored}
    if shape is not None:
        out.shape = shape
    out.scales = Scales(csat=csat or out.scales.csat, ces=ces or out.scales.ces)
    if booleans:
        out.booleans.update({k: v for k, v in booleans.items() if v})
    out.booleans = {k: v for k, v in out.booleans.items() if out.columns.get(k, "ignore") != "ignore"}
    if dayfirst != "keep":
        out.dayfirst = dayfirst
    if rating_target is not None:
        out.rating_target = rating_target
    return out


def read_mappings(text: str | bytes, name: str = "mapping") -> Mapping | dict[str, Mapping]:
    """A saved mapping file: one mapping, or an object of file name -> mapping."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"{name}: is not valid JSON ({exc})") from None
    if isinstance(data, dict) and "columns" not in data and data and all(isinstance(v, dict) for v in data.values()):
        return {str(k): Mapping.from_dict(v, f"{name} [{k}]") for k, v in data.items()}
    return Mapping.from_dict(data, name)


def mappings_json(mappings: dict[str, Mapping]) -> str:
    """Several files' mappings as one JSON object (file name -> mapping); one file's as a plain mapping."""
    if len(mappings) == 1:
        return next(iter(mappings.values())).to_json()
    return json.dumps({name: m.to_dict() for name, m in mappings.items()}, indent=2, ensure_ascii=False)


def pick_mapping(saved: Mapping | dict[str, Mapping] | None, name: str, columns: list[str]) -> Mapping | None:
    """The saved mapping for a file: by its name, else a single mapping whose columns the file has."""
    if saved is None:
        return None
    if isinstance(saved, dict):
        if name in saved:
            return copy.deepcopy(saved[name])
        candidates = list(saved.values())
    else:
        candidates = [saved]
    for mapping in candidates:
        used = [c for c, t in mapping.columns.items() if t != "ignore"]
        if used and all(c in columns for c in used):
            return copy.deepcopy(mapping)
    return None
