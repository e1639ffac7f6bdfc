"""The Celery dispatcher: one publish batch per send, no result backend, errors it maps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from kombu.exceptions import BatchPublishError

from dyrygent.errors import DispatchError
from dyrygent.processor import Send
from dyrygent.tasks import CeleryDispatcher


class Producer:
    """Stands in for kombu's producer: records batches, can fail their flush."""

    def __init__(self, fail_flush: bool) -> None:
        self.fail_flush = fail_flush
        self.batches = 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self.batches += 1
        yield
        if self.fail_flush:
            raise BatchPublishError("Redis publish batch failed; delivery is uncertain")


def rig(monkeypatch: pytest.MonkeyPatch, fail_flush: bool = False
        ) -> tuple[CeleryDispatcher, Producer, list[dict[str, Any]]]:
    app = Celery("dispatcher-test", set_as_current=False)
    producer = Producer(fail_flush)
    sent: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def acquire(*_: Any, **__: Any) -> Iterator[Producer]:
        yield producer

    monkeypatch.setattr(app, "producer_or_acquire", acquire)
    monkeypatch.setattr(app, "send_task", lambda name, **kw: sent.append({"name": name, **kw}))
    return CeleryDispatcher(app), producer, sent


def messages(n: int) -> list[Send]:
    return [Send(task="t", args=[], kwargs={}, task_id=f"dy-w-{i}-1", options={"queue": "q"})
            for i in range(n)]


def test_one_batch_per_send_and_no_result_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    dispatcher, producer, sent = rig(monkeypatch)
    dispatcher.send(messages(3))
    assert producer.batches == 1
    assert [m["task_id"] for m in sent] == ["dy-w-0-1", "dy-w-1-1", "dy-w-2-1"]
    assert all(m["ignore_result"] is True and m["queue"] == "q" for m in sent)


def test_a_failed_batch_flush_is_a_dispatch_error(monkeypatch: pytest.MonkeyPatch) -> None:
    dispatcher, _, _ = rig(monkeypatch, fail_flush=True)
    with pytest.raises(DispatchError, match="could not publish 2 node tasks"):
        dispatcher.send(messages(2))
