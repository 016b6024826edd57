"""Alerts: rules on metrics, evaluated per cell, with the false-alarm rate controlled and stated.

Three kinds of rule, each a statistical test per cell (channel, stage or segment) of one week:

- **threshold** — the cell's value is worse than a threshold (a saved target, say): a one-sided
  z-test from the cell's own 95% interval (the half facing the threshold), a Poisson test for counts;
- **change** — the week against the pooled baseline of the weeks before (default 4): the metric's
  own change test from the registry (:attr:`cx.metrics.Metric.change_test`), computed in the same
  query as the week;
- **anomaly** — the week against the series' own seasonal expectation: the same weeks a year
  earlier moved by the level change since then when a year of history exists, else the mean of
  the weeks before; the residual is judged against the spread of the series' own past residuals
  (a t statistic, so ordinary week-to-week wobble is not an alarm).

Every p-value of one run — all rules, all cells — goes into one Benjamini–Hochberg correction at
level ``fdr`` (default 5%), and an alert fires when its q-value is at most ``fdr`` and the change
is in the bad direction. So when nothing has changed, the chance that a run raises any alert at all
is at most ``fdr`` (the correction's guarantee under the global null), and in general at most that
share of the alerts raised are expected to be false. tests/unit/test_loop_alerts.py checks both by
simulation. Aggregation happens in the database: one :func:`cx.metrics.metric_tables` query per
metric and breakdown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cx.db.source import Source
from cx.db.write import now
from cx.loop.seasonal import (  # noqa: F401  re-exported: the anomaly rule's pure parts
    LEVEL_WEEKS,
    MIN_RESIDUALS,
    RESIDUAL_WEEKS,
    SEASON,
    anomaly_test,
    expectations,
    residual_test,
    seasonal_expectation,
)
from cx.loop.tables import ALERTS, ready
from cx.metrics import significance as sig
from cx.metrics.intervals import normal_quantile
from cx.metrics.query import Cut, MetricTable, breakdown, metric_tables, pair_positions
from cx.metrics.registry import Metric, Statistics, available, lookup
from cx.review.weeks import default_week, parse_week, week_label
from cx.schema import Grain
from cx.scope import DEFAULT_MIN_N, Scope

KINDS = ("threshold", "change", "anomaly")
DEFAULT_FDR = 0.05
DEFAULT_METRICS = ("nps", "csat", "ces", "frt", "fcr")
RECORD_COLUMNS = ("rule", "metric", "period", "value", "expected", "threshold", "fired", "false_alarm_rate")


class AlertError(ValueError):
    """A rule cannot be evaluated as given (unknown kind, missing threshold); safe to show."""


@dataclass(frozen=True)
class Rule:
    """One alert rule.

    Attributes
    ----------
    kind : str
        ``threshold``, ``change`` or ``anomaly``.
    metric : str
        Registry key.
    by : tuple of str
        The cells it is evaluated in (``("channel",)``; ``()`` = the whole scope).
    threshold : float, optional
        For ``threshold`` rules: the value the metric must not be worse than.
    cell : dict
        Only these cells (``{"channel": "chat"}``), e.g. for a target set on one channel.
    baseline_weeks : int
        For ``change`` rules: how many weeks before make the baseline.
    min_n : int
        Cells with fewer responses this week are not tested (and say so).
    """

    kind: str
    metric: str
    by: tuple[str, ...] = ("channel",)
    threshold: float | None = None
    cell: Mapping[str, str] = field(default_factory=dict)
    baseline_weeks: int = 4
    min_n: int = DEFAULT_MIN_N

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise AlertError(f"unknown rule {self.kind!r}: choose from {', '.join(KINDS)}")
        object.__setattr__(self, "metric", lookup(self.metric).key)
        object.__setattr__(self, "by", tuple(self.by))
        object.__setattr__(self, "cell", {str(k): str(v) for k, v in dict(self.cell or {}).items()})
        if self.kind == "threshold" and self.threshold is None:
            raise AlertError(f"a threshold rule on {self.metric} needs a threshold")
        if not set(self.cell) <= set(self.by):
            raise AlertError(f"a rule's cell ({', '.join(self.cell)}) must be among its breakdown columns")
        if self.baseline_weeks < 1:
            raise AlertError("the baseline needs at least one week")

    @property
    def name(self) -> str:
        """Stable text naming the rule (``change:csat:channel``), used as the alert's identity."""
        cell = ",".join(f"{k}={v}" for k, v in sorted(self.cell.items()))
        parts = [self.kind, self.metric, "+".join(self.by) or "all"]
        if self.threshold is not None:
            parts.append(f"{self.threshold:g}")
        if cell:
            parts.append(cell)
        return ":".join(parts)

    def describe(self, metric: Metric | None = None) -> str:
        m = metric or lookup(self.metric)
        where = " by " + ", ".join(self.by) if self.by else ""
        if self.kind == "threshold":
            side = "below" if m.higher_is_better else "above"
            return f"{m.label} {side} {self.threshold:g}{where}"
        if self.kind == "change":
            return f"{m.label} changed against the {self.baseline_weeks} weeks before{where}"
        return f"{m.label} unusual for the season{where}"


def default_rules(metrics: Iterable[str], targets: Iterable = (), by: Sequence[str] = ("channel",)) -> list[Rule]:
    """A change and an anomaly rule per metric and per breakdown column, plus a threshold rule per saved target.

    ``by`` lists the breakdowns checked side by side (``("channel", "journey_stage")``: the cells
    of each channel, and separately of each stage — all in one false-discovery family).
    ``targets`` are :class:`cx.loop.targets.Target` objects; a target on a cell becomes a threshold
    rule on that cell.
    """
    rules = []
    for metric in metrics:
        for column in by or [None]:
            cells = (column,) if column else ()
            rules += [Rule("change", metric, cells), Rule("anomaly", metric, cells)]
    for t in targets:
        rules.append(Rule("threshold", t.metric, tuple(sorted(t.cell)), threshold=t.value, cell=dict(t.cell)))
    return rules


# --- the tests, from statistics ----------------------------------------------------------------


def _normal_cdf(z):
    from scipy.special import ndtr

    return ndtr(z)


def _bad(metric: Metric, delta: np.ndarray) -> np.ndarray:
    """Changes in the direction that is bad news (both directions for a metric that is not judged)."""
    if not metric.judged:
        return np.isfinite(delta) & (delta != 0)
    return delta < 0 if metric.higher_is_better else delta > 0


def _cells(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    for column, value in rule.cell.items():
        keep &= frame[column].astype(str).to_numpy() == value
    return keep


def threshold_tests(week: MetricTable, rule: Rule, monday: dt.date) -> pd.DataFrame:
    """One-sided test per cell that the metric is worse than ``rule.threshold``.

    The standard error is the half of the 95% interval that faces the threshold over z(0.975) (so
    skewed intervals such as medians' are read on the right side); a count (no interval) takes an
    exact Poisson test.
    """
    m = week.definition
    rows = week.table(rule.min_n)
    rows = rows[(rows["period"] == pd.Timestamp(monday)) & _cells(rows, rule)].reset_index(drop=True)
    value, low, high = (rows[c].to_numpy("float64") for c in ("value", "ci_low", "ci_high"))
    t = float(rule.threshold)
    worse = (value < t) if m.higher_is_better else (value > t)
    if m.count:
        from scipy.stats import poisson

        p = poisson.cdf(value, t) if m.higher_is_better else poisson.sf(value - 1, t)
    else:
        z_q = normal_quantile(week.confidence)
        facing = np.where(value > t, value - low, high - value)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (value - t) / (facing / z_q)
        z = np.where(np.isfinite(z), z, np.nan)
        p = _normal_cdf(z) if m.higher_is_better else _normal_cdf(-z)
        p = np.where((value == t), 1.0, p)
    return _tests(rows, rule, value, np.full(len(rows), np.nan), p, worse)


def change_tests(week: MetricTable, baseline: MetricTable, rule: Rule, monday: dt.date) -> pd.DataFrame:
    """The week against the pooled weeks before, per cell, by the metric's own change test."""
    m = week.definition
    now = week.table(rule.min_n)
    now_rows = np.flatnonzero((now["period"] == pd.Timestamp(monday)).to_numpy() & _cells(now, rule))
    before = baseline.table(rule.min_n)
    # each of the week's cells with the baseline's cell of the same keys, in the week's order (an inner join)
    both = pd.concat([now[list(rule.by)], before[list(rule.by)]], ignore_index=True)
    left, right = pair_positions(both, rule.by, now_rows, len(now) + np.arange(len(before)))
    right = right - len(now)
    pair = now.iloc[left].reset_index(drop=True)
    s_now = Statistics(week.cells.iloc[left].reset_index(drop=True))
    s_base = Statistics(baseline.cells.iloc[right].reset_index(drop=True))
    if not len(pair):
        p = np.array([], dtype="float64")
        expected = p
    elif m.count:  # a count per week against the baseline's weekly rate
        p = sig.count_rate_test(s_now.n, s_base.n, 1.0, float(rule.baseline_weeks))
        expected = s_base.n / rule.baseline_weeks
    else:
        p = m.change_test(s_now, s_base)
        expected = before["value"].to_numpy("float64")[right]
    value = pair["value"].to_numpy("float64")
    return _tests(pair, rule, value, expected, p, _bad(m, value - expected))


def anomaly_tests(weeks: MetricTable, rule: Rule, monday: dt.date) -> pd.DataFrame:
    """Per cell: the week's value against the series' own seasonal expectation (:func:`anomaly_test`)."""
    m = weeks.definition
    table = weeks.table(rule.min_n)
    table = table[_cells(table, rule) & (table["period"] <= pd.Timestamp(monday)).to_numpy()].reset_index(drop=True)
    this = np.flatnonzero((table["period"] == pd.Timestamp(monday)).to_numpy())
    if not len(this):
        return _tests(table.iloc[this], rule, [], [], [], [])
    # one column per cell (its keys, a missing key as None), one row per week from the first on: each
    # (week, cell) of a metric table is one row, so the grid holds the values as they are
    keys = list(zip(*[_missing_as_none(table[b]) for b in rule.by])) if rule.by else [()] * len(table)
    column_of: dict = {}
    column = np.array([column_of.setdefault(key, len(column_of)) for key in keys], dtype=np.intp)
    index = pd.date_range(table["period"].min(), pd.Timestamp(monday), freq="7D")
    row = index.get_indexer(pd.DatetimeIndex(table["period"]))
    grid = np.full((len(index), len(column_of)), np.nan)
    on_grid = row >= 0
    grid[row[on_grid], column[on_grid]] = table["value"].to_numpy("float64")[on_grid]
    expected = expectations(pd.DataFrame(grid, index=index)).to_numpy()
    residuals = grid - expected
    t, cells = len(index) - 1, column[this]
    e = expected[t, cells]
    p = np.array([residual_test(residuals[t, c], residuals[max(0, t - RESIDUAL_WEEKS):t, c]) for c in cells],
                 dtype="float64")
    value = table["value"].to_numpy("float64")[this]
    return _tests(table.iloc[this].reset_index(drop=True), rule, value, e, p, _bad(m, value - e))


def _missing_as_none(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values.to_numpy(dtype=object)]


def _tests(rows: pd.DataFrame, rule: Rule, value, expected, p, bad) -> pd.DataFrame:
    n = rows["n"].to_numpy() if "n" in rows else np.zeros(len(rows))
    p = np.asarray(p, dtype="float64").copy()
    p[n < rule.min_n] = np.nan  # too few responses this week: not tested
    return pd.DataFrame({
        "rule": rule.kind, "rule_name": rule.name, "metric": rule.metric,
        **{b: rows[b].to_numpy() for b in rule.by},
        "value": np.asarray(value, dtype="float64"), "expected": np.asarray(expected, dtype="float64"),
        "threshold": rule.threshold if rule.threshold is not None else np.nan,
        "n": n, "p_value": p, "bad": np.asarray(bad, dtype=bool),
    })


# --- one run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRun:
    """The result of checking every rule in every cell for one week.

    Attributes
    ----------
    week : str
        ISO week (``2026-W11``); ``start`` is its Monday.
    records : DataFrame
        One row per cell checked: ``rule``, ``metric``, the cell columns, ``period`` (the week's
        Monday, ISO), ``value``, ``expected``, ``threshold``, ``fired``, ``false_alarm_rate``, and
        ``rule_name``, ``n``, ``p_value``, ``q_value``, ``tested``.
    fdr : float
        The false discovery rate the run controls (the ``false_alarm_rate`` of every record).
    cell_columns : tuple of str
    """

    week: str
    start: dt.date
    records: pd.DataFrame
    fdr: float
    cell_columns: tuple[str, ...]

    @property
    def fired(self) -> pd.DataFrame:
        return self.records[self.records["fired"]].reset_index(drop=True)

    @property
    def checked(self) -> int:
        """Cells actually tested (enough responses, enough history)."""
        return int(self.records["tested"].sum()) if len(self.records) else 0

    @property
    def statement(self) -> str:
        """The false-alarm rate in words, as the page and the CLI state it."""
        return (f"{len(self.fired)} alert{'s' if len(self.fired) != 1 else ''} from {self.checked} cells checked; "
                f"false discovery rate controlled at {self.fdr:.0%} (Benjamini–Hochberg across every cell "
                f"checked): when nothing has changed, a week raises any alert at most {self.fdr:.0%} of the time.")

    def to_records(self) -> list[dict]:
        """The JSON records of ``cx alerts`` (DESIGN.md): rule, metric, cell columns, period, value,
        expected, threshold, fired, false_alarm_rate."""
        columns = ["rule", "metric", *self.cell_columns, "period", "value", "expected", "threshold", "fired",
                   "false_alarm_rate"]
        frame = self.records[columns]
        return frame.astype(object).where(frame.notna(), None).to_dict("records")


SCOPE_FIELDS = {"channel": "channels", "journey_stage": "stages", "segment": "segments"}


def in_scope(records: pd.DataFrame, cell_columns: Sequence[str], scope: Scope | None) -> pd.DataFrame:
    """The records whose cells lie inside ``scope``'s channels, stages and segments.

    A record without a value in a cell column (a rule on the whole source, or on another breakdown)
    is kept; so is every value of a column the scope does not restrict. The q-values stay those of
    the whole run: choosing what to show changes no test.
    """
    keep = np.ones(len(records), dtype=bool)
    for column in cell_columns:
        chosen = getattr(scope, SCOPE_FIELDS.get(column, ""), None) if scope is not None else None
        if chosen:
            values = records[column]
            keep &= (values.isna() | values.astype(str).isin([str(v) for v in chosen])).to_numpy()
    return records[keep].reset_index(drop=True)


def judge(tests: Sequence[pd.DataFrame], monday: dt.date, fdr: float = DEFAULT_FDR) -> AlertRun:
    """One Benjamini–Hochberg correction over every test of a run; alerts fire at q ≤ ``fdr`` in the bad direction."""
    if not 0 < fdr < 1:
        raise AlertError(f"the false discovery rate must lie between 0 and 1, not {fdr}")
    frames = [t for t in tests if len(t)]
    cell_columns = tuple(dict.fromkeys(c for t in frames for c in t.columns
                                       if c not in {"rule", "rule_name", "metric", "value", "expected", "threshold",
                                                    "n", "p_value", "bad"}))
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["rule", "rule_name", "metric", "value", "expected", "threshold", "n", "p_value", "bad"])
    for c in cell_columns:
        records[c] = records[c].astype(object).where(records[c].notna(), None)
    records["q_value"] = sig.benjamini_hochberg(records["p_value"].to_numpy("float64")) if len(records) else []
    records["tested"] = records["p_value"].notna()
    records["fired"] = (records["q_value"] <= fdr) & records["bad"].astype(bool)
    records["period"] = monday.isoformat()
    records["false_alarm_rate"] = fdr
    order = ["rule", "metric", *cell_columns, "period", "value", "expected", "threshold", "fired",
             "false_alarm_rate", "rule_name", "n", "p_value", "q_value", "tested"]
    records = records[order].sort_values(["fired", "q_value"], ascending=[False, True], kind="stable")
    return AlertRun(week_label(monday), monday, records.reset_index(drop=True), fdr, cell_columns)


def evaluate_tables(weekly: Mapping[tuple[str, tuple[str, ...]], MetricTable],
                    baselines: Mapping[tuple[str, tuple[str, ...], int], MetricTable],
                    rules: Iterable[Rule], monday: dt.date, fdr: float = DEFAULT_FDR) -> AlertRun:
    """Evaluate rules on tables already read (the pure core of :func:`evaluate`; simulations call it).

    ``weekly[(metric, by)]`` is the weekly table up to the week; ``baselines[(metric, by, weeks)]``
    the pooled baseline of change rules.
    """
    tests = []
    for rule in rules:
        weeks = weekly[(rule.metric, rule.by)]
        if rule.kind == "threshold":
            tests.append(threshold_tests(weeks, rule, monday))
        elif rule.kind == "change":
            tests.append(change_tests(weeks, baselines[(rule.metric, rule.by, rule.baseline_weeks)], rule, monday))
        else:
            tests.append(anomaly_tests(weeks, rule, monday))
    return judge(tests, monday, fdr)


def history_start(monday: dt.date) -> dt.date:
    """The first day the weekly tables need: a season, its level window and the residual weeks."""
    return monday - dt.timedelta(weeks=SEASON + LEVEL_WEEKS + RESIDUAL_WEEKS + 1)


def rules_for(source: Source, targets: Iterable = (), by: Sequence[str] = ("channel",)) -> list[Rule]:
    """The default rules for the metrics the source holds, with ``targets`` as threshold rules."""
    from cx.db.summary import summarize

    return default_rules([m for m in DEFAULT_METRICS if m in available(summarize(source))], targets, by)


def history_tables(source: Source, rules: Iterable[Rule], scope: Scope | None = None) -> dict:
    """Every week of the source's history, per metric and breakdown of ``rules`` (one query each).

    Returns ``{(metric, by): cells}``, the weekly cells (:attr:`MetricTable.cells`, plain frames that
    a cache can keep). Any week's run takes its window from these (:func:`evaluate` with
    ``history=``), so a run for another week costs only its baselines: the weekly cells of a week do
    not depend on the window a query asks for (weeks start on Monday and so does every window), and
    the window is cut exactly as :func:`evaluate` would ask for it. ``scope``'s channels, stages and
    segments are kept; its dates are not (the history is all of it).
    """
    scope = scope or Scope()
    every_day = Scope(None, None, scope.channels, scope.stages, scope.segments)
    return {(metric, by): metric_tables(source, metric, {"weeks": Cut("week", by, every_day)})["weeks"].cells
            for metric, by in _by_query(rules)}


def _window(source: Source, metric: str, by: tuple[str, ...], cells: pd.DataFrame, first: dt.date,
            monday: dt.date) -> MetricTable:
    """The weeks ``first`` … ``monday`` of a history: the table a query of that window returns."""
    period = pd.to_datetime(cells["period"])
    keep = ((period >= pd.Timestamp(first)) & (period <= pd.Timestamp(monday))).to_numpy()
    return MetricTable(lookup(metric, source.scales), Grain.WEEK, tuple(breakdown(source, by)),
                       cells[keep].reset_index(drop=True))


def evaluate(source: Source, rules: Iterable[Rule] | None = None, week: str | dt.date | None = None,
             scope: Scope | None = None, *, fdr: float = DEFAULT_FDR, targets: Iterable = (),
             by: Sequence[str] = ("channel",), history: Mapping | None = None) -> AlertRun:
    """Check every rule in every cell for one ISO week, in one query per metric and breakdown.

    Parameters
    ----------
    source : Source
    rules : iterable of Rule, optional
        Default :func:`default_rules` for the metrics the data hold (with ``targets`` as thresholds).
    week : str or date, optional
        ``2026-W11`` or a day in it; default the last complete week.
    scope : Scope, optional
        Channels, stages and segments to keep (its dates are replaced by the history the rules need).
    fdr : float
        False discovery rate across every cell checked.
    by : sequence of str
        Breakdowns of the default rules (each checked on its own: channel, journey_stage, segment…).
    history : mapping, optional
        :func:`history_tables` of the same source, rules and scope: the weekly cells are cut from
        it instead of read (the same numbers), so only the change rules' baselines are queried.

    Returns
    -------
    AlertRun
    """
    from cx.db.summary import summarize

    scope = scope or Scope()
    if week is None:
        summary = summarize(source)
        monday = default_week(summary.last, summary.first)
    else:
        monday = parse_week(week)
    rules = rules_for(source, targets, by) if rules is None else list(rules)
    sunday = monday + dt.timedelta(days=6)
    window = Scope(history_start(monday), sunday, scope.channels, scope.stages, scope.segments)
    weekly, baselines, reads = {}, {}, []
    for (metric, by), group in _by_query(rules).items():
        cuts = {} if history is not None else {"weeks": Cut("week", by, window)}
        for weeks in sorted({r.baseline_weeks for r in group if r.kind == "change"}):
            base = Scope(monday - dt.timedelta(weeks=weeks), monday - dt.timedelta(days=1),
                         scope.channels, scope.stages, scope.segments)
            cuts[f"base{weeks}"] = Cut("all", by, base)
        reads.append((metric, by, cuts))
    read = source.each(lambda item: metric_tables(source, item[0], item[2]) if item[2] else {}, reads)
    for tables, (metric, by, _) in zip(read, reads):  # the reads first: their pool closes as the last is taken
        weekly[(metric, by)] = (tables["weeks"] if history is None
                                else _window(source, metric, by, history[(metric, by)], window.date_from, monday))
        for name, table in tables.items():
            if name.startswith("base"):
                baselines[(metric, by, int(name[4:]))] = table
    return evaluate_tables(weekly, baselines, rules, monday, fdr)


def _by_query(rules: Iterable[Rule]) -> dict[tuple[str, tuple[str, ...]], list[Rule]]:
    groups: dict = {}
    for r in rules:
        groups.setdefault((r.metric, r.by), []).append(r)
    return groups


# --- alert state in the app database -----------------------------------------------------------

def alert_key(record: Mapping, cell_columns: Sequence[str]) -> tuple[str, str, str]:
    """``(rule name, cell JSON, period)``: what makes an alert the same alert (for state and sending)."""
    cell = {c: record.get(c) for c in cell_columns if record.get(c) is not None}
    return record["rule_name"], json.dumps(cell, sort_keys=True, default=str), str(record["period"])


def record_alerts(store, source_label: str, run: AlertRun) -> int:
    """Remember what fired (once per rule, cell and week); returns how many were new."""
    new = 0
    ready(store)
    with store.engine.begin() as con:
        for record in run.fired.to_dict("records"):
            rule, cell, period = alert_key(record, run.cell_columns)
            exists = con.execute(sa.select(ALERTS.c.id).where(
                ALERTS.c.source == source_label[:200], ALERTS.c.rule == rule, ALERTS.c.cell == cell,
                ALERTS.c.period == period)).first()
            if exists:
                continue
            con.execute(ALERTS.insert().values(
                source=source_label[:200], rule=rule, cell=cell, period=period, metric=record["metric"],
                value=_finite(record["value"]), expected=_finite(record["expected"]),
                q_value=_finite(record["q_value"]), fired_at=now()))
            new += 1
    return new


def fired_alerts(store, source_label: str, period: str | None = None) -> pd.DataFrame:
    """The alerts remembered for a source (optionally one week), newest first."""
    ready(store)
    query = sa.select(ALERTS).where(ALERTS.c.source == source_label[:200])
    if period:
        query = query.where(ALERTS.c.period == period)
    with store.engine.connect() as con:
        rows = con.execute(query.order_by(ALERTS.c.fired_at.desc(), ALERTS.c.id.desc())).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in ALERTS.c])


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


__all__ = ["ALERTS", "DEFAULT_FDR", "KINDS", "RECORD_COLUMNS", "AlertError", "AlertRun", "Rule", "alert_key",
           "anomaly_test", "anomaly_tests", "change_tests", "default_rules", "evaluate", "evaluate_tables", "expectations",
           "fired_alerts", "history_start", "judge", "record_alerts", "residual_test", "seasonal_expectation", "threshold_tests"]
