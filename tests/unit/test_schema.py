import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx.schema import Filters, Grain, IncidentRules, Scale, Scales, dumps


def test_scale_index_direction():
    assert Scale(1, 5).index(5) == 100
    assert Scale(1, 5).index(1) == 0
    assert Scale(1, 7, higher_is_better=False).index(1) == 100
    assert Scale(1, 7, higher_is_better=False).index(7) == 0
    assert Scale(0, 10).index(7) == pytest.approx(70)


def test_scale_rejects_empty_range():
    with pytest.raises(ValueError, match="high > low"):
        Scale(5, 5)


def test_scales_round_trip():
    scales = Scales(csat=Scale(1, 10), ces=Scale(1, 5, higher_is_better=False))
    assert Scales.from_dict(scales.to_dict()) == scales


def test_filters_normalise_and_hash():
    a = Filters(channels=["phone", "chat"], grain="month", date_from="2026-01-01")
    b = Filters(channels=("chat", "phone"), grain=Grain.MONTH, date_from=dt.date(2026, 1, 1))
    assert a == b and hash(a) == hash(b)


def test_filters_reject_backwards_range():
    with pytest.raises(ValueError, match="after it ends"):
        Filters(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1))


@given(
    channels=st.lists(st.sampled_from(["chat", "email", "phone", "web"]), unique=True),
    stages=st.lists(st.sampled_from(["awareness", "purchase", "retention"]), unique=True),
    min_n=st.integers(1, 1000),
    grain=st.sampled_from(list(Grain)),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    days=st.integers(0, 800),
)
def test_filters_survive_the_url(channels, stages, min_n, grain, start, days):
    filters = Filters(date_from=start, date_to=start + dt.timedelta(days=days), channels=channels,
                      stages=stages, min_n=min_n, grain=grain)
    assert Filters.from_query(filters.to_query()) == filters


def test_filters_from_malformed_url_fall_back():
    filters = Filters.from_query({"from": "yesterday", "min_n": "many", "grain": "fortnight"})
    assert filters == Filters()


def test_rules_round_trip_ignores_unknown_keys():
    rules = IncidentRules(nps_at_most=1, repeat_contact_days=None)
    assert IncidentRules.from_dict({**rules.to_dict(), "from_the_future": 3}) == rules


def test_dumps_nan_and_dates():
    text = dumps({"x": float("nan"), "d": dt.date(2026, 1, 5), "g": Grain.WEEK})
    assert '"x": null' in text and '"2026-01-05"' in text and '"week"' in text
