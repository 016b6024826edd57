"""Delivery end to end against a local SMTP server and a local HTTP receiver on 127.0.0.1 (started
here): the e-mail and the webhook arrive, nothing is sent twice, failures are retried a bounded
number of times and end in one line without secrets."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cx import cli
from cx.db.write import AppStore
from cx.loop import delivery
from cx.loop.delivery import DeliveryConfig, Message

PASSWORD = "s3cret-Pa55"
HOOK_SECRET = "T000/B000/XXXXSECRET"


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server = self.server
        self.reply("220 localhost test SMTP")
        rcpt, sender = [], None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-localhost\r\n250-AUTH PLAIN\r\n250 SIZE 10000000\r\n")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                server.logins.append((user.decode(), password.decode()))
                self.reply("235 ok")
            elif verb == "MAIL":
                sender = command[10:].split(">")[0].strip("<")
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt.append(command[8:].strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.mails.append((sender, list(rcpt), email.message_from_bytes(data, policy=email.policy.default)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def smtp_server():
    server = _SMTPServer(("127.0.0.1", 0), _SMTPHandler)
    server.mails, server.logins = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver():
    """An HTTP receiver: records JSON posts; answers with ``server.status`` (200 by default)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.server.posts.append((self.path, json.loads(body)))
            self.send_response(self.server.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.posts, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def store(tmp_path):
    return AppStore(f"sqlite:///{tmp_path / 'app.sqlite'}")


def _config(smtp_server, receiver) -> DeliveryConfig:
    return DeliveryConfig(f"smtp://cx%40example.org:{PASSWORD}@127.0.0.1:{smtp_server.server_address[1]}",
                          "cx@example.org", ("lead@example.org", "ops@example.org"),
                          f"http://127.0.0.1:{receiver.server_address[1]}/services/{HOOK_SECRET}")


MESSAGE = Message("CX alerts", "• CSAT · chat", "<p>CSAT <b>chat</b></p>", [("r.pdf", b"%PDF-1.4 test", "application/pdf")])


def test_email_and_webhook_arrive_once(store, smtp_server, receiver):
    config = _config(smtp_server, receiver)
    outcomes = delivery.deliver(store, config, ["alert|demo|a"], lambda new: MESSAGE, backoff=0)
    assert [(o.channel, o.status, o.attempts) for o in outcomes] == [("email", "sent", 1), ("webhook", "sent", 1)]
    (sender, rcpt, mail), = smtp_server.mails
    assert sender == "cx@example.org" and rcpt == ["lead@example.org", "ops@example.org"]
    assert smtp_server.logins == [("cx@example.org", PASSWORD)]
    assert mail["Subject"] == "CX alerts"
    assert "<b>chat</b>" in mail.get_body(("html",)).get_content()
    attachment, = mail.iter_attachments()
    assert attachment.get_filename() == "r.pdf" and attachment.get_content() == b"%PDF-1.4 test"
    (path, payload), = receiver.posts
    assert path == f"/services/{HOOK_SECRET}" and set(payload) == {"text"} and "CSAT · chat" in payload["text"]
    again = delivery.deliver(store, config, ["alert|demo|a"], lambda new: MESSAGE, backoff=0)
    assert [o.status for o in again] == ["already sent", "already sent"]
    assert len(smtp_server.mails) == 1 and len(receiver.posts) == 1
    built = []
    delivery.deliver(store, config, ["alert|demo|a", "alert|demo|b"], lambda new: built.append(new) or MESSAGE, backoff=0)
    assert built == [["alert|demo|b"], ["alert|demo|b"]]  # only what is new, on each channel


def test_a_failing_receiver_is_retried_then_reported_without_secrets(store, smtp_server, receiver):
    receiver.status = 500
    config = _config(smtp_server, receiver)
    outcomes = delivery.deliver(store, config, ["review|demo|2026-W11"], lambda new: MESSAGE, attempts=3, backoff=0)
    assert [o.status for o in outcomes] == ["sent", "failed"]
    assert len(receiver.posts) == 3  # bounded: three tries, then give up
    line = delivery.failure_line(outcomes)
    assert line == "webhook failed after 3 attempts: HTTP 500 Internal Server Error"
    assert not delivery.already_sent(store, "review|demo|2026-W11", "webhook")  # the next run tries again
    dead = DeliveryConfig(f"smtp://u:{PASSWORD}@127.0.0.1:1", None, ("a@example.org",), None)
    failed, = delivery.deliver(store, dead, ["x"], lambda new: MESSAGE, attempts=2, backoff=0)
    assert failed.status == "failed" and "cannot reach the server" in failed.detail and PASSWORD not in failed.detail


def test_configuration_from_secrets_toml_environment_first(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[delivery]\nsmtp_url = "smtps://u:pw@mail.example.org:465"\nmail_to = ["a@x.org", "b@x.org"]\n'
                       'webhook_url = "https://hooks.example.org/services/T/B/SECRET"\n')
    config = delivery.delivery_config({}, secrets)
    assert config.channels == ["email", "webhook"] and config.mail_to == ("a@x.org", "b@x.org")
    shown = config.describe() + repr(config)
    assert "pw" not in shown.replace("pw@", "") and "SECRET" not in shown and ":***@mail.example.org" in shown
    assert delivery.delivery_config({"CX_MAIL_TO": "c@x.org"}, secrets).mail_to == ("c@x.org",)
    assert delivery.delivery_config({}, tmp_path / "none.toml").channels == []


def _env(monkeypatch, tmp_path, smtp_server, receiver):
    config = _config(smtp_server, receiver)
    monkeypatch.setenv("CX_APP_DB", f"sqlite:///{tmp_path / 'cli_app.sqlite'}")
    monkeypatch.setenv("CX_SMTP_URL", config.smtp_url)
    monkeypatch.setenv("CX_MAIL_TO", ",".join(config.mail_to))
    monkeypatch.setenv("CX_WEBHOOK_URL", config.webhook_url)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml of the checkout


def test_cx_alerts_send_delivers_the_outage_once(demo_path, tmp_path, monkeypatch, capsys, smtp_server, receiver):
    _env(monkeypatch, tmp_path, smtp_server, receiver)
    args = ["alerts", "--source", str(demo_path), "--week", "2026-W11", "--send", "--format", "json"]
    assert cli.main(args) == 0
    out, err = capsys.readouterr()
    records = json.loads(out)
    assert {r["channel"] for r in records if r["fired"]} == {"chat"} and len(records) > 10
    assert "alerts sent by email" in err and "alerts sent by webhook" in err
    assert PASSWORD not in out + err and HOOK_SECRET not in out + err
    (_, _, mail), = smtp_server.mails
    assert "2026-W11" in mail["Subject"] and "CSAT · chat" in mail.get_body(("plain",)).get_content()
    assert "false discovery rate" in receiver.posts[0][1]["text"]
    assert cli.main(args) == 0  # again: nothing new
    assert "already sent" in capsys.readouterr().err
    assert len(smtp_server.mails) == 1 and len(receiver.posts) == 1
    receiver.status = 503
    monkeypatch.setattr(delivery, "ATTEMPTS", 2)
    assert cli.main(["alerts", "--source", str(demo_path), "--week", "2026-W12", "--send"]) == 0  # nothing fired


@pytest.mark.slow  # two weekly reviews of the demo
def test_cx_review_send_once_per_week_and_one_line_on_failure(demo_path, tmp_path, monkeypatch, capsys,
                                                               smtp_server, receiver):
    from cx.review import export

    _env(monkeypatch, tmp_path, smtp_server, receiver)
    monkeypatch.setattr(delivery.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(export, "pdf_bytes", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("no Chromium here")))
    receiver.status = 500
    args = ["review", "--source", str(demo_path), "--week", "2026-W11", "--send"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "cx review: webhook failed after 3 attempts: HTTP 500 Internal Server Error"
    assert HOOK_SECRET not in err and PASSWORD not in err and len(receiver.posts) == 3
    (_, _, mail), = smtp_server.mails  # the e-mail went: the report in the body, the reason the PDF is missing
    body = mail.get_body(("html",)).get_content()
    assert "2026-W11" in body and "<script" not in body
    assert "PDF could not be built: no Chromium here" in mail.get_body(("plain",)).get_content()
    receiver.status = 200
    assert cli.main(args) == 0  # the retry run: the webhook now, the e-mail not a second time
    assert "sent by webhook" in capsys.readouterr().err
    assert len(smtp_server.mails) == 1 and len(receiver.posts) == 4


def test_the_review_message_attaches_the_pdf():
    from types import SimpleNamespace

    from cx.loop import notify

    review = SimpleNamespace(week="2026-W11", source_label="demo", sentences=[SimpleNamespace(text="CSAT fell.")])
    message = notify.review_message(review, "<p>report</p>", b"%PDF-1.7", None)
    assert message.attachments == [("cx-review-2026-W11.pdf", b"%PDF-1.7", "application/pdf")]
    assert "CSAT fell." in message.text and message.html == "<p>report</p>"
