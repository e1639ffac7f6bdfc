"""Celery app the integration tests run in real worker subprocesses."""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery

from dyrygent.processor import Settings
from dyrygent.tasks import register_workflow_processor

BROKER = os.environ.get("DYRYGENT_TEST_BROKER", "redis://127.0.0.1:6379/1")
STATE = os.environ.get("DYRYGENT_TEST_STATE", "redis://127.0.0.1:6379/2")
BACKEND = os.environ.get("DYRYGENT_TEST_BACKEND", STATE)
PREFIX = os.environ.get("DYRYGENT_TEST_PREFIX", "dyrygent")

app = Celery("dyrygent_test", broker=BROKER, backend=BACKEND)
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
    # A killed worker's unacked Redis messages come back after this many seconds.
    broker_transport_options={"visibility_timeout": 4},
    result_expires=600, worker_hijack_root_logger=False,
)
processor = register_workflow_processor(
    app, redis_url=STATE, prefix=PREFIX,
    settings=Settings(tick_interval=0.5, unconfirmed_after=3.0, lost_after=5.0))

_counter = redis.Redis.from_url(STATE, decode_responses=True)


def _count(task: Any, tag: str) -> None:
    # Counts body executions per node (dyrygent ids) or per tag (plain Celery runs).
    key = task.request.id if str(task.request.id).startswith("dy-") else tag
    _counter.hincrby(f"{PREFIX}:execs", key.rsplit("-", 1)[0] if key.startswith("dy-") else key)
    _counter.rpush(f"{PREFIX}:order", tag)


@app.task(bind=True)
def t(self: Any, *args: Any, tag: str = "") -> list[Any]:
    """Record an execution and return the tag with what it received."""
    _count(self, tag)
    return [tag, list(args)]


@app.task(bind=True)
def slow(self: Any, *args: Any, tag: str = "", seconds: float = 1.0) -> list[Any]:
    """Like t, after sleeping."""
    _count(self, tag)
    time.sleep(seconds)
    return [tag, list(args)]


@app.task(bind=True)
def boom(self: Any, *args: Any, tag: str = "") -> None:
    """Fail unless the flag key says to succeed."""
    _count(self, tag)
    if _counter.get(f"{PREFIX}:heal:{tag}"):
        return None
    raise ValueError(f"boom {tag}")


@app.task(bind=True, max_retries=None)
def until(self: Any, *args: Any, tag: str = "", times: int = 3) -> str:
    """Repeat with self.retry until called `times` times (a 'wait until healthy')."""
    n = _counter.hincrby(f"{PREFIX}:tries", tag, 1)
    if n < times:
        raise self.retry(countdown=0.1)
    _count(self, tag)
    return f"{tag}:{n}"
