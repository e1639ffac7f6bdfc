"""ChatNotifier against a webhook served by `responses`; the webhook URL is a secret."""

from __future__ import annotations

import json
import logging
import traceback

import pytest
import requests
import responses
from pydantic import SecretStr

from ceph_tasks.errors import NotificationError
from ceph_tasks.notify.chat import ChatNotifier
from inventory.settings import ChatTarget
from tests.support.technicians import a_message

TOKEN = "T0AAAA/B0BBBB/xoxSeCrEtToKeN"
WEBHOOK = f"https://chat.example.net/hooks/{TOKEN}"


def notifier() -> ChatNotifier:
    return ChatNotifier(ChatTarget(webhook_url=SecretStr(WEBHOOK)))


def full_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


@responses.activate
def test_the_message_is_posted_as_json_text() -> None:
    responses.add(responses.POST, WEBHOOK, body="ok")
    assert notifier().notify(a_message()) == "chat"
    sent = json.loads(responses.calls[0].request.body or b"")
    assert "ZA1B2C3D" in sent["text"]
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [403, 404, 500])
@responses.activate
def test_a_refused_post_names_the_host_but_never_the_token(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.add(responses.POST, WEBHOOK, status=status, body="invalid_token")
    with pytest.raises(NotificationError) as caught:
        notifier().notify(a_message())
    assert "node2" in str(caught.value)
    assert f"answered {status}" in str(caught.value)
    assert "https://chat.example.net/<redacted>" in str(caught.value)
    assert TOKEN not in full_text(caught.value)
    assert TOKEN not in caplog.text


@responses.activate
def test_an_unreachable_webhook_hides_the_url_requests_would_quote() -> None:
    responses.add(
        responses.POST, WEBHOOK,
        body=requests.ConnectionError(f"Max retries exceeded with url: /hooks/{TOKEN}"),
    )
    with pytest.raises(NotificationError, match="ConnectionError") as caught:
        notifier().notify(a_message())
    assert caught.value.__cause__ is None
    assert TOKEN not in full_text(caught.value)


def test_the_token_is_not_in_the_repr() -> None:
    assert TOKEN not in repr(notifier())
    assert "chat.example.net" in repr(notifier())
