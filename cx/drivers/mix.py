"""Mix-shift decomposition: how much of a KPI's change happened *within* cells, how much is a shift in *mix*.

A score such as NPS, CSAT, FCR or CES is, over any set of cells (channels, journey stages,
segments), the response-weighted mean of the cells' own values: ``total = Σ w_c · r_c`` with
``w_c = n_c / N``. Between two periods its change splits exactly (two-factor Shapley, the
symmetric form) into

- **within** = ``Σ (w_c⁰ + w_c¹)/2 · (r_c¹ − r_c⁰)`` — the cells themselves got better or worse;
- **mix** = ``Σ (w_c¹ − w_c⁰) · (r_c⁰ + r_c¹)/2`` — responses moved between cells that score differently;

and ``within + mix = total change`` for every cell set, by algebra (per cell the two terms sum to
``w_c¹ r_c¹ − w_c⁰ r_c⁰``). A cell seen in one period only has weight 0 in the other; its value
there is taken to be the value it has (so its whole contribution is mix: it appeared or vanished).

When the total and the within-cell change point in opposite directions, the headline says the
opposite of what happened in every channel on average (Simpson's paradox): :attr:`MixShift.simpson`.

The inputs are a metric's sufficient statistics per cell (one SQL aggregate: :mod:`cx.metrics.query`),
never rows. Only metrics whose total is the response-weighted mean of cell values decompose:
shares and means (NPS, CSAT, CES, FCR; churn, retention, lifetime value by a customer attribute),
not medians (FRT, TTR) nor counts (volume).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx.db.source import Source
from cx.metrics.query import Cut, MetricTable, breakdown, metric_tables
from cx.metrics.registry import Metric, MetricError, Statistics, lookup
from cx.schema import DIMENSIONS, Grain
from cx.scope import Scope

CELL_COLUMNS = ("n_before", "n_after", "weight_before", "weight_after", "value_before", "value_after",
                "within", "mix", "change")


@dataclass(frozen=True)
class MixShift:
    """A metric's change between two periods, split into within-cell change and mix shift.

    Attributes
    ----------
    metric : str
        Metric key (``nps``).
    by : tuple of str
        The columns whose cells are compared (``("channel",)``).
    before, after : float
        The metric over all cells in each period (response-weighted mean of the cell values).
    total, within, mix : float
        ``after − before`` and its two parts; ``within + mix == total``.
    cells : DataFrame
        One row per cell: the ``by`` columns, ``n_before``, ``n_after``, ``weight_before``,
        ``weight_after``, ``value_before``, ``value_after`` (NaN where absent), and the cell's
        ``within``, ``mix`` (its share change × its value's distance from the average level, which
        sums to the same total since the share changes sum to zero) and ``change`` (their sum),
        largest contributions first.
    unit : str
        The metric's unit (points, %, …).
    """

    metric: str
    by: tuple[str, ...]
    before: float
    after: float
    total: float
    within: float
    mix: float
    cells: pd.DataFrame
    unit: str = ""
    label: str = ""

    @property
    def simpson(self) -> bool:
        """True when the total and the within-cell change move in opposite directions (Simpson's paradox)."""
        return self.total * self.within < 0

    def warning(self) -> str | None:
        """One sentence when the headline and the cells disagree in direction, else ``None``."""
        if not self.simpson:
            return None
        by = " × ".join(b.replace("_", " ") for b in self.by)
        total_word, within_word = ("rose", "fell") if self.total > 0 else ("fell", "rose")
        return (f"Simpson's paradox: {self.label or self.metric} {total_word} overall ({_signed(self.total, self.unit)}) "
                f"although it {within_word} within each {by} on average ({_signed(self.within, self.unit)}); the shift in mix "
                f"({_signed(self.mix, self.unit)}) outweighs the change inside the cells.")

    def explanation(self) -> str:
        """One plain sentence splitting the change, naming the cell that moved the mix most."""
        by = " × ".join(b.replace("_", " ") for b in self.by)
        text = (f"{self.label or self.metric} changed {_signed(self.total, self.unit)}: "
                f"{_signed(self.within, self.unit)} within each {by} and {_signed(self.mix, self.unit)} from the shift in mix")
        if len(self.cells) and abs(self.mix) > 0:
            top = self.cells.iloc[self.cells["mix"].abs().to_numpy().argmax()]
            name = " / ".join(str(top[b]) for b in self.by)
            share = 100 * (top["weight_after"] - top["weight_before"])
            text += (f", mostly the shift {'toward' if share >= 0 else 'away from'} {name} "
                     f"(share {'+' if share >= 0 else '−'}{abs(share):.1f} pts)")
        return text + "."

    def record(self) -> dict:
        """The JSON record of the review: ``{"metric", "by", "total", "within", "mix"}``."""
        return {"metric": self.metric, "by": ",".join(self.by), "total": _round(self.total),
                "within": _round(self.within), "mix": _round(self.mix)}


def _round(x: float) -> float:
    return float(round(x, 6))


def _signed(x: float, unit: str) -> str:
    suffix = {"points": " pts", "%": " pts", "score": ""}.get(unit, f" {unit}" if unit else "")
    return f"{'+' if x >= 0 else '−'}{abs(x):.2f}{suffix}"


def decomposable(metric: Metric, by: Sequence[str] = ()) -> str | None:
    """Why ``metric`` cannot be split into within and mix over ``by`` (``None`` when it can)."""
    if metric.ranked:
        return f"{metric.label} is a median, which is not a weighted mean of its cells"
    if metric.count:
        return f"{metric.label} is a count, not a rate"
    if metric.per_customer and any(DIMENSIONS.get(b) == "interactions" for b in by):
        return (f"{metric.label} counts each customer once, but a customer can be in several "
                f"{', '.join(b for b in by if DIMENSIONS.get(b) == 'interactions')} cells; break down by a customer column")
    return None


def cell_values(metric: Metric, cells: pd.DataFrame) -> np.ndarray:
    """The metric's value in each row of sufficient statistics (the metric's own definition)."""
    if cells.empty:
        return np.array([], dtype="float64")
    return np.asarray(metric.estimate(Statistics(cells), 0.95)[0], dtype="float64")


def pooled_value(metric: Metric, cells: pd.DataFrame, statistics: Sequence[str]) -> float:
    """The metric over all ``cells`` together: its value from the summed statistics."""
    s = Statistics(cells)
    summed = pd.DataFrame({name: [float(getattr(s, name).sum())] for name in ("n", *statistics)})
    return float(cell_values(metric, summed)[0])


def decompose(metric: Metric, before: pd.DataFrame, after: pd.DataFrame, by: Sequence[str]) -> MixShift:
    """Split the change of ``metric`` from ``before`` to ``after`` into within-cell change and mix.

    Parameters
    ----------
    metric : Metric
        A metric whose value is the response-weighted mean of its cells (see :func:`decomposable`).
    before, after : DataFrame
        Sufficient statistics per cell as a metric query returns them: the ``by`` columns, ``n``
        and the metric's statistics (``promoters``, ``detractors``…); cells with ``n = 0`` are ignored.
    by : sequence of str
        The columns that identify a cell.

    Returns
    -------
    MixShift

    Examples
    --------
    >>> from cx.metrics.registry import NPS
    >>> before = pd.DataFrame({"channel": ["chat", "email"], "n": [80, 20], "promoters": [40, 4], "detractors": [8, 10]})
    >>> after = pd.DataFrame({"channel": ["chat", "email"], "n": [20, 80], "promoters": [11, 20], "detractors": [1, 32]})
    >>> shift = decompose(NPS, before, after, ["channel"])
    >>> round(shift.total, 2), round(shift.within, 2), round(shift.mix, 2), shift.simpson
    (-28.0, 12.5, -40.5, True)
    """
    by = list(by)
    why = decomposable(metric, by)
    if why:
        raise MetricError(f"cannot split the change of {metric.label} into mix and within: {why}")
    frames = []
    for frame, tag in ((before, "before"), (after, "after")):
        frame = frame[pd.to_numeric(frame["n"]).fillna(0) > 0].reset_index(drop=True)
        if frame.empty:
            raise MetricError(f"no {metric.label} responses in the {tag} period to compare")
        keys = frame[by].astype(object).where(frame[by].notna(), None) if by else pd.DataFrame(index=frame.index)
        n = Statistics(frame).n
        frames.append(pd.DataFrame({**{b: keys[b] for b in by}, f"n_{tag}": n,
                                    f"weight_{tag}": n / n.sum(), f"value_{tag}": cell_values(metric, frame)}))
    b_cells, a_cells = frames
    cells = (b_cells.merge(a_cells, on=by, how="outer", sort=False) if by
             else pd.concat([b_cells, a_cells], axis=1))
    for tag in ("before", "after"):
        cells[f"n_{tag}"] = cells[f"n_{tag}"].fillna(0.0)
        cells[f"weight_{tag}"] = cells[f"weight_{tag}"].fillna(0.0)
    w0, w1 = cells["weight_before"].to_numpy(), cells["weight_after"].to_numpy()
    r0, r1 = cells["value_before"].to_numpy(), cells["value_after"].to_numpy()
    r0_used, r1_used = np.where(np.isnan(r0), r1, r0), np.where(np.isnan(r1), r0, r1)
    cells["within"] = (w0 + w1) / 2 * (r1_used - r0_used)
    # Σ Δw = 0, so centring the cell values on the mean level leaves the sum unchanged and makes
    # each cell's mix term readable: a shift toward a cell below the average lowers the total
    level = (np.sum(w0 * r0_used) + np.sum(w1 * r1_used)) / 2
    cells["mix"] = (w1 - w0) * ((r0_used + r1_used) / 2 - level)
    cells["change"] = cells["within"] + cells["mix"]
    cells = cells.iloc[np.argsort(-cells["change"].abs().to_numpy(), kind="stable")].reset_index(drop=True)
    before_value, after_value = float(np.sum(w0 * r0_used)), float(np.sum(w1 * r1_used))
    return MixShift(metric=metric.key, by=tuple(by), before=before_value, after=after_value,
                    total=after_value - before_value, within=float(cells["within"].sum()),
                    mix=float(cells["mix"].sum()), cells=cells[[*by, *CELL_COLUMNS]], unit=metric.unit,
                    label=metric.label)


def week_over_week(table: MetricTable, now, before) -> MixShift:
    """The mix shift between two buckets of a kept :class:`MetricTable` (no query).

    ``table`` must be broken down by the cells to compare (say ``by=["channel"]``, weekly grain).
    """
    cells = table.cells
    pick = [cells[cells["period"] == pd.Timestamp(p)].drop(columns="period") for p in (before, now)]
    return decompose(table.definition, pick[0], pick[1], table.by)


def collapse(table: MetricTable, by: Sequence[str]) -> MetricTable:
    """The same statistics on coarser cells: ``table`` (say channel × stage) summed to ``by`` (channel), no query.

    Counts and sums add up; ``lowest`` / ``highest`` (the range, for an interval's edge case) take
    the min / max. Only additive statistics collapse: not order statistics (medians).
    """
    m = table.definition
    if m.ranked:
        raise MetricError(f"{m.label} is a median: its cells cannot be summed")
    keys = ["period", *by]
    statistics = [c for c in table.cells.columns if c not in ("period", *table.by)]
    how = {c: ("min" if c == "lowest" else "max" if c == "highest" else "sum") for c in statistics}
    cells = table.cells[[*keys, *statistics]].copy()
    for c in statistics:
        cells[c] = getattr(Statistics(cells), c)
    grouped = cells.groupby([cells[k].astype(object).fillna("\0") for k in keys], sort=False, dropna=False)
    summed = grouped.agg(how).reset_index(drop=True)
    firsts = grouped[keys].first().reset_index(drop=True)
    out = pd.concat([firsts, summed], axis=1)
    return MetricTable(m, table.grain, tuple(by), out, table.confidence)


def week_mix(table: MetricTable, monday, by: Sequence[str] = ("channel", "journey_stage")) -> list[MixShift]:
    """The week-over-week mix shift of a weekly table (the review's channel × stage cells) for each of ``by``."""
    m = table.definition
    if decomposable(m) is not None:
        return []
    before = pd.Timestamp(monday) - pd.Timedelta(days=7)
    periods = set(pd.to_datetime(table.cells["period"]))
    if pd.Timestamp(monday) not in periods or before not in periods:
        return []
    return [week_over_week(collapse(table, [b]), monday, before) for b in by if b in table.by]


def mix_shift(source: Source, metric: str | Metric, by: Sequence[str] | str,
              before: tuple[dt.date, dt.date], after: tuple[dt.date, dt.date],
              scope: Scope | None = None) -> MixShift:
    """The mix shift of ``metric`` over ``by`` between any two date ranges, from ONE query.

    Parameters
    ----------
    source : Source
    metric : str or Metric
    by : sequence of str or comma-separated str
        Cells: channel, journey_stage, touchpoint, or a customer column (segment…).
    before, after : (date, date)
        Inclusive day ranges of the two periods.
    scope : Scope, optional
        Other filters (channels, stages, segments); its own dates are replaced by each period's.

    Returns
    -------
    MixShift
    """
    m = lookup(metric, source.scales)
    by = breakdown(source, by)
    if not by:
        raise MetricError("a mix shift needs at least one breakdown column (channel, journey_stage, segment…)")
    why = decomposable(m, by)
    if why:
        raise MetricError(f"cannot split the change of {m.label} into mix and within: {why}")
    scope = scope or Scope()
    cuts = {name: Cut(Grain.ALL, tuple(by), dataclasses.replace(scope, date_from=days[0], date_to=days[1])) for name, days in
            (("before", before), ("after", after))}
    tables = metric_tables(source, m, cuts)
    return decompose(m, tables["before"].cells.drop(columns="period"), tables["after"].cells.drop(columns="period"), by)


__all__ = ["MixShift", "cell_values", "collapse", "decompose", "decomposable", "mix_shift", "pooled_value", "week_mix", "week_over_week"]
