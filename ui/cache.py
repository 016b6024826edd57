"""Per-source caches: results computed from the session's data, never served to another user.

``@cached_by_source`` is the only cache the pages use. Who shares a result is
:func:`ui.state.share_key`: the demo's results are shared by every session (same public data);
a warehouse table's by the sessions of the same signed-in user on the same connection; an upload's
are cached per session and released with it. Loaders raise :class:`~cx.db.SourceError` when the data
cannot be read; the page frame (:func:`ui.widgets.run_page`) turns that into one clear line.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copyreg
import functools
import os
import threading
import time

import plotly.graph_objects as go
import streamlit as st

from cx import db as sources
from cx.db import Source, SourceSummary, attribute_values
from ui import state


# A cached result is unpickled on every run that reads it. A plotly Figure unpickles by rebuilding itself
# through its validators (~10 ms a chart: the Overview's charts cost 40–55 ms of every run, a grain change
# included); it was validated when it was built, so it is rebuilt from its own spec without them. Copies
# (``copy.deepcopy``) go the same way.
def _figure(spec: dict) -> go.Figure:
    return go.Figure(spec, _validate=False)


def _reduce_figure(figure: go.Figure):
    spec = figure.to_dict()
    spec["_grid_str"], spec["_grid_ref"] = figure._grid_str, figure._grid_ref  # make_subplots' grid, as plotly keeps it
    return _figure, (spec,)


copyreg.pickle(go.Figure, _reduce_figure)


def cached_by_source(func=None, *, ttl: int = 3600, max_entries: int = 64):
    """Cache ``func(source, *args, **kwargs)`` under the source's key, bounded by ttl and max_entries.

    The other arguments must be hashable values (a Scope, a tuple, a string); the source itself is
    represented by its ``key`` (which changes with the data and the session's incident rules).
    """

    def wrap(f):
        def shared_call(key, who, _source, *args, **kwargs):  # who: state.share_key (in the cache key)
            return f(_source, *args, **kwargs)

        def session_call(key, _source, *args, **kwargs):
            return f(_source, *args, **kwargs)

        for inner, suffix in ((shared_call, "shared"), (session_call, "session")):
            inner.__module__ = f.__module__
            inner.__qualname__ = f"{f.__qualname__}.{suffix}"
        shared = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False)(shared_call)
        private = st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False, scope="session")(session_call)

        @functools.wraps(f)
        def wrapper(source: Source, *args, **kwargs):
            who = state.share_key(source)
            if who is None:
                return private(source.key, source, *args, **kwargs)
            return shared(source.key, who, source, *args, **kwargs)

        return wrapper

    return wrap(func) if func is not None else wrap


# --- slow work in the background ------------------------------------------------------------
#
# A model fit or a bootstrap takes seconds. Run inside the script it would hold every click of the
# page for that long, and a room of people clicking would queue behind it. ``@in_background`` runs
# it once per source and arguments in a worker thread instead: the page draws what it already has,
# shows a progress line for the rest (:func:`ready`) and is redrawn when the work is done. Sessions
# share jobs as ``cached_by_source`` shares results (the demo, the same user's warehouse table).

#: Worker threads for background jobs (two cores are shared by every session of the server).
WORKERS = 2
#: How much lower the workers' CPU priority is than the pages' (a Linux nice increment, per thread;
#: ``CX_JOB_NICE``, 0 = the same): a click's script run and the browser drawing it come before a model
#: fit that nobody is waiting on yet, which still gets every cycle they leave.
JOB_NICE = 10


def _lower_priority() -> None:
    try:
        nice = int(os.environ.get("CX_JOB_NICE", str(JOB_NICE)))
        if nice > 0:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)  # this thread only (Linux)
    except (AttributeError, OSError, ValueError):
        pass  # another OS, or not allowed: the jobs run at the pages' priority


_executor = concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="cx-job",
                                                  initializer=_lower_priority)
#: Guesses (``in_background(guess=True)``: a view read ahead that nobody has asked for yet) have a worker of
#: their own, and each begins only once no work a page asked for is queued or running: a dozen of them never
#: hold back a page's own jobs (a model fit, a week's incidents), and at most one takes a core from a click.
GUESS_WORKERS = 1
_guesses = concurrent.futures.ThreadPoolExecutor(max_workers=GUESS_WORKERS, thread_name_prefix="cx-job",
                                                 initializer=_lower_priority)
_asked = threading.Condition()  # guards _ASKED_LEFT and every guess's begun / abandoned state
_ASKED_LEFT = [0]  # jobs pages asked for that are queued or running


def _asked_done(_future) -> None:
    with _asked:
        _ASKED_LEFT[0] -= 1
        _asked.notify_all()


class Abandoned(Exception):
    """A guess that was called off before it began (:meth:`Job.cancel`)."""


class _Guess:
    """A guess's state: waiting for the asked-for work to end, then begun, or abandoned before it began."""

    def __init__(self):
        self.begun = self.abandoned = False

    def wait_for_asked_work(self) -> None:
        with _asked:
            while _ASKED_LEFT[0] > 0 and not self.abandoned:
                _asked.wait(1.0)
            if self.abandoned:
                raise Abandoned()
            self.begun = True

    def abandon(self) -> bool:
        with _asked:
            if not self.begun:
                self.abandoned = True
                _asked.notify_all()
            return self.abandoned


def _guess_later(delay: float, work) -> concurrent.futures.Future:
    """``work`` queued for the guesses' worker ``delay`` seconds from now; until it begins, cancelling the future
    calls it off. The worker is not held while the time passes (other guesses run meanwhile)."""
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        if not future.set_running_or_notify_cancel():
            return  # called off
        try:
            result = work()
        except BaseException as exc:  # noqa: BLE001 (the job's error, raised where its result is read)
            future.set_exception(exc)
        else:
            future.set_result(result)

    timer = threading.Timer(delay, lambda: None if future.cancelled() else _guesses.submit(run))
    timer.daemon = True
    timer.start()
    return future


def wait_idle(timeout: float = 300.0) -> bool:
    """Wait until every job asked for so far has ended (True), or ``timeout`` seconds (False): one barrier task
    per worker is queued behind them, and the workers can only all be in it once the jobs before it are done.
    For tests and benchmarks that must not count the work of a page they no longer look at. A guess queued with
    a ``delay`` (``many``) counts once its delay has passed (tests set ``CX_READ_AHEAD_FIT_DELAY`` to 0)."""
    barrier = threading.Barrier(WORKERS + GUESS_WORKERS + 1, timeout=timeout)

    def meet():
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass

    for pool, workers in ((_executor, WORKERS), (_guesses, GUESS_WORKERS)):
        for _ in range(workers):
            pool.submit(meet)
    try:
        barrier.wait()
        return True
    except threading.BrokenBarrierError:
        return False


#: The longest a job asked for with ``after_run=True`` waits for the script run that asked for it to end (s):
#: longer than a click's run, so that the click draws alone; short, so that a long run (a first visit) does not
#: hold back what it asked for (2 s made a first visit's incidents and at-risk list come ~1 s later).
AFTER_RUN_MAX = 0.75
_RUN = threading.local()


def _run_gate() -> threading.Event:
    """The current script run's gate: opened when the run ends (:func:`end_of_run`)."""
    gate = getattr(_RUN, "gate", None)
    if gate is None:
        gate = _RUN.gate = threading.Event()
    return gate


def end_of_run() -> None:
    """The script run on this thread has drawn its page (``ui.widgets.run_page``, also after ``end_page()``):
    the jobs it asked for with ``after_run=True`` start now."""
    gate, _RUN.gate = getattr(_RUN, "gate", None), None
    if gate is not None:
        gate.set()


class Job:
    """One piece of background work: ``done()`` without waiting, ``result()`` (raises its error)."""

    def __init__(self, future: concurrent.futures.Future, label: str, name: str = "",
                 gate: threading.Event | None = None, guess: _Guess | None = None):
        self.future, self.label, self.name, self.started = future, label, name, time.monotonic()
        self.gate = gate  # set: the job starts when the script run that asked for it has ended
        self.guess = guess  # set: a guess, which begins once the work pages asked for has ended
        future.add_done_callback(self._took)

    def _took(self, future: concurrent.futures.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            _TOOK[self.name] = time.monotonic() - self.started

    def cancel(self) -> bool:
        """Call the work off if it has not begun (queued, or a guess still waiting for the asked-for work to end);
        True when it will not run."""
        return self.future.cancel() or (self.guess is not None and self.guess.abandon())

    def called_off(self) -> bool:
        """Cancelled or abandoned before it began: it will never have a result."""
        return self.future.cancelled() or (self.guess is not None and self.guess.abandoned)

    def expected_left(self) -> float | None:
        """Seconds this job probably still needs: the last job of its function took that long from
        being asked for to done (None: no job of it has finished yet)."""
        took = _TOOK.get(self.name)
        return None if took is None else took - (time.monotonic() - self.started)

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None):
        return self.future.result(timeout)

    def wait(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for the work to end; True when it has."""
        concurrent.futures.wait([self.future], timeout=max(seconds, 0))
        return self.future.done()

    def failed_to_read(self) -> bool:
        """The work ended on a :class:`~cx.db.SourceError` (perhaps passing: the next call retries)."""
        return self.future.done() and isinstance(self.future.exception(), sources.SourceError)


#: How long the last finished job of each function took (seconds from being asked for to done).
_TOOK: dict[str, float] = {}


class _Jobs:
    """Jobs by function and key, the most recently used of each function kept (bounded by its own
    ``max_entries``: a function asked for often never pushes out another's jobs, such as a model fit
    that would then be redone), each dropped after ``ttl`` seconds. A key's first item is the function."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: dict[str, collections.OrderedDict] = collections.defaultdict(collections.OrderedDict)

    def get(self, key, submit, ttl: float, max_entries: int, take_over: bool = False) -> Job:
        """The live job under ``key``, else a new one from ``submit()``. ``take_over``: a page asks for the work
        itself, so a guess under the key that has not begun is called off and the work is asked for anew (on the
        workers that serve what pages ask for, not behind the guesses); a guess already running is waited for."""
        with self.lock:
            jobs = self.jobs[key[0]]
            job = jobs.get(key)
            if take_over and job is not None and job.guess is not None:
                job.cancel()
            if not self._live(job, ttl):
                job = jobs[key] = submit()
            jobs.move_to_end(key)
            while len(jobs) > max_entries:
                jobs.popitem(last=False)
            return job

    def all(self) -> list[Job]:
        with self.lock:
            return [job for jobs in self.jobs.values() for job in jobs.values()]

    def peek(self, key, ttl: float) -> Job | None:
        """The live job under ``key`` (not cancelled, failed to read or expired), or None."""
        with self.lock:
            job = self.jobs.get(key[0], {}).get(key)
        return job if self._live(job, ttl) else None

    @staticmethod
    def _live(job: Job | None, ttl: float) -> bool:
        return not (job is None or job.called_off() or job.failed_to_read()
                    or (job.done() and time.monotonic() - job.started > ttl))


@st.cache_resource(show_spinner=False)
def _shared_jobs() -> _Jobs:
    return _Jobs()


@st.cache_resource(show_spinner=False, scope="session")
def _session_jobs() -> _Jobs:
    return _Jobs()


def in_background(func=None, *, label: str = "", ttl: int = 3600, max_entries: int = 16, after_run: bool = False,
                  guess: bool = False):
    """Run ``func(source, *args, **kwargs)`` in a worker thread, once per source key and arguments.

    The wrapper returns a :class:`Job` at once. Jobs are shared as :func:`cached_by_source` shares
    results (:func:`ui.state.share_key`: the demo by every session, a warehouse table by the
    same user's sessions on the same connection); an upload's jobs are this session's only,
    released with it. The other arguments must be hashable values (a Scope, a tuple, a string), except keyword arguments
    whose name starts with ``_`` (as with ``st.cache_data``): they are passed but not part of the
    key, for inputs the other arguments already determine. The function must not call Streamlit.
    A session has one current job per function: asking it for other arguments cancels the previous
    job if that has not started yet. ``after_run``: the work starts only when the script run that asked
    for it has ended (at most :data:`AFTER_RUN_MAX` seconds later): a heavy job (a model fit) then does not
    share the cores and the GIL with the click that asked for it while that click draws its page.
    ``guess``: the work is a guess at what a page will ask for next (a read-ahead), run by the guesses' own
    worker (:data:`GUESS_WORKERS`) once no work a page asked for is left. A function asked for by one page can
    be guessed by another: ``many(..., guess=True)`` queues its calls as guesses, and the page's own call later
    takes over a guess that has not begun (:meth:`_Jobs.get`).
    """

    def wrap(f):
        name = f"{f.__code__.co_filename}:{f.__qualname__}"  # pages all run as __main__: the file tells them apart

        def where(source: Source, args, kwargs):
            who = state.share_key(source)
            key = (name, who, source.key, args,
                   tuple(sorted((k, v) for k, v in kwargs.items() if not k.startswith("_"))))
            return (_session_jobs() if who is None else _shared_jobs()), key

        def start(source: Source, args, kwargs, as_guess: bool, delay: float = 0.0) -> Job:
            if as_guess:
                state = _Guess()

                def guessed():
                    state.wait_for_asked_work()
                    return f(source, *args, **kwargs)

                future = _guess_later(delay, guessed) if delay > 0 else _guesses.submit(guessed)
                return Job(future, label or name, name, guess=state)
            gate = _run_gate() if after_run else None

            def asked():
                if gate is not None:
                    gate.wait(AFTER_RUN_MAX)
                return f(source, *args, **kwargs)

            with _asked:
                _ASKED_LEFT[0] += 1
            future = _executor.submit(asked)
            future.add_done_callback(_asked_done)  # also when cancelled
            return Job(future, label or name, name, gate)

        def submit(source: Source, args, kwargs, as_guess: bool = guess, delay: float = 0.0) -> Job:
            jobs, key = where(source, args, kwargs)
            return jobs.get(key, lambda: start(source, args, kwargs, as_guess, delay), ttl, max_entries,
                            take_over=not as_guess)

        @functools.wraps(f)
        def wrapper(source: Source, *args, **kwargs) -> Job:
            job = submit(source, args, kwargs)
            _supersede(name, (job,))
            return job

        pages_ask = not guess  # a function pages ask for, which another page may guess

        def many(source: Source, calls, *, guess: bool = guess, delay: float = 0.0) -> list[Job]:
            """One job for each ``(args, kwargs)`` of ``calls``, queued in that order, as this session's
            current jobs of the function: the jobs of its previous call that have not started are cancelled
            (no calls: all of them). ``guess``: queue them as guesses (the decorator's own setting by default); a
            function pages ask for keeps the jobs they asked for: only its earlier guesses are called off.
            ``delay``: a new guess begins no sooner than that many seconds from now (a guess that costs seconds
            of CPU then runs only once the session has stayed on its view that long, not under its clicks)."""
            jobs = [submit(source, tuple(args), dict(kwargs), guess, delay) for args, kwargs in calls]
            _supersede(name, tuple(jobs), guesses_only=guess and pages_ask)
            return jobs

        def asked(source: Source, *args, **kwargs) -> Job | None:
            """The job already asked for with these arguments (by this session, or shared with it), or
            None; asks for nothing."""
            jobs, key = where(source, args, kwargs)
            return jobs.peek(key, ttl)

        wrapper.asked, wrapper.many = asked, many
        return wrapper

    return wrap(func) if func is not None else wrap


_LATEST = "cx.jobs.latest"


def _supersede(name: str, jobs: tuple[Job, ...], guesses_only: bool = False) -> None:
    """This session now wants ``jobs`` from function ``name``: those it wanted before, if still queued,
    are cancelled (clicking through five filters queues one fit, not five). A cancelled job that another
    session asks for again is simply submitted again. ``guesses_only``: ``jobs`` are guesses, which call off
    only the guesses before them; a job a page asked for stays wanted."""
    latest = st.session_state.setdefault(_LATEST, {})
    kept = []
    for previous in latest.get(name, ()):
        if any(previous is job for job in jobs):
            continue
        if guesses_only and previous.guess is None:
            kept.append(previous)
        else:
            previous.cancel()  # only a job not yet begun can be called off
    latest[name] = (*kept, *jobs)


#: How long a click waits for a background job before it draws a progress line instead, and how often
#: a page with a progress line looks whether its job is done: a job that ends within the wait is drawn
#: at once; a longer one at most a poll later, while everything already known stays on screen. The
#: wait was 0.7 s: a new channel on Incidents answered in 1.28 s instead of 0.48 s (BENCHMARKS.md).
#: A 0.5 s poll was tried: its ticking progress line made new sessions settle later, for no gain.
WAIT_SECONDS = 0.3
POLL_SECONDS = 1.5


#: How many of the last durations of a kind of work :func:`record_seconds` keeps per key.
DURATIONS_KEPT = 5


@st.cache_resource(show_spinner=False)
def _durations() -> collections.defaultdict:
    """(kind of work, key) → its last :data:`DURATIONS_KEPT` durations; one store for the server."""
    return collections.defaultdict(lambda: collections.deque(maxlen=DURATIONS_KEPT))


def record_seconds(what: str, key: str, seconds: float) -> None:
    """Note that ``what`` (a week's review) took ``seconds`` on ``key`` (a source's key)."""
    _durations()[what, key].append(seconds)


def quickest_seconds(what: str, key: str) -> float | None:
    """The quickest of the last :data:`DURATIONS_KEPT` durations of ``what`` on ``key`` (None: never timed):
    what the work costs there when it has the cores to itself; one that ran beside a model fit took longer."""
    times = _durations().get((what, key))
    return min(times) if times else None


def seconds_from_env(name: str, default: float) -> float:
    """A number of seconds set by the environment variable ``name``, else (unset or not a number) ``default``."""
    try:
        return float(os.environ.get(name, str(default)))
    except ValueError:
        return default


def wait_seconds() -> float:
    """How long a page waits for a job before drawing a progress line instead (``CX_WAIT_SECONDS``).

    Short, so that a click answers at once; AppTest runs set it long (no browser to redraw the page).
    """
    return seconds_from_env("CX_WAIT_SECONDS", WAIT_SECONDS)


def ready(job: Job, message: str, key: str):
    """The job's result when it is done (its error raised), else None after drawing a progress line.

    The line says what is being computed and for how long; the page is redrawn as soon as the job
    ends (a fragment polls it every :data:`POLL_SECONDS`), so the caller just skips what needs the result.
    The progress line sits in a container keyed ``cx-pending-<key>`` (the bench waits for it to go).
    A job that clearly will not be done within the wait (judged by how long the last job of its
    function took), or that starts only when this run ends, is not waited for: the click answers
    without that pause.
    """
    wait, left = wait_seconds(), job.expected_left()
    if left is not None and left > 1.5 * wait and not job.done():
        wait = 0.0
    if job.gate is not None and not job.gate.is_set():  # it starts when this run ends (``after_run``)
        if wait >= AFTER_RUN_MAX:
            job.gate.set()  # a run that waits this long (tests, bare runs) lets it start now
        else:
            wait = 0.0
    if job.wait(wait) and not job.future.cancelled():
        return job.result()
    with st.container(key=f"cx-pending-{key}"):
        _poll(job, message)
    return None


@st.fragment(run_every=POLL_SECONDS)
def _poll(job: Job, message: str) -> None:
    if job.done():
        st.rerun()
    st.caption(f":material/hourglass_top: {message} ({time.monotonic() - job.started:.0f} s so far; "
               "the page fills in by itself when it is done, and the filters keep working meanwhile.)")


@cached_by_source
def _summary(source: Source) -> SourceSummary:
    return sources.summarize(source)


def source_summary(source: Source | None = None) -> SourceSummary:
    """Cached :func:`cx.db.source.summarize` of the current (or given) source (rules do not change it)."""
    loaded = state.loaded_source()
    if source is None or source.key.split("#rules-")[0] == loaded.key:
        source = loaded
    return _summary(source)


@cached_by_source
def segment_values(source: Source) -> list[str]:
    """The segments (at most 200; the rows' too where segment is kept per row), for the sidebar's segment filter."""
    return attribute_values(source, "segment")
