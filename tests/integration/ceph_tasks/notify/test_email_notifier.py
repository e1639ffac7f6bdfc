"""EmailNotifier against a real SMTP server on loopback."""

from __future__ import annotations

import logging
import ssl
import traceback
from pathlib import Path

import pytest
from pydantic import SecretStr

from ceph_tasks.errors import NotificationError
from ceph_tasks.notify.email import EmailNotifier
from inventory.settings import EmailTarget
from tests.support.services import free_port
from tests.support.smtp import private_smtp, self_signed_certificate
from tests.support.technicians import a_message

pytestmark = pytest.mark.integration

PASSWORD = "smtp-Pa55-w0rd"


def target(port: int, **extra: object) -> EmailTarget:
    return EmailTarget(
        smtp_host="127.0.0.1", smtp_port=port, sender="cephmaint@example.net",
        recipients=("dc1@example.net", "storage@example.net"), **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


def test_the_mail_reaches_every_recipient_with_the_location_and_reference() -> None:
    with private_smtp() as server:
        message_id = EmailNotifier(target(server.port), timeout=5).notify(a_message())
    [mail] = server.mailbox.messages
    assert server.mailbox.recipients == [["dc1@example.net", "storage@example.net"]]
    assert mail["Message-ID"] == message_id
    assert mail["Subject"] == a_message().subject
    assert mail["X-Cephmaint-Reference"] == "wf-42-node2"
    body = mail.get_payload(decode=True).decode()
    for text in ("DC1", "R2", "A7", "node2", "bay 3", "ZA1B2C3D", "wf-42-node2"):
        assert text in body


def test_starttls_and_login_are_used_when_configured(certificate: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with private_smtp(tls=certificate, login=("cephmaint", PASSWORD)) as server:
        settings = target(server.port, starttls=True, user="cephmaint",
                          password=SecretStr(PASSWORD))
        EmailNotifier(settings, timeout=5, ssl_context=context).notify(a_message())
    assert len(server.mailbox.messages) == 1


def test_a_server_requiring_starttls_refuses_a_plain_client(
    certificate: tuple[Path, Path],
) -> None:
    with private_smtp(tls=certificate) as server, pytest.raises(
        NotificationError, match=rf"node2.*127\.0\.0\.1:{server.port}"
    ):
        EmailNotifier(target(server.port), timeout=5).notify(a_message())


def test_a_wrong_password_fails_without_showing_it(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with private_smtp(tls=certificate, login=("cephmaint", "another")) as server:
        settings = target(server.port, starttls=True, user="cephmaint",
                          password=SecretStr(PASSWORD))
        notifier = EmailNotifier(settings, timeout=5, ssl_context=context)
        with pytest.raises(NotificationError, match="SMTPAuthenticationError") as caught:
            notifier.notify(a_message())
    assert PASSWORD not in "".join(traceback.format_exception(caught.value))
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(notifier)
    assert server.mailbox.messages == []


def test_an_untrusted_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    with private_smtp(tls=certificate) as server, pytest.raises(
        NotificationError, match="SSLCertVerificationError"
    ):
        EmailNotifier(target(server.port, starttls=True), timeout=5).notify(a_message())


def test_a_relay_that_is_down_is_a_notification_error_naming_host_and_relay() -> None:
    port = free_port()
    with pytest.raises(NotificationError, match=rf"node2.*127\.0\.0\.1:{port}") as caught:
        EmailNotifier(target(port), timeout=2).notify(a_message())
    assert isinstance(caught.value.__cause__, OSError)
