"""The Celery app shared by the benchmark client and worker: a no-op task plus probes."""

from __future__ import annotations

import json
import os
from typing import Any

import redis
from celery import Celery, signals
from kombu.messaging import Producer

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
MAX_MSG_KEY = "bench:max-message"
DONE_KEY = "bench:noop-done"
READY_KEY = "bench:worker-ready"
PEER_PROCESSOR = "celery-dyrygent-processor"

# Identical for every engine: the only thing that changes between runs is the engine.
app = Celery("bench", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=4,
    task_acks_late=False,
    task_ignore_result=False,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

_MAX_IF_GREATER = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 0
"""

_client: tuple[int, redis.Redis[bytes]] | None = None
_local_max = 0


def probe_redis() -> redis.Redis[bytes]:
    """A Redis client for this process (a fresh one after fork)."""
    global _client
    if _client is None or _client[0] != os.getpid():
        _client = (os.getpid(), redis.Redis.from_url(REDIS_URL))
    return _client[1]


@app.task(name="bench.noop")  # type: ignore[untyped-decorator]
def noop(*args: Any, **kwargs: Any) -> None:
    """Do nothing: the benchmark measures the engine, not the work."""


def _record_size(size: int) -> None:
    """Keep the largest message size; Redis is written only when this process sees a new max."""
    global _local_max
    if size > _local_max:
        _local_max = size
        redis_client = probe_redis()
        redis_client.eval(_MAX_IF_GREATER, 1, MAX_MSG_KEY, size)  # type: ignore[no-untyped-call]


_original_publish = Producer._publish


def _measured_publish(self: Producer, body: Any, *args: Any, **kwargs: Any) -> Any:
    """Producer._publish sees the serialised body, so every engine is measured alike."""
    headers = args[3] if len(args) > 3 else kwargs.get("headers")
    size = len(body) if isinstance(body, str | bytes) else 0
    size += len(json.dumps(headers, default=str)) if headers else 0
    _record_size(size)
    return _original_publish(self, body, *args, **kwargs)  # type: ignore[no-untyped-call]


Producer._publish = _measured_publish  # type: ignore[method-assign]


@signals.task_postrun.connect  # type: ignore[untyped-decorator]
def _count_noop(sender: Any = None, **_: Any) -> None:
    """Count finished no-op tasks so the client can check every node ran exactly once."""
    if getattr(sender, "name", None) == "bench.noop":
        probe_redis().incr(DONE_KEY)


@signals.worker_ready.connect  # type: ignore[untyped-decorator]
def _announce_ready(**_: Any) -> None:
    """Tell the harness the worker consumes, so no run pays for worker start-up."""
    probe_redis().set(READY_KEY, os.getpid())


def _register_processors() -> None:
    """Register both workflow processors under distinct names."""
    from celery_dyrygent.tasks import register_workflow_processor as register_peer

    register_peer(app, name=PEER_PROCESSOR)
    try:
        from dyrygent.tasks import register_workflow_processor
    except ImportError:  # the engine is optional until it lands
        return
    register_workflow_processor(app)


_register_processors()
