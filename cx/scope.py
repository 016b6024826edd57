"""Which rows (Scope) and how they are shown (View): two values, kept apart on purpose.

A :class:`Scope` decides what a query reads (dates, channels, journey stages, segments), so it is
the cache key of every query and model. A :class:`View` only changes how a result is shown (the
time grain of a trend, the minimum n under which a point is flagged): changing it never refits a
model, and re-queries only where the grain is part of the query itself (a trend's buckets).
Both are frozen and hashable, and both round-trip through a URL query string so a link reopens
the exact view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cx.schema import Grain

DEFAULT_MIN_N = 30


def _tuple(values) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [v for v in values.split(",") if v]
    return tuple(sorted(str(v) for v in values))


def _date(value) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value) if value else None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


@dataclass(frozen=True)
class Scope:
    """Which interactions and customers a result covers. Empty tuples mean "all"; dates are inclusive days.

    Examples
    --------
    >>> Scope(channels="email,chat").channels
    ('chat', 'email')
    >>> Scope.from_query(Scope(date_from="2026-03-09").to_query()) == Scope(date_from="2026-03-09")
    True
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channels: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("channels", "stages", "segments"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        for name in ("date_from", "date_to"):
            object.__setattr__(self, name, _date(getattr(self, name)))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"the date range starts ({self.date_from}) after it ends ({self.date_to})")

    def to_query(self) -> dict[str, str]:
        """Flat string dict for a URL query string (empty values left out)."""
        out: dict[str, str] = {}
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        for key, name in _LISTS:
            if getattr(self, name):
                out[key] = ",".join(getattr(self, name))
        return out

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Scope:
        """Inverse of :meth:`to_query`; malformed dates fall back to "no bound", a reversed range is swapped."""
        kwargs: dict = {}
        for key, name in (("from", "date_from"), ("to", "date_to")):
            try:
                kwargs[name] = dt.date.fromisoformat(query[key]) if query.get(key) else None
            except ValueError:
                kwargs[name] = None
        for key, name in _LISTS:
            kwargs[name] = _tuple(query.get(key))
        if kwargs["date_from"] and kwargs["date_to"] and kwargs["date_from"] > kwargs["date_to"]:
            kwargs["date_from"], kwargs["date_to"] = kwargs["date_to"], kwargs["date_from"]
        return cls(**kwargs)


_LISTS = (("channel", "channels"), ("stage", "stages"), ("segment", "segments"))


@dataclass(frozen=True)
class View:
    """How results are shown: the time grain of trends and the minimum n under which a point is flagged.

    Never part of a model's cache key: changing either re-draws, it does not refit.
    """

    grain: Grain = Grain.WEEK
    min_n: int = DEFAULT_MIN_N

    def __post_init__(self) -> None:
        object.__setattr__(self, "grain", Grain(self.grain))
        if self.min_n < 1:
            raise ValueError("minimum n must be at least 1")

    def to_query(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.min_n != DEFAULT_MIN_N:
            out["min_n"] = str(self.min_n)
        if self.grain is not Grain.WEEK:
            out["grain"] = self.grain.value
        return out

    @classmethod
    def from_query(cls, query: dict[str, str]) -> View:
        """Inverse of :meth:`to_query`; malformed values fall back to the defaults."""
        try:
            min_n = max(1, int(query.get("min_n", DEFAULT_MIN_N)))
        except ValueError:
            min_n = DEFAULT_MIN_N
        grain = query.get("grain", "week")
        return cls(grain=grain if grain in {g.value for g in Grain} else "week", min_n=min_n)


QUERY_KEYS = ("from", "to", "channel", "stage", "segment", "min_n", "grain")
"""Every URL parameter owned by the shared sidebar (Scope and View)."""
