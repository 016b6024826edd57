"""Long work that steps aside for a person who is waiting: :func:`checkpoint`, called between steps.

The app runs slow work (the at-risk fit, the journeys, the views it reads ahead) in background
threads of the same Python process that draws the pages. Python runs one thread at a time: a job's
Python work takes turns with a click's, and its queries share the cores with the click's queries,
so a click that comes while a job runs takes up to twice as long. A lower OS priority for the
job's thread does not help there: it is the interpreter, not the OS, that shares the turns out.

So long work calls :func:`checkpoint` between its steps (every query; a fold of a cross-validation;
a batch of resamples). The core knows nothing of pages: without a rule installed a checkpoint does
nothing (the command line, the tests of the core). The app installs one (:func:`install`, see
``ui.cache``) that holds a background job at its checkpoint while a page is being drawn and nobody
waits for that job, for at most a second or so each time: the job then goes on where it stood, with
the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

_rule: Callable[[], None] | None = None


def install(rule: Callable[[], None] | None) -> None:
    """Make every :func:`checkpoint` call ``rule()`` (``None``: checkpoints do nothing again)."""
    global _rule
    _rule = rule


def checkpoint() -> None:
    """A point where long work may be held for a while (the installed rule decides; by default never)."""
    rule = _rule
    if rule is not None:
        rule()


__all__ = ["checkpoint", "install"]
