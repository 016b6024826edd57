"""The canonical schema: column names and kinds, declared scales, enums and the shared filters.

Everything downstream (ingestion, SQL, metrics, journeys, churn) speaks these names. A source
whose columns are called something else is mapped onto them once, at the edge.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from dataclasses import dataclass
from enum import Enum

# --- columns ---------------------------------------------------------------------------------

#: interactions: one row per touchpoint. Kinds: text, timestamp, int, number, bool.
INTERACTION_COLUMNS: dict[str, str] = {
    "customer_id": "text",
    "occurred_at": "timestamp",
    "seq": "int",  # order within the customer's journey when there is no timestamp (wide/stream files)
    "channel": "text",
    "journey_stage": "text",
    "touchpoint": "text",
    "nps": "int",
    "csat": "number",
    "ces": "number",
    "first_response_minutes": "number",
    "resolution_hours": "number",
    "resolved_first_contact": "bool",
    "comment": "text",
    "revenue": "number",
    # who handled the contact at rating time, and their team or queue (optional; see cx.teams)
    "agent": "text",
    "team": "text",
    # a survey was offered on this contact; offered rows without a score are non-responses (cx.teams.response)
    "survey_offered": "bool",
    # true on a customer table's row that carries the customer's scores: a record, not a contact
    # (contact volume leaves it out; NULL or false = a contact)
    "customer_record": "bool",
}

#: customers: one row per customer. Extra mapped attribute columns are kept beside these.
CUSTOMER_COLUMNS: dict[str, str] = {
    "customer_id": "text",
    "segment": "text",
    "region": "text",
    "signup_at": "timestamp",
    "churned": "bool",
    "churned_at": "timestamp",
    "lifetime_value": "number",
}

SCORE_COLUMNS = ("nps", "csat", "ces")
DURATION_COLUMNS = ("first_response_minutes", "resolution_hours")

#: The journey stages in funnel order; users may define others, which sort after these.
STAGES: tuple[str, ...] = ("awareness", "consideration", "purchase", "retention", "advocacy")

#: Breakdown dimensions a metric table may be grouped by, and the table each lives in. A customer
#: attribute that changes from row to row within a customer is also kept on the interactions (same
#: name); questions about rows then read the row's value (:func:`cx.db.where.attribute`).
DIMENSIONS: dict[str, str] = {
    "channel": "interactions",
    "journey_stage": "interactions",
    "touchpoint": "interactions",
    "agent": "interactions",
    "team": "interactions",
    "segment": "customers",
    "region": "customers",
}


class Grain(str, Enum):
    """Time bucket of a trend. Weeks are ISO weeks (Monday start) on every backend."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    ALL = "all"


# --- scales ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A declared rating scale.

    Parameters
    ----------
    low, high : float
        The ends of the scale as the data writes them (e.g. 1 and 5).
    higher_is_better : bool
        False for effort scales where a high number means *more* effort.
    zero_means_na : bool
        A 0 outside ``[low, high]`` means "not applicable" (wide survey exports) and is read as missing.
    """

    low: float
    high: float
    higher_is_better: bool = True
    zero_means_na: bool = False

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"a scale needs high > low, got {self.low}–{self.high}")

    def index(self, value: float) -> float:
        """Rescale a value to the 0–100 experience index (100 = best)."""
        share = (value - self.low) / (self.high - self.low)
        return 100.0 * (share if self.higher_is_better else 1.0 - share)

    @property
    def best(self) -> float:
        return self.high if self.higher_is_better else self.low

    @property
    def worst(self) -> float:
        return self.low if self.higher_is_better else self.high

    def label(self) -> str:
        direction = "higher is better" if self.higher_is_better else "lower is better"
        return f"{self.low:g}–{self.high:g}, {direction}"


NPS_SCALE = Scale(0, 10)


@dataclass(frozen=True)
class Scales:
    """The declared scales of a source's score columns (NPS is always 0–10)."""

    csat: Scale = Scale(1, 5)
    ces: Scale = Scale(1, 7)
    nps: Scale = NPS_SCALE

    def for_column(self, column: str) -> Scale:
        return getattr(self, column)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Scales:
        data = data or {}
        return cls(**{k: Scale(**v) for k, v in data.items() if k in ("csat", "ces", "nps")})


@dataclass(frozen=True)
class IncidentRules:
    """Thresholds that make an interaction a critical incident (defaults documented in README).

    Saved with the mapping so that next week's upload uses the same rules.
    """

    nps_at_most: int | None = 2
    csat_bottom: bool = True  # CSAT at the bottom of its declared scale
    ces_worst: bool = True  # effort at the worst end of its declared scale
    resolution_above_channel_p95: bool = True
    repeat_contact_days: int | None = 7  # unresolved at first contact and contacted again within N days
    good_end_index: float = 60.0  # an end at or above this index makes an incident "recovered"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> IncidentRules:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


def dumps(obj) -> str:
    """JSON with dates as ISO strings (the CLI's and the mapping files' encoder)."""

    def default(value):
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, Enum):
            return value.value
        if hasattr(value, "item"):  # numpy scalars
            return value.item()
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")

    return json.dumps(_finite(obj), default=default, indent=2, allow_nan=False)


def _finite(obj):
    """Replace NaN and infinities by None so that the JSON stays standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalar
        return _finite(obj.item())
    return obj


__all__ = [
    "CUSTOMER_COLUMNS",
    "DIMENSIONS",
    "DURATION_COLUMNS",
    "Grain",
    "INTERACTION_COLUMNS",
    "IncidentRules",
    "NPS_SCALE",
    "SCORE_COLUMNS",
    "STAGES",
    "Scale",
    "Scales",
    "dumps",
]
