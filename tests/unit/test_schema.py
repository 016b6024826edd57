import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx.schema import Grain, IncidentRules, Scale, Scales, dumps
from cx.scope import QUERY_KEYS, Scope, View


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


def test_scope_and_view_normalise_and_hash():
    a = Scope(channels=["phone", "chat"], date_from="2026-01-01")
    b = Scope(channels=("chat", "phone"), date_from=dt.date(2026, 1, 1))
    assert a == b and hash(a) == hash(b)
    assert View(grain="month") == View(grain=Grain.MONTH) and hash(View(grain="month")) == hash(View(grain=Grain.MONTH))


def test_view_rejects_a_minimum_n_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        View(min_n=0)


def test_scope_rejects_backwards_range():
    with pytest.raises(ValueError, match="after it ends"):
        Scope(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 1, 1))


@given(
    channels=st.lists(st.sampled_from(["chat", "email", "phone", "web"]), unique=True),
    stages=st.lists(st.sampled_from(["awareness", "purchase", "retention"]), unique=True),
    min_n=st.integers(1, 1000),
    grain=st.sampled_from(list(Grain)),
    start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    days=st.integers(0, 800),
)
def test_scope_and_view_survive_the_url(channels, stages, min_n, grain, start, days):
    scope = Scope(date_from=start, date_to=start + dt.timedelta(days=days), channels=channels, stages=stages)
    view = View(grain=grain, min_n=min_n)
    query = {**scope.to_query(), **view.to_query()}
    assert set(query) <= set(QUERY_KEYS)
    assert Scope.from_query(query) == scope and View.from_query(query) == view


def test_scope_and_view_from_malformed_url_fall_back():
    query = {"from": "yesterday", "min_n": "many", "grain": "fortnight"}
    assert Scope.from_query(query) == Scope() and View.from_query(query) == View()


def test_rules_round_trip_ignores_unknown_keys():
    rules = IncidentRules(nps_at_most=1, repeat_contact_days=None)
    assert IncidentRules.from_dict({**rules.to_dict(), "from_the_future": 3}) == rules


def test_dumps_nan_and_dates():
    text = dumps({"x": float("nan"), "d": dt.date(2026, 1, 5), "g": Grain.WEEK})
    assert '"x": null' in text and '"2026-01-05"' in text and '"week"' in text
