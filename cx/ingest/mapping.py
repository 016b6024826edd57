"""The mapping of one file onto the canonical schema, and its JSON form (saved for next week's upload)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from cx.ingest.sniff import IngestError
from cx.ingest.vocabulary import (
    IGNORE,
    ROLE_FIRST_RESPONSE_AT,
    ROLE_OFFSET,
    ROLE_RATING,
    ROLE_RECORD_ID,
    ROLE_RESOLVED_AT,
    ROLES,
)
from cx.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, IncidentRules, Scale, Scales

SHAPES = ("interactions", "customers", "wide", "stream")
SHAPE_LABELS = {
    "interactions": "Interactions: one row per response or ticket",
    "customers": "Customers: one row per customer (scores, churn, value, attributes)",
    "wide": "Wide survey: one row per respondent, one rating column per touchpoint",
    "stream": "Rating stream: episode, time offset, rating (plus an overall rating per episode)",
}
DURATION_UNITS = ("seconds", "minutes", "hours", "days")
#: durations derived from two timestamps: target -> (role of the end timestamp, minutes per unit)
DERIVED = {"first_response_minutes": (ROLE_FIRST_RESPONSE_AT, 1.0), "resolution_hours": (ROLE_RESOLVED_AT, 60.0)}
VERSION = 1


def targets() -> list[str]:
    """Every target a column can be mapped to, in the order the mapping editor lists them."""
    return (
        [IGNORE]
        + list(INTERACTION_COLUMNS)
        + [ROLE_FIRST_RESPONSE_AT, ROLE_RESOLVED_AT, ROLE_RATING, ROLE_OFFSET, ROLE_RECORD_ID]
        + [f"customers.{c}" for c in CUSTOMER_COLUMNS if c != "customer_id"]
    )


def is_valid_target(target: str) -> bool:
    if target in INTERACTION_COLUMNS or target in ROLES or target == IGNORE:
        return True
    if target.startswith("customers.") and len(target) > len("customers."):
        attribute = target.split(".", 1)[1]
        return attribute != "customer_id" and attribute.replace("_", "").isalnum()
    return False


@dataclass
class Mapping:
    """How the columns of one file become canonical interactions and customers.

    Attributes
    ----------
    shape : str
        ``interactions``, ``customers``, ``wide`` or ``stream`` (see DESIGN.md).
    columns : dict
        Source column -> target: a canonical interaction column (``nps``), a customer column or
        attribute (``customers.churned``, ``customers.plan``), a role (``first_response_at`` /
        ``resolved_at``: timestamps from which durations are derived with ``occurred_at``;
        ``rating``: a wide survey's per-touchpoint rating; ``offset``: a stream's time offset;
        ``record_id``: the ticket or response id, each row one record, so that one id twice with
        different values is quarantined as a conflict instead of counted twice), or ``ignore``.
    scales : cx.schema.Scales
        Declared CSAT and CES scales (range, direction, "0 means not applicable").
    booleans : dict
        Source column -> the value (case-insensitive) that means True.
    dayfirst : bool or None
        Numeric dates are day-first (True), month-first (False), or not known (None: asked).
    decimal : str
        The decimal separator of numbers written as text ("." or ",").
    units : dict
        Source duration column -> the unit its numbers are in (seconds, minutes, hours, days).
    rating_target : str
        The score (``csat``, ``ces`` or ``nps``) that wide ratings and stream ratings load into.
    timezone : str or None
        The zone of timestamps written without an offset (None: they are UTC already).
    sheet : str or None
        The workbook sheet the mapping was made for.
    rules : cx.schema.IncidentRules
        Incident thresholds saved with the mapping.
    notes : list of str
        What the mapper inferred, in plain sentences for the user.
    ambiguous_dates : list of str
        Example values when day-first vs month-first cannot be told from the data.
    confidence : dict
        Source column -> how sure the suggestion is of its target (0–1): from the header's match and
        what the values say. Empty for a hand-written mapping.
    reasons : dict
        Source column -> why it got its target (or was left out), in words.
    questions : dict
        Source column -> what the user must decide (a doubtful role is asked, not guessed).
    leaks : dict
        Source column -> why it gives the outcome away (:func:`cx.ingest.leaks.leak_columns`); a leak
        mapped to anything but ``ignore`` is loaded with a warning.
    missing : dict
        Source column (or ``"*"`` for every score and rating column) -> values that mean "no answer"
        (0, −1, 99…): such cells load with the score empty and are counted, not quarantined.
    """

    shape: str = "interactions"
    columns: dict[str, str] = field(default_factory=dict)
    scales: Scales = field(default_factory=Scales)
    booleans: dict[str, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    decimal: str = "."
    units: dict[str, str] = field(default_factory=dict)
    rating_target: str = "csat"
    timezone: str | None = None
    sheet: str | None = None
    rules: IncidentRules = field(default_factory=IncidentRules)
    notes: list[str] = field(default_factory=list)
    ambiguous_dates: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    leaks: dict[str, str] = field(default_factory=dict)
    missing: dict[str, list[float]] = field(default_factory=dict)

    # --- views -------------------------------------------------------------------------------

    def source_of(self, target: str) -> str | None:
        """The (first) source column mapped to ``target``, or None."""
        return next((s for s, t in self.columns.items() if t == target), None)

    def mapped(self, prefix: str = "") -> dict[str, str]:
        """Source -> target for the targets starting with ``prefix`` (ignored columns left out)."""
        return {s: t for s, t in self.columns.items() if t != IGNORE and t.startswith(prefix)}

    @property
    def ratings(self) -> list[str]:
        """Wide shape: the per-touchpoint rating columns, in file order."""
        return [s for s, t in self.columns.items() if t == ROLE_RATING]

    @property
    def durations(self) -> dict[str, tuple[str, str]]:
        """Durations derived from two timestamps: target -> (start column, end column)."""
        start = self.source_of("occurred_at")
        out = {}
        for target, (role, _) in DERIVED.items():
            end = self.source_of(role)
            if start and end and not self.source_of(target):
                out[target] = (start, end)
        return out

    def missing_codes(self, column: str) -> list[float]:
        """The declared "no answer" codes of a score or rating column (its own plus the file's ``"*"``)."""
        return sorted({float(v) for v in [*self.missing.get("*", []), *self.missing.get(column, [])]})

    @property
    def leak_warnings(self) -> list[str]:
        """One sentence per leaking column that is mapped to something (the user overrode the suggestion)."""
        return [f"'{c}' is mapped to {self.columns[c]} but gives the outcome away ({why}); numbers that use it "
                "are not evidence: map it to ignore unless you are sure" for c, why in self.leaks.items()
                if self.columns.get(c, IGNORE) not in (IGNORE, "customers.churned")]

    @property
    def needs_date_order(self) -> bool:
        """True when the page must ask whether dates are day-first."""
        return self.dayfirst is None and bool(self.ambiguous_dates)

    def check(self, available: list[str] | None = None, name: str = "mapping") -> None:
        """Raise :class:`IngestError` when the mapping is inconsistent or names absent columns."""
        self._check_values(name)
        single = [t for t in self.columns.values() if t not in (IGNORE, ROLE_RATING)]
        twice = sorted({t for t in single if single.count(t) > 1})
        if twice:
            columns = ", ".join(f"'{s}'" for s, t in self.columns.items() if t in twice)
            raise IngestError(f"{name}: {', '.join(twice)} is mapped from more than one column ({columns}); keep one "
                              "and set the others to ignore (Data page: 'maps to'; mapping file: \"columns\")")
        absent = [s for s, t in self.columns.items() if t != IGNORE and s not in available] if available is not None else []
        if absent:
            listing = ", ".join(f"'{c}'" for c in absent)
            raise IngestError(f"{name}: the mapping uses column(s) {listing} that the file does not have "
                              f"(it has: {', '.join(available[:12])}{' …' if len(available) > 12 else ''}); was the mapping saved for "
                              "another export? Run `cx map FILE` for a fresh suggestion")
        self._check_shape(name)

    def _check_values(self, name: str) -> None:
        if self.shape not in SHAPES:
            raise IngestError(f"{name}: unknown shape '{self.shape}' (expected one of {', '.join(SHAPES)})")
        bad = [f"'{s}' -> '{t}'" for s, t in self.columns.items() if not is_valid_target(t)]
        if bad:
            raise IngestError(f"{name}: unknown target(s) {', '.join(bad)}; use one of the targets `cx map` writes "
                              "(interaction columns, customers.<attribute>, or ignore)")
        if self.rating_target not in ("csat", "ces", "nps"):
            raise IngestError(f"{name}: rating_target must be csat, ces or nps, not '{self.rating_target}'")
        if self.decimal not in (".", ","):
            raise IngestError(f"{name}: decimal must be '.' or ','")
        scored = {s for s, t in self.columns.items() if t in ("nps", "csat", "ces", ROLE_RATING)}
        odd = [c for c in self.missing if c != "*" and c not in scored]
        if odd:
            raise IngestError(f"{name}: missing codes are declared for {', '.join(repr(c) for c in odd)}, which "
                              "is not mapped to a score or rating; declare them for a score column or for \"*\"")

    def _check_shape(self, name: str) -> None:
        if self.shape == "wide" and not self.ratings:
            raise IngestError(f"{name}: a wide survey needs at least one column mapped to 'rating'; map the rating "
                              "columns to rating, or choose another shape")
        if self.shape == "stream" and not self.source_of(ROLE_OFFSET) and not self.source_of("seq"):
            raise IngestError(f"{name}: a rating stream needs a column mapped to 'offset' (or 'seq'); map the time "
                              "column to offset, or choose another shape")
        if self.shape != "wide" and not self.source_of("customer_id"):
            raise IngestError(f"{name}: no column is mapped to customer_id (the customer, account or episode id); "
                              "map one on the Data page or in the mapping file — a ticket or order number will "
                              "do when the export has no customer column (each row then counts as its own customer)")

    # --- JSON --------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "version": VERSION,
            "shape": self.shape,
            "columns": dict(self.columns),
            "scales": {"csat": dataclasses.asdict(self.scales.csat), "ces": dataclasses.asdict(self.scales.ces)},
            "booleans": dict(self.booleans),
            "dayfirst": self.dayfirst,
            "decimal": self.decimal,
            "units": dict(self.units),
            "rating_target": self.rating_target,
            "timezone": self.timezone,
            "sheet": self.sheet,
            "rules": self.rules.to_dict(),
            "notes": list(self.notes),
            "ambiguous_dates": list(self.ambiguous_dates),
            "confidence": {c: round(float(v), 2) for c, v in self.confidence.items()},
            "reasons": dict(self.reasons),
            "questions": dict(self.questions),
            "leaks": dict(self.leaks),
            "missing": {c: [_plain_number(v) for v in vs] for c, vs in self.missing.items()},
        }

    def to_json(self) -> str:
        """The mapping as indented JSON (what ``cx map`` prints and the page saves)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict, name: str = "mapping") -> Mapping:
        """A mapping from its :meth:`to_dict` form; anything malformed raises :class:`IngestError`."""
        try:
            return cls._from_dict(data, name)
        except IngestError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a hand-edited or foreign file
            raise IngestError(f"{name}: not a valid mapping ({type(exc).__name__}: {str(exc)[:120]})") from None

    @classmethod
    def _from_dict(cls, data: dict, name: str) -> Mapping:
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            raise IngestError(f"{name}: not a mapping (expected a JSON object with \"columns\")")
        if int(data.get("version", VERSION)) > VERSION:
            raise IngestError(f"{name}: written by a newer version (mapping version {data['version']}); update cx, "
                              "or make a new mapping with `cx map FILE`")
        try:
            scales = Scales(**{k: Scale(**v) for k, v in (data.get("scales") or {}).items() if k in ("csat", "ces")})
        except (TypeError, ValueError) as exc:
            raise IngestError(f"{name}: invalid scales ({exc})") from None
        mapping = cls(scales=scales, rules=IncidentRules.from_dict(data.get("rules")), **_plain_fields(data))
        bad_units = {k: v for k, v in mapping.units.items() if v not in DURATION_UNITS}
        if bad_units:
            raise IngestError(f"{name}: unknown duration unit(s) {bad_units} (use {', '.join(DURATION_UNITS)})")
        if mapping.shape not in SHAPES:
            raise IngestError(f"{name}: unknown shape '{mapping.shape}' (expected one of {', '.join(SHAPES)})")
        return mapping

    @classmethod
    def from_json(cls, text: str | bytes, name: str = "mapping") -> Mapping:
        """Read a mapping saved by :meth:`to_json`; raises :class:`IngestError` with the file name."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IngestError(f"{name}: is not valid JSON ({exc})") from None
        return cls.from_dict(data, name)


def _text_dict(value) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _plain_fields(data: dict) -> dict:
    """The mapping's fields that are plain JSON values, as the dataclass holds them."""
    dayfirst = data.get("dayfirst")
    return {
        "shape": str(data.get("shape", "interactions")),
        "columns": _text_dict(data["columns"]),
        "booleans": _text_dict(data.get("booleans")),
        "dayfirst": None if dayfirst is None else bool(dayfirst),
        "decimal": str(data.get("decimal", ".")),
        "units": _text_dict(data.get("units")),
        "rating_target": str(data.get("rating_target", "csat")),
        "timezone": data.get("timezone") or None,
        "sheet": data.get("sheet") or None,
        "notes": [str(n) for n in data.get("notes") or []],
        "ambiguous_dates": [str(n) for n in data.get("ambiguous_dates") or []],
        "confidence": {str(k): float(v) for k, v in (data.get("confidence") or {}).items()},
        "reasons": _text_dict(data.get("reasons")),
        "questions": _text_dict(data.get("questions")),
        "leaks": _text_dict(data.get("leaks")),
        "missing": parse_missing(data.get("missing")),
    }


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def parse_missing(value) -> dict[str, list[float]]:
    """Declared missing codes from JSON (``{"col": [0, -1]}``) or the command line (``"col=0,-1"``,
    ``"0,99"`` for every score column; several separated by ``;``)."""
    if not value:
        return {}
    if isinstance(value, dict):
        items = value.items()
    else:
        items = []
        for part in str(value).split(";"):
            column, _, codes = part.rpartition("=")
            items.append((column.strip() or "*", codes.split(",")))
    out: dict[str, list[float]] = {}
    for column, codes in items:
        codes = [codes] if isinstance(codes, (int, float, str)) else list(codes)
        try:
            numbers = [float(str(c).strip()) for c in codes if str(c).strip()]
        except ValueError:
            raise IngestError(f"missing codes for {column!r} must be numbers (such as 0, -1, 99), not {codes!r}") from None
        if numbers:
            out.setdefault(str(column), [])
            out[str(column)] += [n for n in numbers if n not in out[str(column)]]
    return out
