"""Background jobs (ui.cache.in_background): one job per source key and arguments, a superseded
queued job is cancelled, and a cancelled one is submitted again when someone wants it."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest


@pytest.fixture
def cache(monkeypatch):
    import streamlit as st

    from ui import cache

    st.cache_resource.clear()
    monkeypatch.setattr(cache.st, "session_state", {})
    return cache


def _source(key="demo:x", kind="demo"):
    return SimpleNamespace(key=key, kind=kind)


def test_same_source_and_arguments_share_one_job_and_a_blocked_queue_cancels_the_superseded(cache, monkeypatch):
    gate, calls = threading.Event(), []

    @cache.in_background
    def hold(source, n):
        gate.wait(30)

    @cache.in_background
    def work(source, n, *, _frame=None):
        calls.append(n)
        return n * 10

    blockers = []
    for i in range(cache.WORKERS):  # every worker busy, each with another session's job
        monkeypatch.setattr(cache.st, "session_state", {})
        blockers.append(hold(_source(), i))
    monkeypatch.setattr(cache.st, "session_state", {})
    first = work(_source(), 1, _frame=object())
    assert work(_source(), 1, _frame=object()) is first  # ``_`` arguments are not part of the key
    second = work(_source(), 2)  # the session moved on before the first started
    assert first.future.cancelled() and not second.future.cancelled()
    monkeypatch.setattr(cache.st, "session_state", {})  # another session wants the first: submitted again
    again = work(_source(), 1)
    assert again is not first and not again.future.cancelled() and not second.future.cancelled()
    gate.set()
    assert [b.wait(30) for b in blockers] == [True] * cache.WORKERS
    assert again.result(30) == 10 and second.result(30) == 20
    assert sorted(calls) == [1, 2]  # the cancelled job never ran


def test_a_batch_supersedes_the_sessions_previous_batch_and_each_function_keeps_its_own_jobs(cache, monkeypatch):
    """``many`` queues one job per call as the session's current jobs of the function: asking for a new
    batch cancels the queued jobs of the last one that it does not ask for again. A function asked for
    often (read-aheads) never pushes another function's job (a model fit) out of the store."""
    gate, calls = threading.Event(), []

    @cache.in_background
    def hold(source, n):
        gate.wait(30)

    @cache.in_background(max_entries=2)
    def ahead(source, n):
        calls.append(n)
        return n

    @cache.in_background(max_entries=1)
    def fit(source):
        return "fitted"

    blockers = []
    for i in range(cache.WORKERS):
        monkeypatch.setattr(cache.st, "session_state", {})
        blockers.append(hold(_source(), i))
    monkeypatch.setattr(cache.st, "session_state", {})
    fitted = fit(_source())
    first = ahead.many(_source(), [((1,), {}), ((2,), {})])
    second = ahead.many(_source(), [((2,), {}), ((3,), {})])
    assert first[0].future.cancelled() and second[0] is first[1] and not second[0].future.cancelled()
    assert ahead.asked(_source(), 2) is second[0] and ahead.asked(_source(), 1) is None
    assert fit.asked(_source()) is fitted  # three jobs of ``ahead`` (at most 2 kept) left the fit alone
    gate.set()
    assert [job.result(30) for job in second] == [2, 3] and fitted.result(30) == "fitted"
    assert sorted(calls) == [2, 3]


def test_a_guess_begins_once_the_asked_for_work_has_ended_and_guesses_run_one_at_a_time(cache, monkeypatch):
    """Issue 14 (speed): read-aheads (``guess=True``) have their own worker and begin only once no job a page
    asked for is queued or running, so a dozen guesses never hold back a page's own work (a model fit, a
    week's incidents), and at most :data:`GUESS_WORKERS` of them take a core from a click. A guess called off
    while it waits never runs, and is asked for again as a new job."""
    import time

    fitting, guessing, lock = threading.Event(), threading.Event(), threading.Lock()
    began, running, most = [], [0], [0]

    @cache.in_background
    def fit(source):
        fitting.wait(30)
        return "fitted"

    @cache.in_background(guess=True, max_entries=32)
    def ahead(source, n):
        with lock:
            began.append(n)
            running[0] += 1
            most[0] = max(most[0], running[0])
        guessing.wait(30)
        with lock:
            running[0] -= 1
        return n

    @cache.in_background
    def asked(source):
        return "drawn"

    assert cache.wait_idle(120)  # other tests' jobs (in this process) are not this one's asked-for work
    try:
        fitted = fit(_source())
        guesses = ahead.many(_source(), [((n,), {}) for n in range(12)])
        time.sleep(0.3)
        assert began == []  # the fit is running: no guess has begun
        assert guesses[0].cancel() and guesses[0].called_off()  # waiting in the worker: abandoned
        assert guesses[1].cancel() and guesses[1].called_off()  # still queued: cancelled
        fitting.set()
        assert fitted.result(10) == "fitted"
        deadline = time.monotonic() + 30
        while not began and time.monotonic() < deadline:
            time.sleep(0.01)
        assert began == [2]
        assert asked(_source()).result(10) == "drawn"  # a page's job runs at once, guesses running or queued
        assert not guesses[2].cancel()  # begun: it cannot be called off
    finally:  # a failure here leaves no job holding the workers for the next tests
        fitting.set()
        guessing.set()
    assert [job.result(30) for job in guesses[2:]] == list(range(2, 12))
    assert began == list(range(2, 12)) and most[0] == cache.GUESS_WORKERS == 1
    with pytest.raises(cache.Abandoned):
        guesses[0].result(10)
    monkeypatch.setattr(cache.st, "session_state", {})  # another session wants it: a new job, which runs
    again = ahead(_source(), 1)
    assert again is not guesses[1] and again.result(10) == 1
    assert cache.wait_idle(30)


def test_a_page_asking_for_work_another_page_guessed_takes_over_the_guess_that_has_not_begun(cache, monkeypatch):
    """Issue 14 (speed): the Overview guesses the Churn page's fit (``many(..., guess=True)`` on a function pages
    ask for). When the page asks for it before the guess has begun, the guess is called off and the work is asked
    for anew, so it runs at once and not behind the other guesses; a guess already running is the page's job.
    A session's guesses call off only its earlier guesses, never the work a page of it asked for."""
    import time

    holding, fitting, releasing, began = threading.Event(), threading.Event(), threading.Event(), []

    @cache.in_background(guess=True, max_entries=32)
    def ahead(source, n):
        holding.wait(30)
        return n

    @cache.in_background(max_entries=8)
    def hold(source, n):
        releasing.wait(30)

    @cache.in_background
    def fit(source, scope):
        began.append(scope)
        fitting.wait(30)
        return f"fitted {scope}"

    assert cache.wait_idle(120)
    try:
        blocker = ahead(_source(), 0)  # the guesses' worker is busy with another guess
        deadline = time.monotonic() + 10
        while not blocker.guess.begun and time.monotonic() < deadline:
            time.sleep(0.01)
        guessed = fit.many(_source(), [(("all",), {})], guess=True)[0]
        assert guessed.guess is not None and fit.asked(_source(), "all") is guessed
        asked = fit(_source(), "all")  # the page asks before the guess began: the guess is called off
        assert asked is not guessed and guessed.called_off() and asked.guess is None
        deadline = time.monotonic() + 10
        while not began and time.monotonic() < deadline:
            time.sleep(0.01)
        assert began == ["all"]  # it runs now, with the guesses' worker still busy
        fitting.set()
        assert asked.result(10) == "fitted all"
        blockers = []
        for i in range(cache.WORKERS):  # every worker busy with another session's job: the next ask waits
            monkeypatch.setattr(cache.st, "session_state", {})
            blockers.append(hold(_source(), i))
        monkeypatch.setattr(cache.st, "session_state", {})
        queued = fit(_source(), "phone")
        again = fit.many(_source(), [(("email",), {})], guess=True)[0]  # the session guesses another view:
        assert not queued.called_off() and fit.asked(_source(), "phone") is queued  # what it asked for stays
        assert fit.many(_source(), [], guess=True) == [] and again.called_off()  # its earlier guess is called off
        releasing.set()
        assert queued.result(10) == "fitted phone" and all(b.wait(10) for b in blockers)
    finally:
        holding.set()
        fitting.set()
        releasing.set()
    monkeypatch.setattr(cache.st, "session_state", {})  # another session: the guess runs and is then the page's job
    guess = fit.many(_source(), [(("chat",), {})], guess=True)[0]
    assert guess.result(10) == "fitted chat" and fit(_source(), "chat") is guess
    assert cache.wait_idle(30)


def test_a_delayed_guess_begins_after_its_delay_without_holding_the_worker_and_can_be_called_off(cache, monkeypatch):
    """A costly guess (the Churn page's fit) is queued with a delay: it begins only once the session has stayed on
    its view that long, so a room clicking every few seconds calls it off before it ever runs under a click. While
    it waits, the guesses' worker runs the other guesses."""
    import time

    began = []

    @cache.in_background(guess=True, max_entries=32)
    def ahead(source, n):
        began.append((n, time.monotonic()))
        return n

    assert cache.wait_idle(120)
    queued = time.monotonic()
    later = ahead.many(_source(), [((1,), {})], delay=0.5)[0]
    soon = ahead.many(_source(), [((1,), {}), ((2,), {})])[1]  # the same session's next batch keeps the first
    assert soon.result(10) == 2 and not later.done()  # the worker was not held by the waiting guess
    assert later.result(10) == 1 and began[1][0] == 1 and began[1][1] - queued >= 0.5
    monkeypatch.setattr(cache.st, "session_state", {})
    off = ahead.many(_source(), [((3,), {})], delay=0.3)[0]
    assert ahead.many(_source(), []) == [] and off.called_off()  # the session moved on within the delay
    time.sleep(0.6)
    assert cache.wait_idle(30) and [n for n, _ in began] == [2, 1] and off.future.cancelled()


def test_another_source_key_is_another_job(cache, monkeypatch):
    @cache.in_background
    def work(source):
        return source.key

    a = work(_source("demo:a"))
    monkeypatch.setattr(cache.st, "session_state", {})  # another session
    b = work(_source("demo:b"))
    assert a is not b and (a.result(30), b.result(30)) == ("demo:a", "demo:b")


@pytest.mark.skipif(not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"),
                    reason="per-thread CPU priority is a Linux feature")
def test_background_jobs_run_below_the_pages_cpu_priority(cache):
    """A click's script run (and the browser drawing it) comes before a model fit nobody waits on yet: the
    workers run at a nice value JOB_NICE above the server's (the page threads keep the server's)."""

    @cache.in_background
    def niceness(source):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    job = niceness(_source())
    assert job.result(timeout=30) == min(mine + cache.JOB_NICE, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine  # the caller's own is unchanged


def test_asked_finds_the_job_already_asked_for_and_asks_for_nothing(cache, monkeypatch):
    calls = []

    @cache.in_background
    def work(source, n):
        calls.append(n)
        return n * 10

    assert work.asked(_source(), 1) is None and calls == []  # nothing asked: nothing submitted
    job = work(_source(), 1)
    assert job.result(30) == 10
    monkeypatch.setattr(cache.st, "session_state", {})  # another session of the demo sees it
    assert work.asked(_source(), 1) is job
    assert work.asked(_source(), 2) is None and work.asked(_source("demo:y"), 1) is None
    assert calls == [1]
    job.future.cancel()  # a finished job cannot be cancelled: still there
    assert work.asked(_source(), 1) is job


def test_wait_idle_returns_once_every_job_asked_for_has_ended(cache):
    """The barrier behind the queue: more jobs than workers, each slow; wait_idle returns only after the last."""
    ended, release = [], threading.Event()

    def job(i):
        release.wait(10)
        ended.append(i)

    for i in range(cache.WORKERS * 2 + 1):
        cache._executor.submit(job, i)
    waiter = threading.Thread(target=lambda: ended.append("idle" if cache.wait_idle(20) else "timeout"))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and ended == []  # the jobs hold the workers: still waiting
    release.set()
    waiter.join(20)
    assert ended[-1] == "idle" and sorted(ended[:-1]) == list(range(cache.WORKERS * 2 + 1))


def test_a_job_asked_for_after_the_run_starts_when_the_run_ends(cache, monkeypatch):
    """``after_run=True`` (a model fit asked for by a click): the work starts only when the script run that
    asked for it has ended (``end_of_run``, called by the page frame), so it does not share the cores and the
    GIL with the click drawing its page; a run that waits long for it (a test) lets it start at once."""
    started = threading.Event()

    @cache.in_background(after_run=True)
    def fit(source, n):
        started.set()
        return n

    job = fit(_source(), 1)
    assert not started.wait(0.5) and not job.done()  # the run that asked for it has not ended
    cache.end_of_run()
    assert job.result(30) == 1

    monkeypatch.setenv("CX_WAIT_SECONDS", "0.3")  # a browser's click: no wait for a job that cannot have started
    monkeypatch.setattr(cache, "_poll", lambda job, message: None)
    monkeypatch.setattr(cache.st, "container", lambda key: __import__("contextlib").nullcontext())
    second = fit(_source(), 2)
    assert cache.ready(second, "fitting", key="k") is None and not second.gate.is_set()
    monkeypatch.setenv("CX_WAIT_SECONDS", "60")  # a test run: the gate opens and the result comes in the run
    assert cache.ready(second, "fitting", key="k") == 2
    cache.end_of_run()


def test_the_quickest_of_the_last_few_durations_is_what_work_costs_on_a_source(cache):
    """Issue 14: the Overview reads the channels ahead where a week's review is quick. One read slowed by a
    model fit beside it must not turn that off (judged by the last read alone, it did on a 2-core machine);
    reads that are all slow do."""
    assert cache.quickest_seconds("review", "demo") is None  # never timed
    cache.record_seconds("review", "demo", 0.4)
    cache.record_seconds("review", "demo", 1.6)  # beside the at-risk fit
    assert cache.quickest_seconds("review", "demo") == 0.4
    assert cache.quickest_seconds("review", "warehouse") is None and cache.quickest_seconds("figures", "demo") is None
    for _ in range(cache.DURATIONS_KEPT):  # the warehouse became slow: only the last few count
        cache.record_seconds("review", "demo", 3.0)
    assert cache.quickest_seconds("review", "demo") == 3.0
