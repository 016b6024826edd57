"""Sign-in rules, settings, Streamlit's identity cookie and the gate on Streamlit's own endpoints."""

import json
import secrets

import pytest

from ui import auth
from ui.auth import (
    SignInGate,
    SignInSettings,
    closed_to_visitors,
    is_allowed,
    normalise_allow_list,
    refusal,
    signed_in_user,
)

SECRET = "a-cookie-secret-for-tests-only-0123456789"


@pytest.mark.parametrize(
    ("email", "allowed", "expected"),
    [
        ("ann@example.org", ["ann@example.org"], True),
        ("ANN@Example.org ", ["ann@example.org"], True),
        ("bob@example.org", ["@example.org"], True),
        ("bob@sub.example.org", ["@example.org"], False),
        ("bob@example.org.evil.com", ["@example.org"], False),
        ("eve@evil.com", ["ann@example.org", "@example.org"], False),
        ("ann@example.org", [], False),
        ("ann@example.org", None, False),
        (None, ["@example.org"], False),
        ("not-an-address", ["not-an-address"], False),
        ("ann@example.org", "x@y.z, @example.org", True),
        (["ann@example.org"], ["ann@example.org"], False),  # a claim of the wrong type is no address
    ],
)
def test_allow_list(email, allowed, expected):
    assert is_allowed(email, allowed) is expected


def test_normalise_drops_blanks():
    assert normalise_allow_list(" A@B.c ,, ") == ("a@b.c",)
    assert normalise_allow_list(["a@b.c", 3, None, " "]) == ("a@b.c",)


ANN = {"is_logged_in": True, "email": "ann@example.org", "email_verified": True}


@pytest.mark.parametrize(
    ("user", "allowed", "reason"),
    [
        (ANN, ["@example.org"], None),
        ({**ANN, "email_verified": "true"}, ["@example.org"], None),  # some providers send a string
        ({**ANN, "email_verified": False}, ["@example.org"], "not verified"),
        ({**ANN, "email_verified": "false"}, ["@example.org"], "not verified"),
        ({**ANN, "email_verified": None}, ["@example.org"], "not verified"),
        ({**ANN, "email_verified": 1}, ["@example.org"], "not verified"),
        ({k: v for k, v in ANN.items() if k != "email_verified"}, ["@example.org"], "not verified"),
        ({**ANN, "email": None}, ["@example.org"], "no e-mail address"),
        ({"is_logged_in": True, "email_verified": True}, ["@example.org"], "no e-mail address"),
        (ANN, [], "Nobody is on"),
        (ANN, None, "Nobody is on"),
        (ANN, ["@example.com"], "not on this dashboard's allow-list"),
        ({**ANN, "is_logged_in": False}, ["@example.org"], "Not signed in"),
        ({}, ["@example.org"], "Not signed in"),
    ],
)
def test_refusal(user, allowed, reason):
    got = refusal(user, allowed)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got


# --- settings ---------------------------------------------------------------------------------


class _NoSecrets:
    def __init__(self, error_id):
        self.error_id = error_id

    def get(self, name, default=None):
        exc = FileNotFoundError("secrets")
        exc.error_id = self.error_id
        raise exc


AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": SECRET, "client_id": "cx",
        "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def _settings(monkeypatch, secrets, authlib=True) -> SignInSettings:
    import streamlit.auth_util

    monkeypatch.setattr(auth.st, "secrets", secrets)
    monkeypatch.setattr(streamlit.auth_util, "is_authlib_installed", lambda: authlib)
    return auth.sign_in_settings()


def test_settings_off_without_auth(monkeypatch):
    assert not _settings(monkeypatch, {}).configured
    assert not _settings(monkeypatch, {"connections": {"warehouse": {"url": "duckdb://"}}}).configured
    assert not _settings(monkeypatch, _NoSecrets("no-secrets-found")).configured


def test_settings_read_the_allow_list_and_providers(monkeypatch):
    settings = _settings(monkeypatch, {"auth": AUTH, "access": {"allowed": ["Ann@Example.org", "@team.org"]}})
    assert settings == SignInSettings(True, ("ann@example.org", "@team.org"), (None,), None)
    named = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": SECRET,
             "okta": {"client_id": "a", "client_secret": "b", "server_metadata_url": "https://o/x"},
             "google": {"client_id": "c", "client_secret": "d", "server_metadata_url": "https://g/x"}}
    assert _settings(monkeypatch, {"auth": named}).providers == ("okta", "google")


@pytest.mark.parametrize(
    ("secrets", "authlib", "problem"),
    [
        ({"auth": AUTH}, False, "Authlib"),
        ({"auth": {k: v for k, v in AUTH.items() if k != "cookie_secret"}}, True, "cookie_secret"),
        ({"auth": {"redirect_uri": "x", "cookie_secret": "y"}}, True, "no identity provider"),
        (_NoSecrets("failed-parsing-secrets-file"), True, "cannot be read"),
    ],
    ids=["authlib-missing", "no-cookie-secret", "no-provider", "unreadable-secrets"],
)
def test_misconfigured_sign_in_fails_closed(monkeypatch, secrets, authlib, problem):
    settings = _settings(monkeypatch, secrets, authlib)
    assert settings.configured and problem in settings.problem


# --- the server gate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "base", "closed"),
    [
        ("/_stcore/metrics", "", True),
        ("/_stcore/metrics/", "", True),
        ("//_stcore/metrics", "", True),
        ("/_stcore/./metrics", "", True),
        ("/x/../_stcore/metrics", "", True),
        ("/_STCORE/Metrics", "", True),
        ("/_stcore/agent/interact", "", True),
        ("/_stcore/upload_file/s/f", "", True),
        ("/_stcore/bidi-components/x.js", "", True),
        ("/media/abc.png", "", True),
        ("/component/x/index.html", "", True),
        ("/app/static/logo.png", "", True),
        ("/_stcore", "", True),
        ("/_stcore/health", "", False),
        ("/_stcore/host-config", "", False),
        ("/_stcore/stream", "", False),
        ("/", "", False),
        ("/trends", "", False),
        ("/static/js/main.js", "", False),
        ("/auth/login", "", False),
        ("/oauth2callback", "", False),
        ("/cx/_stcore/metrics", "cx", True),
        ("/cx/_stcore/health", "/cx/", False),
        ("/cx/trends", "cx", False),
    ],
)
def test_closed_to_visitors(path, base, closed):
    assert closed_to_visitors(path, base) is closed


def _cookie(payload: dict, secret: str = SECRET) -> dict:
    """Cookies as Streamlit's /oauth2callback sets them (chunked when large)."""
    from streamlit.auth_util import set_cookie_with_chunks
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    def sign(name: str, value: str) -> bytes:
        return create_signed_value(secret, name, value)

    jar: dict[str, str] = {}
    set_cookie_with_chunks(lambda name, value: jar.__setitem__(name, sign(name, value).decode()), sign,
                           "_streamlit_user", payload, cookie_attr_size=60)
    return jar


@pytest.fixture
def cookie_secret(monkeypatch):
    import streamlit.web.server.server_util

    monkeypatch.setattr(streamlit.web.server.server_util, "get_cookie_secret", lambda: SECRET)


def test_signed_in_user_reads_streamlits_cookie(cookie_secret):
    assert signed_in_user(_cookie(ANN)) == ANN
    big = {**ANN, "groups": [secrets.token_hex(20) for _ in range(200)]}  # > 4 kB: Streamlit splits it
    jar = _cookie(big)
    assert len(jar) > 1 and signed_in_user(jar) == big


@pytest.mark.parametrize(
    "jar",
    [
        {},
        {"_streamlit_user": json.dumps(ANN)},  # unsigned
        "forged",
        {"_streamlit_user": "garbage.with.dots"},
    ],
)
def test_signed_in_user_ignores_forgeries(cookie_secret, jar):
    if jar == "forged":
        jar = _cookie(ANN, secret="not-the-secret")
    assert signed_in_user(jar) == {}


class _Client:
    """Plain ASGI calls through the gate to an app that answers 200 to everything."""

    def __init__(self, monkeypatch, settings: SignInSettings) -> None:
        monkeypatch.setattr(auth, "sign_in_settings", lambda: settings)

        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"data"})

        self.gate = SignInGate(app)

    def get(self, path: str, cookies: dict | None = None) -> int:
        import asyncio
        import concurrent.futures

        cookie = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "scheme": "http", "server": ("127.0.0.1", 8501),
                 "headers": [(b"cookie", cookie.encode("latin-1"))] if cookie else []}
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        # in a thread of its own: an earlier test (Playwright's sync API) may leave an event loop
        # running in this one, and asyncio.run refuses to nest
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, self.gate(scope, receive, send)).result()
        return next(m["status"] for m in sent if m["type"] == "http.response.start")


ON = SignInSettings(True, ("@example.org",), (None,), None)


def test_gate_is_open_while_sign_in_is_off(monkeypatch):
    client = _Client(monkeypatch, SignInSettings(configured=False))
    assert client.get("/_stcore/metrics") == 200


def test_gate_closes_internals_to_visitors_only(monkeypatch, cookie_secret):
    client = _Client(monkeypatch, ON)
    assert client.get("/_stcore/metrics") == 403
    assert client.get("/media/x.png") == 403
    assert client.get("/_stcore/health") == 200
    assert client.get("/trends") == 200  # the page itself shows the sign-in screen
    assert client.get("/_stcore/metrics", cookies=_cookie(ANN)) == 200


@pytest.mark.parametrize(
    "user",
    [{**ANN, "email_verified": False}, {**ANN, "email": "eve@evil.com"}, {**ANN, "is_logged_in": False}],
    ids=["unverified", "not-on-the-list", "signed-out"],
)
def test_gate_refuses_who_the_page_refuses(monkeypatch, cookie_secret, user):
    assert _Client(monkeypatch, ON).get("/_stcore/metrics", cookies=_cookie(user)) == 403


def test_gate_fails_closed_on_a_misconfiguration(monkeypatch, cookie_secret):
    broken = SignInSettings(True, ("@example.org",), (None,), "Authlib is not installed")
    assert _Client(monkeypatch, broken).get("/_stcore/metrics", cookies=_cookie(ANN)) == 403


def test_the_gate_announces_itself(monkeypatch):
    """The page gate refuses to show anything on a real server that lacks the middleware."""
    from streamlit import config

    assert hasattr(config, "_server_mode")  # what gate_in_front reads: fail here if Streamlit renames it
    monkeypatch.setitem(auth._gate_state, "installed", False)
    monkeypatch.setattr(config, "_server_mode", None)
    assert auth.gate_in_front()  # no server (AppTest, notebooks): nothing to guard
    monkeypatch.setattr(config, "_server_mode", "starlette-managed")  # `streamlit run app.py`
    assert not auth.gate_in_front()
    SignInGate(app=None)
    assert auth.gate_in_front()
