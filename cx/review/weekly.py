"""The weekly review: what moved this week, whether it is real, what broke, who needs a call.

One ISO week (default: the last complete week in the data) is compared with the previous week
and with the trailing four weeks before it. Every number comes from :mod:`cx.metrics` queries run
in the database; significance comes from :mod:`cx.significance` on the same sufficient
statistics. The narrative is generated from those numbers by fixed rules (no language model).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cx import metrics
from cx.db import Source, summarize
from cx.db.where import segment_filter
from cx.metrics import significance as sig
from cx.schema import Grain
from cx.scope import DEFAULT_MIN_N, Scope

KPI_METRICS = ("nps", "csat", "ces", "frt", "ttr", "fcr", "volume", "churn")
MOVER_METRICS = ("nps", "csat", "ces", "fcr", "frt", "ttr")
ALPHA = 0.05
#: Above this many customers the review leaves the churn model out (fitting it takes minutes there);
#: the Churn drivers page and `cx churn` still fit it on demand.
AT_RISK_MAX_CUSTOMERS = 200_000
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


class ReviewError(ValueError):
    """The review cannot be built as asked (bad week, no dated data); safe to show."""


# --- weeks -----------------------------------------------------------------------------------


def parse_week(text: str | dt.date) -> dt.date:
    """The Monday of an ISO week given as ``2026-W47`` (or any date inside the week).

    Examples
    --------
    >>> parse_week("2026-W47")
    datetime.date(2026, 11, 16)
    """
    if isinstance(text, dt.datetime):
        text = text.date()
    if isinstance(text, dt.date):
        return text - dt.timedelta(days=text.weekday())
    match = _WEEK.match(str(text))
    try:
        if match:
            return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ReviewError(f"{text!r} is not an ISO week such as 2026-W47 (weeks run 1–52 or 53)") from None
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    """``2026-W47`` for the week starting ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def default_week(last: pd.Timestamp | dt.date | None, first: pd.Timestamp | dt.date | None = None) -> dt.date:
    """The Monday of the last complete ISO week up to ``last`` (the newest interaction).

    When the data hold no complete week (they start after that week's Monday), the week of
    ``last`` is taken, incomplete as it is.
    """
    if last is None or pd.isna(last):
        raise ReviewError("the data have no dated interactions, so there is no week to review")
    last = pd.Timestamp(last).date()
    monday = last - dt.timedelta(days=last.weekday())
    complete = monday if last.weekday() == 6 else monday - dt.timedelta(days=7)
    if first is not None and not pd.isna(first) and complete + dt.timedelta(days=6) < pd.Timestamp(first).date():
        return monday
    return complete


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One line of the narrative and the page (with URL query) that explains it."""

    text: str
    page: str
    query: dict[str, str] = field(default_factory=dict)

    def link(self) -> str:
        from urllib.parse import urlencode

        return f"/{self.page}" + (f"?{urlencode(self.query)}" if self.query else "")


@dataclass(frozen=True)
class Review:
    """A week's review. Frames are ready to show; ``sentences`` is the narrative.

    Attributes
    ----------
    kpis : DataFrame
        One row per metric: ``metric, label, unit, higher_is_better, value, ci_low, ci_high, n,
        previous, previous_n, trailing, delta, delta_trailing, p_value, significant, better``.
    movers : DataFrame
        Channel × stage cells whose change against the previous week is significant after a
        Benjamini–Hochberg correction over every cell and metric tested, by impact:
        ``metric, label, channel, journey_stage, previous, value, delta, n, previous_n, p_value,
        q_value, impact, better``.
    tested : int
        How many (metric, cell) changes were tested (the BH family size).
    """

    week: str
    start: dt.date
    end: dt.date
    kpis: pd.DataFrame
    movers: pd.DataFrame
    tested: int
    sentences: tuple[Sentence, ...]
    scope: Scope
    source_label: str
    generated_at: dt.datetime
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)
    unrecovered: int = 0
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    min_n: int = DEFAULT_MIN_N


# --- tests on sufficient statistics ----------------------------------------------------------


def _f(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column].map(lambda v: None if v is None else float(v)), errors="coerce").to_numpy("float64")


def change_p_values(metric: str, now: pd.DataFrame, before: pd.DataFrame) -> np.ndarray:
    """Two-sided p-values of the change of ``metric`` between aligned rows of raw metric statistics.

    ``now`` and ``before`` are rows of :func:`cx.metrics.metric_query` results (same order).
    """
    if metric == "nps":
        return sig.nps_difference_test(_f(now, "promoters"), _f(now, "detractors"), _f(now, "n"),
                                       _f(before, "promoters"), _f(before, "detractors"), _f(before, "n"))[1]
    if metric in ("csat", "fcr", "churn", "retention"):
        return sig.two_proportion_test(_f(now, "successes"), _f(now, "n"), _f(before, "successes"), _f(before, "n"))[1]
    if metric in ("ces", "ltv"):
        return sig.welch_test(_f(now, "n"), _f(now, "total"), _f(now, "squares"),
                              _f(before, "n"), _f(before, "total"), _f(before, "squares"))[1]
    if metric in ("frt", "ttr"):
        return sig.interval_difference_test(_f(now, "median"), _f(now, "median_low"), _f(now, "median_high"),
                                            _f(before, "median"), _f(before, "median_low"), _f(before, "median_high"))[1]
    if metric == "volume":
        return sig.count_rate_test(_f(now, "n"), _f(before, "n"))
    raise ValueError(f"no change test for {metric!r}")


def _normalised_change(metric: str, now: np.ndarray, before: np.ndarray, scale_range: float) -> np.ndarray:
    """Change on a 0–1 scale comparable across metrics (for ranking movers by impact)."""
    if metric == "nps":
        return np.abs(now - before) / 200.0
    if metric in ("csat", "fcr"):
        return np.abs(now - before) / 100.0
    if metric == "ces":
        return np.abs(now - before) / scale_range
    with np.errstate(divide="ignore", invalid="ignore"):  # times: relative change, 0–1
        return np.abs(now - before) / np.maximum(np.abs(now), np.abs(before))


# --- the review ------------------------------------------------------------------------------


def _window(scope: Scope, start: dt.date, end: dt.date) -> Scope:
    return replace(scope, date_from=start, date_to=end)


def weekly_churn(source: Source, scope: Scope, monday: dt.date, weeks: int = 6) -> pd.DataFrame:
    """Churn events per week: customers whose ``churned_at`` falls in the week over those still customers at its start.

    One query for the ``weeks`` ISO weeks ending with the one starting ``monday``. This, not the
    share of active customers who ever churned, is the weekly churn rate: the latter falls in the
    newest weeks only because their customers have not had time to churn yet (right-censoring).
    Segment filters apply; channel and stage filters do not (churn belongs to the customer).

    Returns
    -------
    DataFrame
        ``period`` (Monday), ``n`` (customers at risk), ``successes`` (churned in the week),
        ``value``, ``ci_low``, ``ci_high`` (percent, Wilson).
    """
    import sqlalchemy as sa

    c = source.customers
    starts = [monday - dt.timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    items = []
    for k, start in enumerate(starts):
        lo = sa.literal(dt.datetime.combine(start, dt.time()), sa.DateTime())
        hi = sa.literal(dt.datetime.combine(start + dt.timedelta(days=7), dt.time()), sa.DateTime())
        at_risk = sa.and_(sa.or_(c.c.signup_at.is_(None), c.c.signup_at < hi),
                          sa.or_(c.c.churned_at.is_(None), c.c.churned_at >= lo))
        items += [sa.func.sum(sa.case((at_risk, 1), else_=0)).label(f"n{k}"),
                  sa.func.sum(sa.case((sa.and_(c.c.churned_at >= lo, c.c.churned_at < hi), 1), else_=0)).label(f"s{k}")]
    query = sa.select(*items).where(*segment_filter(c, scope))
    row = source.read(query).iloc[0]
    n = np.array([float(row[f"n{k}"] or 0) for k in range(weeks)])
    hits = np.array([float(row[f"s{k}"] or 0) for k in range(weeks)])
    value, low, high = metrics.wilson_interval(n, hits)
    return pd.DataFrame({"period": starts, "n": n.astype(int), "successes": hits, "value": value,
                         "ci_low": low, "ci_high": high})


def _churn_row(source: Source, scope: Scope, monday: dt.date) -> dict:
    weeks = weekly_churn(source, scope, monday)
    now, before, trailing = weeks.iloc[-1], weeks.iloc[-2], weeks.iloc[:-1].tail(4)
    p = float(change_p_values("churn", weeks.iloc[[-1]], weeks.iloc[[-2]])[0])
    delta = float(now.value - before.value)
    return {
        "metric": "churn", "label": "Churn this week", "unit": "%", "higher_is_better": False,
        "value": float(now.value), "ci_low": float(now.ci_low), "ci_high": float(now.ci_high), "n": int(now.n),
        "previous": float(before.value), "previous_n": int(before.n), "trailing": float(trailing.value.mean()),
        "delta": delta, "delta_trailing": float(now.value - trailing.value.mean()),
        "p_value": p, "significant": bool(p < ALPHA) if not np.isnan(p) else False,
        "better": None if np.isnan(delta) or delta == 0 else bool(delta < 0),
    }


def _kpi_rows(source: Source, scope: Scope, monday: dt.date, available: set[str],
              churn_dates: bool = True) -> pd.DataFrame:
    definitions = metrics.definitions(source.scales)
    previous = monday - dt.timedelta(days=7)
    sunday = monday + dt.timedelta(days=6)
    rows = []
    for metric in KPI_METRICS:
        if metric not in available:
            continue
        if metric == "churn":
            if churn_dates:  # without churn dates there is no weekly churn to speak of
                rows.append(_churn_row(source, scope, monday))
            continue
        d = definitions[metric]
        two_weeks = _window(scope, previous, sunday)
        table = metrics.metric_table(source, metric, Grain.WEEK, (), two_weeks)
        raw = source.read(metrics.metric_query(source, metric, Grain.WEEK, (), two_weeks))
        raw["period"] = pd.to_datetime(raw["period"]).dt.date
        table["period"] = pd.to_datetime(table["period"]).dt.date
        now_t, before_t = table[table.period == monday], table[table.period == previous]
        now_r, before_r = raw[raw.period == monday], raw[raw.period == previous]
        trailing = metrics.metric_table(source, metric, Grain.ALL, (),
                                        _window(scope, monday - dt.timedelta(days=28), monday - dt.timedelta(days=1)))
        value = float(now_t.value.iloc[0]) if len(now_t) else np.nan
        prev = float(before_t.value.iloc[0]) if len(before_t) else np.nan
        trail = float(trailing.value.iloc[0]) if len(trailing) else np.nan
        if metric == "volume" and len(trailing):
            trail /= 4.0  # a weekly average
        p = float(change_p_values(metric, now_r, before_r)[0]) if len(now_r) and len(before_r) else np.nan
        delta = value - prev
        rows.append({
            "metric": metric, "label": d.label, "unit": d.unit, "higher_is_better": d.higher_is_better,
            "value": value,
            "ci_low": float(now_t.ci_low.iloc[0]) if len(now_t) else np.nan,
            "ci_high": float(now_t.ci_high.iloc[0]) if len(now_t) else np.nan,
            "n": int(now_t.n.iloc[0]) if len(now_t) else 0,
            "previous": prev, "previous_n": int(before_t.n.iloc[0]) if len(before_t) else 0,
            "trailing": trail, "delta": delta, "delta_trailing": value - trail,
            "p_value": p, "significant": bool(p < ALPHA) if not np.isnan(p) else False,
            # more contacts is neither good nor bad news by itself
            "better": None if metric == "volume" or np.isnan(delta) or delta == 0 else bool((delta > 0) == d.higher_is_better),
        })
    return pd.DataFrame(rows)


def _movers(source: Source, scope: Scope, monday: dt.date, available: set[str],
            min_n: int = DEFAULT_MIN_N) -> tuple[pd.DataFrame, int]:
    definitions = metrics.definitions(source.scales)
    previous = monday - dt.timedelta(days=7)
    window = _window(scope, previous, monday + dt.timedelta(days=6))
    by = ["channel", "journey_stage"]
    frames = []
    for metric in MOVER_METRICS:
        if metric not in available:
            continue
        table = metrics.metric_table(source, metric, Grain.WEEK, by, window)
        raw = source.read(metrics.metric_query(source, metric, Grain.WEEK, by, window))
        if table.empty:
            continue
        for frame in (table, raw):
            frame["period"] = pd.to_datetime(frame["period"]).dt.date
            for b in by:
                frame[b] = frame[b].astype(object).where(frame[b].notna(), None)
        raw = raw[pd.to_numeric(raw["n"]).fillna(0) > 0]
        now_t, before_t = table[table.period == monday], table[table.period == previous]
        pair = now_t.merge(before_t, on=by, suffixes=("", "_before"))
        pair = pair[(pair.n >= min_n) & (pair.n_before >= min_n)]
        if pair.empty:
            continue
        keys = pair[by]
        now_r = keys.merge(raw[raw.period == monday], on=by, how="left")
        before_r = keys.merge(raw[raw.period == previous], on=by, how="left")
        d = definitions[metric]
        scale_range = source.scales.ces.high - source.scales.ces.low
        frames.append(pd.DataFrame({
            "metric": metric, "label": d.label, "channel": pair.channel.to_numpy(),
            "journey_stage": pair.journey_stage.to_numpy(), "previous": pair.value_before.to_numpy(),
            "value": pair.value.to_numpy(), "delta": (pair.value - pair.value_before).to_numpy(),
            "n": pair.n.to_numpy(), "previous_n": pair.n_before.to_numpy(),
            "p_value": change_p_values(metric, now_r, before_r),
            "size": _normalised_change(metric, pair.value.to_numpy(), pair.value_before.to_numpy(), scale_range),
            "higher_is_better": d.higher_is_better,
        }))
    columns = ["metric", "label", "channel", "journey_stage", "previous", "value", "delta", "n", "previous_n",
               "p_value", "q_value", "impact", "better"]
    if not frames:
        return pd.DataFrame(columns=columns), 0
    tested = pd.concat(frames, ignore_index=True)
    tested = tested[tested.p_value.notna()].reset_index(drop=True)
    tested["q_value"] = sig.benjamini_hochberg(tested.p_value.to_numpy())
    tested["impact"] = tested["size"] * tested["n"]
    tested["better"] = (tested.delta > 0) == tested.higher_is_better
    movers = tested[tested.q_value < ALPHA].sort_values("impact", ascending=False, kind="stable")
    return movers[columns].reset_index(drop=True), len(tested)


def format_value(value, unit: str, signed: bool = False) -> str:
    """A metric value with its unit and a sensible precision (``–`` when missing); used by page and report.

    Examples
    --------
    >>> format_value(57.58, "%"), format_value(-14.2, "%", signed=True), format_value(45.05, "minutes")
    ('57.6%', '-14.2 pts', '45.0 min')
    """
    if value is None or value != value:
        return "–"
    sign = "+" if signed and value > 0 else ""
    if unit == "%":
        return f"{sign}{value:.1f}" + (" pts" if signed else "%")
    if unit == "points":
        return f"{sign}{value:.1f}"
    if unit in ("minutes", "hours"):
        return f"{sign}{value:,.1f} {'min' if unit == 'minutes' else 'h'}"
    if unit == "interactions":
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:,.2f}"


def _change_words(delta: float, unit: str) -> str:
    size = abs(delta)
    if unit in ("%", "points"):
        return f"{size:.0f} point{'s' if round(size) != 1 else ''}"
    if unit in ("minutes", "hours"):
        return f"{size:,.1f} {unit}"
    if unit == "interactions":
        return f"{size:,.0f}"
    return f"{size:.2f}"


def narrate(review_kpis: pd.DataFrame, movers: pd.DataFrame, monday: dt.date, scope: Scope,
            incidents: int = 0, unrecovered: int = 0, at_risk: pd.DataFrame | None = None) -> tuple[Sentence, ...]:
    """Three to five plain sentences on the biggest real changes, each pointing to its page."""
    week_query = {"from": monday.isoformat(), "to": (monday + dt.timedelta(days=6)).isoformat()}
    trend_query = {"from": (monday - dt.timedelta(days=56)).isoformat(), "to": week_query["to"], "grain": "week"}
    out: list[Sentence] = []
    units = dict(zip(review_kpis.metric, review_kpis.unit)) if len(review_kpis) else {}
    headline = movers.drop_duplicates("metric").head(2)  # two different measures, not one twice
    for row in headline.itertuples():
        unit = units.get(row.metric, "%" if row.metric in ("csat", "fcr") else "")
        verb = "rose" if row.delta > 0 else "fell"
        judgement = "an improvement" if row.better else "a deterioration"
        out.append(Sentence(
            f"{row.label} for {row.channel} · {row.journey_stage} {verb} {_change_words(row.delta, unit)} "
            f"({format_value(row.previous, unit)} → {format_value(row.value, unit)}, n = {row.n:,}): {judgement} that is "
            f"statistically clear (q = {row.q_value:.2g}, Benjamini–Hochberg over every segment tested); "
            f"{len(movers[movers.channel == row.channel])} of this week's {len(movers)} real movers are in {row.channel}.",
            "trends", {**trend_query, "metric": row.metric, "by": "channel", "channel": str(row.channel)}))
    significant = review_kpis[review_kpis.significant] if len(review_kpis) else review_kpis
    for row in significant.head(5 - len(out) - 2).itertuples():
        verb = "rose" if row.delta > 0 else "fell"
        judgement = "" if row.better is None else ("better than last week, " if row.better else "worse than last week, ")
        out.append(Sentence(
            f"Overall {row.label} {verb} from {format_value(row.previous, row.unit)} to {format_value(row.value, row.unit)} "
            f"({judgement}p = {row.p_value:.2g}; "
            f"4-week average {format_value(row.trailing, row.unit)}).",
            "trends", {**trend_query, "metric": row.metric}))
    if not out:
        out.append(Sentence(
            "No KPI and no channel × stage segment changed significantly against the previous week: the "
            "differences on the tiles are within sampling noise.", "trends", trend_query))
    if incidents:
        out.append(Sentence(
            f"{incidents:,} critical incident{'s' if incidents != 1 else ''} this week; {unrecovered:,} of the "
            f"journeys they hit had no good ending by Sunday (unrecovered).",
            "incidents", week_query))
    if at_risk is not None and len(at_risk):
        worth = at_risk["value_at_risk"].sum() if "value_at_risk" in at_risk else np.nan
        value = "" if np.isnan(worth) else f", {worth:,.0f} of lifetime value at risk (probability × value)"
        out.append(Sentence(f"Among customers active this week, the {len(at_risk):,} with the most value at risk "
                            f"need a call{value}.", "churn", {}))
    if len(out) < 3 and len(review_kpis):
        steady = review_kpis[~review_kpis.significant]
        if len(steady):
            names = ", ".join(steady.label.head(4))
            out.append(Sentence(f"Steady (no significant change): {names}.", "trends", trend_query))
    return tuple(out[:5])


def weekly_review(source: Source, week: str | dt.date | None = None, scope: Scope | None = None,
                  *, extras: bool = True, min_n: int = DEFAULT_MIN_N) -> Review:
    """Build the review of one ISO week.

    Parameters
    ----------
    source : Source
    week : str or date, optional
        ``2026-W47`` or a date inside the week; default: the last complete ISO week in the data.
    scope : Scope, optional
        Channels, stages and segments apply; the date range is replaced by the week.
    extras : bool
        Also list the week's critical incidents and newly at-risk customers (slower).
    min_n : int
        Cells with fewer responses in either week are not tested as movers.

    Returns
    -------
    Review
    """
    scope = scope or Scope()
    summary = summarize(source)
    monday = parse_week(week) if week is not None else default_week(summary.last, summary.first)
    if summary.first is not None and monday + dt.timedelta(days=6) < summary.first.date():
        raise ReviewError(f"{week_label(monday)} is before the first dated interaction ({summary.first.date()})")
    if summary.last is not None and monday > summary.last.date():
        raise ReviewError(f"{week_label(monday)} is after the last dated interaction ({summary.last.date()})")
    available = set(summary.metrics)
    kpis = _kpi_rows(source, scope, monday, available, summary.column_counts.get("customers.churned_at", 0) > 0)
    movers, tested = _movers(source, scope, monday, available, min_n)
    incidents, unrecovered, at_risk, notes = pd.DataFrame(), 0, pd.DataFrame(), ()
    if extras:
        incidents, unrecovered, at_risk, notes = _week_extras(source, scope, monday, available, summary.customers)
    sentences = narrate(kpis, movers, monday, scope, len(incidents), unrecovered, at_risk)
    return Review(
        week=week_label(monday), start=monday, end=monday + dt.timedelta(days=6), kpis=kpis, movers=movers,
        tested=tested, sentences=sentences, scope=_window(scope, monday, monday + dt.timedelta(days=6)),
        source_label=source.label, generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        incidents=incidents, unrecovered=unrecovered, at_risk=at_risk, notes=notes, min_n=min_n,
    )


INCIDENT_COLUMNS = ("occurred_at", "customer_id", "channel", "journey_stage", "touchpoint", "severity", "reasons",
                    "journey_class", "comment")


def week_incidents(source: Source, scope: Scope, monday: dt.date, limit: int = 5000) -> tuple[pd.DataFrame, int]:
    """Critical incidents that happened in the week, classed on each journey as it stood at the week's end.

    Returns the incidents (worst first) and the number of journeys among them left unrecovered.
    """
    from cx.journeys import incidents

    sunday = monday + dt.timedelta(days=6)
    upto = replace(scope, date_from=None, date_to=sunday)
    frame = incidents(source, upto, sort="recency", limit=limit)
    when = pd.to_datetime(frame["occurred_at"])
    frame = frame[(when >= pd.Timestamp(monday)) & (when < pd.Timestamp(sunday + dt.timedelta(days=1)))]
    frame = frame.sort_values(["severity", "occurred_at"], ascending=[False, False], kind="stable")
    unrecovered = frame[frame["journey_class"] == "unrecovered"][["customer_id", "journey"]].drop_duplicates()
    return frame[[c for c in INCIDENT_COLUMNS if c in frame]].reset_index(drop=True), len(unrecovered)


AT_RISK_COLUMNS = ("customer_id", "segment", "probability", "lifetime_value", "value_at_risk", "recovery",
                   "incidents", "last_at", "last_channel", "last_touchpoint")


def week_at_risk(source: Source, scope: Scope, monday: dt.date, top: int = 25) -> pd.DataFrame:
    """Customers active in the week whom the churn model, fitted on data up to the week's end, ranks at risk.

    Empty when there is no churn outcome or too few churners to fit a model honestly.
    """
    from cx.churn import ChurnModelError, fit_churn
    from cx.churn.features import FeatureError

    sunday = monday + dt.timedelta(days=6)
    try:
        report = fit_churn(source, scope=replace(scope, date_from=None, date_to=sunday), resamples=50, at_risk=1000)
    except (ChurnModelError, FeatureError, ValueError):
        return pd.DataFrame(columns=list(AT_RISK_COLUMNS))
    frame = report.at_risk
    last = pd.to_datetime(frame["last_at"])
    frame = frame[(last >= pd.Timestamp(monday)) & (last < pd.Timestamp(sunday + dt.timedelta(days=1)))]
    frame = frame.sort_values("value_at_risk", ascending=False, kind="stable").head(top)
    return frame[[c for c in AT_RISK_COLUMNS if c in frame]].reset_index(drop=True)


def _week_extras(source: Source, scope: Scope, monday: dt.date, available: set[str], customers: int):
    """The week's critical incidents, unrecovered journeys, at-risk customers active this week, and notes."""
    incidents, unrecovered = week_incidents(source, scope, monday)
    empty = pd.DataFrame(columns=list(AT_RISK_COLUMNS))
    if "churn" not in available:
        return incidents, unrecovered, empty, ("No churn flag in these data: no at-risk list.",)
    if customers > AT_RISK_MAX_CUSTOMERS:
        return incidents, unrecovered, empty, (
            f"At-risk list left out of the weekly review for {customers:,} customers (the model fit takes minutes "
            "at that size): open Churn drivers or run `cx churn`.",)
    return incidents, unrecovered, week_at_risk(source, scope, monday), ()


TREND_METRICS = ("csat", "nps", "frt", "ttr")


def trend_tables(source: Source, review: Review, weeks: int = 12,
                 wanted: tuple[str, ...] = TREND_METRICS) -> dict[str, pd.DataFrame]:
    """Weekly metric tables for the ``weeks`` weeks up to the reviewed one (one query each)."""
    window = _window(review.scope, review.start - dt.timedelta(days=7 * (weeks - 1)), review.end)
    present = set(review.kpis.metric) if len(review.kpis) else set()
    return {m: metrics.metric_table(source, m, Grain.WEEK, (), window) for m in wanted if m in present}


def review_figures(source: Source, review: Review, tables: dict[str, pd.DataFrame] | None = None) -> dict:
    """The review's figures by name: ``movers`` and ``trend:<metric>`` (shared by the page and the report).

    ``tables`` are :func:`trend_tables` when the caller already has them.
    """
    from cx.charts import review as review_charts

    definitions = metrics.definitions(source.scales)
    figures = {}
    if len(review.movers):
        figures["movers"] = review_charts.movers_figure(review.movers)
    for metric, table in (tables if tables is not None else trend_tables(source, review)).items():
        if len(table):
            d = definitions[metric]
            figures[f"trend:{metric}"] = review_charts.week_trend_figure(table, d.label, d.unit, review.start,
                                                                         review.min_n)
    return figures
