"""Targets: a goal per KPI (optionally per channel, stage or segment), and whether it is being met.

A target is saved with the source's settings in the app-owned database (:mod:`cx.db.write`, one
setting ``targets`` per :attr:`cx.db.Source.label`), so the Trends page, the Overview tiles, the
alerts and the CLI all read the same goals.

A status is only given when the data allow it: **on track** when the whole 95% interval lies on
the good side of the target, **off track** when it lies wholly on the bad side, otherwise **too close
to call**. A count (contact volume) has no interval: its value is compared directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from cx.metrics.registry import Metric, lookup

SETTING = "targets"
ON_TRACK, OFF_TRACK, TOO_CLOSE = "on track", "off track", "too close to call"
CELL_COLUMNS = ("channel", "journey_stage", "segment")


class TargetError(ValueError):
    """A target cannot be saved as given (unknown metric, a number that is not one); safe to show."""


@dataclass(frozen=True)
class Target:
    """A goal for one metric, overall or for one cell.

    Attributes
    ----------
    metric : str
        Registry key (``nps``, ``csat``…).
    value : float
        The goal, in the metric's unit (NPS points, CSAT percent, FRT minutes…).
    cell : dict
        ``{}`` for the whole scope, or one column and its value (``{"channel": "chat"}``).
    higher_is_better : bool, optional
        Which side is good; by default the metric's own direction.
    """

    metric: str
    value: float
    cell: Mapping[str, str] = field(default_factory=dict)
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        m = lookup(self.metric)  # unknown metric: MetricError, a ValueError
        object.__setattr__(self, "metric", m.key)
        try:
            value = float(self.value)
        except (TypeError, ValueError):
            raise TargetError(f"the target for {m.label} must be a number, not {self.value!r}") from None
        if not np.isfinite(value):
            raise TargetError(f"the target for {m.label} must be a finite number")
        object.__setattr__(self, "value", value)
        cell = {str(k): str(v) for k, v in dict(self.cell or {}).items()}
        unknown = set(cell) - set(CELL_COLUMNS)
        if unknown:
            raise TargetError(f"a target can be set per {', '.join(CELL_COLUMNS)}, not per {sorted(unknown)[0]!r}")
        object.__setattr__(self, "cell", cell)
        if self.higher_is_better is None:
            object.__setattr__(self, "higher_is_better", m.higher_is_better)

    @property
    def key(self) -> tuple:
        """What a target is about: one per metric and cell."""
        return (self.metric, tuple(sorted(self.cell.items())))

    @property
    def where(self) -> str:
        """The cell in words: ``"all"`` or ``"channel = chat"``."""
        return ", ".join(f"{k} = {v}" for k, v in sorted(self.cell.items())) or "all"

    def describe(self, metric: Metric | None = None) -> str:
        m = metric or lookup(self.metric)
        sign = "≥" if self.higher_is_better else "≤"
        return f"{m.label} {sign} {self.value:g}" + ("" if not self.cell else f" ({self.where})")

    def to_dict(self) -> dict:
        return asdict(self) | {"cell": dict(self.cell)}


def status(value, ci_low, ci_high, target: float, higher_is_better: bool = True):
    """On track / off track / too close to call, per element (vectorised).

    Parameters
    ----------
    value, ci_low, ci_high : float or array
        The estimate and its interval; a NaN interval (a count) compares the value itself.
    target : float
    higher_is_better : bool

    Examples
    --------
    >>> status(45.0, 41.0, 49.0, 40.0)
    'on track'
    >>> status(45.0, 38.0, 52.0, 40.0)
    'too close to call'
    >>> status(12.0, 9.0, 14.0, 10.0, higher_is_better=False)
    'too close to call'
    """
    value, low, high = (np.asarray(v, dtype="float64") for v in (value, ci_low, ci_high))
    no_interval = np.isnan(low) | np.isnan(high)
    low = np.where(no_interval, value, low)
    high = np.where(no_interval, value, high)
    above, below = low > target, high < target
    good, bad = (above, below) if higher_is_better else (below, above)
    out = np.where(good, ON_TRACK, np.where(bad, OFF_TRACK, TOO_CLOSE))
    out = np.where(np.isnan(value), TOO_CLOSE, out)
    return str(out) if out.ndim == 0 else out.astype(object)


def matching(targets: Iterable[Target], metric: str, by: Sequence[str] = ()) -> list[Target]:
    """The targets of ``metric`` that a table broken down by ``by`` can be judged against."""
    return [t for t in targets if t.metric == metric and set(t.cell) <= set(by)]


def judge(table: pd.DataFrame, targets: Iterable[Target], by: Sequence[str] = ()) -> pd.DataFrame:
    """Each row of a metric table against the target that applies to it.

    Parameters
    ----------
    table : DataFrame
        A :func:`cx.metrics.metric_table` result (``metric``, ``value``, ``ci_low``, ``ci_high``
        and the ``by`` columns).
    targets : iterable of Target
    by : sequence of str
        The table's breakdown columns. A row takes the most specific target: its cell's, else the
        overall one.

    Returns
    -------
    DataFrame
        The table's rows that have a target, with ``target``, ``target_text`` and ``status``.
    """
    by = list(by)
    if table.empty:
        return table.assign(target=pd.Series(dtype="float64"), target_text="", status="")
    metric = str(table["metric"].iloc[0])
    applicable = sorted(matching(targets, metric, by), key=lambda t: len(t.cell))
    chosen: list[Target | None] = [None] * len(table)
    for t in applicable:  # overall first, so a cell's own target wins
        hit = np.ones(len(table), dtype=bool)
        for column, value in t.cell.items():
            hit &= table[column].astype(str).to_numpy() == value
        for i in np.flatnonzero(hit):
            chosen[i] = t
    keep = np.array([c is not None for c in chosen], dtype=bool)
    rows = table[keep].copy()
    picked = [c for c in chosen if c is not None]
    rows["target"] = [t.value for t in picked]
    rows["target_text"] = [t.describe() for t in picked]
    rows["status"] = [status(v, lo, hi, t.value, t.higher_is_better)
                      for v, lo, hi, t in zip(rows["value"], rows["ci_low"], rows["ci_high"], picked)]
    return rows


def goal_lines(targets: Iterable[Target], metric: str, by: Sequence[str] = ()) -> list[tuple[str, float, str | None]]:
    """``(text, value, series)`` per target of ``metric`` drawable on a trend broken down by ``by``.

    An overall target belongs to every series (``series`` None); a cell target to the series named
    by its value when the trend is broken down by that one column. Feed them to
    :func:`cx.charts.add_goal_lines` (as :class:`cx.charts.GoalLine`).
    """
    by = list(by)
    out = []
    for t in targets:
        if t.metric != metric:
            continue
        if not t.cell:
            out.append((t.describe(), t.value, None))
        elif len(by) == 1 and list(t.cell) == by:
            out.append((t.describe(), t.value, t.cell[by[0]]))
    return out


# --- saved with the source's settings ---------------------------------------------------------


def load_targets(store, source_label: str) -> tuple[list[Target], int]:
    """The saved targets of a source and the version they were read at (pass it back to save)."""
    setting = store.get(source_label, SETTING, default=[])
    out = []
    for item in setting.value or []:
        try:
            out.append(Target(**item))
        except ValueError:
            continue  # a target of a metric this version no longer knows: skipped, not fatal
    return out, setting.version


def save_targets(store, source_label: str, targets: Iterable[Target], *, version: int,
                 user: str | None = None) -> int:
    """Save the whole list (one target per metric and cell, the last one given wins).

    Raises :class:`cx.db.write.StaleUpdate` when another session saved targets after ``version``.
    """
    unique = {t.key: t for t in targets}
    return store.put(source_label, SETTING, [t.to_dict() for t in unique.values()], version=version, user=user)


def set_target(store, source_label: str, target: Target, *, version: int, user: str | None = None) -> int:
    """Add or replace one target (same metric and cell), keeping the others."""
    current, _ = load_targets(store, source_label)
    return save_targets(store, source_label, [*current, target], version=version, user=user)


def remove_target(store, source_label: str, metric: str, cell: Mapping[str, str] | None = None, *,
                  version: int, user: str | None = None) -> int:
    """Drop the target of ``metric`` for ``cell`` (overall when None)."""
    key = Target(metric, 0.0, cell or {}).key
    current, _ = load_targets(store, source_label)
    return save_targets(store, source_label, [t for t in current if t.key != key], version=version, user=user)


__all__ = ["OFF_TRACK", "ON_TRACK", "TOO_CLOSE", "Target", "TargetError", "goal_lines", "judge", "load_targets", "matching",
           "remove_target", "save_targets", "set_target", "status"]
