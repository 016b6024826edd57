"""Sign-in end to end: a local OIDC provider, the real server (`streamlit run serve.py`) and Chromium.

The test starts its own OpenID Connect provider on 127.0.0.1 (tests/e2e/oidc_provider.py), writes a
secrets.toml whose [auth] points at it, and starts the app the way `make run` does. Chromium then
goes through the real flow: the Sign in button, Streamlit's /auth/login, the provider's authorize
endpoint, /oauth2callback (code exchange, id_token signature check against the provider's JWKS),
and back to the dashboard with Streamlit's signed identity cookie.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from .conftest import _free_port, running_app, wait_for_app
from .oidc_provider import OIDCProvider

pytestmark = pytest.mark.e2e

ALLOWED = ["ann@example.org", "@team.example.org"]
REFUSAL = "[data-testid=stAlertContentError]"


def _status(url: str, headers: dict | None = None) -> int:
    """HTTP status of a GET without following redirects (a 30x counts as itself)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def signin_secrets(tmp_path_factory):
    """A provider on loopback and a secrets.toml pointing at it, for an app on ``port``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with OIDCProvider(client_id="cx-dashboard", client_secret=secrets.token_urlsafe(16),
                      redirect_uri=f"{base}/oauth2callback") as provider:
        path = tmp_path_factory.mktemp("signin") / "secrets.toml"
        cookie_secret = secrets.token_urlsafe(32)
        path.write_text(
            "[auth]\n"
            f'redirect_uri = "{base}/oauth2callback"\n'
            f'cookie_secret = "{cookie_secret}"\n'
            f'client_id = "{provider.client_id}"\n'
            f'client_secret = "{provider.client_secret}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
            "\n[access]\n"
            f"allowed = {json.dumps(ALLOWED)}\n"
        )
        yield SimpleNamespace(port=port, path=path, provider=provider, cookie_secret=cookie_secret)


@pytest.fixture(scope="module")
def server(chromium, e2e_demo, signin_secrets):
    """The app as `make run` starts it (serve.py), signing in through the local provider."""
    with running_app(e2e_demo, "serve.py", signin_secrets.port, ("--secrets.files", str(signin_secrets.path))) as url:
        yield SimpleNamespace(url=url, provider=signin_secrets.provider, cookie_secret=signin_secrets.cookie_secret)


def _sign_in(page, server, user: dict) -> dict:
    """Open the dashboard signed out, press Sign in and go through the provider as ``user``.

    Returns the claims of the id_token the provider issued (proof that the code exchange happened).
    """
    server.provider.user = user
    issued = len(server.provider.tokens_issued)
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    deadline = time.time() + 60
    while len(server.provider.tokens_issued) == issued:
        assert time.time() < deadline, f"no token was issued; the provider saw {server.provider.log[-10:]}"
        page.wait_for_timeout(200)
    page.wait_for_url(f"{server.url}/", timeout=60_000)  # /oauth2callback sends the browser home
    wait_for_app(page)
    return server.provider.tokens_issued[-1]


def _sees_nothing_of_the_dashboard(page) -> None:
    assert page.locator("[data-testid=stSidebarNav]").count() == 0
    for data in ("[data-testid=stMetricValue]", ".js-plotly-plot", "[data-testid=stDataFrame]",
                 "[data-testid=stException]"):
        assert page.locator(data).count() == 0, data
    assert "Weekly review" not in page.locator("[data-testid=stMain]").inner_text()


@pytest.mark.parametrize("path", ["/", "/trends?metric=csat&by=channel", "/data", "/incidents?customer=C00001",
                                  "/churn"], ids=["home", "trends", "data", "incidents", "churn"])
def test_signed_out_visitors_see_only_the_sign_in_screen(server, page, path):
    page.goto(server.url + path)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").wait_for()
    _sees_nothing_of_the_dashboard(page)


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics?families=cache_memory_bytes",
                                  "//_stcore/metrics", "/_stcore/./metrics", "/_STCORE/metrics",
                                  "/_stcore/agent/openapi.json", "/media/anything.png",
                                  "/_stcore/upload_file/session/file"],
                         ids=["metrics", "metrics-family", "double-slash", "dot-segment", "upper-case", "agent-api",
                              "media", "upload"])
def test_streamlit_internals_are_closed_to_signed_out_visitors(server, path):
    assert _status(server.url + "/_stcore/health") == 200  # the server answers; the gate is what refuses
    assert _status(server.url + path) == 403


def test_a_forged_sign_in_cookie_opens_nothing(server):
    """A cookie signed with another secret (or unsigned) is no identity."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    payload = ('{"is_logged_in": true, "email": "ann@example.org", "email_verified": true, '
               f'"origin": "{server.url}", "provider": "default"}}')
    forged = create_signed_value("not-the-secret", "_streamlit_user", payload).decode()
    assert _status(server.url + "/_stcore/metrics", {"Cookie": f"_streamlit_user={forged}"}) == 403
    genuine = create_signed_value(server.cookie_secret, "_streamlit_user", payload).decode()
    assert _status(server.url + "/_stcore/metrics", {"Cookie": f"_streamlit_user={genuine}"}) == 200


def test_an_allowed_verified_user_signs_in_and_sees_the_overview(server, page):
    claims = _sign_in(page, server, {"sub": "ann", "email": "ann@example.org", "email_verified": True})
    assert claims["email"] == "ann@example.org" and claims["aud"] == "cx-dashboard"
    page.get_by_role("heading", name=re.compile(r"^Weekly review")).wait_for(timeout=90_000)
    wait_for_app(page)
    assert "Overview" in page.locator("[data-testid=stSidebarNav]").inner_text()
    assert "Signed in as ann@example.org" in page.locator("[data-testid=stSidebar]").inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    # the provider saw the whole flow: discovery, authorize, the code exchange, the key set
    assert {"GET /.well-known/openid-configuration", "GET /authorize", "POST /token", "GET /jwks"} <= set(
        server.provider.log)
    # with the identity cookie, the operator's endpoints answer
    assert page.context.request.get(server.url + "/_stcore/metrics").status == 200


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ({"sub": "eve", "email": "eve@evil.example", "email_verified": True}, "not on this dashboard's allow-list"),
        ({"sub": "mal", "email": "ann@example.org", "email_verified": False}, "has not verified this e-mail"),
        ({"sub": "old", "email": "bob@team.example.org"}, "has not verified this e-mail"),
        ({"sub": "nomail", "name": "No Mail"}, "has no e-mail address"),
    ],
    ids=["not-on-the-list", "email-unverified", "email-verified-missing", "no-email"],
)
def test_a_user_sign_in_does_not_admit_is_refused(server, page, user, reason):
    assert _sign_in(page, server, user)["sub"] == user["sub"]  # signed in at the provider, refused here
    page.locator(REFUSAL).wait_for(timeout=60_000)
    assert reason in page.locator(REFUSAL).inner_text()
    _sees_nothing_of_the_dashboard(page)
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.context.request.get(server.url + "/_stcore/metrics").status == 403


def test_without_serve_py_a_configured_sign_in_shows_nothing(e2e_demo, signin_secrets, page):
    """`streamlit run app.py` lacks the gate on Streamlit's endpoints: with [auth] set it refuses to serve."""
    with running_app(e2e_demo, "app.py", extra_args=("--secrets.files", str(signin_secrets.path))) as url:
        assert _status(url + "/_stcore/metrics") == 200  # what serve.py exists to close
        page.goto(url + "/trends")
        wait_for_app(page)
        assert "without its sign-in gate" in page.locator(REFUSAL).inner_text()
        assert page.get_by_role("button", name="Sign in").count() == 0
        _sees_nothing_of_the_dashboard(page)
