"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 and a free port, keeping what it receives."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.refused_recipients: set[str] = set()
        self.logins = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused_recipients:
            return "550 Mailbox unavailable: refused by the test"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "554 Transaction failed: refused by the test"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


class SmtpSink:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.handler = _Handler()
        extra = {}
        if credentials:
            # Plain-text AUTH is acceptable on the loopback of a test only.
            extra = dict(
                auth_require_tls=False,
                authenticator=lambda *args: _check(credentials, *args),
            )
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **extra)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def refuse(self, value: bool = True) -> None:
        self.handler.refuse = value

    def refuse_recipient(self, address: str) -> None:
        """Refuse one mailbox only: the other messages of the same batch go through."""
        self.handler.refused_recipients.add(address)


def _check(credentials, _server, _session, _envelope, _mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        == credentials
    )
    if ok:
        _server.event_handler.logins += 1
    return AuthResult(success=ok)


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else ""
