"""Cell parsers: numbers, dates (day-first vs month-first), durations and yes/no flags."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cx.ingest import parse


def s(*values) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_numbers_written_every_which_way():
    got = parse.numbers(s("5", "1,234", "1,234.5", "80 %", "9/10", "€ 12.50", "N/A", "", None, "abc", "4,5"))
    values = [None if math.isnan(v) else v for v in got.values]
    assert values == [5, 1234, 1234.5, 80, 9, 12.5, None, None, None, None, None]
    assert got.bad.tolist() == [False] * 9 + [True, True]  # "4,5" is never silently 45
    assert got.percent.tolist()[3] and got.denominator.tolist()[4] == 10


def test_decimal_comma():
    got = parse.numbers(s("4,5", "1.234,5", "3"), decimal=",")
    assert got.values.tolist() == [4.5, 1234.5, 3.0]
    assert not got.bad.any()


def test_likert_labels():
    got = parse.numbers(s("Very satisfied", "dissatisfied", "Neutral"), likert=True)
    assert got.values.tolist() == [5, 2, 3]


@pytest.mark.parametrize(
    "text, dayfirst, expected",
    [
        ("2026-03-04", None, "2026-03-04 00:00"),
        ("2026-03-04T10:30:00Z", None, "2026-03-04 10:30"),
        ("2026-03-04T10:30:00+02:00", None, "2026-03-04 08:30"),  # to naive UTC
        ("25/03/2026 14:30", None, "2026-03-25 14:30"),  # self-evident day-first
        ("03/25/2026", None, "2026-03-25 00:00"),  # self-evident month-first
        ("03/04/2026", True, "2026-04-03 00:00"),
        ("03/04/2026", False, "2026-03-04 00:00"),
        ("3/4/26 2:15 PM", False, "2026-03-04 14:15"),
        ("04.03.2026", True, "2026-03-04 00:00"),
        ("2026/03/04", None, "2026-03-04 00:00"),
        ("46085", None, "2026-03-04 00:00"),  # Excel serial day
        ("1772619000", None, "2026-03-04 10:10"),  # Unix seconds
        ("4 March 2026", None, "2026-03-04 00:00"),
        ("Mar 4, 2026 10:00", None, "2026-03-04 10:00"),
    ],
)
def test_dates(text, dayfirst, expected):
    stamps, bad, odd = parse.dates(s(text), dayfirst)
    assert not bad.any() and not odd.any()
    assert stamps.iloc[0].strftime("%Y-%m-%d %H:%M") == expected


def test_ambiguous_dates_are_bad_until_the_order_is_known():
    stamps, bad, _ = parse.dates(s("03/04/2026", "25/03/2026"), None)
    assert bad.tolist() == [True, False]


def test_contradicting_dates_are_bad_not_guessed():
    _, bad, _ = parse.dates(s("25/03/2026", "03/25/2026"), True)
    assert bad.tolist() == [False, True]


def test_unparseable_and_implausible_dates():
    stamps, bad, odd = parse.dates(s("soon", "1800-01-01", "", "N/A"), True)
    assert bad.tolist() == [True, False, False, False]
    assert odd.tolist() == [False, True, False, False]
    assert stamps.isna().all()


def test_naive_times_in_a_named_zone_become_utc():
    stamps, _, _ = parse.dates(s("2026-07-01 12:00", "01/07/2026 12:00"), True, timezone="Europe/Berlin")
    assert [t.strftime("%H:%M") for t in stamps] == ["10:00", "10:00"]


def test_date_order_evidence():
    order = parse.date_order(s("25/03/2026", "03/04/2026 10:00", "05/05/2026", "2026-01-01"))
    assert (order.numeric, order.first_over_12, order.second_over_12) == (3, 1, 0)
    assert order.dayfirst is True
    assert order.examples == ("03/04/2026",)
    assert parse.date_order(s("03/04/2026")).ambiguous
    assert parse.date_order(s("13/01/2026", "01/13/2026")).mixed


def test_durations():
    hours, bad = parse.durations(s("90", "1:30", "1 02:00:00", "2h 30m", "x"), "minutes", 60.0)
    assert hours.tolist()[:4] == [1.5, 1.5, 26.0, 2.5]
    assert bad.tolist() == [False, False, False, False, True]
    seconds_as_minutes, _ = parse.durations(s("120"), "seconds", 1.0)
    assert seconds_as_minutes.tolist() == [2.0]


def test_flags():
    flags, bad = parse.booleans(s("Yes", "no", "NO", None, "n/a", "maybe"), "yes")
    assert flags.tolist()[:3] == [True, False, False]
    assert pd.isna(flags.iloc[3]) and pd.isna(flags.iloc[4])
    assert bad.tolist() == [False, False, False, False, False, True]


def test_inverted_flag_and_unknown_two_values():
    flags, _ = parse.booleans(s("yes", "no"), "no")  # "Active?" = no means churned
    assert flags.tolist() == [False, True]
    flags, bad = parse.booleans(s("Lapsed", "Current", "Lapsed"), "lapsed")
    assert flags.tolist() == [True, False, True] and not bad.any()


def test_channels_are_normalised():
    assert parse.channels(s("E-Mail", " Live  Chat", "Twitter", "Kiosk", None)).tolist() == [
        "email", "chat", "social", "kiosk", None]


def test_durations_with_a_decimal_comma_where_numbers_use_a_point():
    """Issue 13: "1,5" hours read as nanoseconds (pandas drops commas) loaded as zero; it is an hour and a half."""
    hours, bad = parse.durations(s("1,5", "2,25", "1,500", "1,5h", "12,75 hours", "-0,5", "1,5000"), "hours", 60.0)
    assert hours.tolist() == [1.5, 2.25, 1500, 1.5, 12.75, -0.5, 1.5]  # 1,500 is a thousands group
    assert not bad.any()
    minutes, bad = parse.durations(s("2,5", "1,5 min", "90", "ten minutes", "1,234,5"), "minutes", 1.0)
    assert minutes.tolist()[:3] == [2.5, 1.5, 90] and bad.tolist() == [False, False, False, True, True]


def test_a_bare_number_is_never_read_as_nanoseconds():
    assert parse._clock_minutes("1,5") is None and parse._clock_minutes("90") is None
    assert parse._clock_minutes("1,500 min") is None  # ambiguous: refused, not 1,500 ns
    assert parse._clock_minutes("2 days") == 2880 and parse._clock_minutes("1h 30m") == 90
