"""Session isolation and release of uploads (issue 7, item 3), with two AppTest sessions in one process.

Each session loads its upload into its own in-memory DuckDB and sees only its own rows (counts,
channels, preview, the sidebar filters of another page). Replacing the upload, removing the file,
or going back to the demo releases the previous database: a query on the old source then fails
with SourceError, while the other session's data stay untouched.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cx.db import SourceError, summarize
from ui.state import SOURCE_KEY

PAGE = "views/data.py"
OTHER_PAGE = "views/trends.py"  # another page, with the shared sidebar filters
DEMO_ROWS = "45,000"  # the small demo of tests/app/conftest.py

A = (b"Customer ID,Date,Channel,NPS,Comment\n"
     b"A-1,2026-01-05,email,9,alpha one\nA-2,2026-01-06,chat,3,alpha two\nA-3,2026-01-07,email,7,alpha three\n")
B = (b"Customer ID,Date,Channel,NPS,Comment\n"
     b"B-1,2026-02-02,store,9,bravo\nB-2,2026-02-03,web,3,bravo\nB-3,2026-02-04,web,7,bravo\n"
     b"B-4,2026-02-05,store,10,bravo\nB-5,2026-02-06,web,8,bravo\n")


def _session(app):
    at = app(PAGE)
    at.run()
    assert not at.exception
    return at


def _load(at, name: str, data: bytes):
    at.radio(key="data.kind").set_value("Upload files").run()
    at.file_uploader(key="data.files").set_value([(name, data, "text/csv")]).run()
    at.button(key="data.load").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at.session_state[SOURCE_KEY]


def _seen(at) -> dict:
    """What the Data page shows of the loaded data: summary metrics, channels and the preview."""
    metrics = {m.label: m.value for m in at.metric}
    channels = next(d.value for d in at.dataframe if "channel" in d.value.columns and "rows" in d.value.columns)
    preview = at.dataframe[-1].value
    return {"rows": metrics["Rows"], "customers": metrics["Customers"], "span": metrics["Date span"],
            "channels": dict(zip(channels["channel"], channels["rows"])),
            "ids": sorted(preview["customer_id"]), "comments": set(preview["comment"])}


def _everything_shown(at) -> str:
    parts = [str(m.value) for m in at.metric] + [c.value for c in at.caption] + [t.value for t in at.text]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


SEEN_A = {"rows": "3", "customers": "3", "span": "2026-01-05 → 2026-01-07", "channels": {"email": 2, "chat": 1},
          "ids": ["A-1", "A-2", "A-3"], "comments": {"alpha one", "alpha two", "alpha three"}}
SEEN_B = {"rows": "5", "customers": "5", "span": "2026-02-02 → 2026-02-06", "channels": {"web": 3, "store": 2},
          "ids": ["B-1", "B-2", "B-3", "B-4", "B-5"], "comments": {"bravo"}}


def test_two_sessions_see_only_their_own_upload(app):
    a, b = _session(app), _session(app)
    source_a = _load(a, "a.csv", A)
    source_b = _load(b, "b.csv", B)
    assert source_a is not source_b and source_a.engine is not source_b.engine and source_a.key != source_b.key
    for _ in range(2):  # interleaved reruns: nothing leaks through a cache or a shared database
        assert _seen(a.run()) == SEEN_A
        assert _seen(b.run()) == SEEN_B
    assert not re.search(r"B-\d|bravo|b\.csv", _everything_shown(a))
    assert not re.search(r"A-\d|alpha|a\.csv", _everything_shown(b))
    # another page of each session: the shared sidebar filters come from that session's data only
    a.switch_page(OTHER_PAGE).run()
    b.switch_page(OTHER_PAGE).run()
    assert not a.exception and not b.exception
    assert sorted(a.sidebar.multiselect(key="f.channels").options) == ["chat", "email"]
    assert sorted(b.sidebar.multiselect(key="f.channels").options) == ["store", "web"]


def test_the_same_file_in_two_sessions_gets_two_databases(app):
    a, b = _session(app), _session(app)
    source_a, source_b = _load(a, "same.csv", A), _load(b, "same.csv", A)
    assert source_a.engine is not source_b.engine and source_a.key != source_b.key
    _load(a, "b.csv", B)  # a replaces its upload: only a's old database is released
    with pytest.raises(SourceError):
        summarize(source_a)
    assert summarize(source_b).rows == 3
    assert _seen(b.run()) == SEEN_A


def test_replacing_an_upload_releases_the_previous_database(app):
    at = _session(app)
    old = _load(at, "a.csv", A)
    assert summarize(old).rows == 3
    new = _load(at, "b.csv", B)  # a new file in the uploader, loaded: ui.set_source(new)
    assert new is not old
    with pytest.raises(SourceError, match="closed"):
        summarize(old)
    with pytest.raises(Exception):  # noqa: B017 - the raw engine is disposed and its database closed
        old.read(sa.select(sa.literal(1)))
    assert _seen(at) == SEEN_B


def test_removing_the_file_releases_its_rows_and_spares_other_sessions(app):
    a, b = _session(app), _session(app)
    old = _load(a, "a.csv", A)
    other = _load(b, "b.csv", B)
    a.file_uploader(key="data.files").set_value(None).run()
    assert not a.exception
    assert a.session_state[SOURCE_KEY] is None  # back to the demo
    assert any("released" in i.value for i in a.info)
    assert {m.label: m.value for m in a.metric}["Rows"] == DEMO_ROWS
    with pytest.raises(SourceError):
        summarize(old)
    assert summarize(other).rows == 5
    assert _seen(b.run()) == SEEN_B


def test_leaving_the_page_and_coming_back_keeps_the_upload(app):
    """The uploader forgets its files when the page is left; that is not the user removing them."""
    at = _session(app)
    source = _load(at, "a.csv", A)
    at.switch_page(OTHER_PAGE).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.session_state[SOURCE_KEY] is source and summarize(source).rows == 3
    assert _seen(at) == SEEN_A


def test_back_to_the_demo_releases_the_upload(app):
    at = _session(app)
    old = _load(at, "a.csv", A)
    at.radio(key="data.kind").set_value("Demo warehouse").run()
    at.button(key="data.demo").click().run()
    assert not at.exception
    with pytest.raises(SourceError):
        summarize(old)
    assert {m.label: m.value for m in at.metric}["Rows"] == DEMO_ROWS


# --- slow work in the background: shared by demo sessions, never across a user's own data -------------


def _end_session(session_id: str = "test session id") -> None:
    """What the server does when a session ends (AppSession.clear_session_caches); AppTest runs
    every session under one id, so the end of a session is played by clearing that id's caches."""
    from streamlit.runtime.caching import clear_session_data_cache, clear_session_resource_cache

    clear_session_data_cache(session_id)
    clear_session_resource_cache(session_id)


def _counting_extras(monkeypatch) -> list[str]:
    """Count the week's slow part: the churn fit behind the at-risk list (once per source and week)."""
    from cx.review import weekly

    calls, real = [], weekly.week_risk_ranking

    def counting(source, week):
        calls.append(source.key)
        return real(source, week)

    monkeypatch.setattr(weekly, "week_risk_ranking", counting)
    return calls


def _headings(at) -> set[str]:
    return {s.value for s in at.subheader}


def test_the_weeks_slow_part_runs_once_for_every_demo_session_and_per_session_for_own_data(app, small_demo,
                                                                                            monkeypatch):
    import dataclasses

    from cx.db import demo_source

    calls = _counting_extras(monkeypatch)
    a, b = app().run(), app().run()  # two sessions on the Overview of the demo
    for at in (a, b):
        assert not at.exception and any(h.startswith("Customers newly at risk") for h in _headings(at))
    assert len(calls) == 1, "the churn fit behind the at-risk list ran once per session"
    demo_key = calls[0]
    a.sidebar.selectbox(key="f.grain").set_value("month").run()  # cannot change the list: nothing recomputed
    assert len(calls) == 1

    own = dataclasses.replace(demo_source(small_demo), kind="upload", key="upload:own-data")
    a.session_state[SOURCE_KEY] = own
    a.run()
    assert not a.exception and calls == [demo_key, "upload:own-data"]
    a.run()
    assert calls == [demo_key, "upload:own-data"]  # kept for the session...
    _end_session()
    a.run()
    assert calls == [demo_key, "upload:own-data", "upload:own-data"]  # ...and gone with it
    b.run()  # the demo's result outlives any one session
    assert not b.exception and calls.count(demo_key) == 1


def test_the_page_answers_while_the_slow_part_is_still_running(app, monkeypatch):
    import threading

    from cx.review import weekly
    from ui import cache

    release, real = threading.Event(), weekly.week_risk_ranking

    def slow(source, week):
        release.wait(60)
        return real(source, week)

    monkeypatch.setattr(weekly, "week_risk_ranking", slow)
    monkeypatch.setenv("CX_WAIT_SECONDS", "0")
    at = app().run()
    assert not at.exception
    assert len(at.metric) >= 4, "the KPI tiles wait for the incidents and the churn fit"
    assert not any(h.startswith("Customers newly at risk") for h in _headings(at))
    assert any("fitting the churn model" in c.value.lower() for c in at.caption), [c.value for c in at.caption]
    release.set()
    assert all(job.wait(60) for job in cache._shared_jobs().all())
    at.run()
    assert not at.exception and any(h.startswith("Customers newly at risk") for h in _headings(at))
    assert not any("fitting the churn model" in c.value.lower() for c in at.caption)


def test_a_warehouse_table_is_shared_by_the_same_users_sessions_and_by_no_one_else(app, small_demo, monkeypatch):
    """Issue 14: results of a warehouse table are computed once for the sessions of one signed-in user
    on one connection (a second tab, a colleague's link opened by the same person), never for another
    user, who may have other rights; an upload's stay with its session (test above)."""
    import dataclasses

    from cx.db import demo_source
    from ui import state

    calls = _counting_extras(monkeypatch)
    signed_in = {"user": "ann@example.com"}
    monkeypatch.setattr(state, "current_user", lambda: signed_in["user"], raising=False)
    warehouse = dataclasses.replace(demo_source(small_demo), kind="warehouse", key="wh-1",
                                    label="analytics (duckdb:///warehouse) · interactions")

    def session(user: str):
        signed_in["user"] = user
        at = app()
        at.session_state[SOURCE_KEY] = warehouse
        at.run()
        assert not at.exception and any(h.startswith("Customers newly at risk") for h in _headings(at))
        return at

    ann = session("ann@example.com")
    assert calls == ["wh-1"]
    _end_session()  # the first tab is closed: its session caches are gone, the shared results are not
    ann_again = session("ann@example.com")
    assert calls == ["wh-1"], "the same user's second session recomputed the warehouse's results"
    bob = session("bob@example.com")
    assert calls == ["wh-1", "wh-1"], "another user was served the first user's results"
    assert [m.value for m in bob.metric] == [m.value for m in ann_again.metric] == [m.value for m in ann.metric]
    assert state.share_key(dataclasses.replace(warehouse, kind="upload")) is None
