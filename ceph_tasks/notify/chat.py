"""Chat incoming-webhook notifications (Slack, Mattermost, Rocket.Chat all read "text")."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests

from ceph_tasks.errors import NotificationError
from ceph_tasks.http import DEFAULT_TIMEOUT, call
from ceph_tasks.notify.message import TechnicianMessage
from inventory.settings import ChatTarget

log = logging.getLogger(__name__)


def chat_payload(message: TechnicianMessage) -> dict[str, Any]:
    """The JSON posted to the webhook: subject as the first line, then the body."""
    return {"text": f"*{message.subject}*\n{message.body}"}


class _RedactWebhookPaths(logging.Filter):
    """Replaces registered webhook paths in log records by '<redacted>'."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        hits = [path for path in self.paths if path in text]
        if hits:
            for path in hits:
                text = text.replace(path, "/<redacted>")
            record.msg, record.args = text, ()
        return True


# urllib3 logs every request line, path included, at DEBUG: for a webhook the path is
# the token, so it is scrubbed there before any handler sees it.
_URLLIB3_REDACTION = _RedactWebhookPaths()
logging.getLogger("urllib3.connectionpool").addFilter(_URLLIB3_REDACTION)


def redacted_webhook(url: str) -> str:
    """Only scheme and host of a webhook URL: its path and query are the credential."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/<redacted>"


class ChatNotifier:
    """Posts technician messages to a chat incoming webhook."""

    def __init__(
        self,
        target: ChatTarget,
        *,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._webhook = target.webhook_url
        parts = urlsplit(target.webhook_url.get_secret_value())
        if parts.path not in ("", "/"):
            _URLLIB3_REDACTION.paths.add(parts.path)
        self._session = session or requests.Session()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"ChatNotifier(webhook={redacted_webhook(self._webhook.get_secret_value())!r})"

    def notify(self, message: TechnicianMessage) -> str:
        """Post the message; return 'chat' (webhooks give no id back)."""
        url = self._webhook.get_secret_value()
        # requests' exceptions quote the full URL, token included: show a redacted form
        # and do not chain them, so no traceback or log line can carry the token.
        call(
            self._session, "POST", url,
            doing=f"chat notification for host {message.host} (ref {message.reference})",
            error=NotificationError, shown_url=redacted_webhook(url), chain_cause=False,
            ok=(200, 201, 202, 204), timeout=self._timeout, json=chat_payload(message),
        )
        log.info("chat notification sent for host %s (ref %s)", message.host, message.reference)
        return "chat"
