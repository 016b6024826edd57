"""Background work steps aside while a page is drawn (cx.pace, ui.cache): a job is held at its checkpoints
while a script run draws a page, unless a run waits for that very job; never longer than HOLD_MAX at once;
never outside a worker; and the core's checkpoints do nothing without the app's rule."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from cx import pace


@pytest.fixture
def cache(monkeypatch):
    import streamlit as st

    from ui import cache

    st.cache_resource.clear()
    monkeypatch.setattr(cache.st, "session_state", {})
    yield cache
    while getattr(cache._RUN, "drawing", False):  # a failed test must not leave a run drawing
        cache.end_of_run()


def _source(key="demo:pace"):
    return SimpleNamespace(key=key, kind="demo")


def _stepping(cache, steps: list, reached: threading.Event):
    @cache.in_background
    def work(source, n):
        for k in range(n):
            if k == 1:
                reached.set()
            pace.checkpoint()
            steps.append((k, time.monotonic()))
        return n

    return work


def test_a_job_waits_at_its_checkpoint_while_a_page_is_drawn_and_goes_on_when_it_is_drawn(cache):
    steps, reached = [], threading.Event()
    work = _stepping(cache, steps, reached)
    cache.start_of_run()  # a click's run starts drawing its page
    job = work(_source(), 3)
    assert reached.wait(10)
    time.sleep(0.3)
    assert [k for k, _ in steps] == [0] and not job.done()  # held at its second checkpoint
    ended = time.monotonic()
    cache.end_of_run()
    assert job.result(10) == 3
    assert [k for k, _ in steps] == [0, 1, 2] and steps[1][1] >= ended


def test_a_job_a_run_waits_for_is_not_held_for_that_run(cache):
    """The run drawing the page waits for the job (``Job.wait``, ``Job.result``): holding it would hold the run."""
    steps, reached = [], threading.Event()
    work = _stepping(cache, steps, reached)
    cache.start_of_run()
    job = work(_source(), 3)
    started = time.monotonic()
    assert job.wait(5) and time.monotonic() - started < cache.HOLD_MAX
    second = work(_source("demo:other"), 4)
    started = time.monotonic()
    assert second.result(5) == 4 and time.monotonic() - started < cache.HOLD_MAX
    cache.end_of_run()


def test_a_job_is_held_at_most_hold_max_at_one_checkpoint(cache, monkeypatch):
    """A server drawing pages without pause still moves its jobs on."""
    monkeypatch.setattr(cache, "HOLD_MAX", 0.4)
    steps, reached = [], threading.Event()
    work = _stepping(cache, steps, reached)
    cache.start_of_run()
    started = time.monotonic()
    job = work(_source(), 2)
    assert job.future.result(10) == 2  # not Job.result: nobody is seen waiting for it
    assert 0.35 <= steps[1][1] - started < 5
    cache.end_of_run()


def test_checkpoints_outside_a_worker_and_without_the_rule_do_nothing(cache, monkeypatch):
    cache.start_of_run()
    started = time.monotonic()
    pace.checkpoint()  # the script thread itself (a run's own queries): never held
    helper = threading.Thread(target=pace.checkpoint)  # a query's helper thread (Source.each)
    helper.start()
    helper.join(5)
    assert not helper.is_alive() and time.monotonic() - started < 0.2
    cache.end_of_run()
    calls = []
    monkeypatch.setattr(pace, "_rule", None)
    pace.checkpoint()
    pace.install(lambda: calls.append(1))
    try:
        pace.checkpoint()
    finally:
        pace.install(cache._hold)
    assert calls == [1]


def test_the_page_frame_ends_its_drawing_even_when_the_run_is_cut_short(cache, monkeypatch):
    """A run that a new click interrupts, or that ends early, must not leave the jobs held."""
    from ui import widgets

    monkeypatch.setattr(widgets.display, "set_currency", lambda _: None)
    monkeypatch.setattr(widgets, "_configured_currency", lambda: None)
    monkeypatch.setattr(widgets, "_start_run", lambda: None)

    class Cut(Exception):
        pass

    def cut():
        assert cache._PACE.drawing == 1
        raise Cut

    with pytest.raises(Cut):
        widgets.run_page(SimpleNamespace(run=cut), filters=False)
    assert cache._PACE.drawing == 0
