import datetime as dt

import pandas as pd
import pytest

from cx.review.weekly import ReviewError, default_week, format_value, narrate, parse_week, week_label
from cx.scope import Scope


@pytest.mark.parametrize(("text", "monday"), [
    ("2026-W47", dt.date(2026, 11, 16)), ("2026w01", dt.date(2025, 12, 29)), ("2020-W53", dt.date(2020, 12, 28)),
    ("2026-03-12", dt.date(2026, 3, 9)), (dt.date(2026, 3, 15), dt.date(2026, 3, 9)),
])
def test_parse_week(text, monday):
    assert parse_week(text) == monday
    assert parse_week(week_label(monday)) == monday


@pytest.mark.parametrize("bad", ["2026-W54", "2021-W53", "W12", "next week", "2026-13-01"])
def test_parse_week_rejects(bad):
    with pytest.raises(ReviewError, match="ISO week"):
        parse_week(bad)


def test_default_week_is_last_complete():
    assert default_week(pd.Timestamp("2026-11-22 21:00")) == dt.date(2026, 11, 16)  # a Sunday: its own week
    assert default_week(pd.Timestamp("2026-11-25 08:00")) == dt.date(2026, 11, 16)  # a Wednesday: the week before
    # less than a complete week of data: its own (incomplete) week
    assert default_week(pd.Timestamp("2026-01-08"), pd.Timestamp("2026-01-05")) == dt.date(2026, 1, 5)
    with pytest.raises(ReviewError, match="no dated"):
        default_week(None)


def test_narrative_says_when_nothing_moved():
    kpis = pd.DataFrame({"metric": ["csat"], "label": ["CSAT"], "unit": ["%"], "significant": [False], "delta": [1.0],
                         "previous": [60.0], "value": [61.0], "trailing": [60.5], "p_value": [0.4], "better": [True]})
    movers = pd.DataFrame(columns=["metric", "label", "channel", "journey_stage", "previous", "value", "delta", "n",
                                   "q_value", "better"])
    sentences = narrate(kpis, movers, dt.date(2026, 3, 9), Scope())
    assert "No detectable change" in sentences[0].text
    assert 1 <= len(sentences) <= 5
    assert all(s.page in ("trends", "incidents", "churn") for s in sentences)


def test_format_value_units():
    assert format_value(float("nan"), "%") == "–"
    assert format_value(12.345, "hours") == "12.3 h"
    assert format_value(1234.0, "interactions", signed=True) == "+1,234"
