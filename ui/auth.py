"""Sign-in: who may see the dashboard, the sign-in screen, and the gate on Streamlit's own endpoints.

Sign-in is off by default. When ``[auth]`` is present in ``.streamlit/secrets.toml`` the app uses
Streamlit's OIDC sign-in (``st.login``, which needs Authlib), and only addresses on the allow-list
in ``[access]`` get in::

    [access]
    allowed = ["alice@example.com", "@example.org"]   # an entry starting with @ is a whole domain

The rules fail closed: an empty or missing allow-list lets nobody in, an address the identity
provider has not verified (``email_verified`` false or absent) is refused, and an unreadable
secrets file keeps everyone out rather than switching sign-in off.

Three layers use the same rule (:func:`refusal`):

- :func:`require_sign_in`, called by the router (app.py) before any page: signed-out visitors see
  only the sign-in screen, on every page and deep link;
- :class:`SignInGate`, ASGI middleware that ``serve.py`` puts in front of Streamlit's own HTTP
  endpoints, which never run the script: ``/_stcore/metrics`` (session counts, cache names and
  sizes), uploads, media, component files and the agent API answer 403 to anyone not admitted;
- the page gate refuses to show anything when sign-in is configured but the server was started
  without the middleware (``streamlit run app.py`` instead of ``make run`` / ``cx app`` /
  ``streamlit run serve.py``), since those endpoints would then be open.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from collections.abc import Iterable, Mapping

import streamlit as st

from cx.db import Access, url_entry_allowed, visitor_access

# --- the rules (pure) ------------------------------------------------------------------------


def normalise_allow_list(entries: Iterable[str] | str | None) -> tuple[str, ...]:
    """Lower-cased, stripped entries; a comma-separated string is accepted too."""
    if entries is None:
        return ()
    if isinstance(entries, str):
        entries = entries.split(",")
    return tuple(e.strip().lower() for e in entries if isinstance(e, str) and e.strip())


def is_allowed(email: str | None, allowed: Iterable[str] | str | None) -> bool:
    """Whether a signed-in address is on the allow-list (exact address or ``@domain``).

    Examples
    --------
    >>> is_allowed("Ann@Example.org", ["@example.org"])
    True
    >>> is_allowed("ann@example.org.evil.com", ["@example.org"])
    False
    """
    if not isinstance(email, str) or "@" not in email:
        return False
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[1]
    for entry in normalise_allow_list(allowed):
        if entry.startswith("@") and domain == entry:
            return True
        if email == entry:
            return True
    return False


def email_is_verified(claims: Mapping) -> bool:
    """Whether the identity provider vouches for the address: ``email_verified`` is true.

    Some providers send the claim as the string ``"true"``; anything else (false, absent, null)
    counts as unverified, because an unverified address is one anybody could have typed.
    """
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def refusal(user: Mapping, allowed: Iterable[str] | str | None) -> str | None:
    """Why this user may not see the dashboard (a sentence safe to show), or None when admitted.

    ``user`` is what Streamlit knows of the visitor (``st.user``: ``is_logged_in`` and the identity
    token's claims).

    Examples
    --------
    >>> refusal({"is_logged_in": True, "email": "ann@example.org", "email_verified": True}, ["@example.org"])
    >>> refusal({"is_logged_in": True, "email": "ann@example.org", "email_verified": False}, ["@example.org"])
    'The identity provider has not verified this e-mail address, so it cannot be matched against the allow-list.'
    """
    if not user.get("is_logged_in"):
        return "Not signed in."
    email = user.get("email")
    if not isinstance(email, str) or "@" not in email:
        return "This account has no e-mail address, so it cannot be matched against the allow-list."
    if not email_is_verified(user):
        return ("The identity provider has not verified this e-mail address, so it cannot be matched "
                "against the allow-list.")
    if not normalise_allow_list(allowed):
        return "Nobody is on this dashboard's allow-list yet ([access] allowed in secrets.toml)."
    if not is_allowed(email, allowed):
        return "This address is not on this dashboard's allow-list. Ask its administrator for access."
    return None


# --- the settings (secrets.toml) --------------------------------------------------------------

_PROVIDER_KEYS = ("client_id", "server_metadata_url")


@dataclasses.dataclass(frozen=True)
class SignInSettings:
    """What ``[auth]`` and ``[access]`` say. ``problem`` set means nobody can get in (fail closed)."""

    configured: bool
    allowed: tuple[str, ...] = ()
    providers: tuple[str | None, ...] = ()  # None is the default provider (keys directly under [auth])
    problem: str | None = None


def secrets_section(name: str) -> dict:
    """One section of secrets.toml as a dict; empty when there is no file or it cannot be read."""
    try:
        return dict(st.secrets.get(name, {}) or {})
    except FileNotFoundError:  # no secrets.toml at all (or one that does not parse)
        return {}
    except Exception:  # a malformed secrets.toml must not crash every page
        return {}


def _section(secrets: Mapping, name: str) -> dict:
    value = secrets.get(name) or {}
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def sign_in_settings() -> SignInSettings:
    """Read ``[auth]`` and ``[access]`` now (secrets.toml edits apply to the next request)."""
    try:
        auth = _section(st.secrets, "auth")
        allowed = normalise_allow_list(_section(st.secrets, "access").get("allowed"))
    except FileNotFoundError as exc:
        if getattr(exc, "error_id", None) == "no-secrets-found":
            return SignInSettings(configured=False)
        return SignInSettings(True, problem="The secrets file (.streamlit/secrets.toml) cannot be read, so "
                                            "nobody can sign in until it is fixed.")
    except Exception:
        return SignInSettings(True, problem="The [auth] or [access] settings in secrets.toml cannot be read, "
                                            "so nobody can sign in until they are fixed.")
    if not auth:
        return SignInSettings(configured=False)
    named = [name for name, value in auth.items()
             if isinstance(value, Mapping) and all(k in value for k in _PROVIDER_KEYS)]
    providers = tuple(([None] if all(k in auth for k in _PROVIDER_KEYS) else []) + named)
    from streamlit.auth_util import is_authlib_installed

    if not is_authlib_installed():
        problem = ("Sign-in is configured, but Authlib (which Streamlit's sign-in needs) is not installed: "
                   "run `make install`, or `pip install 'streamlit[auth]'`.")
    elif not auth.get("cookie_secret") or not auth.get("redirect_uri"):
        problem = "[auth] in secrets.toml needs redirect_uri and cookie_secret."
    elif not providers:
        problem = "[auth] in secrets.toml names no identity provider (client_id and server_metadata_url)."
    else:
        problem = None
    return SignInSettings(True, allowed, providers, problem)


# --- the page gate (called by app.py before any page) -----------------------------------------


def require_sign_in() -> None:
    """When ``[auth]`` is configured, stop the run for anyone not signed in and admitted.

    Off by default: without ``[auth]`` in secrets.toml this does nothing.
    """
    settings = sign_in_settings()
    if not settings.configured:
        return
    problem = settings.problem or (None if gate_in_front() else (
        "Sign-in is configured, but this server was started without its sign-in gate, which keeps "
        "Streamlit's own endpoints (such as /_stcore/metrics) closed to strangers. Start it with "
        "`make run`, `cx app` or `streamlit run serve.py`."))
    if problem:
        _stop_with(problem)
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        st.title("CX Dashboard")
        st.write("Sign in with your company account to see the dashboard.")
        for provider in settings.providers:
            label = "Sign in" if provider is None else f"Sign in with {provider}"
            if st.button(label, type="primary", key=f"auth.login.{provider or 'default'}"):
                _login(provider)
        st.stop()
    reason = refusal(user, settings.allowed)
    if reason:
        _stop_with(reason, user.get("email"))
    st.sidebar.text(f"Signed in as {user['email']}")
    st.sidebar.button("Sign out", on_click=st.logout, key="auth.logout")


def _login(provider: str | None) -> None:
    from streamlit.errors import StreamlitAuthError

    try:
        st.login(provider)
    except StreamlitAuthError as exc:  # a misconfigured [auth]: say so, never a traceback
        st.error("Sign-in is not configured correctly ([auth] in secrets.toml):")
        st.text(str(exc))


def _stop_with(reason: str, email: object = None) -> None:
    st.title("CX Dashboard")
    st.error(reason)
    if isinstance(email, str) and email:
        st.text(f"Signed in as {email}")  # plain text: the address comes from outside
    if st.user.get("is_logged_in"):
        st.button("Sign out", on_click=st.logout, key="auth.logout")
    st.stop()


# --- the server gate (ASGI middleware, installed by serve.py) ----------------------------------

# Streamlit's own endpoints that never run the script. A signed-out visitor's browser needs only
# the health check, the host configuration and the WebSocket (where the page gate above runs),
# plus the sign-in routes and the frontend's files, which lie outside these prefixes.
CLOSED_PREFIXES = ("/_stcore/", "/media/", "/component/", "/app/static/")
OPEN_TO_VISITORS = frozenset({"/_stcore/health", "/_stcore/host-config", "/_stcore/stream"})

_gate_state = {"installed": False}


def gate_in_front() -> bool:
    """Whether :class:`SignInGate` wraps this server (true when no server runs, e.g. under AppTest).

    Streamlit records how this process serves (``streamlit run`` of a script, of an ``st.App``, an
    ASGI server) in ``config._server_mode``; AppTest leaves it unset.
    """
    from streamlit import config

    return _gate_state["installed"] or getattr(config, "_server_mode", None) is None


def closed_to_visitors(path: str, base_url_path: str = "") -> bool:
    """Whether a request path reaches an endpoint that only admitted users may use.

    The path is normalised first (repeated slashes, dot segments, case), so that no spelling of
    ``/_stcore/metrics`` slips past.

    Examples
    --------
    >>> closed_to_visitors("/_stcore/metrics")
    True
    >>> closed_to_visitors("//_stcore/./health/")
    False
    >>> closed_to_visitors("/trends")
    False
    """
    # POSIX keeps a leading "//" through normpath, so slashes are collapsed after prefixing one.
    path = posixpath.normpath(re.sub(r"/+", "/", "/" + (path or ""))).lower()
    base = "/" + (base_url_path or "").strip("/").lower()
    if base != "/" and (path == base or path.startswith(base + "/")):
        path = path[len(base):] or "/"
    if path in OPEN_TO_VISITORS:
        return False
    return any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in CLOSED_PREFIXES)


def signed_in_user(cookies: Mapping[str, str]) -> dict:
    """The identity in Streamlit's signed sign-in cookie (as ``st.user`` would see it), else ``{}``.

    The cookie is the one Streamlit sets after the OIDC callback, signed with ``cookie_secret``; a
    forged or tampered cookie decodes to nothing.
    """
    from streamlit.auth_util import get_cookie_with_chunks
    from streamlit.web.server.server_util import get_cookie_secret
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

    secret = get_cookie_secret()

    def single(name: str) -> bytes | None:
        raw = cookies.get(name)
        # HTTP cookies are latin-1 on the wire; Streamlit decodes them the same way.
        return None if raw is None else decode_signed_value(secret, name, raw.encode("latin-1"))

    try:
        payload = json.loads(get_cookie_with_chunks(single, USER_COOKIE_NAME) or b"null")
    except (ValueError, UnicodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


class SignInGate:
    """ASGI middleware: Streamlit's internal endpoints answer 403 to anyone sign-in does not admit.

    Inactive while sign-in is off. Used through ``st.App(..., middleware=[Middleware(SignInGate)])``
    in serve.py; the page gate checks that it is there.
    """

    def __init__(self, app) -> None:
        self.app = app
        _gate_state["installed"] = True

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self._refused(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            from starlette.responses import PlainTextResponse

            response = PlainTextResponse("Sign in to use this dashboard.", status_code=403,
                                         headers={"Cache-Control": "no-store"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _refused(scope) -> bool:
        from streamlit import config

        if not closed_to_visitors(scope.get("path", "/"), config.get_option("server.baseUrlPath")):
            return False
        settings = sign_in_settings()
        if not settings.configured:
            return False
        if settings.problem:
            return True
        from starlette.requests import HTTPConnection

        return refusal(signed_in_user(HTTPConnection(scope).cookies), settings.allowed) is not None


def named_connections() -> dict[str, str]:
    """``[connections.<name>] url = …`` from secrets.toml: warehouses the operator named (name → URL)."""
    found = {}
    for name, settings in secrets_section("connections").items():
        try:
            url = settings.get("url") if hasattr(settings, "get") else None
        except Exception:  # a malformed block: skip it, never crash the page
            url = None
        if url:
            found[str(name)] = str(url)
    return found


def url_entry_access() -> Access | None:
    """What a URL typed on the Data page may reach, or None while typing URLs is off (the default).

    On with ``allow_url_entry = true`` under ``[access]``; ``data_folders`` and ``allowed_hosts``
    there restrict it (see :func:`cx.db.visitor_access`).
    """
    settings = secrets_section("access")
    return visitor_access(settings) if url_entry_allowed(settings) else None
