"""A small OpenID Connect provider for tests, on 127.0.0.1 only.

It speaks the authorization-code flow the way a real provider does, so the app's sign-in is tested
end to end without the internet: a discovery document, an authorize endpoint that approves the
configured user at once (no login form), a token endpoint that checks the client's secret, the
code, the redirect URI and PKCE and returns an RS256-signed ``id_token``, and the JWKS that
verifies it. Set ``provider.user`` to the claims the next sign-in should carry.

    with OIDCProvider(client_id="cx", client_secret="s", redirect_uri=".../oauth2callback") as idp:
        idp.user = {"sub": "1", "email": "ann@example.org", "email_verified": True}
        ...  # [auth] server_metadata_url = idp.metadata_url
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class OIDCProvider:
    """An OIDC provider that signs in ``self.user`` whenever asked; see the module docstring."""

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.user: dict = {}
        self.log: list[str] = []  # "METHOD /path" of every request, for the test to inspect
        self.tokens_issued: list[dict] = []  # the claims of every id_token handed out
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self._codes: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def start(self) -> OIDCProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- what the endpoints answer ------------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict:
        numbers = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self._kid,
                          "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}]}

    def sign(self, claims: dict) -> str:
        """An RS256 JWT over ``claims`` with this provider's key."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self._kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """Approve the configured user: (status, redirect location or error text)."""
        if query.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        if query.get("redirect_uri") != self.redirect_uri:
            return 400, "redirect_uri is not registered for this client"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 400, "only the authorization-code flow with scope openid is supported"
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            return 400, "only S256 PKCE is supported"
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"user": dict(self.user), "nonce": query.get("nonce"),
                                 "challenge": query.get("code_challenge"), "redirect_uri": query["redirect_uri"]}
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        return 302, f"{self.redirect_uri}?{urlencode(params)}"

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict]:
        """Exchange a code for tokens: (status, JSON body)."""
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            client_id, client_secret = unquote_plus(user), unquote_plus(password)  # RFC 6749 §2.3.1
        if client_id != self.client_id or not hmac.compare_digest(client_secret or "", self.client_secret):
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"}
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 600,
                  "sub": grant["user"].get("sub", "user"), **grant["user"]}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        self.tokens_issued.append(claims)
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 600,
                     "scope": "openid email profile", "id_token": self.sign(claims)}

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: the test reads provider.log instead
                pass

            def _send(self, status: int, body: bytes = b"", content_type: str = "application/json",
                      location: str | None = None) -> None:
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                url = urlsplit(self.path)
                provider.log.append(f"GET {url.path}")
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, json.dumps(provider.metadata()).encode())
                elif url.path == "/jwks":
                    self._send(200, json.dumps(provider.jwks()).encode())
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    status, target = provider.authorize(query)
                    if status == 302:
                        self._send(302, b"", "text/plain", location=target)
                    else:
                        self._send(status, target.encode(), "text/plain")
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                provider.log.append(f"POST {url.path}")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if url.path != "/token":
                    self._send(404, b"not found", "text/plain")
                    return
                status, body = provider.token(form, self.headers.get("Authorization"))
                self._send(status, json.dumps(body).encode())

        return Handler
