"""Playwright against the real app: `streamlit run app.py` on a free port, driven in the system Chromium.

Never a downloaded browser. Without Chromium these tests skip with one line, unless
CX_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure. Each test leaves a screenshot
under test-results/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cx import demo

ROOT = Path(__file__).resolve().parents[2]
#: The apps running now: their process and log, for the failure report (pytest_runtest_makereport).
SERVERS: dict[str, tuple[subprocess.Popen, Path]] = {}
RESULTS = ROOT / "test-results"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CX_REQUIRE_BROWSER"):
            pytest.fail("CX_REQUIRE_BROWSER is set but no Chromium was found at /usr/bin/chromium")
        pytest.skip("no system Chromium (apt-get install chromium): browser tests skipped")
    return path


@pytest.fixture(scope="session")
def e2e_demo(tmp_path_factory) -> Path:
    """A small demo warehouse for the served app (same generator, fewer rows)."""
    path = tmp_path_factory.mktemp("e2e") / "demo.duckdb"
    demo.generate(path, customers=3000, interactions=45_000)
    return path


@contextlib.contextmanager
def running_app(demo_path: Path, script: str = "serve.py", port: int | None = None, extra_args: tuple = (),
                root: Path = ROOT):
    """Run ``streamlit run <script>`` (serve.py: what `make run` starts) from ``root`` on loopback; yield its base URL.

    Waits for the health check (which runs no script: the first page request is still the caller's);
    always stops the server. ``port`` is for callers that must know it before the start;
    ``extra_args`` go to streamlit (e.g. --secrets.files); ``root`` is the app's folder (its
    .streamlit/ config is read from there).
    """
    port = port or _free_port()
    env = {**os.environ, "CX_DEMO_PATH": str(demo_path), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    log = open(tmp_log := (demo_path.parent / f"streamlit-{port}.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *extra_args],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"the app did not start: {tmp_log.read_text()[-2000:]}")
            time.sleep(0.3)
        if script == "serve.py":  # it dumps its threads on SIGUSR1 (to anything else, the signal is fatal)
            SERVERS[base] = (proc, tmp_log)
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(chromium, e2e_demo):
    """Start the real app on a free port; yield its base URL; always stop it."""
    with running_app(e2e_demo) as base:
        yield base


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; a screenshot of the final state is saved per test."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    RESULTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


#: The page at rest: the script's run has ended (a run has drawn something: before the first run starts the page
#: is empty and not running either), no element is left stale or waits for its code (a grey skeleton
#: while a new browser loads the code of its first table or chart), and no slow part (a churn fit, a
#: bootstrap, the rest of a new browser's first page) is still coming behind a progress line (``ui.cache.ready``
#: and ``ui.widgets.top_first`` draw them in ``cx-pending-*`` containers, and a rerun replaces them).
AT_REST = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid=stMain] [data-testid=stElementContainer]') !== null
    && !document.querySelector("[class*='st-key-cx-pending-']") && !document.querySelector('[data-stale=true]')
    && !document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]');
}"""


def wait_for_app(page, timeout: float = 60_000, pending_timeout: float = 240_000) -> None:
    """Wait until the page is whole: :data:`AT_REST`, and still so 300 ms later (a rerun the page asked for,
    such as the rest of a new browser's first page, starts within that). Each look is one reading of the page,
    so a rerun that starts between two checks is not missed. The longer of ``timeout`` (once a run's bound)
    and ``pending_timeout`` bounds the whole wait, slow parts included."""
    deadline = time.monotonic() + max(timeout, pending_timeout) / 1000
    while True:
        left = max(1.0, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(AT_REST, timeout=left, polling=100)
        page.wait_for_timeout(300)
        if page.evaluate(AT_REST):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not come to rest")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what each running app was doing: its threads' stacks (serve.py dumps
    them on SIGUSR1) and the end of its log, so a page that never finished its run can be explained."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or not SERVERS:
        return
    for base, (proc, log) in list(SERVERS.items()):
        if proc.poll() is None and hasattr(signal, "SIGUSR1"):
            proc.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
        lines = log.read_text(errors="replace").splitlines()
        report.sections.append((f"app at {base}: threads and the end of its log", "\n".join(lines[-250:])))
