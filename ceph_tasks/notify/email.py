"""E-mail notifications over SMTP, with STARTTLS and login when the inventory asks."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from ceph_tasks.errors import NotificationError
from ceph_tasks.notify.message import TechnicianMessage
from inventory.settings import EmailTarget

log = logging.getLogger(__name__)

#: Seconds for the connection and each SMTP command; a dead relay must not hang a worker.
DEFAULT_SMTP_TIMEOUT = 30.0

REFERENCE_HEADER = "X-Cephmaint-Reference"


def build_email(message: TechnicianMessage, target: EmailTarget, message_id: str) -> EmailMessage:
    """The mail for a technician message, from the target's sender to its recipients."""
    # The default 78-column folding breaks a long Subject right after "Subject:", and
    # readers then show it with a leading space; RFC 5322 allows lines up to 998.
    mail = EmailMessage(policy=policy.default.clone(max_line_length=998))
    mail["Subject"] = message.subject
    mail["From"] = target.sender
    mail["To"] = ", ".join(target.recipients)
    mail["Message-ID"] = message_id
    # Lets mail rules (and people) find every mail of one maintenance.
    mail[REFERENCE_HEADER] = message.reference
    mail.set_content(message.body)
    return mail


class EmailNotifier:
    """Sends technician messages through the target's SMTP relay."""

    def __init__(
        self,
        target: EmailTarget,
        *,
        timeout: float = DEFAULT_SMTP_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    ) -> None:
        self._target = target
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._smtp_factory = smtp_factory

    def __repr__(self) -> str:
        t = self._target
        return (
            f"EmailNotifier(relay={t.smtp_host}:{t.smtp_port}, starttls={t.starttls}, "
            f"user={t.user!r})"
        )

    def notify(self, message: TechnicianMessage) -> str:
        """Send the mail; return its Message-ID."""
        target = self._target
        domain = target.sender.rsplit("@", 1)[-1]
        mail = build_email(message, target, make_msgid(domain=domain))
        relay = f"{target.smtp_host}:{target.smtp_port}"
        try:
            with self._smtp_factory(
                target.smtp_host, target.smtp_port, timeout=self._timeout
            ) as smtp:
                smtp.ehlo()
                if target.starttls:
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if target.user is not None and target.password is not None:
                    smtp.login(target.user, target.password.get_secret_value())
                refused = smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as e:
            raise NotificationError(
                f"e-mail for host {message.host} (ref {message.reference}) through SMTP "
                f"{relay} failed: {type(e).__name__}: {e}"
            ) from e
        if refused:
            log.warning("SMTP %s refused some recipients: %s", relay, sorted(refused))
        log.info("e-mail sent for host %s (ref %s) via %s", message.host, message.reference, relay)
        return str(mail["Message-ID"])
