"""Delivery: the weekly report and the alerts by e-mail (SMTP) and webhook (Slack-style JSON).

Configuration comes from the environment or from ``[delivery]`` in ``.streamlit/secrets.toml``
(environment first): ``CX_SMTP_URL`` (``smtp://host:port`` or ``smtps://`` for TLS, optional
``user:password@``), ``CX_MAIL_FROM``, ``CX_MAIL_TO`` (comma-separated), ``CX_WEBHOOK_URL``. The
secrets.toml keys are the same names in lower case without ``CX_`` (``smtp_url``, ``mail_to``…).
Secrets are never printed: every message about a failure is scrubbed of the URLs' passwords (and of
a webhook's path, which is its secret).

Idempotent: what was delivered on each channel is remembered in the app-owned database
(:data:`cx.loop.tables.DELIVERIES`), so the same alert or the same week's report is not sent twice.
A failed send is retried a bounded number of times (:data:`ATTEMPTS`) before it is reported.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
import tomllib

from cx.db.errors import safe_url, scrub
from cx.db.write import now
from cx.loop.tables import DELIVERIES, ready

ATTEMPTS = 3
TIMEOUT = 20.0
SECRETS = Path(".streamlit/secrets.toml")
_KEYS = ("CX_SMTP_URL", "CX_MAIL_FROM", "CX_MAIL_TO", "CX_WEBHOOK_URL")


class DeliveryError(RuntimeError):
    """Delivery is impossible as configured (nothing configured, a malformed URL); safe to show."""


@dataclass(frozen=True)
class DeliveryConfig:
    """Where messages go. ``repr`` and :meth:`describe` never show a password or a webhook's path."""

    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str | None = None
    mail_to: tuple[str, ...] = ()
    webhook_url: str | None = field(default=None, repr=False)

    @property
    def channels(self) -> list[str]:
        """The channels configured: ``email`` (an SMTP URL and recipients) and/or ``webhook``."""
        return (["email"] if self.smtp_url and self.mail_to else []) + (["webhook"] if self.webhook_url else [])

    def describe(self) -> str:
        parts = []
        if "email" in self.channels:
            parts.append(f"e-mail to {', '.join(self.mail_to)} via {safe_url(self.smtp_url)}")
        if self.webhook_url:
            parts.append(f"webhook {_webhook_label(self.webhook_url)}")
        return "; ".join(parts) or "nothing configured"

    def scrub(self, message: object) -> str:
        """``message`` with every secret of this configuration masked."""
        text = scrub(message, self.smtp_url) if self.smtp_url else str(message)
        if self.webhook_url:
            text = scrub(text, self.webhook_url).replace(self.webhook_url, _webhook_label(self.webhook_url))
            path = urlsplit(self.webhook_url).path
            if len(path) > 1:
                text = text.replace(path, "/***")
        return text


def _webhook_label(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/***"


def delivery_config(env: Mapping[str, str] | None = None, secrets: Path | None = None) -> DeliveryConfig:
    """The delivery settings: the environment first, then ``[delivery]`` in ``.streamlit/secrets.toml``."""
    env = os.environ if env is None else env
    section: dict = {}
    path = SECRETS if secrets is None else secrets
    if path.is_file():
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("delivery", {}) or {}
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DeliveryError(f"{path} cannot be read as TOML: {exc}") from None
    values = {}
    for key in _KEYS:
        short = key.removeprefix("CX_").lower()
        values[short] = env.get(key) or section.get(short) or section.get(key) or None
    to = values["mail_to"]
    to = [t.strip() for t in (to.split(",") if isinstance(to, str) else (to or [])) if str(t).strip()]
    return DeliveryConfig(values["smtp_url"], values["mail_from"], tuple(to), values["webhook_url"])


@dataclass(frozen=True)
class Message:
    """What is sent: a subject, plain text (the webhook's ``text``), HTML for the e-mail body, attachments."""

    subject: str
    text: str
    html: str | None = None
    attachments: Sequence[tuple[str, bytes, str]] = ()  # (file name, content, MIME type)


# --- the two channels --------------------------------------------------------------------------


def send_email(config: DeliveryConfig, message: Message, timeout: float = TIMEOUT) -> None:
    """One e-mail to every recipient: HTML body (text alternative), attachments; raises on failure."""
    parts = urlsplit(config.smtp_url or "")
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise DeliveryError(f"CX_SMTP_URL {safe_url(config.smtp_url or '')!r} is not smtp://host:port or smtps://host:port")
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = config.mail_from or f"cx-dashboard@{parts.hostname}"
    mail["To"] = ", ".join(config.mail_to)
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for name, content, mime in message.attachments:
        maintype, subtype = mime.split("/", 1)
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(parts.hostname, port, timeout=timeout)
    with client:
        if parts.scheme == "smtp":
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(mail)


def send_webhook(config: DeliveryConfig, message: Message, timeout: float = TIMEOUT) -> None:
    """POST ``{"text": ...}`` (what Slack, Mattermost and Teams' incoming webhooks accept); raises unless 2xx."""
    url = config.webhook_url or ""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("CX_WEBHOOK_URL must be an http:// or https:// address")
    body = json.dumps({"text": f"*{message.subject}*\n{message.text}"}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "cx-dashboard"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (scheme checked above)
        if not 200 <= response.status < 300:
            raise DeliveryError(f"the webhook answered HTTP {response.status}")


SENDERS: dict[str, Callable[[DeliveryConfig, Message], None]] = {"email": send_email, "webhook": send_webhook}


# --- idempotent, retried delivery --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened on one channel: ``sent``, ``already sent`` or ``failed`` (``detail`` says why, scrubbed)."""

    channel: str
    status: str
    attempts: int = 0
    detail: str = ""


def already_sent(store, key: str, channel: str) -> bool:
    ready(store)
    with store.engine.connect() as con:
        return con.execute(sa.select(DELIVERIES.c.id).where(DELIVERIES.c.key == key[:400],
                                                            DELIVERIES.c.channel == channel)).first() is not None


def _remember(store, keys: Sequence[str], channel: str, attempts: int) -> None:
    with store.engine.begin() as con:
        for key in keys:
            try:
                with con.begin_nested():
                    con.execute(DELIVERIES.insert().values(key=key[:400], channel=channel, sent_at=now(),
                                                           attempts=attempts))
            except sa.exc.IntegrityError:
                continue  # another process recorded it first: it was sent


def deliver(store, config: DeliveryConfig, keys: Sequence[str], build: Callable[[Sequence[str]], Message | None], *,
            attempts: int = ATTEMPTS, backoff: float = 1.0, senders: Mapping | None = None) -> list[Outcome]:
    """Send what is new on every configured channel, each at most once.

    Parameters
    ----------
    keys : sequence of str
        What this delivery is made of (one key per alert, or the week's report): on each channel
        only the keys not delivered there before are sent.
    build : callable
        ``build(new_keys) -> Message`` for the keys still to send on a channel (None: nothing to say).
    attempts : int
        Tries per channel before giving up (waiting ``backoff``, then twice as long, between tries).

    Returns
    -------
    list of Outcome
        One per configured channel.
    """
    if not config.channels:
        raise DeliveryError("nothing to send to: set CX_SMTP_URL and CX_MAIL_TO, or CX_WEBHOOK_URL "
                            "(or [delivery] in .streamlit/secrets.toml)")
    senders = senders or SENDERS
    outcomes = []
    for channel in config.channels:
        new = [k for k in keys if not already_sent(store, k, channel)]
        message = build(new) if new else None
        if message is None:
            outcomes.append(Outcome(channel, "already sent"))
            continue
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                senders[channel](config, message)
            except (OSError, smtplib.SMTPException, urllib.error.URLError, DeliveryError, ValueError) as exc:
                error = config.scrub(_reason(exc))
                if attempt < attempts:
                    time.sleep(backoff * 2 ** (attempt - 1))
                continue
            _remember(store, new, channel, attempt)
            outcomes.append(Outcome(channel, "sent", attempt, f"{len(new)} item{'s' if len(new) != 1 else ''}"))
            break
        else:
            outcomes.append(Outcome(channel, "failed", attempts, error))
    return outcomes


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot reach the webhook ({exc.reason})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the SMTP server refused the user name or password"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the SMTP server answered {exc.smtp_code}"
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)) and not isinstance(exc, smtplib.SMTPException):
        return f"cannot reach the server ({type(exc).__name__}: {exc.strerror or exc})"
    return str(exc) or type(exc).__name__


def failure_line(outcomes: Sequence[Outcome]) -> str | None:
    """One line naming every failed channel (None when none failed)."""
    failed = [o for o in outcomes if o.status == "failed"]
    if not failed:
        return None
    return "; ".join(f"{o.channel} failed after {o.attempts} attempt{'s' if o.attempts != 1 else ''}: {o.detail}"
                     for o in failed)


__all__ = ["ATTEMPTS", "DeliveryConfig", "DeliveryError", "Message", "Outcome", "already_sent", "deliver",
           "delivery_config", "failure_line", "send_email", "send_webhook"]
