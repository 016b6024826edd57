"""The Churn page's model fit as a background job, in a module of its own so that the start page can read the
page's default view ahead (:func:`read_ahead`) and the page then finds it done.

The fit takes seconds (4–6 s of a first visit to Churn on the demo); a CX lead who opens the Overview first and
Churn after it finds the model fitted. Only where a fit is quick: the Overview's own weekly fit (the at-risk
list, the same model on the same customers) must have taken at most ``CX_READ_AHEAD_FIT_SECONDS``
(:data:`READ_AHEAD_FIT_SECONDS`); on a warehouse of a million customers the weekly review has no at-risk fit and
nothing is guessed.
"""

from __future__ import annotations

from cx.churn import CutoffRule, fit_churn
from cx.outcomes import outcome_candidates, two_valued_outcomes
from ui.cache import cached_by_source, in_background, quickest_seconds, record_seconds, seconds_from_env
from ui.widgets import positive_options, positive_value

#: The guard rail's default: below this many customers in a class, no model is fitted.
MIN_POSITIVES = 50
#: The page's default cut-off rule: each churned customer's history ends at the churn date.
DEFAULT_RULE = CutoffRule("before_outcome")
#: The Churn page's default view is read ahead only where the Overview's weekly fit took at most this long (s).
READ_AHEAD_FIT_SECONDS = 15.0
#: ... and the fit begins only once the session has stayed this long (s) on the view it was guessed for
#: (``CX_READ_AHEAD_FIT_DELAY``): a room stepping through filters every few seconds never has it running under a
#: click (begun, it took 0.8 s of CPU from the Overview's "filter removed" 3 s after the filter was added, and that
#: click 0.13 s longer at the median; BENCHMARKS.md, Meeting, round 16).
READ_AHEAD_FIT_DELAY = 10.0


# Cached per source (shared for the demo, per session for a user's own data) and keyed on the
# Scope and this page's settings only: the sidebar's View (grain, minimum n) never refits.
@cached_by_source(max_entries=32)
def load_outcomes(source) -> tuple[list[str], dict[str, list]]:
    return outcome_candidates(source), two_valued_outcomes(source)


# The fit runs once per source, scope and settings in the background (every session on the demo
# shares it); the page shows its progress and stays responsive meanwhile.
@in_background(max_entries=8)
def fit_report(source, outcome: str, positive, rule: CutoffRule, scope, attributes: tuple, min_positives: int,
               allowed: tuple):
    return fit_churn(source, outcome, rule, scope, positive=positive, attributes=list(attributes),
                     include_restating=list(allowed), min_positives=min_positives, at_risk=500)


def default_positive(outcome: str, yes_no, two_valued: dict):
    """What counts as yes for ``outcome`` before anyone picks it: the "Counts as yes" box's first option."""
    if outcome not in two_valued:
        return None
    return positive_value(positive_options(outcome, yes_no, two_valued)[0], outcome, yes_no)


def default_fit(source, scope) -> tuple | None:
    """The arguments of the fit the Churn page asks for when nothing on it has been changed (None: no outcome)."""
    yes_no, two_valued = load_outcomes(source)
    outcomes = list(dict.fromkeys([*yes_no, *two_valued]))
    if not outcomes:
        return None
    outcome = outcomes[0]
    return outcome, default_positive(outcome, yes_no, two_valued), DEFAULT_RULE, scope, (), MIN_POSITIVES, ()


def record_fit_seconds(source, seconds: float) -> None:
    """Note that a churn fit on ``source`` took ``seconds`` (the Overview's weekly fit)."""
    record_seconds("fit", source.key, seconds)


def read_ahead(source, scope, wanted: bool) -> None:
    """Queue the Churn page's default fit for ``scope`` as a guess, behind the guesses queued before it and no
    sooner than :data:`READ_AHEAD_FIT_DELAY` seconds from now, when ``wanted`` and a fit on this source is quick
    (:data:`READ_AHEAD_FIT_SECONDS`); otherwise call off this session's fit guessed for an earlier view, if it has
    not begun."""
    quickest = quickest_seconds("fit", source.key)
    quick = quickest is not None and quickest <= seconds_from_env("CX_READ_AHEAD_FIT_SECONDS", READ_AHEAD_FIT_SECONDS)
    args = default_fit(source, scope) if wanted and quick else None
    fit_report.many(source, [(args, {})] if args is not None else [], guess=True,
                    delay=seconds_from_env("CX_READ_AHEAD_FIT_DELAY", READ_AHEAD_FIT_DELAY))
