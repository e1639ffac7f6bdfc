"""A real SMTP server (aiosmtpd) on a free loopback port, optionally with STARTTLS and login."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.services import free_port


@dataclass
class Mailbox:
    """What the server received: parsed messages and their envelope recipients."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep the message."""
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class SmtpServer:
    """A running server: where it listens and what it got."""

    host: str
    port: int
    mailbox: Mailbox


def self_signed_certificate(workdir: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1 made with the openssl CLI: (cert, key)."""
    cert, key = workdir / "smtp-cert.pem", workdir / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@contextmanager
def private_smtp(
    *, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
) -> Iterator[SmtpServer]:
    """Run aiosmtpd on loopback; with tls, STARTTLS is required; with login, AUTH is too."""
    mailbox = Mailbox()
    options: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        options |= {"tls_context": context, "require_starttls": True}
    if login is not None:
        user, password = login

        def check(server: Any, session: Any, envelope: Any, mechanism: str,
                  data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(), data.password.decode()) == (user, password)
            # handled=False: aiosmtpd itself answers 235 or 535.
            return AuthResult(success=ok, handled=False)

        options |= {"authenticator": check, "auth_required": True}
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()
