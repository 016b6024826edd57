"""Who moves the week's headline scores: agents and teams, their response rates, and the key drivers.

Nothing here is a new statistic: the scores are :func:`cx.teams.team_scores` (shrunk by n, with
rank intervals), the best and worst are :func:`cx.teams.extremes`, the response rates are
:func:`cx.teams.response.response_rates` with :func:`~cx.teams.response.response_warning`, and
the drivers are :func:`cx.drivers.keydrivers.key_drivers`, each over the reviewed week's scope, so
that the review shows the same numbers as ``cx teams`` and ``cx drivers`` for that week.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cx.db.source import Source
from cx.review.narrative import format_value
from cx.scope import DEFAULT_MIN_N, Scope
from cx.teams import GROUPS, RECORD_COLUMNS, extremes, team_scores

#: the metrics whose agents and teams the review shows: the first two of these the source has
HEADLINE_METRICS = ("nps", "csat", "ces", "frt", "ttr", "fcr")
HEADLINES = 2
#: the scores whose key drivers the review shows (the first one the source has)
DRIVER_METRICS = ("nps", "csat")


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _score(value: float, unit: str) -> str:
    return format_value(value, unit)


@dataclass(frozen=True)
class TeamStanding:
    """One headline metric's scores by agent or team over the week (:func:`cx.teams.team_scores`)."""

    metric: str
    by: str
    scores: pd.DataFrame

    @property
    def label(self) -> str:
        return self.scores.attrs.get("label", self.metric)

    @property
    def unit(self) -> str:
        return self.scores.attrs.get("unit", "")

    def _describe(self, row: pd.Series) -> str:
        u = self.unit
        return (f"{row[self.by]}: {self.label} {_score(row['shrunk'], u)} (95% interval {_score(row['ci_low'], u)} to "
                f"{_score(row['ci_high'], u)}), n = {int(row['n']):,}, rank {row['rank_low']}–{row['rank_high']} "
                f"of {len(self.scores)}")

    def lines(self, rates: ResponseRates | None = None) -> tuple[str, str]:
        """The most likely best and worst, each with its n and rank interval (and response rate, if given)."""
        found = extremes(self.scores)

        def rate(row) -> str:
            text = rates.of(row[self.by]) if rates is not None else ""
            return f"; response rate {text}" if text else ""

        return tuple(f"Most likely {word} {self.by}, {self._describe(found[word])}{rate(found[word])}."
                     for word in ("best", "worst"))

    def warnings(self) -> tuple[str, ...]:
        """The raw leaders that are not leaders once their n is taken into account (often a low-n group)."""
        found, out, u = extremes(self.scores), [], self.unit
        for word in ("best", "worst"):
            leader = found[f"raw_{word}"]
            if leader[self.by] == found[word][self.by]:
                continue
            out.append(
                f"{leader[self.by]} has the {word} raw {self.label} ({_score(leader['raw'], u)}, n = {int(leader['n']):,}) but is not the {word} {self.by}: with {'so few' if leader['low_n'] else 'these'} answers the "
                f"score is pulled toward the overall level {_score(self.scores.attrs['overall'], u)}, to "
                f"{_score(leader['shrunk'], u)} (95% interval {_score(leader['ci_low'], u)} to "
                f"{_score(leader['ci_high'], u)}), and the rank could be anywhere from {leader['rank_low']} to "
                f"{leader['rank_high']} of {len(self.scores)}.")
        return tuple(out)

    def best_and_worst(self, rates: ResponseRates | None = None) -> pd.DataFrame:
        """The best and worst rows (shrunk) for a table, with their response rates when known."""
        found = extremes(self.scores)
        rows = pd.DataFrame([found["best"], found["worst"]]).reset_index(drop=True)
        who = rows[self.by].astype(str)
        return rows.assign(metric=self.label, by=self.by, who=who, place=["best", "worst"],
                           rank_interval=[f"{lo}–{hi} of {len(self.scores)}" for lo, hi in zip(rows.rank_low, rows.rank_high)],
                           response_rate=[rates.of(name) if rates is not None else "" for name in who])

    def record(self) -> dict:
        """JSON: ``{"metric", "by", "overall", "best", "worst", "warnings", "records"}``; ``records`` are
        exactly ``cx teams --format json`` for the same week and scope."""
        found = extremes(self.scores)
        return {"metric": self.metric, "by": self.by, "overall": self.scores.attrs.get("overall"),
                "best": found["best"][self.by], "worst": found["worst"][self.by], "warnings": list(self.warnings()),
                "records": _records(self.scores[[self.by, *RECORD_COLUMNS]])}


@dataclass(frozen=True)
class ResponseRates:
    """A headline score's response rates by agent or team over the week, and the warning when they differ a lot."""

    metric: str
    by: str
    rates: pd.DataFrame
    warning: str | None

    def of(self, name: str) -> str:
        """The response rate of one agent or team in words ('' when it was never offered a survey)."""
        row = self.rates[self.rates[self.by].astype(str) == str(name)]
        if row.empty:
            return ""
        row = row.iloc[0]
        return f"{row['response_rate']:.1f}% of {int(row['offered']):,} offered"

    def record(self) -> dict:
        """JSON: ``{"metric", "by", "warning", "records": [{<by>, "offered", "answered", "response_rate",
        "ci_low", "ci_high"}]}``."""
        return {"metric": self.metric, "by": self.by, "warning": self.warning, "records": _records(self.rates)}


def rates_for(standing: TeamStanding, rates: tuple[ResponseRates, ...]) -> ResponseRates | None:
    """The response rates that belong beside a standing (same metric, same grouping), if any."""
    return next((r for r in rates if (r.metric, r.by) == (standing.metric, standing.by)), None)


def week_teams(source: Source, scope: Scope, available: set[str], summary=None,
               min_n: int = DEFAULT_MIN_N) -> tuple[tuple[TeamStanding, ...], tuple[ResponseRates, ...]]:
    """The week's headline metrics (the first :data:`HEADLINES` of :data:`HEADLINE_METRICS` the source
    has) by agent and by team, and the response rates of those that are survey scores.

    ``scope`` is the week's (dates included). Nothing when the source has no agent or team column;
    no response rates when it does not mark offered surveys.
    """
    from cx.teams.response import RESPONSE_METRICS, has_offers, response_rates, response_warning

    counts = getattr(summary, "column_counts", None)
    groups = [g for g in GROUPS if source.has(g) and (counts is None or counts.get(g, 0) > 0)]
    wanted = [m for m in HEADLINE_METRICS if m in available][:HEADLINES]
    standings, rates = [], []
    for metric in wanted:
        for by in groups:
            scores = team_scores(source, metric, by=by, scope=scope, min_n=min_n)
            if scores.empty:
                continue
            standings.append(TeamStanding(metric, by, scores))
            if metric in RESPONSE_METRICS and has_offers(source, summary):
                table = response_rates(source, metric, by=[by], scope=scope).drop(columns="period")
                table = table[table[by].notna()].reset_index(drop=True)  # beside the scores: contacts with a `by`
                if len(table):
                    rates.append(ResponseRates(metric, by, table, response_warning(table, by)))
    return tuple(standings), tuple(rates)


def week_key_drivers(source: Source, scope: Scope, available: set[str]):
    """Key drivers (:func:`cx.drivers.keydrivers.key_drivers`, per contact) of the first headline score
    the source has, over the week; None when they cannot be computed (too few answers, no drivers)."""
    from cx.drivers.keydrivers import DriversError, key_drivers

    metric = next((m for m in DRIVER_METRICS if m in available), None)
    if metric is None:
        return None
    try:
        return key_drivers(source, metric, scope)
    except DriversError:
        return None


__all__ = ["DRIVER_METRICS", "HEADLINES", "HEADLINE_METRICS", "ResponseRates", "TeamStanding", "rates_for", "week_key_drivers", "week_teams"]
