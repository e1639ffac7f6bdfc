"""ChatNotifier against a real HTTP server on loopback: the token stays out of every log."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from pydantic import SecretStr

from ceph_tasks.notify.chat import ChatNotifier
from inventory.settings import ChatTarget
from tests.support.technicians import a_message

pytestmark = pytest.mark.integration

TOKEN = "T0AAAA/B0BBBB/xoxLiveSeCrEt"


class Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test server quiet."""


@pytest.fixture
def webhook_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_post_is_received_and_debug_logs_hide_the_token(
    webhook_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ChatNotifier(ChatTarget(webhook_url=SecretStr(webhook_url)), timeout=5).notify(a_message())
    assert "ZA1B2C3D" in Webhook.received[-1]["text"]
    assert "POST /<redacted>" in caplog.text
    assert TOKEN not in caplog.text
