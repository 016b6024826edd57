"""Comments in SQL: the scoped, LIMITed read and keyword-theme counts give the same answer on every
backend as pandas over the same rows (LIKE wildcards in keywords are matched literally)."""

from __future__ import annotations

import pandas as pd
import pytest

from cx.schema import Grain
from cx.scope import Scope
from cx.text import KeywordTheme
from cx.text.comments import count_comments, keyword_counts, load_comments

INTERACTIONS = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c", "c", "c", "d", "d"],
    "occurred_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 09:30", "2026-01-07 08:00", "2026-01-12 23:59",
                                   "2026-01-13 00:00", "2026-01-20 12:00", None, "2026-01-21 10:00"]),
    "channel": ["chat", "email", "chat", "email", "chat", "email", "chat", "phone"],
    "journey_stage": ["purchase"] * 8,
    "nps": [10, 3, None, 7, 9, 0, 2, 5],
    "csat": [5.0, 2.0, 4.0, None, 3.0, 1.0, 1.0, 2.0],
    "comment": ["Refund still PENDING", "slow email reply", None, "  ", "100% slow_reply", "refund, email ignored",
                "refund please", "100x slowXreply"],
})
CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "segment": ["smb", "consumer", "smb", "smb"],
                          "churned": [False, True, False, True]})
THEMES = (KeywordTheme("Refunds", ("refund",)), KeywordTheme("Slow", ("slow", "100% slow_")))


def _reference(frame: pd.DataFrame, theme: KeywordTheme) -> pd.Series:
    text = frame["comment"].fillna("").str.lower()
    return text.map(lambda t: any(k in t for k in theme.keywords))


def test_keyword_counts_match_pandas_on_every_backend(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    has_text = INTERACTIONS["comment"].fillna("").str.strip() != ""
    dated = INTERACTIONS[has_text & INTERACTIONS.occurred_at.notna()]
    weekly = keyword_counts(source, Scope(), THEMES, Grain.WEEK).set_index("period")
    monday = dated.occurred_at.dt.to_period("W-SUN").dt.start_time
    for theme in THEMES:
        expected = _reference(dated, theme).groupby(monday).sum()
        assert weekly[theme.name].to_dict() == {k: int(v) for k, v in expected.items()}
    assert weekly["comments"].to_dict() == {k: int(v) for k, v in dated.groupby(monday).size().items()}
    total = keyword_counts(source, Scope(channels="email"), THEMES, Grain.ALL)
    email = INTERACTIONS[has_text & (INTERACTIONS.channel == "email")]
    assert int(total["Refunds"].iloc[0]) == _reference(email, THEMES[0]).sum() == 1
    assert int(total["Slow"].iloc[0]) == _reference(email, THEMES[1]).sum() == 1
    # "100x slowXreply" must not match "100% slow_" (wildcards escaped); "100% slow_reply" must
    row = keyword_counts(source, Scope(channels="chat,phone"), (KeywordTheme("Pct", ("100% slow_",)),), Grain.ALL)
    assert int(row["Pct"].iloc[0]) == 1


def test_comments_are_scoped_limited_and_carry_churn(make_source):
    source = make_source(INTERACTIONS, CUSTOMERS)
    assert count_comments(source) == 6  # None and blank left out
    assert count_comments(source, Scope(segments="consumer")) == 0
    frame = load_comments(source, Scope(channels="chat"))
    assert sorted(frame.comment) == sorted(["Refund still PENDING", "100% slow_reply", "refund please"])
    assert set(frame.columns) >= {"occurred_at", "customer_id", "channel", "nps", "csat", "comment", "churned"}
    assert frame.set_index("comment").loc["refund please", "churned"] in (True, 1)
    newest = load_comments(source, Scope(), limit=2)
    assert newest.comment.tolist() == ["100x slowXreply", "refund, email ignored"]


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_without_customers_there_is_no_churn_column(make_source):
    source = make_source(INTERACTIONS)
    assert "churned" not in load_comments(source).columns
