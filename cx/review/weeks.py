"""ISO weeks: parse ``2026-W47``, label a Monday, pick the last complete week in the data."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


class ReviewError(ValueError):
    """The review cannot be built as asked (bad week, no dated data); safe to show."""


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


__all__ = ["ReviewError", "default_week", "parse_week", "week_label"]
