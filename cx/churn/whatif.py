"""What if a driver moved? The predicted change in the outcome for a group of customers, with an interval.

:func:`what_if` moves one driver (a number, or incident recovery) for the customers the report
ranks (optionally one segment or one channel's users), and compares the fitted model's predicted
outcome before and after; the interval comes from the bootstrap refits. It speaks the outcome's words and
direction: "chance of churning −1.2 points, better" for churn, "chance of being Satisfied +2.4 points,
better" for a good outcome (:attr:`WhatIf.better`). It is association, not an
experiment (:data:`CAVEAT`): the model holds every other feature where it is, so a measure that in
the data moves *with* others (resolution time with the scores of the same contacts) shows only its
own, adjusted part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from threadpoolctl import threadpool_limits

from cx.churn.scores import Interval
from cx.churn.table import CHANNEL_PREFIX

if TYPE_CHECKING:  # the report holds what a what-if needs; it does not need this module
    from cx.churn.report import ChurnReport

#: Customers at risk whose what-if is computed at a time (× bootstrap refits, as floats).
BATCH = 20_000
CAVEAT = ("This is association, not a controlled experiment: customers whose resolution was faster or whose "
          "incident was recovered may differ in other ways the model does not see. Treat the change as the size "
          "of the opportunity if the relation were causal, not as a forecast.")


@dataclass(frozen=True)
class WhatIf:
    """Predicted effect of moving one driver for a group of customers (association, not causation).

    Attributes
    ----------
    description : str
        What was moved, for whom.
    customers : int
        Customers affected.
    churn_before, churn_after : float
        Expected share with the outcome among them (0–1), before and after.
    churners_change : Interval
        Change in the expected number of customers with the outcome (negative = fewer).
    ltv_at_risk_before : float
        Lifetime value at risk before: Σ P(outcome) × value for a bad outcome (churn), Σ (1 − P) × value
        for a good one (satisfied), as in the at-risk list.
    ltv_at_risk_change : Interval
        Change in lifetime value at risk (negative = less at risk, whichever way the outcome points).
    caveat : str
    chance_of : str
        The outcome in words ("churning", "being Satisfied"), from the report's model card.
    good : bool
        The outcome's "yes" is good news: more of it is better.
    """

    description: str
    customers: int
    churn_before: float
    churn_after: float
    churners_change: Interval
    ltv_at_risk_before: float
    ltv_at_risk_change: Interval
    caveat: str = CAVEAT
    chance_of: str = "churning"
    good: bool = False

    @property
    def better(self) -> bool | None:
        """Whether the move helps (fewer churners, more satisfied), None when its interval includes no change."""
        cc = self.churners_change
        if cc.includes(0) or not np.isfinite(cc.value):
            return None
        return (cc.value > 0) == self.good

    def headline(self) -> str:
        """One sentence in the outcome's own words and direction: "… : chance of being Satisfied 71.0% → 73.4%
        (+2.4 points); +12.0 customers (95% CI +8.1 to +15.9)"."""
        cc = self.churners_change
        points = (self.churn_after - self.churn_before) * 100
        verdict = {None: "no clear change", True: "better", False: "worse"}[self.better]
        return (f"{self.description}: chance of {self.chance_of} {self.churn_before:.1%} → {self.churn_after:.1%} "
                f"({points:+.2f} points, {verdict}); {cc.value:+,.1f} customers {self.chance_of} "
                f"(95% CI {cc.ci_low:+,.1f} to {cc.ci_high:+,.1f})")

    def to_dict(self) -> dict:
        return {"description": self.description, "customers": self.customers, "chance_of": self.chance_of,
                "good_outcome": self.good, "churn_before": self.churn_before,
                "churn_after": self.churn_after, "churners_change": self.churners_change.to_dict(),
                "ltv_at_risk_before": self.ltv_at_risk_before, "ltv_at_risk_change": self.ltv_at_risk_change.to_dict(),
                "better": self.better, "headline": self.headline(), "caveat": self.caveat}


def default_change(driver: str) -> tuple[float, str]:
    """The page's starting move for a driver: recover half the incidents, +10 index points, or −20%."""
    if driver == "recovery":
        return 0.5, "share"
    if driver.endswith("_index") or driver.startswith("tp: "):
        return 10.0, "absolute"
    return -0.2, "relative"


def what_if(report: ChurnReport, driver: str, change: float, *, mode: str = "relative",
            segment: str | None = None, channel: str | None = None) -> WhatIf:
    """Move a driver for the customers at risk (optionally one segment or channel's users).

    Parameters
    ----------
    report : ChurnReport
    driver : str
        A numeric model input (e.g. ``median_resolution_hours``), or ``recovery``.
    change : float
        ``mode="relative"``: the fraction to change it by (−0.2 = cut by 20%); ``"absolute"``: the
        amount to add (e.g. +10 index points). For ``recovery``: the share (0–1) of unrecovered
        incidents turned into recovered ones.
    segment : str, optional
        Only customers of this segment.
    channel : str, optional
        Only customers who contacted this channel (their whole-journey value of the driver moves:
        the features are per customer, not per channel).

    Returns
    -------
    WhatIf
        Point change from the fitted model; 95% interval from the bootstrap refits.
    """
    if driver not in report.drivers():
        raise ValueError(f"{driver!r} is not a driver the model can move; choose one of {', '.join(report.drivers())}")
    pop = report.population
    mask, who = _targeted(pop, segment, channel)
    model = report.model
    X = pop.loc[mask, model.numeric_ + model.categorical_]
    if driver == "recovery":
        moved, weight, description = _recovered(X, change, report.good_end_index, who)
    else:
        moved, weight, description = _shifted(X, pop[driver], driver, change, mode,
                                              f"{report.labels.get(driver, driver)}", who)
    ltv = pop.loc[mask, "lifetime_value"].to_numpy(float) if "lifetime_value" in pop else np.full(mask.sum(), np.nan)
    with threadpool_limits(1):
        return _effect(report, X, moved, weight, np.nan_to_num(ltv, nan=0.0), description)


def _targeted(pop: pd.DataFrame, segment: str | None, channel: str | None) -> tuple[np.ndarray, str]:
    """Which customers move, and how to name them."""
    mask = np.ones(len(pop), dtype=bool)
    who = "customers at risk"
    if segment:
        if "segment" not in pop:
            raise ValueError("this data has no segment column")
        mask &= (pop["segment"].astype(str) == str(segment)).to_numpy()
        who = f"{segment} customers at risk"
    if channel:
        col = f"{CHANNEL_PREFIX}{channel}"
        if col not in pop:
            raise ValueError(f"no contacts via {channel!r} in this data")
        mask &= (pop[col] > 0).to_numpy()
        who += f" who contacted {channel}"
    return mask, who


def _recovered(X: pd.DataFrame, change: float, good_end: float, who: str) -> tuple[pd.DataFrame, np.ndarray, str]:
    """A share of the unrecovered incidents recovered: a recovered journey ends well (the incident rules' good ending)."""
    share = float(np.clip(change, 0.0, 1.0))
    unrecovered = (X["recovery"] == "unrecovered").to_numpy()
    moved = X.assign(recovery=np.where(unrecovered, "recovered", X["recovery"]))
    if "end_index" in moved:
        moved["end_index"] = np.where(unrecovered, np.fmax(moved["end_index"], good_end), moved["end_index"])
    description = (f"Turn {share:.0%} of unrecovered incidents into recovered ones (ending at an index of at least "
                   f"{good_end:g}), for {who}")
    return moved, np.where(unrecovered, share, 0.0), description


def _shifted(X: pd.DataFrame, everyone: pd.Series, driver: str, change: float, mode: str, label: str,
             who: str) -> tuple[pd.DataFrame, np.ndarray, str]:
    """A number moved by a fraction (kept ≥ 0 when it always was) or by an amount (kept within its range)."""
    values = X[driver]
    lo, hi = float(everyone.min()), float(everyone.max())
    if mode == "relative":
        new = (values * (1 + change)).clip(lower=0 if lo >= 0 else None)
        amount = f"{change:+.0%}"
    else:
        new = (values + change).clip(lo, hi)
        amount = f"{change:+g}"
    return X.assign(**{driver: new}), np.ones(len(X)), f"{label} {amount}, for {who}"


#: ``recalibrate(expit(L))`` clips the probability to [1e-6, 1 − 1e-6] before its logit: the same as
#: clipping the log-odds ``L`` to these bounds, which saves a logistic and a logit per customer × refit.
_LOGIT_BOUNDS = (float(logit(1e-6)), float(logit(1 - 1e-6)))


def _recalibrated(L: np.ndarray, line: tuple[float, float]) -> np.ndarray:
    """``recalibrate(expit(L), line)`` computed from the log-odds directly (equal to rounding)."""
    return expit(line[0] + line[1] * np.clip(L, *_LOGIT_BOUNDS))


def _moves(X: pd.DataFrame, moved: pd.DataFrame, weight: np.ndarray) -> np.ndarray:
    """Customers whose prediction can change: a weight above 0 and some input actually different."""
    same = (X == moved) | (X.isna() & moved.isna())
    return (weight > 0) & ~same.all(axis=1).to_numpy()


def _effect(report: ChurnReport, X: pd.DataFrame, moved: pd.DataFrame, weight: np.ndarray, ltv: np.ndarray,
            description: str) -> WhatIf:
    """Predicted outcome before and after, under the fit and each bootstrap refit (recalibrated).

    Every customer's "before" needs only the fitted model; the refits matter only for the change,
    and only customers whose inputs move (or who are not weighted out) change: the customers ×
    refits matrices are built for those alone (a customer left as is adds exactly 0).
    """
    model = report.model
    betas = np.vstack([np.r_[model.coef_, model.intercept_], report.draws])
    n = len(X)
    delta, delta_ltv = np.zeros(len(betas)), np.zeros(len(betas))
    before = before_ltv = 0.0
    good = report.card.good_outcome
    line = report.calibration_fit
    changes = _moves(X, moved, weight)
    # customers × refits matrices, a batch of rows at a time (a million customers × 200 refits would
    # be gigabytes at once); one batch on any source of up to BATCH customers at risk
    for start in range(0, n, BATCH) if n else ():
        rows = slice(start, start + BATCH)
        Z0 = model.design(X.iloc[rows])
        p0 = _recalibrated(Z0 @ model.coef_ + model.intercept_, line)
        before += p0.sum()
        at_risk = (1.0 - p0) if good else p0  # the chance of the bad side, as the at-risk list ranks
        before_ltv += (at_risk * ltv[rows]).sum()
        picked = np.flatnonzero(changes[rows])
        if not picked.size:
            continue
        Z1 = model.design(moved.iloc[rows].iloc[picked])
        P0 = _recalibrated(Z0[picked] @ betas[:, :-1].T + betas[:, -1], line)
        P1 = _recalibrated(Z1 @ betas[:, :-1].T + betas[:, -1], line)
        P1 -= P0
        P1 *= weight[rows][picked, None]  # the change of each customer under each refit
        delta += P1.sum(axis=0)
        delta_ltv += ltv[rows][picked] @ P1
    after_mean = before + delta[0]

    def interval(values):
        low, high = np.percentile(values[1:], [2.5, 97.5]) if len(values) > 1 else (np.nan, np.nan)
        return Interval(float(values[0]), float(low), float(high))

    return WhatIf(description=description, customers=n,
                  churn_before=float(before / n) if n else float("nan"),
                  churn_after=float(after_mean / n) if n else float("nan"),
                  churners_change=interval(delta), ltv_at_risk_before=float(before_ltv),
                  ltv_at_risk_change=interval(-delta_ltv if good else delta_ltv),
                  chance_of=report.card.chance_of, good=good)


__all__ = ["CAVEAT", "WhatIf", "default_change", "what_if"]
